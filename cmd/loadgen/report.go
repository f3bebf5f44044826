package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything one run measured; --json prints it as is.
type report struct {
	Machine  machineInfo        `json:"machine"`
	Settings settings           `json:"settings"`
	Payloads payloadInfo        `json:"payloads"`
	Runs     []*runResult       `json:"runs"`
	Ratios   map[string]float64 `json:"throughput_vs_baseline,omitempty"`
	E2E      *e2eResult         `json:"end_to_end"`
	Startup  *startupResult     `json:"startup,omitempty"`
	KeptDir  string             `json:"kept_dir,omitempty"`
}

type machineInfo struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"loadgen_gomaxprocs"`
	Go         string `json:"go"`
	OS         string `json:"os"`
	LoadAvg    string `json:"load_average_at_start,omitempty"`
}

func machine() machineInfo {
	m := machineInfo{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

type settings struct {
	Duration       string    `json:"duration"`
	Warmup         string    `json:"warmup"`
	Conns          int       `json:"conns"`
	Rates          []float64 `json:"rates_rps"`
	E2ERate        float64   `json:"e2e_rate_rps"`
	Rules          int       `json:"rules"`
	PredictedMatch float64   `json:"predicted_match_ratio"`
	Store          string    `json:"store"`
}

type payloadInfo struct {
	Templates      int            `json:"templates"`
	MeanBytes      int            `json:"mean_bytes"`
	Pool           int            `json:"signed_pool"`
	Topics         map[string]int `json:"topics"`
	PrepareSeconds float64        `json:"prepare_seconds"`
}

// runResult is one server measured: saturation, then fixed rates.
type runResult struct {
	Name        string       `json:"name"` // baseline, bot-5pct, bot-nomatch
	Closed      closedResult `json:"saturation"`
	Open        []openResult `json:"fixed_rate"`
	Sent        int64        `json:"deliveries_sent"`
	PoolWrapped bool         `json:"pool_wrapped"` // more were sent than the pool holds: ids repeated
	PeakRSS     int64        `json:"peak_rss_bytes"`
	Match       *matchInfo   `json:"match,omitempty"`
}

// matchInfo is what the bot itself says it matched and sent.
type matchInfo struct {
	Predicted        float64 `json:"predicted_ratio"` // in-process evaluation of the templates
	Events           float64 `json:"events"`          // webhooks answered 2xx, per the bot's metrics
	RuleMatches      float64 `json:"rule_matches"`    // sum of autoresponder_rule_matches_total
	Ratio            float64 `json:"ratio"`
	Duplicates       float64 `json:"duplicates"`
	RuleErrors       float64 `json:"rule_errors"`
	EventsPerCommit  float64 `json:"events_per_commit"`
	RepliesExpected  int64   `json:"replies_expected"`
	RepliesDelivered int64   `json:"replies_delivered"`
	Violations       int     `json:"api_violations"`
}

type e2eResult struct {
	Rate            float64       `json:"rate_rps"`
	Duration        string        `json:"duration"`
	Events          int64         `json:"events_expecting_reply"`
	Missing         int64         `json:"events_without_reply"`
	RepliesExpected int64         `json:"replies_expected"`
	RepliesReceived int64         `json:"replies_received"`
	Stray           int64         `json:"stray_replies"`
	Violations      int           `json:"api_violations"`
	P50             time.Duration `json:"p50_ns"`
	P90             time.Duration `json:"p90_ns"`
	P99             time.Duration `json:"p99_ns"`
	Max             time.Duration `json:"max_ns"`
	Intake          openResult    `json:"intake"`
	PeakRSS         int64         `json:"peak_rss_bytes"`
}

type startupResult struct {
	Median time.Duration   `json:"median_ns"`
	All    []time.Duration `json:"all_ns"`
}

func (r *report) ratios() {
	var base float64
	for _, run := range r.Runs {
		if run.Name == "baseline" {
			base = run.Closed.Throughput
		}
	}
	if base == 0 {
		return
	}
	r.Ratios = map[string]float64{}
	for _, run := range r.Runs {
		if run.Name != "baseline" {
			r.Ratios[run.Name] = run.Closed.Throughput / base
		}
	}
}

var runLabels = map[string]string{
	"baseline":    "baseline (verify + decode)",
	"bot-5pct":    "bot, 100 rules, ~5% match",
	"bot-nomatch": "bot, 100 rules, no match",
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/1e6) }

func mib(b int64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// printReport writes the tables.
func printReport(w io.Writer, r *report) {
	fmt.Fprintf(w, "\nMachine: %d CPUs, loadgen GOMAXPROCS %d, %s %s, load average at start %s; store %s\n",
		r.Machine.CPUs, r.Machine.GOMAXPROCS, r.Machine.Go, r.Machine.OS, r.Machine.LoadAvg, r.Settings.Store)
	fmt.Fprintf(w, "Payloads: %d Intercom templates, %d bytes on average, %d signed deliveries; %d rules\n",
		r.Payloads.Templates, r.Payloads.MeanBytes, r.Payloads.Pool, r.Settings.Rules)

	fmt.Fprintf(w, "\nThroughput at saturation (closed loop: %d keep-alive connections, %s after %s warm-up; 2xx only)\n",
		r.Settings.Conns, r.Settings.Duration, r.Settings.Warmup)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "server\treq/s\tvs baseline\tmean ms\tfailed\tloadgen CPU\tserver CPU\tpeak RSS\t")
	for _, run := range r.Runs {
		ratio := "-"
		if v, ok := r.Ratios[run.Name]; ok {
			ratio = fmt.Sprintf("%.2f", v)
		} else if run.Name == "baseline" {
			ratio = "1.00"
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%.2f\t%d\t%.2f cores\t%.2f cores\t%s\t\n", runLabels[run.Name], run.Closed.Throughput, ratio,
			run.Closed.MeanMs, run.Closed.Failed, run.Closed.CPU.Loadgen, run.Closed.CPU.Server, mib(run.PeakRSS))
	}
	tw.Flush()

	fmt.Fprintln(w, "\nIntake latency at fixed rates (open loop, from each request's intended send time; ms)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "server\trate\tachieved\tp50\tp90\tp99\tmax\tfailed\tlate\tloadgen CPU\tserver CPU\t")
	for _, run := range r.Runs {
		for _, o := range run.Open {
			fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%s\t%s\t%s\t%s\t%d\t%d\t%.2f\t%.2f\t\n", runLabels[run.Name], o.Rate, o.Achieved,
				ms(o.P50), ms(o.P90), ms(o.P99), ms(o.Max), o.Failed, o.Late, o.CPU.Loadgen, o.CPU.Server)
		}
	}
	tw.Flush()

	fmt.Fprintln(w, "\nMatching and delivery (from the bot's /metrics and the fake Intercom)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "server\tpredicted\tmeasured\tevents\trule matches\tevents/commit\treplies delivered\tAPI violations\trule errors\t")
	for _, run := range r.Runs {
		if m := run.Match; m != nil {
			fmt.Fprintf(tw, "%s\t%.2f%%\t%.2f%%\t%.0f\t%.0f\t%.1f\t%d of %d\t%d\t%.0f\t\n", runLabels[run.Name], 100*m.Predicted, 100*m.Ratio,
				m.Events, m.RuleMatches, m.EventsPerCommit, m.RepliesDelivered, m.RepliesExpected, m.Violations, m.RuleErrors)
		}
	}
	tw.Flush()
	for _, run := range r.Runs {
		if run.PoolWrapped {
			fmt.Fprintf(w, "note: %s was sent %d deliveries, more than the %d signed: ids repeated (raise --pool)\n", run.Name, run.Sent, r.Payloads.Pool)
		}
		if run.Closed.FirstError != "" {
			fmt.Fprintf(w, "note: %s saturation: first failure: %s\n", run.Name, run.Closed.FirstError)
		}
	}

	if e := r.E2E; e != nil {
		fmt.Fprintf(w, "\nEnd to end (webhook intended send → fake Intercom received the reply), %.0f events/s for %s, every event matching\n", e.Rate, e.Duration)
		fmt.Fprintf(w, "  p50 %s ms  p90 %s ms  p99 %s ms  max %s ms\n", ms(e.P50), ms(e.P90), ms(e.P99), ms(e.Max))
		fmt.Fprintf(w, "  %d events expected a reply, %d got none; replies %d of %d; API violations %d; intake p99 %s ms; peak RSS %s\n",
			e.Events, e.Missing, e.RepliesReceived, e.RepliesExpected, e.Violations, ms(e.Intake.P99), mib(e.PeakRSS))
	}
	if s := r.Startup; s != nil {
		all := make([]string, len(s.All))
		for i, d := range s.All {
			all[i] = ms(d)
		}
		fmt.Fprintf(w, "\nStart-up to ready (exec → /readyz 200, empty store, %d rules): median %s ms (%s)\n", r.Settings.Rules, ms(s.Median), strings.Join(all, ", "))
	}
	if r.KeptDir != "" {
		fmt.Fprintf(w, "\nKept: %s (rules files, logs, data)\n", r.KeptDir)
	}
}
