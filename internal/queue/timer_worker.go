package queue

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/riverqueue/river"

	"github.com/supportops/autoresponder/internal/metrics"
)

// timerRetryWait is how long a timer waits when the store or the Firer
// cannot take it now. A snooze uses no attempt, so store trouble never
// uses up a timer.
const timerRetryWait = 5 * time.Second

// timerWorker adapts River to the Store's firing logic.
type timerWorker struct {
	river.WorkerDefaults[TimerArgs]
	store *Store
}

func (w *timerWorker) Work(ctx context.Context, rj *river.Job[TimerArgs]) error {
	return w.store.fire(ctx, rj)
}

func (w *timerWorker) Timeout(*river.Job[TimerArgs]) time.Duration { return w.store.opts.JobTimeout }

// firerRef holds the Firer the app set (an interface cannot be stored in
// an atomic.Pointer directly).
type firerRef struct{ f Firer }

// SetFirer sets what renders timers when they are due. Until one is set,
// due timers wait (they are not dropped). The app sets it once its rules
// are loaded; a reload may set a new one.
func (s *Store) SetFirer(f Firer) {
	if f == nil {
		s.firer.Store(nil)
		return
	}
	s.firer.Store(&firerRef{f})
}

func (s *Store) currentFirer() Firer {
	if r := s.firer.Load(); r != nil {
		return r.f
	}
	return nil
}

// fire is a timer job's run: it drops the timer when it is too late or its
// rule says so, and otherwise applies the rule's action as at intake, in
// the transaction that deletes the timer. The row decides: when it is gone
// (cancelled, restarted, or fired by another replica) nothing happens.
func (s *Store) fire(ctx context.Context, rj *river.Job[TimerArgs]) error {
	if !s.working.TryRLock() {
		return river.JobSnooze(0) // closing
	}
	defer s.working.RUnlock()
	t, err := timerByID(ctx, s.backend.pool(), rj.ID)
	if err != nil {
		s.log.Warn("read due timer; it waits", "timer_id", rj.ID, "rule", rj.Args.Rule, "error", err)
		return river.JobSnooze(timerRetryWait)
	}
	if t == nil {
		return nil // cancelled or replaced before it was due
	}
	now := s.now()
	if t.MaxLate > 0 && now.After(t.DueAt.Add(t.MaxLate)) {
		return s.dropTimer(ctx, rj, t, TimerReasonMaxLate, now)
	}
	f := s.currentFirer()
	if f == nil {
		s.log.Warn("timer due but no rules are loaded to fire it; it waits", t.logArgs()...)
		return river.JobSnooze(timerRetryWait)
	}
	a, reason, err := s.safeFire(ctx, f, t, now)
	if err != nil {
		// A bug: spend an attempt (River backs off), so it cannot spin.
		return err
	}
	if reason == TimerReasonRuleUnknown {
		// During a rolling change of the rules file another replica may
		// know the rule: give it the timer for a while before dropping it.
		if now.Before(t.DueAt.Add(unknownRuleGrace)) {
			s.log.Warn("timer due for a rule this replica does not have; it waits for one that does", t.logArgs()...)
			return river.JobSnooze(timerRetryWait)
		}
		reason = TimerReasonRuleRemoved
	}
	if reason != "" {
		return s.dropTimer(ctx, rj, t, reason, now)
	}
	if a.Request == nil && a.RenderError == "" {
		a.RenderError = "the rule rendered no request"
	}
	return s.fireTx(ctx, rj, t, &a, now)
}

// safeFire turns a panic in the Firer into an error.
func (s *Store) safeFire(ctx context.Context, f Firer, t *Timer, now time.Time) (a Action, reason string, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic while firing a timer", append(t.logArgs(), "panic", fmt.Sprint(r),
				"stack", string(debug.Stack()))...)
			err = fmt.Errorf("fire timer %d: internal error: %v", t.ID, r)
		}
	}()
	a, reason = f.Fire(ctx, t, now)
	return a, reason, nil
}

// fireTx applies a due timer's action and completes its job in one
// transaction, holding the timer's lock as intake does (PostgreSQL).
func (s *Store) fireTx(jobCtx context.Context, rj *river.Job[TimerArgs], t *Timer, a *Action, now time.Time) error {
	// Keep River's values, not the job's cancellation: once begun, the
	// transaction should finish rather than leave the timer to a retry.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(jobCtx), 15*time.Second)
	defer cancel()
	pol := s.policy()
	in := t.intake(*a)
	a = &in.Actions[0]
	var r ActionResult
	fired, err := s.timerTx(ctx, in, t, pol, func(tx txn) error {
		var args *DeliveryArgs
		var err error
		st := &txState{}
		r, args, err = s.applyAction(ctx, tx, st, in, a, pol, now)
		if err != nil {
			return err
		}
		if err := st.flush(ctx, tx); err != nil {
			return err
		}
		if args != nil {
			args.FiredAt, args.Deadline = now, now.Add(pol.MaxAge)
			if r.JobID, err = s.queueDelivery(ctx, tx, args, now); err != nil {
				return err
			}
		}
		if err := insertHistory(ctx, tx, historyFromTimer(t, TimerFired, r.Outcome, now)); err != nil {
			return err
		}
		return s.backend.completeTimer(ctx, tx, rj)
	})
	if err != nil {
		s.log.Warn("fire timer; it waits", append(t.logArgs(), "error", err)...)
		return river.JobSnooze(timerRetryWait)
	}
	if !fired {
		return nil // cancelled while it was being rendered
	}
	s.countTimerEvent(t.Rule, metrics.TimerFired)
	s.countFiredAction(a, r)
	s.log.Info("timer fired", append(t.logArgs(), "outcome", r.Outcome, "reason", r.Reason, "job_id", r.JobID,
		"late_ms", now.Sub(t.DueAt).Milliseconds())...)
	return nil
}

// dropTimer ends a timer that will not fire, with its reason in history.
func (s *Store) dropTimer(jobCtx context.Context, rj *river.Job[TimerArgs], t *Timer, reason string, now time.Time) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(jobCtx), 15*time.Second)
	defer cancel()
	dropped, err := s.timerTx(ctx, t.intake(), t, s.policy(), func(tx txn) error {
		if err := insertHistory(ctx, tx, historyFromTimer(t, TimerDropped, reason, now)); err != nil {
			return err
		}
		return s.backend.completeTimer(ctx, tx, rj)
	})
	if err != nil {
		s.log.Warn("drop timer; it waits", append(t.logArgs(), "error", err)...)
		return river.JobSnooze(timerRetryWait)
	}
	if dropped {
		s.countTimerEvent(t.Rule, metrics.TimerDropped)
		s.log.Warn("timer dropped", append(t.logArgs(), "reason", reason, "due_at", t.DueAt,
			"late_ms", now.Sub(t.DueAt).Milliseconds())...)
	}
	return nil
}

// timerTx runs then in a transaction that first takes in's locks and
// deletes t's row; when the row is already gone it does nothing and
// returns false.
// pol is the policy the caller decides with: the locks must be those its
// decisions need (a reload between two reads could differ).
func (s *Store) timerTx(ctx context.Context, in *Intake, t *Timer, pol Policy, then func(tx txn) error) (bool, error) {
	tx, err := s.backend.begin(ctx)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer tx.rollback(ctx)
	if err := s.lockBatch(ctx, tx, []*Intake{in}, pol); err != nil {
		return false, err
	}
	n, err := tx.exec(ctx, `DELETE FROM bot_timers WHERE id = ?`, t.ID)
	if err != nil {
		return false, fmt.Errorf("take timer %d: %w", t.ID, err)
	}
	if n == 0 {
		return false, nil
	}
	if err := then(tx); err != nil {
		return false, err
	}
	if err := tx.commit(ctx); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return true, nil
}

// queueDelivery inserts one delivery job in tx, as acceptBatch does.
func (s *Store) queueDelivery(ctx context.Context, tx txn, args *DeliveryArgs, now time.Time) (int64, error) {
	if err := storeAttachments(ctx, tx, args, now); err != nil {
		return 0, err
	}
	ids, err := s.backend.insertJobs(ctx, tx, []river.InsertManyParams{{Args: *args, InsertOpts: &river.InsertOpts{
		Queue: deliveryQueue, MaxAttempts: riverMaxAttempts(args.MaxAttempts),
	}}})
	if err != nil {
		return 0, fmt.Errorf("insert delivery job: %w", err)
	}
	return ids[0], nil
}

// countFiredAction counts what became of a fired timer's action, as the
// webhook pipeline counts an intake's.
func (s *Store) countFiredAction(a *Action, r ActionResult) {
	if s.m == nil {
		return
	}
	switch r.Outcome {
	case Shadowed:
		s.m.RuleShadow.WithLabelValues(a.Rule).Inc()
		s.m.RepliesTotal.WithLabelValues(a.Platform, a.Rule, metrics.ReplyShadow).Inc()
	case Suppressed:
		s.m.Suppressed.WithLabelValues(a.Rule, r.Reason).Inc()
		s.m.RepliesTotal.WithLabelValues(a.Platform, a.Rule, metrics.ReplySuppressed).Inc()
	case DeadLettered:
		s.m.ReplyFailures.WithLabelValues(a.Platform, "render_error").Inc()
		s.m.RepliesTotal.WithLabelValues(a.Platform, a.Rule, metrics.ReplyDeadLettered).Inc()
	}
}
