// Command loadgen measures the bot under load on this machine: intake
// throughput at saturation and latency at fixed rates, against a baseline
// that only verifies and decodes webhooks, with 100 rules matching about
// 5 % of events and with rules matching nothing; end-to-end latency from
// webhook to the reply reaching a fake Intercom; peak memory; start-up
// time. See cmd/loadgen/README.md.
//
//	go run ./cmd/loadgen [--duration 10s] [--conns 64] [--rates 1000] [--json]
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
	"strconv"
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
	rates        []float64
	e2eRate      float64
	starts       int
	poolSize     int
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
		fmt.Fprintln(stderr, "usage: go run ./cmd/loadgen [flags]\n\nMeasures the bot against a verify-and-decode baseline; see cmd/loadgen/README.md.\n\nFlags:")
		fs.PrintDefaults()
	}
	rates := fs.String("rates", "1000", "fixed request rates (req/s, comma-separated) for the intake latency runs")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of every measured run")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "closed-loop warm-up before counting")
	fs.IntVar(&c.conns, "conns", 64, "concurrent keep-alive connections of the saturation runs")
	fs.Float64Var(&c.e2eRate, "e2e-rate", 200, "events per second of the end-to-end run")
	fs.IntVar(&c.starts, "starts", 5, "start-up measurements (0 skips them)")
	fs.IntVar(&c.poolSize, "pool", 250_000, "distinct signed deliveries prepared per run; a process sent more repeats them")
	fs.BoolVar(&c.skipBaseline, "skip-baseline", false, "do not measure the baseline")
	fs.StringVar(&c.bot, "bot", "", "bot binary to measure (default: go build ./cmd/bot into the temp dir)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temp dir (rules, logs, SQLite files) and PostgreSQL databases")
	fs.StringVar(&c.databaseURL, "database-url", "", "run the bot on PostgreSQL: a fresh database per bot start is created on this server")
	fs.BoolVar(&c.json, "json", false, "print the results as JSON instead of tables")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, s := range strings.Split(*rates, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || r <= 0 {
			return c, fmt.Errorf("--rates: %q is not a positive number", s)
		}
		c.rates = append(c.rates, r)
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
	if c.e2eRate <= 0 {
		errs = append(errs, errors.New("--e2e-rate must be positive"))
	}
	if c.starts < 0 {
		errs = append(errs, errors.New("--starts must not be negative"))
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
