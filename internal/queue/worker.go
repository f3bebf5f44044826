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

// DefaultMaxSnoozes caps rate-limit waits of one job; with
// max_rate_limit_wait it bounds how long a job can wait for a platform that
// keeps answering 429.
const DefaultMaxSnoozes = 100

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

// snoozes is how often the job waited for a rate limit. River keeps the
// count in the job's metadata and gives the attempt back on every snooze.
func snoozes(rj *river.Job[DeliveryArgs]) int {
	var md struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(rj.Metadata, &md)
	return md.Snoozes
}

func (s *Store) nextRetry(rj *river.Job[DeliveryArgs]) time.Time {
	pol := s.policy()
	d := backoff(pol.BackoffInitial, pol.BackoffMax, rj.Attempt)
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
	job := &Job{ID: rj.ID, Attempt: rj.Attempt, Args: &rj.Args}
	res, serr := s.safeSend(ctx, job)
	pol := s.policy()
	now := s.now()
	a := job.Args
	if serr == nil && res.Withheld != "" {
		return s.withheld(ctx, rj, job, res)
	}
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
		// River gives the attempt back on a snooze; cap the waits here.
		wait := serr.RetryAfter
		if wait <= 0 {
			wait = 10 * time.Second
		}
		wait = min(wait, pol.MaxRateLimitWait)
		if now.Add(wait).After(a.Deadline) || snoozes(rj) >= s.opts.MaxSnoozes {
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
		TargetKey: a.TargetKey, ClaimKey: a.ClaimKey, ClaimTTL: a.ClaimTTL, RequestJSON: reqJSON, Reason: string(serr.Reason),
		Status: serr.Status, Error: serr.Error(), Attempts: job.Attempt, ReceivedAt: a.ReceivedAt, DeadAt: now,
	}
	// After an answer that is not the platform's, or a timeout, the reply
	// may have been posted: keep the once/cooldown claim so the next event
	// does not post it again.
	d.keepClaim = serr.Reason == replier.ReasonInvalidResponse || serr.Reason == replier.ReasonTimeout
	h := historyFromJob(job, DeadLettered, string(serr.Reason), now)
	h.Error = serr.Error()
	s.count(a, metrics.ReplyDeadLettered)
	s.log.Error("reply dead-lettered", logArgs...)
	return s.finish(ctx, rj, h, d)
}

// finish records the job's outcome and completes it in one transaction, so
// a crash cannot leave a sent reply queued (or a dead letter working). The
// platform has already acted, so the write is retried for a while; if the
// store stays unwritable, the outcome is kept in memory and the job is
// snoozed (no attempt used, so River never discards it): its next run in
// this process only writes the record. A replica that takes the job over
// meanwhile has no such memory and posts again; that window is as long as
// the database outage.
func (s *Store) finish(ctx context.Context, rj *river.Job[DeliveryArgs], h *History, dead *DeadLetter) error {
	var err error
	wait := 100 * time.Millisecond
	for deadline := time.Now().Add(finishPatience); ; {
		if err = s.finishTx(ctx, rj, h, dead); err == nil {
			s.unrecorded.Delete(rj.ID)
			return nil
		}
		s.log.Warn("record delivery outcome", "event_id", h.EventID, "rule", h.Rule, "error", err)
		if time.Now().Add(wait).After(deadline) {
			break
		}
		time.Sleep(wait)
		wait = min(2*wait, 5*time.Second)
	}
	s.unrecorded.Store(rj.ID, unrecordedOutcome{history: h, dead: dead})
	s.log.Error("cannot record a delivery outcome; keeping it in memory and trying again later",
		"event_id", h.EventID, "rule", h.Rule, "outcome", h.Outcome, "error", err)
	return river.JobSnooze(5 * time.Second)
}

// finishPatience bounds the in-process retries of recording an outcome.
const finishPatience = 30 * time.Second

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
		if dead.ClaimKey != "" && !dead.keepClaim {
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
