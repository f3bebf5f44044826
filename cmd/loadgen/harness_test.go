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

// The one documented command, shrunk: every phase runs against the real
// bot binary and the fake Intercom, the bot matches what the rules
// promise, and every reply it owes arrives without an API violation.
func TestHarnessRunsEveryPhaseAgainstTheRealBot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bot")
	}
	dir := t.TempDir()
	bin, err := buildBot(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{
		duration: 300 * time.Millisecond, warmup: 100 * time.Millisecond, conns: 8, rates: []float64{100},
		e2eRate: 100, starts: 1, poolSize: 5000, bot: bin,
	}
	var log bytes.Buffer
	rep, err := runHarness(context.Background(), cfg, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	names := map[string]*runResult{}
	for _, r := range rep.Runs {
		names[r.Name] = r
		if r.Closed.OK == 0 || r.Closed.Failed != 0 {
			t.Errorf("%s saturation: %d accepted, %d failed (%s)", r.Name, r.Closed.OK, r.Closed.Failed, r.Closed.FirstError)
		}
		if len(r.Open) != 1 || r.Open[0].OK != 30 {
			t.Errorf("%s fixed rate: %+v, want 30 accepted", r.Name, r.Open)
		}
		if r.Name != "baseline" && r.PeakRSS == 0 {
			t.Errorf("%s: no peak RSS", r.Name)
		}
	}
	for _, name := range []string{"baseline", "bot-5pct", "bot-nomatch"} {
		if names[name] == nil {
			t.Fatalf("no %s run in %v", name, names)
		}
	}
	if m := names["bot-5pct"].Match; m.RuleMatches == 0 || m.RepliesDelivered != m.RepliesExpected || m.Violations != 0 || m.RuleErrors != 0 {
		t.Errorf("5%% run: %+v, want matches and every reply delivered", m)
	}
	if m := names["bot-nomatch"].Match; m.RuleMatches != 0 || m.RepliesDelivered != 0 {
		t.Errorf("no-match run: %+v, want nothing matched or sent", m)
	}
	if e := rep.E2E; e.Events == 0 || e.Missing != 0 || e.Violations != 0 || e.P50 <= 0 {
		t.Errorf("end to end: %+v, want a reply for every event", e)
	}
	if rep.Startup == nil || rep.Startup.Median <= 0 {
		t.Errorf("start-up: %+v", rep.Startup)
	}
	var out bytes.Buffer
	printReport(&out, rep)
	for _, want := range []string{"Throughput at saturation", "bot, 100 rules, ~5% match", "End to end", "Start-up to ready"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
