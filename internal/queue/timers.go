package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/supportops/autoresponder/internal/metrics"
)

// Timers of timed rules. A timer is a row in bot_timers (one per rule and
// target, the triggering event kept whole) and a River job of its own kind,
// scheduled at the due time on its own queue, whose id is the row's id.
// Whoever deletes the row decides the timer's fate: the firing transaction
// (fired or dropped), a cancel or a restart. So a timer fires once however
// many replicas race for it, and a job whose row is gone completes as a
// no-op.

// timerQueue is the River queue timer jobs run on, apart from deliveries so
// a burst of either never starves the other.
const timerQueue = "timers"

// timerWorkers is how many timers fire at once; firing only renders and
// queues (the delivery runs on the delivery queue).
const timerWorkers = 4

// timerMaxAttempts is the River budget of a timer job. The worker snoozes
// on store trouble (no attempt used), so attempts are only spent by a
// Firer that panics or by crashes, whose job River's rescuer would discard
// on its last attempt without running the worker.
const timerMaxAttempts = 25

// TimerArgs are the arguments of a timer job; the row in bot_timers is the
// timer, these only help reading River's tables.
type TimerArgs struct {
	Rule      string `json:"rule"`
	TargetKey string `json:"target_key"`
}

// Kind is the River job kind.
func (TimerArgs) Kind() string { return "autoresponder_timer" }

// What a TimerStart did (TimerStartResult.Outcome).
const (
	TimerStarted   = "started"   // no timer was pending: one starts
	TimerKept      = "kept"      // one was pending and is kept (no restart)
	TimerRestarted = "restarted" // one was pending and starts again from this event
)

// TimerReasonInterrupted drops a timer whose job River gave up on (crashes
// or a failing Firer used up its attempts) before it could fire.
const TimerReasonInterrupted = abandonedReason

// TimerStartResult is the fate of one Intake.Timers entry.
type TimerStartResult struct {
	Outcome string
	// ID is the pending timer now: the new one, or the one kept.
	ID int64
	// Replaced is the id of the timer a restart replaced.
	Replaced int64
}

// TimerCancelResult is the fate of one Intake.Cancels entry.
type TimerCancelResult struct {
	// Cancelled is set when a timer was pending and is now cancelled.
	Cancelled bool
	ID        int64
}

// timerLockKey serialises everything that starts, cancels or fires the
// timer of (rule, target) across replicas (PostgreSQL).
func timerLockKey(rule, targetKey string) string {
	return "timer:" + rule + "/" + targetKey
}

// acceptTimers applies an accepted (not duplicate) intake's cancels, then
// its starts, in the accept transaction: an event that both cancels and
// starts a rule's timer leaves a fresh one.
func (s *Store) acceptTimers(ctx context.Context, tx txn, in *Intake, res *AcceptResult, now time.Time) error {
	if len(in.Cancels) > 0 {
		res.Cancels = make([]TimerCancelResult, len(in.Cancels))
	}
	for i, c := range in.Cancels {
		t, err := timerByKey(ctx, tx, c.Rule, c.TargetKey)
		if err != nil {
			return err
		}
		if t == nil {
			continue
		}
		reason := c.Reason
		if reason == "" {
			reason = TimerReasonCancelWhen
		}
		gone, err := s.removeTimer(ctx, tx, t, TimerCancelled, reason, now)
		if err != nil {
			return err
		}
		res.Cancels[i] = TimerCancelResult{Cancelled: gone, ID: t.ID}
	}
	if len(in.Timers) > 0 {
		res.Timers = make([]TimerStartResult, len(in.Timers))
	}
	for i := range in.Timers {
		r, err := s.startTimer(ctx, tx, in, &in.Timers[i], now)
		if err != nil {
			return fmt.Errorf("timer of rule %s: %w", in.Timers[i].Rule, err)
		}
		res.Timers[i] = r
	}
	return nil
}

// startTimer starts the timer st asks for, or keeps or restarts the one
// pending on its rule and target.
func (s *Store) startTimer(ctx context.Context, tx txn, in *Intake, st *TimerStart, now time.Time) (TimerStartResult, error) {
	old, err := timerByKey(ctx, tx, st.Rule, st.TargetKey)
	if err != nil {
		return TimerStartResult{}, err
	}
	res := TimerStartResult{Outcome: TimerStarted}
	if old != nil {
		if !st.Restart {
			return TimerStartResult{Outcome: TimerKept, ID: old.ID}, nil
		}
		if _, err := s.removeTimer(ctx, tx, old, TimerCancelled, TimerReasonRestarted, now); err != nil {
			return TimerStartResult{}, err
		}
		res = TimerStartResult{Outcome: TimerRestarted, Replaced: old.ID}
	}
	ids, err := s.backend.insertJobs(ctx, tx, []river.InsertManyParams{{
		Args: TimerArgs{Rule: st.Rule, TargetKey: st.TargetKey},
		InsertOpts: &river.InsertOpts{
			Queue: timerQueue, MaxAttempts: timerMaxAttempts, ScheduledAt: st.DueAt,
		},
	}})
	if err != nil {
		return TimerStartResult{}, fmt.Errorf("insert timer job: %w", err)
	}
	res.ID = ids[0]
	headers, err := encodeHeaders(in.Headers)
	if err != nil {
		return TimerStartResult{}, err
	}
	// SQLite hands out the id of a deleted job again; a row left with
	// that id (its job gone) cannot be a live timer.
	if _, err := tx.exec(ctx, `DELETE FROM bot_timers WHERE id = ?`, res.ID); err != nil {
		return TimerStartResult{}, fmt.Errorf("record timer: %w", err)
	}
	if _, err := tx.exec(ctx, `INSERT INTO bot_timers (id, rule, target_key, target_type, target_id, platform,
			source, event_id, topic, received_at, payload, headers, created_at, due_at, max_late_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		res.ID, st.Rule, st.TargetKey, st.Target.Type, st.Target.ID, st.Platform,
		in.Source, in.EventID, in.Topic, in.ReceivedAt.UnixMilli(), string(in.Payload), headers,
		now.UnixMilli(), st.DueAt.UnixMilli(), st.MaxLate.Milliseconds()); err != nil {
		return TimerStartResult{}, fmt.Errorf("record timer: %w", err)
	}
	return res, nil
}

// removeTimer deletes a pending timer and its job and records why. It
// returns false when the row was already gone (it fired or was cancelled
// meanwhile). A job that is running right now is left alone: it finds no
// row and completes without firing.
func (s *Store) removeTimer(ctx context.Context, tx txn, t *Timer, outcome, reason string, now time.Time) (bool, error) {
	n, err := tx.exec(ctx, `DELETE FROM bot_timers WHERE id = ?`, t.ID)
	if err != nil {
		return false, fmt.Errorf("remove timer %d: %w", t.ID, err)
	}
	if n == 0 {
		return false, nil
	}
	if _, err := tx.exec(ctx, `DELETE FROM river_job WHERE id = ? AND kind = ? AND state <> 'running'`,
		t.ID, TimerArgs{}.Kind()); err != nil {
		return false, fmt.Errorf("remove the job of timer %d: %w", t.ID, err)
	}
	if err := insertHistory(ctx, tx, historyFromTimer(t, outcome, reason, now)); err != nil {
		return false, err
	}
	return true, nil
}

// historyFromTimer is the history record of a timer's end; it names the
// timer (job_id) and its triggering event.
func historyFromTimer(t *Timer, outcome, reason string, now time.Time) *History {
	return &History{
		JobID: t.ID, Source: t.Source, EventID: t.EventID, Rule: t.Rule, Platform: t.Platform,
		Target: t.Target, Outcome: outcome, Reason: reason, ReceivedAt: t.ReceivedAt, FinishedAt: now,
	}
}

// timerColumns are read by scanTimer, payload and headers last.
const timerColumns = `id, rule, target_key, target_type, target_id, platform, source, event_id, topic,
	received_at, created_at, due_at, max_late_ms`

// scanTimer reads timerColumns, and payload and headers when withPayload.
func scanTimer(r scanner, withPayload bool) (*Timer, error) {
	t := &Timer{}
	var recv, created, due, maxLate int64
	dest := []any{&t.ID, &t.Rule, &t.TargetKey, &t.Target.Type, &t.Target.ID, &t.Platform, &t.Source,
		&t.EventID, &t.Topic, &recv, &created, &due, &maxLate}
	var payload, headers *string
	if withPayload {
		dest = append(dest, &payload, &headers)
	}
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	t.ReceivedAt, t.CreatedAt, t.DueAt = time.UnixMilli(recv).UTC(), time.UnixMilli(created).UTC(), time.UnixMilli(due).UTC()
	t.MaxLate = time.Duration(maxLate) * time.Millisecond
	if payload != nil {
		t.Payload = []byte(*payload)
	}
	var err error
	if t.Headers, err = decodeHeaders(headers); err != nil {
		return nil, fmt.Errorf("timer %d: %w", t.ID, err)
	}
	return t, nil
}

// timerByKey returns the pending timer of (rule, target), or nil.
func timerByKey(ctx context.Context, q querier, rule, targetKey string) (*Timer, error) {
	t, err := scanTimer(q.queryRow(ctx, `SELECT `+timerColumns+` FROM bot_timers WHERE rule = ? AND target_key = ?`,
		rule, targetKey), false)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read timer of %s on %s: %w", rule, targetKey, err)
	}
	return t, nil
}

// timerByID returns a pending timer with its event, or nil.
func timerByID(ctx context.Context, q querier, id int64) (*Timer, error) {
	t, err := scanTimer(q.queryRow(ctx, `SELECT `+timerColumns+`, payload, headers FROM bot_timers WHERE id = ?`, id), true)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read timer %d: %w", id, err)
	}
	return t, nil
}

// intake is the timer's triggering event as an intake of the timer's
// action (none for a drop); its locks are the timer's and the action's.
func (t *Timer) intake(actions ...Action) *Intake {
	return &Intake{
		Source: t.Source, EventID: t.EventID, Topic: t.Topic, ReceivedAt: t.ReceivedAt,
		Payload: t.Payload, Headers: t.Headers, Actions: actions,
		Cancels: []TimerCancel{{Rule: t.Rule, TargetKey: t.TargetKey}},
	}
}

// logArgs name the timer, its event and its target in logs.
func (t *Timer) logArgs() []any {
	return []any{"timer_id", t.ID, "rule", t.Rule, "source", t.Source, "event_id", t.EventID,
		"platform", t.Platform, "target_type", t.Target.Type, "target_id", t.Target.ID}
}

// countTimerEvent counts one timer event, once its transaction committed.
func (s *Store) countTimerEvent(rule, outcome string) {
	if s.m != nil {
		s.m.TimerEvents.WithLabelValues(rule, outcome).Inc()
	}
}

// countAcceptedTimers counts the timer events of committed intakes.
func (s *Store) countAcceptedTimers(intakes []*Intake, results []AcceptResult) {
	for i, res := range results {
		in := intakes[i]
		for j, r := range res.Timers {
			rule := in.Timers[j].Rule
			switch r.Outcome {
			case TimerStarted:
				s.countTimerEvent(rule, metrics.TimerStarted)
			case TimerRestarted:
				s.countTimerEvent(rule, metrics.TimerCancelled)
				s.countTimerEvent(rule, metrics.TimerStarted)
			}
		}
		for j, r := range res.Cancels {
			if r.Cancelled {
				s.countTimerEvent(in.Cancels[j].Rule, metrics.TimerCancelled)
			}
		}
	}
}
