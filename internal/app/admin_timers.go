package app

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/supportops/autoresponder/internal/queue"
)

// timerFilter reads ?rule=, ?target= and ?id= (the same selection as bot
// timers).
func timerFilter(r *http.Request) (queue.TimerFilter, error) {
	q := r.URL.Query()
	f := queue.TimerFilter{Rule: q.Get("rule"), TargetID: q.Get("target")}
	if s := q.Get("id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, fmt.Errorf("id %q is not a timer id", s)
		}
		f.ID = id
	}
	return f, nil
}

func (a *App) adminTimersList(w http.ResponseWriter, r *http.Request) {
	f, err := timerFilter(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	list, err := a.store.Timers(r.Context(), f)
	if err != nil {
		a.adminError(w, err)
		return
	}
	if list == nil {
		list = []queue.Timer{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"timers": list})
}

// adminTimersCancel cancels the selected timers; with no selection at all
// it refuses rather than cancelling every timer.
func (a *App) adminTimersCancel(w http.ResponseWriter, r *http.Request) {
	f, err := timerFilter(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if f == (queue.TimerFilter{}) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "select timers with ?id=, ?rule= or ?target="})
		return
	}
	n, err := a.store.CancelTimers(r.Context(), f, queue.TimerReasonManual)
	if err != nil {
		a.adminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"cancelled": n})
}
