package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Stores a case runs the bot on.
const (
	storeSQLite   = "sqlite"
	storePostgres = "postgres"
)

// Units of a case's headline figure.
const (
	unitCeiling = "x ceiling"
	unitReplica = "x match5-pg"
	unitJobs    = "jobs/s"
	unitP99     = "p99 ms"
	unitMedian  = "median ms"
)

// rssGoal is the peak resident memory every case must stay under.
const rssGoal = 100 << 20

// goal is what a case's headline figure must reach: at least Min, or at
// most Max (whichever is set).
type goal struct {
	Text string  `json:"text"`
	Min  float64 `json:"min,omitempty"`
	Max  float64 `json:"max,omitempty"`
}

func (g *goal) met(v float64) bool {
	if g.Max > 0 {
		return v <= g.Max
	}
	return v >= g.Min
}

// Verdicts of the summary.
const (
	verdictMet   = "met"
	verdictBelow = "below goal"
	verdictNone  = "-"
	verdictNA    = "n/a"
)

// caseDef is one measured case of issue #13's goals table (and the
// end-to-end and start-up figures kept from before).
type caseDef struct {
	name  string
	title string
	store string
	unit  string // of the headline figure
	goal  *goal  // nil: no goal, reported for reference
	run   func(ctx context.Context, h *harness, c *caseDef) (*caseResult, error)
}

// caseTable lists every case in the order a run measures them: SQLite
// first, then PostgreSQL, so that a run without --database-url simply
// stops early.
func caseTable() []*caseDef {
	throughput := func(variant string, dryRun bool, replicas int) func(context.Context, *harness, *caseDef) (*caseResult, error) {
		return func(ctx context.Context, h *harness, c *caseDef) (*caseResult, error) {
			return h.throughputCase(ctx, c, variant, dryRun, replicas)
		}
	}
	drain := func(ctx context.Context, h *harness, c *caseDef) (*caseResult, error) { return h.drainCase(ctx, c) }
	return []*caseDef{
		{name: "nomatch", title: "100 rules, nothing matches", store: storeSQLite, unit: unitCeiling,
			goal: &goal{Text: ">= 0.95 x ceiling", Min: 0.95}, run: throughput(variantNoMatch, false, 1)},
		{name: "mix", title: "100 rules, 1 event in 20 matches, replies to the fake", store: storeSQLite, unit: unitCeiling,
			run: throughput(variantMix, false, 1)},
		{name: "match5", title: "100 rules, every event matches 5, --dry-run", store: storeSQLite, unit: unitCeiling,
			goal: &goal{Text: ">= 0.25 x ceiling", Min: 0.25}, run: throughput(variantAll5, true, 1)},
		{name: "latency", title: "every event matches 5, --dry-run, open loop at --rate", store: storeSQLite, unit: unitP99,
			goal: &goal{Text: "p99 <= 10 ms", Max: 10}, run: func(ctx context.Context, h *harness, c *caseDef) (*caseResult, error) {
				return h.latencyCase(ctx, c)
			}},
		{name: "drain", title: "drain of queued replies (5 per event) to the fake", store: storeSQLite, unit: unitJobs,
			goal: &goal{Text: ">= 3,000 jobs/s", Min: 3000}, run: drain},
		{name: "e2e", title: "end to end at --e2e-rate, every event matching", store: storeSQLite, unit: unitP99,
			run: func(ctx context.Context, h *harness, c *caseDef) (*caseResult, error) { return h.e2eCase(ctx, c) }},
		{name: "startup", title: "start-up to ready, empty store", store: storeSQLite, unit: unitMedian,
			run: func(ctx context.Context, h *harness, c *caseDef) (*caseResult, error) { return h.startupCase(ctx, c) }},
		{name: "mix-pg", title: "100 rules, 1 event in 20 matches, replies to the fake", store: storePostgres, unit: unitCeiling,
			run: throughput(variantMix, false, 1)},
		{name: "match5-pg", title: "100 rules, every event matches 5, --dry-run, one replica", store: storePostgres, unit: unitCeiling,
			goal: &goal{Text: ">= 0.15 x ceiling", Min: 0.15}, run: throughput(variantAll5, true, 1)},
		{name: "replicas3", title: "match5-pg on three replicas of one database, aggregate", store: storePostgres, unit: unitReplica,
			goal: &goal{Text: ">= 0.90 x match5-pg", Min: 0.9}, run: throughput(variantAll5, true, 3)},
		{name: "drain-pg", title: "drain of queued replies (5 per event) to the fake", store: storePostgres, unit: unitJobs,
			goal: &goal{Text: ">= 2,000 jobs/s", Min: 2000}, run: drain},
	}
}

// selectCases resolves --cases: a comma-separated list of case names, or
// "all". PostgreSQL cases need --database-url: named explicitly without
// it they are an error; under "all" they are left out (skipped says so).
func selectCases(spec string, haveDatabase bool) (chosen []*caseDef, skipped []string, err error) {
	table := caseTable()
	byName := map[string]*caseDef{}
	var names []string
	for _, c := range table {
		byName[c.name] = c
		names = append(names, c.name)
	}
	want := map[string]bool{}
	for _, n := range strings.Split(spec, ",") {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
		case n == "all":
			for _, c := range table {
				if c.store == storePostgres && !haveDatabase {
					skipped = append(skipped, c.name)
					continue
				}
				want[c.name] = true
			}
		case byName[n] == nil:
			return nil, nil, fmt.Errorf("--cases: no case %q (have all, %s)", n, strings.Join(names, ", "))
		case byName[n].store == storePostgres && !haveDatabase:
			return nil, nil, fmt.Errorf("--cases: %s runs on PostgreSQL and needs --database-url", n)
		default:
			want[n] = true
		}
	}
	for _, c := range table { // the table's order, whatever the flag's
		if want[c.name] {
			chosen = append(chosen, c)
		}
	}
	if len(chosen) == 0 {
		return nil, nil, fmt.Errorf("--cases: nothing to run")
	}
	return chosen, skipped, nil
}

// spread is the median (the mean of the middle two for an even count),
// the minimum and the maximum.
func spread(v []float64) (median, lo, hi float64) {
	if len(v) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	median = s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return median, s[0], s[n-1]
}

// stat is a figure over runs.
type stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"runs"`
}

func statOf(v []float64) *stat {
	if len(v) == 0 {
		return nil
	}
	m, lo, hi := spread(v)
	return &stat{Median: m, Min: lo, Max: hi, N: len(v)}
}

// caseSummary is one case over every run: the table line.
type caseSummary struct {
	Case       string   `json:"case"`
	Title      string   `json:"title"`
	Store      string   `json:"store"`
	Unit       string   `json:"unit"`
	Figure     *stat    `json:"figure,omitempty"`     // the headline figure, in Unit
	VsCeiling  *stat    `json:"vs_ceiling,omitempty"` // throughput / the same run's ceiling
	ReqPerSec  *stat    `json:"req_per_s,omitempty"`  // 2xx answers per second (saturation or achieved)
	Goal       *goal    `json:"goal,omitempty"`
	Verdict    string   `json:"verdict"` // of the median: met, below goal, n/a, -
	RunsMet    int      `json:"runs_met"`
	PeakRSS    int64    `json:"peak_rss_bytes_max"` // the largest over runs (and replicas)
	RSSVerdict string   `json:"rss_verdict"`
	Failed     int      `json:"runs_failed"` // runs where the case failed to run
	Errors     []string `json:"errors,omitempty"`
}

// summarize folds the results of every run into one line per case.
func summarize(defs []*caseDef, results []*caseResult) []*caseSummary {
	var out []*caseSummary
	for _, c := range defs {
		s := &caseSummary{Case: c.name, Title: c.title, Store: c.store, Unit: c.unit, Goal: c.goal}
		var fig, ratio, rps []float64
		for _, r := range results {
			if r.Case != c.name {
				continue
			}
			if r.Error != "" {
				s.Failed++
				s.Errors = append(s.Errors, fmt.Sprintf("run %d: %s", r.Run, r.Error))
				continue
			}
			if r.HasFigure {
				fig = append(fig, r.Figure)
				if c.goal != nil && c.goal.met(r.Figure) {
					s.RunsMet++
				}
			}
			if r.VsCeiling > 0 {
				ratio = append(ratio, r.VsCeiling)
			}
			if v := r.reqPerSec(); v > 0 {
				rps = append(rps, v)
			}
			s.PeakRSS = max(s.PeakRSS, r.PeakRSS)
		}
		s.Figure, s.VsCeiling, s.ReqPerSec = statOf(fig), statOf(ratio), statOf(rps)
		switch {
		case c.goal == nil:
			s.Verdict = verdictNone
		case s.Figure == nil:
			s.Verdict = verdictNA
		case c.goal.met(s.Figure.Median):
			s.Verdict = verdictMet
		default:
			s.Verdict = verdictBelow
		}
		switch {
		case s.PeakRSS == 0:
			s.RSSVerdict = verdictNA
		case s.PeakRSS <= rssGoal:
			s.RSSVerdict = verdictMet
		default:
			s.RSSVerdict = "above goal"
		}
		out = append(out, s)
	}
	return out
}

// finishRun sets the figures that depend on other cases of the same run:
// every throughput against the run's ceiling, and the replicas' aggregate
// against one replica.
func finishRun(results []*caseResult) {
	var ceiling, oneReplica float64
	for _, r := range results {
		switch {
		case r.Error != "" || r.Saturation == nil:
		case r.Case == caseCeiling:
			ceiling = r.Saturation.Throughput
		case r.Case == "match5-pg":
			oneReplica = r.Saturation.Throughput
		}
	}
	for _, r := range results {
		if r.Error != "" || r.Saturation == nil {
			continue
		}
		if ceiling > 0 {
			r.VsCeiling = r.Saturation.Throughput / ceiling
		}
		switch {
		case r.Case == caseCeiling:
		case r.Case == "replicas3":
			r.Figure, r.HasFigure = 0, false
			if oneReplica > 0 {
				r.Figure, r.HasFigure = r.Saturation.Throughput/oneReplica, true
			}
		default:
			r.Figure, r.HasFigure = r.VsCeiling, ceiling > 0
		}
	}
}
