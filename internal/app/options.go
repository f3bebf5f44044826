// Package app wires the bot together: rules, intake, store, delivery, the
// HTTP server and reloads. cmd/bot parses flags into Options and calls Run.
package app

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/webhook"
)

// Options configure a running bot. Every field has a flag and an
// environment variable (see cmd/bot).
type Options struct {
	RulesPath   string // --rules, BOT_RULES (default ./rules.yaml)
	Listen      string // --listen, BOT_LISTEN (default :8080)
	DataDir     string // --data, BOT_DATA (default ./data)
	DatabaseURL string // --database-url, BOT_DATABASE_URL (PostgreSQL; empty: SQLite in DataDir)
	// AdminToken enables /admin/* with a bearer token (BOT_ADMIN_TOKEN).
	AdminToken string
	// DryRun posts nothing: every platform prints what it would send.
	DryRun bool
	// Workers is the number of concurrent deliveries.
	Workers int
	// ShutdownGrace bounds the wait for in-flight deliveries at shutdown.
	ShutdownGrace time.Duration
	// DrainDelay keeps serving after a stop signal, with /readyz failing,
	// so load balancers stop sending first.
	DrainDelay time.Duration
	// WatchInterval is how often the rules file is checked for changes
	// (0 disables watching).
	WatchInterval time.Duration
	// MaxBodyBytes bounds a webhook body.
	MaxBodyBytes int64
	// MaxInFlightBytes bounds the memory of all webhook bodies being read
	// at once; past it requests get 503 with Retry-After. It is raised to
	// three times MaxBodyBytes if lower (room for the largest body).
	MaxInFlightBytes int64
	// TLSCert and TLSKey serve HTTPS when both are set.
	TLSCert, TLSKey string
	// AdminListen, when set, serves /metrics, /-/reload and /admin/* on
	// this address instead of Listen (--admin-listen, BOT_ADMIN_LISTEN).
	AdminListen string
	// DebugListen serves Go's pprof profiles on a separate address (off
	// when empty; never expose it).
	DebugListen string
	// JobTimeout bounds one delivery attempt; RescueAfter is when a
	// PostgreSQL replica retries a delivery left running by a dead one.
	JobTimeout, RescueAfter time.Duration
	// FetchPollInterval is how often idle workers look for new jobs.
	FetchPollInterval time.Duration
	LogLevel          string // debug, info, warn, error

	// Platforms are the helpdesks the bot is built with (required: main
	// builds them once, internal/platform/all).
	Platforms *platform.Registry
}

// Defaults for Options.
const (
	DefaultRulesPath     = "./rules.yaml"
	DefaultListen        = ":8080"
	DefaultDataDir       = "./data"
	DefaultWorkers       = 20
	DefaultShutdownGrace = 25 * time.Second
	DefaultWatchInterval = 2 * time.Second
	DefaultMaxBodyBytes  = 1 << 20
	// DefaultMaxInFlightBytes: 64 MiB, a third of the 200 MiB soft memory
	// limit the binary sets (GOMEMLIMIT).
	DefaultMaxInFlightBytes = webhook.DefaultMaxInFlightBytes
)

// DefaultOptions returns Options with every default applied.
func DefaultOptions() Options {
	return Options{
		RulesPath: DefaultRulesPath, Listen: DefaultListen, DataDir: DefaultDataDir,
		Workers: DefaultWorkers, ShutdownGrace: DefaultShutdownGrace, WatchInterval: DefaultWatchInterval,
		MaxBodyBytes: DefaultMaxBodyBytes, MaxInFlightBytes: DefaultMaxInFlightBytes, LogLevel: "info",
	}
}

// Validate reports options that cannot work together.
func (o *Options) Validate() error {
	var errs []error
	if o.Platforms == nil {
		errs = append(errs, errors.New("no platforms registered (Options.Platforms)"))
	}
	if o.RulesPath == "" {
		errs = append(errs, errors.New("--rules is required"))
	}
	if o.Listen == "" {
		errs = append(errs, errors.New("--listen is required"))
	}
	if o.DatabaseURL == "" && o.DataDir == "" {
		errs = append(errs, errors.New("--data is required without --database-url"))
	}
	if o.Workers < 1 || o.Workers > 1000 {
		errs = append(errs, fmt.Errorf("--workers must be between 1 and 1000, not %d", o.Workers))
	}
	if o.ShutdownGrace <= 0 {
		errs = append(errs, errors.New("--shutdown-grace must be positive"))
	}
	if o.DrainDelay < 0 || o.DrainDelay > 5*time.Minute {
		errs = append(errs, errors.New("--drain-delay must be between 0 and 5m"))
	}
	if o.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New("--max-body-bytes must be at least 1024"))
	}
	if o.AdminListen != "" && o.AdminListen == o.Listen && !strings.HasSuffix(o.Listen, ":0") {
		errs = append(errs, fmt.Errorf("--admin-listen %s is also --listen: give the admin listener its own port", o.AdminListen))
	}
	if o.MaxInFlightBytes < 0 {
		errs = append(errs, errors.New("--max-inflight-bytes must not be negative"))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	switch o.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", o.LogLevel))
	}
	return errors.Join(errs...)
}

// Env reads settings for the bot from the environment.
type Env func(string) string

// OSEnv is the process environment.
var OSEnv Env = os.Getenv

// Duration reads a duration variable, falling back to def.
func (e Env) Duration(name string, def time.Duration) (time.Duration, error) {
	v := e(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not a duration", name, v)
	}
	return d, nil
}

// Int reads an integer variable, falling back to def.
func (e Env) Int(name string, def int) (int, error) {
	v := e(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not a number", name, v)
	}
	return n, nil
}

// String reads a variable, falling back to def.
func (e Env) String(name, def string) string {
	if v := e(name); v != "" {
		return v
	}
	return def
}
