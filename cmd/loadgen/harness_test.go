package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve the baseline: the harness starts
// it as its own executable with the baseline-server subcommand.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == baselineCommand {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// The one documented command, shrunk: every case runs against the real
// bot binary and the fake platform (the PostgreSQL ones too when
// BOT_TEST_DATABASE_URL is set), twice, the bot matches what the rules
// promise, and every reply it owes arrives without an API violation.
func TestHarnessRunsEveryCaseAgainstTheRealBot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bot")
	}
	dir := t.TempDir()
	bin, err := buildBot(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	dbURL := os.Getenv("BOT_TEST_DATABASE_URL")
	cases, _, err := selectCases("all", dbURL != "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{
		duration: 300 * time.Millisecond, warmup: 100 * time.Millisecond, conns: 8, rate: 100, runs: 2,
		e2eRate: 100, drainEvents: 60, starts: 1, poolSize: 5000, bot: bin, cases: cases, databaseURL: dbURL,
		payloads: payloadSets()[0].Kind(),
	}
	var log bytes.Buffer
	rep, err := runHarness(context.Background(), cfg, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if want := 2 * (1 + len(cases)); len(rep.Results) != want {
		t.Errorf("%d results, want %d", len(rep.Results), want)
	}
	for _, r := range rep.Results {
		if r.Error != "" {
			t.Errorf("run %d %s: %s", r.Run, r.Case, r.Error)
			continue
		}
		if s := r.Saturation; s != nil && (s.OK == 0 || s.Failed != 0) {
			t.Errorf("run %d %s saturation: %d accepted, %d failed (%s)", r.Run, r.Case, s.OK, s.Failed, s.FirstError)
		}
		if s := r.Saturation; s != nil && r.Case != caseCeiling && r.VsCeiling <= 0 {
			t.Errorf("run %d %s: no ratio to the ceiling", r.Run, r.Case)
		}
		if r.Case != caseCeiling && r.PeakRSS == 0 {
			t.Errorf("run %d %s: no peak RSS", r.Run, r.Case)
		}
		m := r.Match
		switch r.Case {
		case "mix", "mix-pg":
			if m.RuleMatches == 0 || m.RepliesDelivered != m.RepliesExpected || m.Violations != 0 || m.RuleErrors != 0 {
				t.Errorf("run %d %s: %+v, want matches and every reply delivered", r.Run, r.Case, m)
			}
		case "nomatch":
			if m.RuleMatches != 0 || m.RepliesDelivered != 0 {
				t.Errorf("run %d nomatch: %+v, want nothing matched or sent", r.Run, m)
			}
		case "match5", "match5-pg", "replicas3", "latency":
			// Dry run: nothing reaches the fake; every answered event
			// but the bot's own matched 5 rules.
			if m.RepliesDelivered != 0 || m.Ratio < 4.5 || m.Ratio > 5 || m.RuleErrors != 0 {
				t.Errorf("run %d %s: %+v, want 5 matches per event and nothing sent", r.Run, r.Case, m)
			}
		case "drain", "drain-pg":
			d := r.Drain
			if d.Events < 60 || d.Drained == 0 || m.RepliesDelivered != m.RepliesExpected || m.Violations != 0 || d.JobsPerSec <= 0 {
				t.Errorf("run %d %s: %+v %+v, want every queued reply drained", r.Run, r.Case, d, m)
			}
		case "e2e":
			if e := r.E2E; e.Events == 0 || e.Missing != 0 || e.Violations != 0 || e.P50 <= 0 {
				t.Errorf("run %d end to end: %+v, want a reply for every event", r.Run, e)
			}
		case "startup":
			if r.Startup.Median <= 0 {
				t.Errorf("run %d start-up: %+v", r.Run, r.Startup)
			}
		}
	}
	if len(rep.Summary) != 1+len(cases) {
		t.Errorf("%d summary lines, want %d", len(rep.Summary), 1+len(cases))
	}
	var out bytes.Buffer
	printReport(&out, rep)
	for _, want := range []string{"Cases: median (range) over 2 run(s)", "match5", ">= 0.25 x ceiling", "Every case of every run", "exec → /readyz 200"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	t.Log(out.String())
}
