package main

import (
	"bytes"
	"strings"
	"testing"
)

// Every case of issue #13's goals table is there, with the goal the issue
// sets, and the PostgreSQL ones are marked as such.
func TestCaseTableHasTheIssueGoals(t *testing.T) {
	want := []struct {
		name, store, unit string
		goal              string
	}{
		{"nomatch", storeSQLite, unitCeiling, ">= 0.95 x ceiling"},
		{"mix", storeSQLite, unitCeiling, ""},
		{"match5", storeSQLite, unitCeiling, ">= 0.25 x ceiling"},
		{"latency", storeSQLite, unitP99, "p99 <= 10 ms"},
		{"drain", storeSQLite, unitJobs, ">= 3,000 jobs/s"},
		{"e2e", storeSQLite, unitP99, ""},
		{"startup", storeSQLite, unitMedian, ""},
		{"mix-pg", storePostgres, unitCeiling, ""},
		{"match5-pg", storePostgres, unitCeiling, ">= 0.15 x ceiling"},
		{"replicas3", storePostgres, unitReplica, ">= 0.90 x match5-pg"},
		{"drain-pg", storePostgres, unitJobs, ">= 2,000 jobs/s"},
	}
	table := caseTable()
	if len(table) != len(want) {
		t.Fatalf("%d cases, want %d", len(table), len(want))
	}
	for i, w := range want {
		c := table[i]
		g := ""
		if c.goal != nil {
			g = c.goal.Text
		}
		if c.name != w.name || c.store != w.store || c.unit != w.unit || g != w.goal || c.run == nil || c.title == "" {
			t.Errorf("case %d: %s %s %s %q, want %s %s %s %q", i, c.name, c.store, c.unit, g, w.name, w.store, w.unit, w.goal)
		}
	}
}

func TestSpreadIsMedianAndRange(t *testing.T) {
	cases := []struct {
		in             []float64
		med, low, high float64
	}{
		{nil, 0, 0, 0},
		{[]float64{3}, 3, 3, 3},
		{[]float64{5, 1, 3}, 3, 1, 5},
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4}, // even: the mean of the middle two
		{[]float64{0.83, 0.64, 0.88, 0.85, 0.71}, 0.83, 0.64, 0.88},
	}
	for _, c := range cases {
		in := append([]float64(nil), c.in...)
		m, lo, hi := spread(c.in)
		if m != c.med || lo != c.low || hi != c.high {
			t.Errorf("spread(%v) = %v %v %v, want %v %v %v", c.in, m, lo, hi, c.med, c.low, c.high)
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Errorf("spread reordered its input: %v", c.in)
			}
		}
	}
}

// A figure short of its goal says so in the table, on the median; runs
// that failed are counted, not silently dropped; RSS has its own verdict.
func TestSummaryMarksBelowGoal(t *testing.T) {
	byName := map[string]*caseDef{}
	for _, c := range caseTable() {
		byName[c.name] = c
	}
	sat := func(rps float64) *closedResult { return &closedResult{Throughput: rps} }
	var results []*caseResult
	for run, v := range []struct{ ceiling, nomatch, match5, match5pg, replicas, drain, p99 float64 }{
		{10000, 9600, 1000, 2000, 1900, 3500, 12},
		{8000, 7000, 900, 1800, 1500, 2500, 8},
		{9000, 8800, 1100, 1500, 1500, 3100, 11},
	} {
		rs := []*caseResult{
			{Case: caseCeiling, Run: run + 1, Saturation: sat(v.ceiling), PeakRSS: 10 << 20},
			{Case: "nomatch", Run: run + 1, Saturation: sat(v.nomatch), PeakRSS: 50 << 20},
			{Case: "match5", Run: run + 1, Saturation: sat(v.match5), PeakRSS: 120 << 20},
			{Case: "match5-pg", Run: run + 1, Saturation: sat(v.match5pg), PeakRSS: 60 << 20},
			{Case: "replicas3", Run: run + 1, Saturation: sat(v.replicas), PeakRSS: 60 << 20},
			{Case: "drain", Run: run + 1, Figure: v.drain, HasFigure: true, PeakRSS: 60 << 20},
			{Case: "latency", Run: run + 1, Figure: v.p99, HasFigure: true, FixedRate: &openResult{Achieved: 1000}, PeakRSS: 60 << 20},
		}
		if run == 2 {
			rs = append(rs, &caseResult{Case: "mix", Run: 3, Error: "bot exited"})
		}
		finishRun(rs)
		results = append(results, rs...)
	}
	defs := []*caseDef{{name: caseCeiling, unit: unitCeiling}, byName["nomatch"], byName["match5"], byName["match5-pg"],
		byName["replicas3"], byName["drain"], byName["latency"], byName["mix"]}
	sum := summarize(defs, results)
	want := map[string]struct {
		median  float64
		verdict string
		met     int
		rss     string
	}{
		// 0.96, 0.875, 0.978: median 0.96 >= 0.95
		"nomatch": {0.96, verdictMet, 2, verdictMet},
		// 0.1, 0.1125, 0.122: far below 0.25; RSS 120 MiB above 100
		"match5":    {0.1125, verdictBelow, 0, "above goal"},
		"match5-pg": {0.2, verdictMet, 3, verdictMet},
		// 0.95, 0.833, 1.0 of one replica: median 0.95
		"replicas3": {0.95, verdictMet, 2, verdictMet},
		"drain":     {3100, verdictMet, 2, verdictMet},
		"latency":   {11, verdictBelow, 1, verdictMet}, // p99 must be at most 10
		"mix":       {0, verdictNone, 0, verdictNA},
	}
	for _, s := range sum {
		w, ok := want[s.Case]
		if !ok {
			continue
		}
		got := 0.0
		if s.Figure != nil {
			got = s.Figure.Median
		}
		if diff := got - w.median; diff > 1e-3 || diff < -1e-3 || s.Verdict != w.verdict || s.RunsMet != w.met || s.RSSVerdict != w.rss {
			t.Errorf("%s: median %v verdict %q met %d rss %q, want %v %q %d %q", s.Case, got, s.Verdict, s.RunsMet, s.RSSVerdict, w.median, w.verdict, w.met, w.rss)
		}
	}
	last := sum[len(sum)-1]
	if last.Case != "mix" || last.Failed != 1 || len(last.Errors) != 1 {
		t.Errorf("mix: %+v, want one failed run reported", last)
	}
	if s := sum[2]; s.ReqPerSec == nil || s.ReqPerSec.Median != 1000 || s.ReqPerSec.Min != 900 || s.ReqPerSec.Max != 1100 {
		t.Errorf("match5 req/s: %+v, want 1000 (900-1100)", s.ReqPerSec)
	}

	var out bytes.Buffer
	printReport(&out, &report{Settings: settings{Runs: 3}, Summary: sum, Results: results})
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "match5 ") && !strings.Contains(line, "below goal") {
			t.Errorf("the table hides that match5 is below its goal: %q", line)
		}
		if strings.HasPrefix(line, "match5 ") && !strings.Contains(line, "0.11 (0.10-0.12)") {
			t.Errorf("match5's line lacks its median and range: %q", line)
		}
	}
}
