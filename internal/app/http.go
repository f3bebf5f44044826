package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/webhook"
)

// Handler returns the routes of the main listener (--listen): every route
// without --admin-listen, webhooks and probes with it (exported for
// in-process tests).
func (a *App) Handler() http.Handler {
	r := mux.NewRouter()
	wh := webhook.NewHandler(webhook.Options{
		Lookup: func(name string) (webhook.Source, bool) {
			s, ok := a.rt.Load().sources[name]
			return s, ok
		},
		Dispatcher:   &pipeline{current: a.rt.Load, store: a.store, m: a.m, log: a.log},
		Metrics:      a.m,
		Logger:       a.log,
		MaxBodyBytes: a.opts.MaxBodyBytes,
		// Body buffers are allocated as bytes arrive, against this budget.
		MaxInFlightBytes: a.opts.MaxInFlightBytes,
	})
	wh.Register(r)
	a.registerHealth(r)
	// With --admin-listen the private routes live on that listener only,
	// so a port-based NetworkPolicy can keep them off the public path.
	if a.opts.AdminListen == "" {
		a.registerPrivate(r)
	}
	return a.recoverPanics(r)
}

// AdminHandler returns the routes of the --admin-listen listener: the
// private ones (/metrics, /-/reload, /admin/*) and the probes.
func (a *App) AdminHandler() http.Handler {
	r := mux.NewRouter()
	a.registerHealth(r)
	a.registerPrivate(r)
	return a.recoverPanics(r)
}

// registerHealth mounts the probes, which every listener answers so that
// kubelet may probe either port.
func (a *App) registerHealth(r *mux.Router) {
	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", a.readyz).Methods(http.MethodGet, http.MethodHead)
}

// registerPrivate mounts what only operators and Prometheus call.
func (a *App) registerPrivate(r *mux.Router) {
	r.Handle("/metrics", promhttp.HandlerFor(a.m.Registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn), Timeout: 10 * time.Second,
	})).Methods(http.MethodGet)
	// With an admin token set, reloading needs it too; without one the
	// endpoint only rereads the file the operator controls.
	var reload http.Handler = http.HandlerFunc(a.reloadHandler)
	if a.opts.AdminToken != "" {
		reload = a.requireToken(reload)
	}
	r.Handle("/-/reload", reload).Methods(http.MethodPost)
	a.registerAdmin(r)
}

// httpServer serves h with the timeouts every listener of the bot shares.
func (a *App) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler: h,
		// A body is at most a megabyte: a client that cannot send its
		// request in 10 s is holding a connection and a buffer for nothing.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}

// recoverPanics answers 500 instead of dropping the connection, and logs
// the stack (the webhook handler has its own, with its metrics).
func (a *App) recoverPanics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.log.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
			}
		}()
		a.m.HTTPRequestsInFlight.Inc()
		defer a.m.HTTPRequestsInFlight.Dec()
		h.ServeHTTP(w, r)
	})
}

// readiness caches the store's write check for a second so probes cannot
// turn into a write storm.
type readiness struct {
	mu      sync.Mutex
	checked time.Time
	err     error
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	if a.stopping.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	a.ready.mu.Lock()
	if time.Since(a.ready.checked) > time.Second {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		a.ready.err = a.store.Ping(ctx)
		cancel()
		a.ready.checked = time.Now()
	}
	err := a.ready.err
	a.ready.mu.Unlock()
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "store unavailable", "error": err.Error()})
		return
	}
	rs := a.rt.Load().rules
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "rules": len(rs.Rules), "config_hash": fmt.Sprintf("%012x", rs.Hash)})
}

func (a *App) reloadHandler(w http.ResponseWriter, _ *http.Request) {
	if err := a.Reload(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "failed", "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "reloaded", "rules": len(a.rt.Load().rules.Rules)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// queueCollector exports queue depth by state and the dead-letter count,
// read from the store at scrape time.
type queueCollector struct {
	store *queue.Store
	log   *slog.Logger
	rules func() []string
}

var (
	queueJobsDesc = prometheus.NewDesc("autoresponder_queue_jobs", "Delivery jobs by state.", []string{"state"}, nil)
	deadDesc      = prometheus.NewDesc("autoresponder_dead_letters", "Replies in the dead-letter queue.", nil, nil)
	pausedDesc    = prometheus.NewDesc("autoresponder_rule_paused", "1 while a rule is paused by its circuit breaker (max_per_hour tripped pause_after times).", []string{"rule"}, nil)
	queueStates   = []string{"available", "scheduled", "running", "retryable", "completed", "cancelled", "discarded", "pending"}
)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueJobsDesc
	ch <- deadDesc
	ch <- pausedDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	counts, err := c.store.JobCounts(ctx)
	if err != nil {
		c.log.Warn("collect queue metrics", "error", err)
		return
	}
	for _, st := range queueStates {
		ch <- prometheus.MustNewConstMetric(queueJobsDesc, prometheus.GaugeValue, float64(counts[st]), st)
	}
	ch <- prometheus.MustNewConstMetric(deadDesc, prometheus.GaugeValue, float64(counts["dead_letter"]))
	paused, err := c.store.PausedRules(ctx)
	if err != nil {
		c.log.Warn("collect paused rules", "error", err)
		return
	}
	for _, name := range c.rules() {
		v := 0.0
		if _, ok := paused[name]; ok {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(pausedDesc, prometheus.GaugeValue, v, name)
	}
}
