// Command loadgen measures the bot under load on this machine, case by
// case (issue #13's goals: no match, every event matching 5 rules on
// SQLite and PostgreSQL, three replicas, 1 in 20 matching, delivery
// drain, intake latency at a fixed rate, end to end, start-up, peak
// memory), each against the ceiling of a server that only verifies and
// decodes the same deliveries, measured in the same run. See
// cmd/loadgen/README.md.
//
//	go run ./cmd/loadgen [--cases all] [--runs 1] [--duration 10s] [--database-url URL] [--json]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == baselineCommand {
		if err := serveBaseline(args[1:], stderr); err != nil {
			fmt.Fprintln(stderr, "loadgen "+baselineCommand+":", err)
			return 1
		}
		return 0
	}
	cfg, err := parseConfig(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := runHarness(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 1
		}
		return 0
	}
	printReport(stdout, rep)
	return 0
}

// config is the command line.
type config struct {
	duration     time.Duration
	warmup       time.Duration
	conns        int
	rate         float64
	e2eRate      float64
	drainEvents  int
	starts       int
	poolSize     int
	runs         int
	cases        []*caseDef
	skipped      []string // PostgreSQL cases "all" left out
	payloads     string
	skipBaseline bool
	bot          string
	keep         bool
	databaseURL  string
	json         bool
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./cmd/loadgen [flags]\n\nMeasures the bot case by case against a verify-and-decode ceiling; see cmd/loadgen/README.md.\n\nFlags:")
		fs.PrintDefaults()
	}
	var names []string
	for _, d := range caseTable() {
		names = append(names, d.name)
	}
	cases := fs.String("cases", "all", "cases to measure, comma-separated, or all: "+strings.Join(names, ", "))
	fs.IntVar(&c.runs, "runs", 1, "repeat the chosen cases (and the ceiling) this many times; the summary gives median and range")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of every measured run")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "closed-loop warm-up before counting")
	fs.IntVar(&c.conns, "conns", 64, "concurrent keep-alive connections of the saturation runs (spread over the replicas)")
	fs.Float64Var(&c.rate, "rate", 1000, "requests per second of the latency case (open loop)")
	fs.Float64Var(&c.e2eRate, "e2e-rate", 200, "events per second of the end-to-end case")
	fs.IntVar(&c.drainEvents, "drain-events", 2000, "events queued (5 replies each) before the drain cases time the delivery")
	fs.IntVar(&c.starts, "starts", 5, "start-ups timed by the startup case")
	fs.IntVar(&c.poolSize, "pool", 250_000, "distinct signed deliveries prepared per run; a process sent more repeats them")
	fs.StringVar(&c.payloads, "payloads", payloadSets()[0].Kind(), "platform whose payloads, rules and fake are used")
	fs.BoolVar(&c.skipBaseline, "skip-baseline", false, "do not measure the ceiling (no ratios)")
	fs.StringVar(&c.bot, "bot", "", "bot binary to measure (default: go build ./cmd/bot into the temp dir)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temp dir (rules, logs, SQLite files) and PostgreSQL databases")
	fs.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL server for the -pg and replicas cases: a fresh database per case is created on it")
	fs.BoolVar(&c.json, "json", false, "print the results as JSON instead of tables")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.cases, c.skipped, err = selectCases(*cases, c.databaseURL != ""); err != nil {
		return c, err
	}
	return c, c.validate()
}

func (c *config) validate() error {
	var errs []error
	if c.duration < 100*time.Millisecond {
		errs = append(errs, errors.New("--duration must be at least 100ms"))
	}
	if c.warmup < 0 {
		errs = append(errs, errors.New("--warmup must not be negative"))
	}
	if c.conns < 1 || c.conns > 10_000 {
		errs = append(errs, errors.New("--conns must be between 1 and 10000"))
	}
	if c.rate <= 0 {
		errs = append(errs, errors.New("--rate must be positive"))
	}
	if c.runs < 1 {
		errs = append(errs, errors.New("--runs must be at least 1"))
	}
	if c.drainEvents < 1 {
		errs = append(errs, errors.New("--drain-events must be at least 1"))
	}
	if c.e2eRate <= 0 {
		errs = append(errs, errors.New("--e2e-rate must be positive"))
	}
	if c.starts < 1 {
		errs = append(errs, errors.New("--starts must be at least 1"))
	}
	if c.poolSize < 1000 {
		errs = append(errs, errors.New("--pool must be at least 1000"))
	}
	if c.bot != "" {
		// Absolute: the bot runs in the temp dir, where a relative path
		// would not resolve.
		abs, err := filepath.Abs(c.bot)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("--bot: %w", err))
		}
		c.bot = abs
	}
	return errors.Join(errs...)
}
