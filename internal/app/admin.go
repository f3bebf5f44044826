package app

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/rules"
)

// registerAdmin mounts /admin/* when BOT_ADMIN_TOKEN is set. Without a
// token the routes do not exist (404), so nothing is exposed by default.
func (a *App) registerAdmin(r *mux.Router) {
	if a.opts.AdminToken == "" {
		return
	}
	s := r.PathPrefix("/admin").Subrouter()
	s.Use(a.requireToken)
	s.HandleFunc("/dlq", a.adminDLQList).Methods(http.MethodGet)
	s.HandleFunc("/dlq/replay", a.adminDLQReplay).Methods(http.MethodPost)
	s.HandleFunc("/dlq/drop", a.adminDLQDrop).Methods(http.MethodPost)
	s.HandleFunc("/dlq/{id:[0-9]+}", a.adminDLQShow).Methods(http.MethodGet)
	s.HandleFunc("/history", a.adminHistory).Methods(http.MethodGet)
	s.HandleFunc("/timers", a.adminTimersList).Methods(http.MethodGet)
	s.HandleFunc("/timers/cancel", a.adminTimersCancel).Methods(http.MethodPost)
	s.HandleFunc("/explain/{source}/{event_id}", a.adminExplain).Methods(http.MethodGet)
}

func (a *App) requireToken(next http.Handler) http.Handler {
	want := []byte("Bearer " + a.opts.AdminToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="autoresponder admin"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong bearer token"})
			a.m.AdminRequestsTotal.WithLabelValues(routeName(r), "401").Inc()
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		a.m.AdminRequestsTotal.WithLabelValues(routeName(r), strconv.Itoa(rec.status)).Inc()
	})
}

// routeName is the route template, a bounded label.
func routeName(r *http.Request) string {
	if rt := mux.CurrentRoute(r); rt != nil {
		if t, err := rt.GetPathTemplate(); err == nil {
			return t
		}
	}
	return "other"
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// dlqFilter reads ids, rule, since and limit from the query string.
func dlqFilter(r *http.Request) (queue.DLQFilter, error) {
	var f queue.DLQFilter
	q := r.URL.Query()
	for _, raw := range q["id"] {
		for _, s := range strings.Split(raw, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return f, fmt.Errorf("id %q is not a number", s)
			}
			f.IDs = append(f.IDs, id)
		}
	}
	f.Rule = q.Get("rule")
	var err error
	if f.Since, err = ParseSince(q.Get("since"), time.Now()); err != nil {
		return f, err
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 {
			return f, fmt.Errorf("limit %q is not a positive number", v)
		}
	}
	return f, nil
}

// ParseSince reads an RFC 3339 time or a duration ago ("2h", "7d"); empty
// means no bound.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := rules.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("since %q: want an RFC 3339 time or a duration like 2h or 7d", s)
	}
	return now.Add(-d), nil
}

func (a *App) adminDLQList(w http.ResponseWriter, r *http.Request) {
	f, err := dlqFilter(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	list, err := a.store.DeadLetters(r.Context(), f)
	if err != nil {
		a.adminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dead_letters": nonNil(list)})
}

func (a *App) adminDLQShow(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	d, err := a.store.DeadLetter(r.Context(), id)
	if errors.Is(err, queue.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	}
	if err != nil {
		a.adminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (a *App) adminDLQReplay(w http.ResponseWriter, r *http.Request) {
	f, err := dlqFilter(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	dry := r.URL.Query().Get("dry_run") == "true"
	force := r.URL.Query().Get("force") == "true"
	out, err := a.store.Replay(r.Context(), f, policyOf(a.rt.Load().rules.Settings), queue.ReplayOptions{DryRun: dry, Force: force})
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	a.log.Info("dead letters replayed", "count", len(out), "dry_run", dry)
	writeJSON(w, http.StatusOK, map[string]any{"dry_run": dry, "replayed": nonNil(out)})
}

func (a *App) adminDLQDrop(w http.ResponseWriter, r *http.Request) {
	f, err := dlqFilter(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	n, err := a.store.Drop(r.Context(), f)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	a.log.Info("dead letters dropped", "count", n)
	writeJSON(w, http.StatusOK, map[string]any{"dropped": n})
}

func (a *App) adminHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := queue.HistoryFilter{Rule: q.Get("rule"), Target: q.Get("target"), Source: q.Get("source"),
		EventID: q.Get("event_id"), Outcome: q.Get("outcome")}
	var err error
	if f.Since, err = ParseSince(q.Get("since"), time.Now()); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "limit must be a positive number"})
			return
		}
	}
	list, err := a.store.History(r.Context(), f)
	if err != nil {
		a.adminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"history": nonNil(list)})
}

func (a *App) adminError(w http.ResponseWriter, err error) {
	a.log.Error("admin request failed", "error", err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
