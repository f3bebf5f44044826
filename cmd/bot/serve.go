package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/supportops/autoresponder/internal/app"
	"github.com/supportops/autoresponder/internal/logthrottle"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/queue"
)

// storeFlags are the flags that locate the store, shared by every command
// that opens it.
type storeFlags struct {
	data        string
	databaseURL string
	env         app.Env
}

func (s *storeFlags) register(fs *flag.FlagSet, env app.Env) {
	s.env = env
	fs.StringVar(&s.data, "data", env.String("BOT_DATA", app.DefaultDataDir), "data directory of the embedded store (env BOT_DATA)")
	// No default from the environment: -h and flag errors print defaults,
	// and this one holds a password.
	fs.StringVar(&s.databaseURL, "database-url", "", "PostgreSQL URL; replaces the embedded store (env BOT_DATABASE_URL)")
}

// dbURL is --database-url, or BOT_DATABASE_URL.
func (s *storeFlags) dbURL() string {
	if s.databaseURL != "" {
		return s.databaseURL
	}
	return s.env("BOT_DATABASE_URL")
}

// open opens the store for a tool: no deliveries, no lock on the data dir.
func (s *storeFlags) open(ctx context.Context) (*queue.Store, error) {
	return queue.Open(ctx, queue.Options{DataDir: s.data, DatabaseURL: s.dbURL()})
}

// serveOptions parses serve's flags over defaults taken from env.
func serveOptions(reg *platform.Registry, args []string, env app.Env, stderr io.Writer) (app.Options, error) {
	o := app.DefaultOptions()
	o.Platforms = reg
	fs := newFlags("serve", stderr)
	var sf storeFlags
	sf.register(fs, env)
	var err error
	durations := []struct {
		dst  *time.Duration
		flag string
		env  string
		def  time.Duration
		help string
	}{
		{&o.ShutdownGrace, "shutdown-grace", "BOT_SHUTDOWN_GRACE", app.DefaultShutdownGrace, "how long in-flight deliveries may finish at shutdown"},
		{&o.DrainDelay, "drain-delay", "BOT_DRAIN_DELAY", 0, "after a stop signal, keep serving this long with /readyz failing"},
		{&o.WatchInterval, "watch-interval", "BOT_WATCH_INTERVAL", app.DefaultWatchInterval, "how often to check the rules file for changes (0: never)"},
		{&o.JobTimeout, "job-timeout", "BOT_JOB_TIMEOUT", time.Minute, "upper bound of one delivery attempt"},
		{&o.RescueAfter, "rescue-after", "BOT_RESCUE_AFTER", 2 * time.Minute, "PostgreSQL: retry deliveries left running this long by a dead replica"},
		{&o.FetchPollInterval, "poll-interval", "BOT_POLL_INTERVAL", 0, "how often idle workers look for jobs (default 20ms SQLite, 100ms PostgreSQL)"},
	}
	// Every unreadable variable is reported at once, not one per restart.
	var envErrs []error
	for _, d := range durations {
		def, derr := env.Duration(d.env, d.def)
		envErrs = append(envErrs, derr)
		fs.DurationVar(d.dst, d.flag, def, d.help+" (env "+d.env+")")
	}
	workers, err := env.Int("BOT_WORKERS", app.DefaultWorkers)
	envErrs = append(envErrs, err)
	maxBody, err := env.Int("BOT_MAX_BODY_BYTES", app.DefaultMaxBodyBytes)
	envErrs = append(envErrs, err)
	if err := errors.Join(envErrs...); err != nil {
		return o, err
	}
	maxInFlight, err := env.Int("BOT_MAX_INFLIGHT_BYTES", app.DefaultMaxInFlightBytes)
	if err != nil {
		return o, err
	}
	fs.StringVar(&o.RulesPath, "rules", env.String("BOT_RULES", app.DefaultRulesPath), "rules file (env BOT_RULES)")
	fs.StringVar(&o.Listen, "listen", env.String("BOT_LISTEN", app.DefaultListen), "address to serve on (env BOT_LISTEN)")
	fs.StringVar(&o.AdminListen, "admin-listen", env("BOT_ADMIN_LISTEN"), "serve /metrics, /-/reload and /admin/ on this address only, not on --listen (env BOT_ADMIN_LISTEN; off by default)")
	fs.BoolVar(&o.DryRun, "dry-run", env("BOT_DRY_RUN") == "true", "send nothing: print every reply instead (env BOT_DRY_RUN=true)")
	fs.IntVar(&o.Workers, "workers", workers, "concurrent deliveries (env BOT_WORKERS)")
	fs.Int64Var(&o.MaxBodyBytes, "max-body-bytes", int64(maxBody), "largest webhook body accepted (env BOT_MAX_BODY_BYTES)")
	fs.Int64Var(&o.MaxInFlightBytes, "max-inflight-bytes", int64(maxInFlight), "memory for all webhook bodies being read at once; past it 503 (env BOT_MAX_INFLIGHT_BYTES)")
	fs.StringVar(&o.TLSCert, "tls-cert", env("BOT_TLS_CERT"), "serve HTTPS with this certificate (env BOT_TLS_CERT)")
	fs.StringVar(&o.TLSKey, "tls-key", env("BOT_TLS_KEY"), "private key of --tls-cert (env BOT_TLS_KEY)")
	fs.StringVar(&o.DebugListen, "debug-listen", env("BOT_DEBUG_LISTEN"), "serve pprof profiles on this private address (env BOT_DEBUG_LISTEN; off by default)")
	fs.StringVar(&o.LogLevel, "log-level", env.String("BOT_LOG_LEVEL", "info"), "debug, info, warn or error (env BOT_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.DataDir, o.DatabaseURL = sf.data, sf.dbURL()
	o.AdminToken = env("BOT_ADMIN_TOKEN")
	return o, o.Validate()
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	// Every logger (River's too) derives from this one: a burst of one
	// repeated warning or error (River and the workers retrying while the
	// disk is full) becomes a few lines and a count. The same failure of
	// different events or jobs is one failure.
	throttle := logthrottle.Options{Vary: []string{"event_id", "job_id", "target_id", "attempt"}}
	return slog.New(logthrottle.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}), throttle))
}

// tuneGC trades memory for CPU: intake allocates a lot of short-lived
// garbage (decoded payloads), and with the default GOGC=100 allocation and
// collection took about a quarter of the CPU at saturation. GOGC=300 keeps peak RSS
// near 65 MiB under load; a soft limit of 200 MiB makes the collector work
// harder before memory grows further. GOGC and GOMEMLIMIT override both.
func tuneGC(env app.Env) {
	if env("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	if env("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(200 << 20)
	}
}

func runServe(reg *platform.Registry, args []string, stdout, stderr io.Writer) error {
	opts, err := serveOptions(reg, args, app.OSEnv, stderr)
	if err != nil {
		return err
	}
	tuneGC(app.OSEnv)
	log := newLogger(opts.LogLevel, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	reload := make(chan struct{}, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	relayReloads(ctx, hup, reload)
	a, err := app.New(ctx, opts, app.OSEnv, log, stdout)
	if err != nil {
		log.Error("cannot start", "error", err.Error())
		// Positioned errors with their caret, and lists of missing
		// settings, read best as plain text.
		fmt.Fprintf(stderr, "\n%v\n", err)
		return exitError{1}
	}
	if err := a.Run(ctx, reload); err != nil {
		log.Error("stopped with an error", "error", err.Error())
		return exitError{1}
	}
	return nil
}

// relayReloads turns signals into reload requests (a burst of signals is
// one reload) until ctx ends; the returned channel closes when it stopped.
func relayReloads(ctx context.Context, sigs <-chan os.Signal, reload chan<- struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sigs:
				select {
				case reload <- struct{}{}:
				default: // a reload is already pending
				}
			}
		}
	}()
	return done
}

func runMigrate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", stderr)
	var sf storeFlags
	sf.register(fs, app.OSEnv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// applied_at is written from this process's clock, in milliseconds.
	start := time.Now().Truncate(time.Millisecond)
	s, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	version, applied, err := s.SchemaChanges(ctx, start)
	if err != nil {
		return err
	}
	where := s.Kind() + " store"
	if sf.dbURL() == "" {
		where = fmt.Sprintf("%s store in %s", s.Kind(), sf.data)
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "%s is up to date (schema version %d); nothing to do\n", where, version)
		return nil
	}
	var tables []string
	for _, m := range applied {
		tables = append(tables, m.Tables...)
	}
	fmt.Fprintf(stdout, "%s: applied schema migration(s) %d to %d, now at version %d\n", where, applied[0].Version, applied[len(applied)-1].Version, version)
	if len(tables) > 0 {
		fmt.Fprintf(stdout, "created tables: %s\n", strings.Join(tables, ", "))
	}
	if applied[0].Version == 1 {
		fmt.Fprintln(stdout, "created River's job queue tables (river_*)")
	}
	return nil
}
