package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/supportops/autoresponder/internal/delivery"
	"github.com/supportops/autoresponder/internal/metrics"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/ratelimit"
	"github.com/supportops/autoresponder/internal/replier"
	"github.com/supportops/autoresponder/internal/rules"
)

// App is a running bot.
type App struct {
	opts    Options
	secrets secretReader
	log     *slog.Logger
	m       *metrics.Metrics
	store   *queue.Store
	limiter *ratelimit.Limiter
	client  *http.Client
	logOut  io.Writer

	rt       atomic.Pointer[runtime]
	reloadMu sync.Mutex
	// watchSum covers the rules file and the secret files it names
	// (watchFiles): the watcher reloads when either changes.
	watchSum   [32]byte
	watchFiles []string

	stopping atomic.Bool
	ready    readiness
}

// New loads the rules, opens the store and builds everything; nothing is
// served or delivered until Run.
func New(ctx context.Context, opts Options, env Env, log *slog.Logger, logOut io.Writer) (*App, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if logOut == nil {
		logOut = os.Stdout
	}
	a := &App{
		opts: opts, secrets: newSecretReader(env, opts.RulesPath), log: log, m: metrics.New(), logOut: logOut,
		client: &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: opts.Workers,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 5 * time.Second,
		}},
	}
	if err := a.load(); err != nil {
		a.m.ReloadSuccessful.Set(0)
		return nil, err
	}
	sender := &delivery.Sender{Repliers: a.repliers, Mode: a.deliveryMode, Metrics: a.m, Logger: log}
	store, err := queue.Open(ctx, queue.Options{
		DatabaseURL: opts.DatabaseURL, DataDir: opts.DataDir, Sender: sender,
		Policy:  func() queue.Policy { return policyOf(a.rt.Load().rules.Settings) },
		Workers: opts.Workers, JobTimeout: opts.JobTimeout, RescueAfter: opts.RescueAfter,
		FetchPollInterval: opts.FetchPollInterval, Logger: log, Metrics: a.m,
		Firer: &firer{current: a.rt.Load},
	})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	a.store = store
	// A rule removed while the bot was stopped is not cancelled here:
	// another replica may still run a file that has it. Its timers are
	// dropped when they come due (rule_removed), as the firer finds no rule.
	var state ratelimit.Store = ratelimit.NewMemoryStore()
	if store.Kind() == "postgres" {
		state = store.RateLimitStore() // shared by every replica
	}
	a.limiter = ratelimit.New(state, ratelimit.Config{
		RequestsPerMinute: func(platform string) int {
			if p, ok := a.rt.Load().rules.Platforms[platform]; ok {
				return p.Config.RequestsPerMinute
			}
			return 0
		},
	})
	sender.Limiter = a.limiter
	a.m.Registry.MustRegister(&queueCollector{store: store, log: log, rules: func() []string {
		var names []string
		for _, r := range a.rt.Load().rules.Rules {
			names = append(names, r.Name)
		}
		return names
	}})
	return a, nil
}

func (a *App) repliers() map[string]replier.Replier { return a.rt.Load().repliers }

// deliveryMode says, at delivery time, what the running rules make of a
// queued reply: "nothing is sent" for a rule or platform in shadow mode
// holds from the moment the reload succeeds.
func (a *App) deliveryMode(rule, platform string) delivery.Mode {
	rt := a.rt.Load()
	if p, ok := rt.rules.Platforms[platform]; ok && p.Shadow {
		return delivery.Shadow
	}
	if rule == "" {
		return delivery.Live
	}
	r := rt.ruleByName[rule]
	switch {
	case r == nil:
		return delivery.RuleRemoved
	case r.Shadow:
		return delivery.Shadow
	}
	return delivery.Live
}

// load builds a runtime from the rules file and swaps it in. Nothing
// changes when any step fails.
func (a *App) load() error {
	data, err := rules.ReadFile(a.opts.RulesPath)
	if err != nil {
		return err
	}
	rs, err := rules.Load(data, a.opts.RulesPath, rules.Options{Platforms: a.opts.Platforms})
	if err == nil {
		a.watchFiles = a.secrets.files(rs)
	}
	// Remembered even when loading fails, so the watcher tries a broken
	// file once instead of failing (and logging) every interval. The
	// secret files are read for the sum before the runtime reads them, so
	// a rotation in between is seen at the next check.
	a.watchSum = watchSum(data, a.watchFiles)
	if err != nil {
		return err
	}
	rt, err := buildRuntime(rs, a.secrets, a.opts.DryRun, a.client, a.logOut)
	if err != nil {
		return fmt.Errorf("load rules %s: %w", a.opts.RulesPath, err)
	}
	for _, s := range rs.Sources {
		if s.Config.InsecureSkipVerify {
			a.log.Warn("SIGNATURES ARE NOT VERIFIED for this source: anyone can post events to it (insecure_skip_verify)", "source", s.Name)
		}
	}
	old := a.rt.Swap(rt)
	a.m.RulesLoaded.Set(float64(len(rs.Rules)))
	a.m.ConfigHash.Set(float64(rs.Hash))
	a.m.ReloadSuccessful.Set(1)
	a.m.ReloadSuccessTime.SetToCurrentTime()
	initSeries(a.m, rs)
	a.logChanges(old, rt)
	return nil
}

// Reload rereads the rules file. On failure the running rules stay and the
// error (positioned) is returned and logged.
func (a *App) Reload() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	before := a.rt.Load()
	if err := a.load(); err != nil {
		a.m.ReloadSuccessful.Set(0)
		a.m.ReloadsTotal.WithLabelValues("failure").Inc()
		a.log.Error("reload failed; keeping the running rules", "file", a.opts.RulesPath, "error", err.Error())
		return err
	}
	a.m.ReloadsTotal.WithLabelValues("success").Inc()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.cancelRemovedTimers(ctx, before); err != nil {
		// The new rules run; the removed rule's timers are dropped when
		// they come due (the firer finds no rule), recorded either way.
		a.log.Error("cancel the timers of removed rules", "error", err.Error())
	}
	return nil
}

// cancelRemovedTimers cancels, and records in history, the pending timers
// of the timed rules that this reload removed (or made untimed). Only
// those: a replica must not cancel the timers of a rule it never had,
// which another replica's newer file may have started.
func (a *App) cancelRemovedTimers(ctx context.Context, before *runtime) error {
	if before == nil {
		return nil
	}
	cur := a.rt.Load()
	var gone []string
	for _, r := range before.rules.Rules {
		if now := cur.ruleByName[r.Name]; r.Timing != nil && (now == nil || now.Timing == nil) {
			gone = append(gone, r.Name)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	n, err := a.store.CancelTimersOf(ctx, gone, queue.TimerReasonRuleRemoved)
	if err != nil {
		return fmt.Errorf("cancel timers of removed rules: %w", err)
	}
	if n > 0 {
		a.log.Warn("cancelled the pending timers of rules no longer in the rules file", "timers", n)
	}
	return nil
}

// logChanges says which rules a reload added, changed and removed.
func (a *App) logChanges(old, cur *runtime) {
	if old == nil {
		a.log.Info("rules loaded", "file", a.opts.RulesPath, "rules", len(cur.rules.Rules),
			"sources", len(cur.rules.Sources), "platforms", len(cur.rules.Platforms))
		return
	}
	before := map[string]*rules.RuleConfig{}
	for _, r := range old.rules.Rules {
		before[r.Name] = r.Config
	}
	var added, changed, removed []string
	for _, r := range cur.rules.Rules {
		prev, ok := before[r.Name]
		switch {
		case !ok:
			added = append(added, r.Name)
		case !reflect.DeepEqual(prev, r.Config):
			changed = append(changed, r.Name)
		}
		delete(before, r.Name)
	}
	for name := range before {
		removed = append(removed, name)
		a.m.ForgetRule(name)
	}
	a.log.Info("rules reloaded", "file", a.opts.RulesPath, "rules", len(cur.rules.Rules),
		"added", added, "changed", changed, "removed", removed)
}

// rulesFileChanged reports whether the rules file, or a secret file it
// names, differs from what was last loaded or tried. Secrets mounted from
// Kubernetes rotate by a symlink swap; reading through the link sees it.
func (a *App) rulesFileChanged() bool {
	data, err := rules.ReadFile(a.opts.RulesPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false // mid-replace by a tool that deletes first; look again later
	case err != nil:
		data = []byte(err.Error()) // too large, unreadable: try (and log) once
	}
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	return watchSum(data, a.watchFiles) != a.watchSum
}

// watchSum hashes the rules file's content and each secret file's content
// (or the error reading it).
func watchSum(rulesData []byte, secretFiles []string) [32]byte {
	h := sha256.New()
	h.Write(rulesData)
	for _, p := range secretFiles {
		fmt.Fprintf(h, "\x00%s\x00", p)
		if b, err := os.ReadFile(p); err != nil {
			fmt.Fprintf(h, "error: %v", err)
		} else {
			h.Write(b)
		}
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// Run serves until ctx is cancelled, then shuts down gracefully: stop
// accepting, finish in-flight webhooks and (within the grace period)
// deliveries; jobs not started stay queued for the next start.
func (a *App) Run(ctx context.Context, reload <-chan struct{}) error {
	srv := a.httpServer(a.Handler())
	ln, err := net.Listen("tcp", a.opts.Listen)
	if err != nil {
		a.store.Close()
		return fmt.Errorf("listen on %s: %w", a.opts.Listen, err)
	}
	// The admin server: the main one's timeouts and TLS, its own routes.
	var adm *http.Server
	var admLn net.Listener
	if a.opts.AdminListen != "" {
		if admLn, err = net.Listen("tcp", a.opts.AdminListen); err != nil {
			_ = ln.Close()
			a.store.Close()
			return fmt.Errorf("admin listen on %s: %w", a.opts.AdminListen, err)
		}
		adm = a.httpServer(a.AdminHandler())
	}
	closeListeners := func() {
		_ = ln.Close()
		if admLn != nil {
			_ = admLn.Close()
		}
	}
	if a.opts.DebugListen != "" {
		dbg, err := serveDebug(a.opts.DebugListen, a.log)
		if err != nil {
			closeListeners()
			a.store.Close()
			return err
		}
		defer dbg.Close()
	}
	// Not ctx: cancelling the context River was started with cancels the
	// deliveries in flight at once. Shutdown stops it with the grace period.
	if err := a.store.Start(context.WithoutCancel(ctx)); err != nil {
		closeListeners()
		a.store.Close()
		return err
	}
	serveErr := make(chan error, 2)
	servers := []*http.Server{srv}
	go a.serve(srv, ln, serveErr)
	logArgs := []any{"listen", ln.Addr().String()}
	if adm != nil {
		servers = append(servers, adm)
		go a.serve(adm, admLn, serveErr)
		logArgs = append(logArgs, "admin_listen", admLn.Addr().String())
	}
	a.log.Info("serving", append(logArgs, "store", a.store.Kind(), "dry_run", a.opts.DryRun,
		"admin_api", a.opts.AdminToken != "", "tls", a.opts.TLSCert != "")...)

	var watch <-chan time.Time
	if a.opts.WatchInterval > 0 {
		t := time.NewTicker(a.opts.WatchInterval)
		defer t.Stop()
		watch = t.C
	}
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-serveErr:
			runErr = err
			break loop
		case <-reload:
			_ = a.Reload()
		case <-watch:
			if a.rulesFileChanged() {
				a.log.Info("rules file changed; reloading", "file", a.opts.RulesPath)
				_ = a.Reload()
			}
		}
	}
	a.shutdown(servers...)
	return runErr
}

// serve runs srv on ln until it is shut down; any other end is reported
// on errs.
func (a *App) serve(srv *http.Server, ln net.Listener, errs chan<- error) {
	var err error
	if a.opts.TLSCert != "" {
		err = srv.ServeTLS(ln, a.opts.TLSCert, a.opts.TLSKey)
	} else {
		err = srv.Serve(ln)
	}
	if !errors.Is(err, http.ErrServerClosed) {
		errs <- fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	}
}

func (a *App) shutdown(servers ...*http.Server) {
	a.stopping.Store(true)
	start := time.Now()
	a.log.Info("shutting down", "grace", a.opts.ShutdownGrace.String(), "drain_delay", a.opts.DrainDelay.String())
	// /readyz now answers 503; keep serving while load balancers notice.
	time.Sleep(a.opts.DrainDelay)
	ctx, cancel := context.WithTimeout(context.Background(), a.opts.ShutdownGrace)
	defer cancel()
	// Both listeners stop accepting together; in-flight requests finish.
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Shutdown(ctx); err != nil {
				a.log.Warn("http shutdown", "error", err)
			}
		}()
	}
	wg.Wait()
	if err := a.store.Stop(ctx); err != nil {
		a.log.Warn("stop deliveries", "error", err)
	}
	a.store.Close()
	a.log.Info("stopped", "took", time.Since(start).String())
}
