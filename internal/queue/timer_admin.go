package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/metrics"
)

// Pending timers for people and reloads: list, cancel, count.

func (f TimerFilter) where() (string, []any) {
	var where []string
	var args []any
	if f.Rule != "" {
		where, args = append(where, "rule = ?"), append(args, f.Rule)
	}
	if f.TargetID != "" {
		where, args = append(where, "target_id = ?"), append(args, f.TargetID)
	}
	if f.ID != 0 {
		where, args = append(where, "id = ?"), append(args, f.ID)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// Timers lists pending timers, soonest due first; their event's payload
// and headers only with f.WithPayload.
func (s *Store) Timers(ctx context.Context, f TimerFilter) ([]Timer, error) {
	cols := timerColumns
	if f.WithPayload {
		cols += ", payload, headers"
	}
	where, args := f.where()
	rows, err := s.backend.pool().query(ctx, `SELECT `+cols+` FROM bot_timers`+where+` ORDER BY due_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list timers: %w", err)
	}
	defer rows.Close()
	var out []Timer
	for rows.Next() {
		t, err := scanTimer(rows, f.WithPayload)
		if err != nil {
			return nil, fmt.Errorf("list timers: %w", err)
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list timers: %w", err)
	}
	return out, nil
}

// CancelTimers cancels the selected pending timers, recording each in
// history with reason (default TimerReasonManual), and returns how many it
// cancelled. A timer that fires meanwhile is not counted. An empty filter
// is refused: cancelling every timer must be asked for by rule.
func (s *Store) CancelTimers(ctx context.Context, f TimerFilter, reason string) (int, error) {
	if f.Rule == "" && f.TargetID == "" && f.ID == 0 {
		return 0, errors.New("cancel timers: select timers by rule, target or id")
	}
	if reason == "" {
		reason = TimerReasonManual
	}
	list, err := s.Timers(ctx, f)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range list {
		ok, err := s.cancelTimer(ctx, &list[i], reason)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// cancelTimer cancels one timer in a transaction of its own, under the
// timer's lock, so a cancel and a firing never both happen.
func (s *Store) cancelTimer(ctx context.Context, t *Timer, reason string) (bool, error) {
	tx, err := s.backend.begin(ctx)
	if err != nil {
		return false, fmt.Errorf("cancel timer %d: %w", t.ID, err)
	}
	defer tx.rollback(ctx)
	if err := s.lockBatch(ctx, tx, []*Intake{t.intake()}, s.policy()); err != nil {
		return false, err
	}
	gone, err := s.removeTimer(ctx, tx, t, TimerCancelled, reason, s.now())
	if err != nil || !gone {
		return false, err
	}
	if err := tx.commit(ctx); err != nil {
		return false, fmt.Errorf("cancel timer %d: %w", t.ID, err)
	}
	s.countTimerEvent(t.Rule, metrics.TimerCancelled)
	s.log.Info("timer cancelled", append(t.logArgs(), "reason", reason)...)
	return true, nil
}

// CancelTimersOf cancels the pending timers of the named rules, each
// recorded with reason: a reload calls it with the timed rules it removed.
func (s *Store) CancelTimersOf(ctx context.Context, rules []string, reason string) (int, error) {
	n := 0
	for _, r := range rules {
		c, err := s.CancelTimers(ctx, TimerFilter{Rule: r}, reason)
		n += c
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// TimerCount is how many timers are pending.
func (s *Store) TimerCount(ctx context.Context) (int64, error) {
	var n int64
	if err := s.backend.pool().queryRow(ctx, `SELECT COUNT(*) FROM bot_timers`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count timers: %w", err)
	}
	return n, nil
}

// timerMaintenance drops timers River gave up on and refreshes the
// pending-timers gauge; run by the maintenance loop.
func (s *Store) timerMaintenance() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.SweepLostTimers(ctx); err != nil {
		s.log.Warn("drop timers whose job was given up", "error", err)
	}
	if s.m == nil {
		return
	}
	n, err := s.TimerCount(ctx)
	if err != nil {
		s.log.Warn("count pending timers", "error", err)
		return
	}
	s.m.TimersPending.Set(float64(n))
}

// lostTimerWhere selects timers without a live job: River discarded it
// (its attempts used up by crashes or a failing Firer) or it is gone.
// Such a timer would otherwise be listed as pending for ever.
const lostTimerWhere = ` WHERE NOT EXISTS (SELECT 1 FROM river_job j WHERE j.id = bot_timers.id AND j.kind = ?
	AND j.state NOT IN ('completed', 'cancelled', 'discarded'))`

// SweepLostTimers drops (with history, reason interrupted) the timers
// whose job River gave up on, and returns how many.
func (s *Store) SweepLostTimers(ctx context.Context) (int, error) {
	rows, err := s.backend.pool().query(ctx, `SELECT `+timerColumns+` FROM bot_timers`+lostTimerWhere,
		TimerArgs{}.Kind())
	if err != nil {
		return 0, fmt.Errorf("find lost timers: %w", err)
	}
	var lost []*Timer
	for rows.Next() {
		t, err := scanTimer(rows, false)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("find lost timers: %w", err)
		}
		lost = append(lost, t)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, fmt.Errorf("find lost timers: %w", err)
	}
	n := 0
	for _, t := range lost {
		ok, err := s.dropLostTimer(ctx, t)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

func (s *Store) dropLostTimer(ctx context.Context, t *Timer) (bool, error) {
	tx, err := s.backend.begin(ctx)
	if err != nil {
		return false, fmt.Errorf("drop lost timer %d: %w", t.ID, err)
	}
	defer tx.rollback(ctx)
	if err := s.lockBatch(ctx, tx, []*Intake{t.intake()}, s.policy()); err != nil {
		return false, err
	}
	// Checked again under the lock: a restart may have replaced it.
	n, err := tx.exec(ctx, `DELETE FROM bot_timers`+lostTimerWhere+` AND id = ?`, TimerArgs{}.Kind(), t.ID)
	if err != nil {
		return false, fmt.Errorf("drop lost timer %d: %w", t.ID, err)
	}
	if n == 0 {
		return false, nil
	}
	if err := insertHistory(ctx, tx, historyFromTimer(t, TimerDropped, TimerReasonInterrupted, s.now())); err != nil {
		return false, err
	}
	if err := tx.commit(ctx); err != nil {
		return false, fmt.Errorf("drop lost timer %d: %w", t.ID, err)
	}
	s.countTimerEvent(t.Rule, metrics.TimerDropped)
	s.log.Error("timer dropped: its job was given up before it fired", append(t.logArgs(), "due_at", t.DueAt)...)
	return true, nil
}
