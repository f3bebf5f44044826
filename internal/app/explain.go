package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/rules"
)

// Explain evaluates every rule on ev and, when a store is given, says what
// once, cooldown, budgets and pauses would do with each match right now.
func Explain(ctx context.Context, rs *rules.Ruleset, store *queue.Store, ev *event.Event) (rules.Explanation, error) {
	ex := rs.Explain(ev)
	var in queue.Intake
	var idx []int
	for i, re := range ex.Rules {
		if re.Match == nil {
			continue
		}
		switch {
		case re.RenderError != "":
			ex.Rules[i].Delivery = "dead letter: the reply cannot be rendered"
			continue
		case re.Shadow:
			ex.Rules[i].Delivery = "shadow: logged, not sent"
			continue
		case re.Timer != nil:
			// once, cooldown and the budgets apply when the timer fires.
			ex.Rules[i].Delivery = "would start a timer due " + re.Timer.DueAt + " (once, cooldown and budgets are checked when it fires)"
			continue
		case store == nil:
			ex.Rules[i].Delivery = "would be queued (once, cooldown and budgets not checked: no store given)"
			continue
		}
		// The action the intake would store, so that the preview applies
		// the same budgets (an actions-only rule counts apart).
		in.Actions = append(in.Actions, actionOf(*re.Match))
		idx = append(idx, i)
	}
	if store != nil {
		if err := explainTimers(ctx, store, ev, &ex); err != nil {
			return ex, err
		}
	}
	if len(in.Actions) == 0 {
		return ex, nil
	}
	in.Source, in.EventID, in.Topic, in.ReceivedAt = ev.Source, ev.ID, ev.Topic, ev.ReceivedAt
	res, err := store.Preview(ctx, &in)
	if err != nil {
		return ex, err
	}
	for j, r := range res {
		switch r.Outcome {
		case queue.Queued:
			ex.Rules[idx[j]].Delivery = "would be sent now"
		case queue.Suppressed:
			ex.Rules[idx[j]].Delivery = "suppressed now: " + r.Reason
		}
	}
	return ex, nil
}

// adminExplain explains a stored event as of when it arrived.
func (a *App) adminExplain(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	rt := a.rt.Load()
	src, ok := rt.rules.Sources[v["source"]]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no source %q", v["source"])})
		return
	}
	stored, err := a.store.Event(r.Context(), src.Name, v["event_id"])
	if errors.Is(err, queue.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error() +
			" (events that matched a rule are kept for the dedup window; events that matched none are not stored: explain their payload with bot explain)"})
		return
	}
	if err != nil {
		a.adminError(w, err)
		return
	}
	if len(stored.Payload) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "the event's payload was not kept"})
		return
	}
	// The stored headers are those the platform builds events from (its
	// Spec.EventHeaders): with the body, they parse to the event that
	// arrived.
	d := &platform.Delivery{Header: stored.Headers, Body: stored.Payload, Settings: src.Settings, Now: stored.ReceivedAt}
	ev, err := platform.Parse(src.Impl, src.Name, d, stored.ReceivedAt)
	if _, bad := errors.AsType[*payload.BadRequestError](err); bad {
		msg := "the stored event no longer parses: " + err.Error()
		if missing := platform.MissingEventHeaders(src.Impl, stored.Headers); len(missing) > 0 {
			msg += fmt.Sprintf(" (it was stored without its %s header, as releases before the bot kept delivery headers did:"+
				" explain its payload with bot explain --header)", strings.Join(missing, ", "))
		}
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": msg})
		return
	}
	if err != nil {
		a.adminError(w, fmt.Errorf("parse stored event: %w", err))
		return
	}
	at := stored.ReceivedAt
	rs, err := rt.rules.WithClock(func() time.Time { return at })
	if err != nil {
		a.adminError(w, err)
		return
	}
	ex, err := Explain(r.Context(), rs, a.store, ev)
	if err != nil {
		a.adminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ex)
}

// explainTimers says, against the store, what the event does to timers:
// the timer a timed rule's match starts or finds pending, the pending
// timer a cancel_when match cancels, and what became of the timers this
// event started before.
func explainTimers(ctx context.Context, store *queue.Store, ev *event.Event, ex *rules.Explanation) error {
	pending := func(rule, key string) (*queue.Timer, error) {
		list, err := store.Timers(ctx, queue.TimerFilter{Rule: rule, TargetID: ev.Target.ID})
		if err != nil {
			return nil, err
		}
		for i := range list {
			if list[i].TargetKey == key {
				return &list[i], nil
			}
		}
		return nil, nil
	}
	describe := func(t *queue.Timer) string {
		return fmt.Sprintf("timer %d, due %s", t.ID, t.DueAt.UTC().Format(time.RFC3339))
	}
	for i := range ex.Rules {
		re := &ex.Rules[i]
		if re.Timer != nil && re.Timer.TargetKey != "" {
			t, err := pending(re.Rule, re.Timer.TargetKey)
			if err != nil {
				return err
			}
			switch {
			case t == nil:
				re.Delivery = "would start a timer due " + re.Timer.DueAt
			case re.Timer.Retrigger == rules.RetriggerRestart:
				re.Delivery = "would restart the pending " + describe(t) + " (retrigger: restart)"
			default:
				re.Delivery = "starts nothing: " + describe(t) + " is already pending (retrigger: keep)"
			}
		}
		if c := re.Cancel; c != nil && c.Matches {
			t, err := pending(re.Rule, c.TargetKey)
			if err != nil {
				return err
			}
			if t == nil {
				c.Pending = "no timer of this rule is pending on this target now"
			} else {
				c.Pending = "would cancel " + describe(t)
			}
		}
	}
	hist, err := store.History(ctx, queue.HistoryFilter{Source: ev.Source, EventID: ev.ID})
	if err != nil {
		return err
	}
	for _, h := range hist {
		switch h.Outcome {
		case queue.TimerFired, queue.TimerCancelled, queue.TimerDropped:
			ex.TimerHistory = append(ex.TimerHistory, rules.TimerOutcome{
				Rule: h.Rule, Outcome: h.Outcome, Reason: h.Reason, At: h.FinishedAt.UTC().Format(time.RFC3339),
			})
		}
	}
	return nil
}
