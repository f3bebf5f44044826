package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/riverqueue/river"

	"github.com/supportops/autoresponder/internal/metrics"
	"github.com/supportops/autoresponder/internal/replier"
)

// maxSnoozes caps rate-limit waits of one job; with max_rate_limit_wait it
// bounds how long a job can wait for a platform that keeps answering 429.
const maxSnoozes = 100

// worker adapts River to the Store's delivery logic.
type worker struct {
	river.WorkerDefaults[DeliveryArgs]
	store *Store
}

func (w *worker) Work(ctx context.Context, rj *river.Job[DeliveryArgs]) error {
	return w.store.work(ctx, rj)
}

// NextRetry backs off exponentially with jitter, never past the deadline.
func (w *worker) NextRetry(rj *river.Job[DeliveryArgs]) time.Time {
	return w.store.nextRetry(rj)
}

func (w *worker) Timeout(*river.Job[DeliveryArgs]) time.Duration { return w.store.opts.JobTimeout }

func snoozes(rj *river.Job[DeliveryArgs]) int {
	if n := rj.MaxAttempts - rj.Args.MaxAttempts; n > 0 {
		return n
	}
	return 0
}

func (s *Store) nextRetry(rj *river.Job[DeliveryArgs]) time.Time {
	pol := s.policy()
	attempt := rj.Attempt - snoozes(rj)
	d := backoff(pol.BackoffInitial, pol.BackoffMax, attempt)
	next := s.now().Add(d)
	if dl := rj.Args.Deadline; !dl.IsZero() && next.After(dl) {
		next = dl
	}
	return next
}

// backoff is initial·2^(attempt-1), capped, with "equal jitter": half fixed,
// half random, so retries of many jobs spread out but never come too soon.
func backoff(initial, max time.Duration, attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := initial
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

func (s *Store) work(ctx context.Context, rj *river.Job[DeliveryArgs]) error {
	if v, ok := s.unrecorded.Load(rj.ID); ok {
		// Sent (or given up) already; only writing that down failed.
		o := v.(unrecordedOutcome)
		return s.finish(ctx, rj, o.history, o.dead)
	}
	job := &Job{ID: rj.ID, Attempt: rj.Attempt - snoozes(rj), Args: &rj.Args}
	res, serr := s.safeSend(ctx, job)
	pol := s.policy()
	now := s.now()
	a := job.Args
	if serr == nil {
		s.count(a, metrics.ReplySent)
		if s.m != nil {
			s.m.DeliveryLatency.WithLabelValues(a.Platform).Observe(now.Sub(a.ReceivedAt).Seconds())
		}
		h := historyFromJob(job, Sent, "", now)
		h.ResponseID = res.ResponseID
		s.log.Info("reply sent", "event_id", a.EventID, "source", a.Source, "rule", a.Rule, "platform", a.Platform,
			"target_type", a.Request.Target.Type, "target_id", a.Request.Target.ID, "attempt", job.Attempt,
			"response_id", res.ResponseID, "latency_ms", now.Sub(a.ReceivedAt).Milliseconds())
		return s.finish(ctx, rj, h, nil)
	}
	// Shut down mid-send: try again at the next start without using up an
	// attempt.
	if errors.Is(ctx.Err(), context.Canceled) && serr.Retry {
		return river.JobSnooze(0)
	}
	logArgs := []any{"event_id", a.EventID, "source", a.Source, "rule", a.Rule, "platform", a.Platform,
		"target_id", a.Request.Target.ID, "attempt", job.Attempt, "reason", string(serr.Reason), "error", serr.Error()}
	if !serr.Retry {
		return s.deadLetter(ctx, rj, job, serr, logArgs)
	}
	if serr.Reason == replier.ReasonRateLimited {
		wait := serr.RetryAfter
		if wait <= 0 {
			wait = 10 * time.Second
		}
		wait = min(wait, pol.MaxRateLimitWait)
		if now.Add(wait).After(a.Deadline) || snoozes(rj) >= maxSnoozes {
			return s.deadLetter(ctx, rj, job, serr, logArgs)
		}
		s.log.Info("reply rate limited, waiting", append(logArgs, "wait", wait.String())...)
		return river.JobSnooze(wait)
	}
	if job.Attempt >= a.MaxAttempts || !now.Before(a.Deadline) {
		return s.deadLetter(ctx, rj, job, serr, logArgs)
	}
	s.count(a, metrics.ReplyRetried)
	s.log.Warn("reply failed, will retry", logArgs...)
	return serr
}

// safeSend turns a panic in the sender into a retryable failure, so a bug
// cannot make River discard a job behind our back.
func (s *Store) safeSend(ctx context.Context, job *Job) (res replier.Result, serr *replier.Error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic while delivering", "event_id", job.Args.EventID, "rule", job.Args.Rule,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			serr = &replier.Error{Reason: replier.ReasonNetwork, Retry: true, Message: fmt.Sprintf("internal error: %v", r)}
		}
	}()
	return s.sender.Send(ctx, job)
}

func (s *Store) count(a *DeliveryArgs, outcome string) {
	if s.m != nil {
		s.m.RepliesTotal.WithLabelValues(a.Platform, a.Rule, outcome).Inc()
	}
}

// deadLetter keeps the job for people to inspect and replay, releases its
// once/cooldown claim so a later event can try again, and completes it.
func (s *Store) deadLetter(ctx context.Context, rj *river.Job[DeliveryArgs], job *Job, serr *replier.Error, logArgs []any) error {
	a := job.Args
	now := s.now()
	reqJSON, err := json.Marshal(a.Request)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	d := &DeadLetter{
		JobID: job.ID, Source: a.Source, EventID: a.EventID, Topic: a.Topic, Rule: a.Rule, Platform: a.Platform,
		TargetKey: a.TargetKey, ClaimKey: a.ClaimKey, RequestJSON: reqJSON, Reason: string(serr.Reason),
		Status: serr.Status, Error: serr.Error(), Attempts: job.Attempt, ReceivedAt: a.ReceivedAt, DeadAt: now,
	}
	h := historyFromJob(job, DeadLettered, string(serr.Reason), now)
	h.Error = serr.Error()
	s.count(a, metrics.ReplyDeadLettered)
	s.log.Error("reply dead-lettered", logArgs...)
	return s.finish(ctx, rj, h, d)
}

// finish records the job's outcome and completes it in one transaction, so
// a crash cannot leave a sent reply queued (or a dead letter working). The
// platform has already acted, so the write is retried for a while.
func (s *Store) finish(ctx context.Context, rj *river.Job[DeliveryArgs], h *History, dead *DeadLetter) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
		}
		if err = s.finishTx(ctx, rj, h, dead); err == nil {
			s.unrecorded.Delete(rj.ID)
			return nil
		}
		s.log.Warn("record delivery outcome", "event_id", h.EventID, "rule", h.Rule, "error", err)
	}
	// River retries the job; that attempt must not post the reply again
	// (found by the e2e disk-full test: every held reply went out twice).
	s.unrecorded.Store(rj.ID, unrecordedOutcome{history: h, dead: dead})
	return fmt.Errorf("record delivery outcome: %w", err)
}

// unrecordedOutcome is a job's final outcome waiting to be written.
type unrecordedOutcome struct {
	history *History
	dead    *DeadLetter
}

func (s *Store) finishTx(jobCtx context.Context, rj *river.Job[DeliveryArgs], h *History, dead *DeadLetter) error {
	// Keep the job context's values (River finds its client there) but not
	// its cancellation: the outcome must be written even during shutdown.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(jobCtx), 15*time.Second)
	defer cancel()
	tx, err := s.backend.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.rollback(ctx)
	if err := insertHistory(ctx, tx, h); err != nil {
		return err
	}
	if dead != nil {
		if err := insertDeadLetter(ctx, tx, dead); err != nil {
			return err
		}
		if dead.ClaimKey != "" {
			if _, err := tx.exec(ctx, `DELETE FROM bot_claims WHERE rule = ? AND claim_key = ? AND event_key = ?`,
				dead.Rule, dead.ClaimKey, dead.Source+"/"+dead.EventID); err != nil {
				return fmt.Errorf("release claim: %w", err)
			}
		}
	}
	if err := s.backend.complete(ctx, tx, rj); err != nil {
		return fmt.Errorf("complete job: %w", err)
	}
	return tx.commit(ctx)
}
