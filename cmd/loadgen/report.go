package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything one invocation measured; --json prints it as is.
type report struct {
	Machine  machineInfo    `json:"machine"`
	Settings settings       `json:"settings"`
	Payloads payloadInfo    `json:"payloads"`
	Summary  []*caseSummary `json:"summary"`
	Results  []*caseResult  `json:"results"` // every case of every run, the ceiling first in each
	KeptDir  string         `json:"kept_dir,omitempty"`
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
	Duration     string                 `json:"duration"`
	Warmup       string                 `json:"warmup"`
	Conns        int                    `json:"conns"`
	Rate         float64                `json:"latency_rate_rps"`
	E2ERate      float64                `json:"e2e_rate_rps"`
	DrainEvents  int                    `json:"drain_events"`
	Rules        int                    `json:"rules"`
	Runs         int                    `json:"runs"`
	Platform     string                 `json:"platform"`
	Cases        []string               `json:"cases"`
	SkippedCases []string               `json:"skipped_cases,omitempty"` // PostgreSQL cases without --database-url
	Predicted    map[string]*prediction `json:"predicted"`               // by rules variant
}

type payloadInfo struct {
	Platform       string         `json:"platform"`
	Templates      int            `json:"templates"`
	MeanBytes      int            `json:"mean_bytes"`
	Pool           int            `json:"signed_pool"`
	Topics         map[string]int `json:"topics"`
	PrepareSeconds float64        `json:"prepare_seconds"`
}

// caseResult is one case measured once.
type caseResult struct {
	Case        string         `json:"case"`
	Run         int            `json:"run"`
	Store       string         `json:"store"`
	Replicas    int            `json:"replicas,omitempty"`
	Error       string         `json:"error,omitempty"` // the case failed; nothing else is set
	Figure      float64        `json:"figure"`          // the headline figure, in the case's unit
	HasFigure   bool           `json:"has_figure"`
	VsCeiling   float64        `json:"vs_ceiling,omitempty"` // saturation throughput / this run's ceiling
	Saturation  *closedResult  `json:"saturation,omitempty"`
	FixedRate   *openResult    `json:"fixed_rate,omitempty"`
	Drain       *drainResult   `json:"drain,omitempty"`
	E2E         *e2eResult     `json:"end_to_end,omitempty"`
	Startup     *startupResult `json:"startup,omitempty"`
	Sent        int64          `json:"deliveries_sent"`
	PoolWrapped bool           `json:"pool_wrapped"` // more were sent than the pool holds: ids repeated
	PeakRSS     int64          `json:"peak_rss_bytes"`
	Match       *matchInfo     `json:"match,omitempty"`
}

// reqPerSec is the case's intake rate: at saturation, or achieved at a
// fixed rate; 0 when it has none.
func (r *caseResult) reqPerSec() float64 {
	switch {
	case r.Saturation != nil:
		return r.Saturation.Throughput
	case r.FixedRate != nil && r.E2E == nil:
		return r.FixedRate.Achieved
	}
	return 0
}

func (r *caseResult) cpu() cpuUse {
	switch {
	case r.Saturation != nil:
		return r.Saturation.CPU
	case r.Drain != nil:
		return r.Drain.CPU
	case r.FixedRate != nil:
		return r.FixedRate.CPU
	}
	return cpuUse{}
}

type matchInfo struct {
	Predicted        float64 `json:"predicted_matches_per_event"` // in-process evaluation of the templates
	Events           float64 `json:"events"`                      // webhooks answered 2xx, per the bot's metrics
	RuleMatches      float64 `json:"rule_matches"`                // sum of autoresponder_rule_matches_total
	Ratio            float64 `json:"matches_per_event"`
	Duplicates       float64 `json:"duplicates"`
	RuleErrors       float64 `json:"rule_errors"`
	EventsPerCommit  float64 `json:"events_per_commit"`
	JobsDone         float64 `json:"jobs_done"` // autoresponder_reply_total sent + dry_run, when scraped
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

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/1e6) }

func mib(b int64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// num formats a figure: thousands separated above 100, two decimals below.
func num(v float64) string {
	if math.Abs(v) < 100 {
		return fmt.Sprintf("%.2f", v)
	}
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// spreadText is "median (min-max)", or the value alone for one run.
func spreadText(s *stat) string {
	switch {
	case s == nil:
		return "-"
	case s.N == 1 || s.Min == s.Max:
		return num(s.Median)
	}
	return fmt.Sprintf("%s (%s-%s)", num(s.Median), num(s.Min), num(s.Max))
}

// printReport writes the tables.
func printReport(w io.Writer, r *report) {
	fmt.Fprintf(w, "\nMachine: %d CPUs, loadgen GOMAXPROCS %d, %s %s, load average at start %s\n",
		r.Machine.CPUs, r.Machine.GOMAXPROCS, r.Machine.Go, r.Machine.OS, r.Machine.LoadAvg)
	fmt.Fprintf(w, "Payloads: %d %s templates, %d bytes on average, %d signed deliveries; %d rules; predicted matches per event:",
		r.Payloads.Templates, r.Payloads.Platform, r.Payloads.MeanBytes, r.Payloads.Pool, r.Settings.Rules)
	for _, v := range ruleVariants {
		if p := r.Settings.Predicted[v]; p != nil {
			fmt.Fprintf(w, " %s %.3f", v, p.MatchesPerEv)
		}
	}
	fmt.Fprintf(w, "\nSettings: saturation %d connections, %s after %s warm-up; latency at %.0f req/s; drain of %d events; end to end at %.0f events/s\n",
		r.Settings.Conns, r.Settings.Duration, r.Settings.Warmup, r.Settings.Rate, r.Settings.DrainEvents, r.Settings.E2ERate)

	fmt.Fprintf(w, "\nCases: median (range) over %d run(s); each ratio against the ceiling measured in the same run\n", r.Settings.Runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tstore\tx ceiling\treq/s\tfigure\tgoal\tverdict\truns met\tpeak RSS\tRSS <= 100 MiB\t")
	for _, s := range r.Summary {
		figure, goalText, met := "-", "-", "-"
		if s.Unit != unitCeiling {
			figure = spreadText(s.Figure) + " " + s.Unit
		}
		if s.Goal != nil {
			goalText = s.Goal.Text
			met = fmt.Sprintf("%d of %d", s.RunsMet, r.Settings.Runs)
		}
		verdict := s.Verdict
		if s.Failed > 0 {
			verdict += fmt.Sprintf(" (failed %d)", s.Failed)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Case, s.Store, spreadText(s.VsCeiling), spreadText(s.ReqPerSec),
			figure, goalText, verdict, met, mib(s.PeakRSS), s.RSSVerdict)
	}
	tw.Flush()
	for _, s := range r.Summary {
		fmt.Fprintf(w, "  %-10s %s\n", s.Case, s.Title)
	}
	if len(r.Settings.SkippedCases) > 0 {
		fmt.Fprintf(w, "not run (PostgreSQL, no --database-url): %s\n", strings.Join(r.Settings.SkippedCases, ", "))
	}

	fmt.Fprintln(w, "\nEvery case of every run (CPU in cores; matches per event measured by the bot / predicted)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\tcase\treq/s\tx ceiling\tfigure\tfailed\tloadgen CPU\tserver CPU\tpeak RSS\tmatches/event\tevents/commit\tjobs done\treplies delivered\tAPI violations\t")
	for _, c := range r.Results {
		if c.Error != "" {
			fmt.Fprintf(tw, "%d\t%s\tfailed: %s\t\t\t\t\t\t\t\t\t\t\t\t\n", c.Run, c.Case, firstLine(c.Error))
			continue
		}
		ratio, figure, failed := "-", "-", int64(0)
		if c.VsCeiling > 0 {
			ratio = fmt.Sprintf("%.2f", c.VsCeiling)
		}
		if c.HasFigure && c.Case != caseCeiling {
			figure = num(c.Figure) + " " + unitOf(c.Case)
		}
		switch {
		case c.Saturation != nil:
			failed = c.Saturation.Failed
		case c.FixedRate != nil:
			failed = c.FixedRate.Failed
		}
		matches, commit, jobs, replies, viol := "-", "-", "-", "-", "-"
		if m := c.Match; m != nil {
			matches = fmt.Sprintf("%.3f / %.3f", m.Ratio, m.Predicted)
			commit = fmt.Sprintf("%.1f", m.EventsPerCommit)
			jobs = fmt.Sprintf("%.0f", m.JobsDone)
			replies = fmt.Sprintf("%d of %d", m.RepliesDelivered, m.RepliesExpected)
			viol = fmt.Sprint(m.Violations)
		}
		cpu, rps := c.cpu(), "-"
		if v := c.reqPerSec(); v > 0 {
			rps = num(v)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%.2f\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", c.Run, c.Case, rps, ratio, figure,
			failed, cpu.Loadgen, cpu.Server, mib(c.PeakRSS), matches, commit, jobs, replies, viol)
	}
	tw.Flush()

	for _, c := range r.Results {
		prefix := fmt.Sprintf("run %d %s: ", c.Run, c.Case)
		if c.PoolWrapped {
			fmt.Fprintf(w, "note: %s%d deliveries sent, more than the %d signed: ids repeated (raise --pool)\n", prefix, c.Sent, r.Payloads.Pool)
		}
		if c.Saturation != nil && c.Saturation.FirstError != "" {
			fmt.Fprintf(w, "note: %sfirst failure: %s\n", prefix, c.Saturation.FirstError)
		}
		if o := c.FixedRate; o != nil {
			fmt.Fprintf(w, "%sintake at %.0f req/s: achieved %.0f, p50 %s ms, p90 %s ms, p99 %s ms, max %s ms, %d late, %d failed\n",
				prefix, o.Rate, o.Achieved, ms(o.P50), ms(o.P90), ms(o.P99), ms(o.Max), o.Late, o.Failed)
		}
		if d := c.Drain; d != nil {
			fmt.Fprintf(w, "%s%d events queued %d replies (%d delivered during intake); a fresh bot delivered %d in %.2f s: %.0f jobs/s\n",
				prefix, d.Events, d.JobsOwed, d.DeliveredEarly, d.Drained, d.Seconds, d.JobsPerSec)
		}
		if e := c.E2E; e != nil {
			fmt.Fprintf(w, "%swebhook intended send → reply at the fake: p50 %s ms, p90 %s ms, p99 %s ms, max %s ms; %d events expected a reply, %d got none; replies %d of %d; API violations %d\n",
				prefix, ms(e.P50), ms(e.P90), ms(e.P99), ms(e.Max), e.Events, e.Missing, e.RepliesReceived, e.RepliesExpected, e.Violations)
		}
		if s := c.Startup; s != nil {
			all := make([]string, len(s.All))
			for i, d := range s.All {
				all[i] = ms(d)
			}
			fmt.Fprintf(w, "%sexec → /readyz 200: median %s ms (%s)\n", prefix, ms(s.Median), strings.Join(all, ", "))
		}
		if c.Error != "" {
			fmt.Fprintf(w, "%sFAILED: %s\n", prefix, c.Error)
		}
	}
	if r.KeptDir != "" {
		fmt.Fprintf(w, "\nKept: %s (rules files, logs, data)\n", r.KeptDir)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// unitOf is the headline unit of a case by name.
func unitOf(name string) string {
	for _, c := range caseTable() {
		if c.name == name {
			return c.unit
		}
	}
	return ""
}
