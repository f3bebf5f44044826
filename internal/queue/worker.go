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

// jobOutput is what the worker keeps in its River job's metadata (under
// River's "output" key, written with river.RecordOutput, which River merges
// into the row on a snooze too).
type jobOutput struct {
	// RateLimitWaits counts the job's waits for a rate limit. River's own
	// "snoozes" count cannot serve: it also counts the bot's other waits
	// (no free mark slot, store closing, outcome not yet recordable).
	RateLimitWaits int `json:"rate_limit_waits"`
}

// rateLimitWaits is how often the job waited for a rate limit (River gives
// the attempt back on every snooze). A job queued before the count existed
// starts at 0. Metadata that does not decode counts as the cap reached: the
// cap must not fail open.
func (s *Store) rateLimitWaits(rj *river.Job[DeliveryArgs]) int {
	if len(rj.Metadata) == 0 {
		return 0
	}
	var md struct {
		Output *jobOutput `json:"output"`
	}
	if err := json.Unmarshal(rj.Metadata, &md); err != nil {
		s.log.Error("job metadata does not decode; treating its rate-limit waits as used up",
			"job_id", rj.ID, "event_id", rj.Args.EventID, "error", err)
		return s.opts.MaxSnoozes
	}
	if md.Output == nil {
		return 0
	}
	return md.Output.RateLimitWaits
}

// maybeRerun is false only on a job's first run: River counts an attempt
// at every fetch and gives it back on a snooze, so a job run before (and
// perhaps sent) has a higher attempt or a snooze count.
func maybeRerun(rj *river.Job[DeliveryArgs]) bool {
	return rj.Attempt > 1 || len(rj.Metadata) > 2
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
	if !s.working.TryRLock() {
		return river.JobSnooze(0) // closing
	}
	defer s.working.RUnlock()
	m, marked, err := s.marks.get(ctx, rj.ID, maybeRerun(rj))
	if err != nil {
		// Cannot tell whether an earlier run sent it: do not send now.
		s.log.Warn("read sent mark", "event_id", rj.Args.EventID, "error", err)
		return river.JobSnooze(5 * time.Second)
	}
	if marked {
		// Sent (or given up) already; only writing that down did not happen.
		return s.finishFromMark(ctx, rj, m)
	}
	if !s.marks.reserve(rj.ID) {
		s.log.Warn("no room for a sent mark; the delivery waits", "event_id", rj.Args.EventID)
		return river.JobSnooze(time.Second)
	}
	job := &Job{ID: rj.ID, Attempt: rj.Attempt, Args: &rj.Args}
	var res replier.Result
	var serr *replier.Error
	if err := s.loadAttachments(ctx, &rj.Args); errors.Is(err, errMissingBlob) {
		serr = &replier.Error{Reason: replier.ReasonInvalidRequest, Message: err.Error()}
	} else if err != nil {
		s.marks.release(ctx, rj.ID)
		s.log.Warn("load attachments", "event_id", rj.Args.EventID, "error", err)
		return river.JobSnooze(5 * time.Second)
	} else {
		res, serr = s.safeSend(ctx, job)
	}
	pol := s.policy()
	now := s.now()
	a := job.Args
	if serr == nil && res.Withheld != "" {
		return s.withheld(ctx, rj, job, res)
	}
	if serr == nil {
		// First of all, before the outcome transaction: a crash from here
		// on must not post the reply again.
		if err := s.marks.put(ctx, rj.ID, mark{state: markSent, text: res.ResponseID}); err != nil {
			s.log.Error("write sent mark", "event_id", a.EventID, "error", err)
		}
		s.count(a, metrics.ReplySent)
		if s.m != nil {
			// A timer's reply is meant to wait: count from when it fired.
			since := a.ReceivedAt
			if a.FiredAt.After(since) {
				since = a.FiredAt
			}
			s.m.DeliveryLatency.WithLabelValues(a.Platform).Observe(now.Sub(since).Seconds())
		}
		h := historyFromJob(job, Sent, "", now)
		h.ResponseID = res.ResponseID
		s.log.Info("reply sent", "event_id", a.EventID, "source", a.Source, "rule", a.Rule, "platform", a.Platform,
			"target_type", a.Request.Target.Type, "target_id", a.Request.Target.ID, "attempt", job.Attempt,
			"response_id", res.ResponseID, "latency_ms", now.Sub(a.ReceivedAt).Milliseconds())
		return s.finish(ctx, rj, h, nil)
	}
	return s.afterFailure(ctx, rj, job, serr, pol, now)
}

// afterFailure decides what a failed send leads to: a wait, a retry or a
// dead letter.
func (s *Store) afterFailure(ctx context.Context, rj *river.Job[DeliveryArgs], job *Job, serr *replier.Error, pol Policy, now time.Time) error {
	a := job.Args
	// Shut down mid-send: try again at the next start without using up an
	// attempt.
	if errors.Is(ctx.Err(), context.Canceled) && serr.Retry {
		s.marks.release(ctx, rj.ID)
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
		waits := s.rateLimitWaits(rj)
		if now.Add(wait).After(a.Deadline) || waits >= s.opts.MaxSnoozes {
			return s.deadLetter(ctx, rj, job, serr, logArgs)
		}
		if err := river.RecordOutput(ctx, jobOutput{RateLimitWaits: waits + 1}); err != nil {
			// Uncounted waits would let the cap fail open.
			s.log.Error("cannot count a rate-limit wait; giving up instead", append(logArgs, "count_error", err.Error())...)
			return s.deadLetter(ctx, rj, job, serr, logArgs)
		}
		s.log.Info("reply rate limited, waiting", append(logArgs, "wait", wait.String())...)
		s.marks.release(ctx, rj.ID)
		return river.JobSnooze(wait)
	}
	if job.Attempt >= a.MaxAttempts || !now.Before(a.Deadline) {
		return s.deadLetter(ctx, rj, job, serr, logArgs)
	}
	s.count(a, metrics.ReplyRetried)
	s.log.Warn("reply failed, will retry", logArgs...)
	s.marks.release(ctx, rj.ID)
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
	// After an answer that is not the platform's, or a timeout, the reply
	// may have been posted: keep the once/cooldown claim so the next event
	// does not post it again.
	keepClaim := serr.Reason == replier.ReasonInvalidResponse || serr.Reason == replier.ReasonTimeout
	if err := s.marks.put(ctx, rj.ID, mark{state: markDead, status: serr.Status, text: string(serr.Reason)}); err != nil {
		s.log.Error("write dead-letter mark", "event_id", job.Args.EventID, "error", err)
	}
	h, d, err := s.deadRecords(job, string(serr.Reason), serr.Status, serr.Error(), keepClaim)
	if err != nil {
		return err
	}
	s.count(job.Args, metrics.ReplyDeadLettered)
	s.log.Error("reply dead-lettered", logArgs...)
	return s.finish(ctx, rj, h, d)
}

// deadRecords builds the history record and dead letter of a job given up.
func (s *Store) deadRecords(job *Job, reason string, status int, msg string, keepClaim bool) (*History, *DeadLetter, error) {
	a := job.Args
	now := s.now()
	reqJSON, err := json.Marshal(a.Request)
	if err != nil {
		return nil, nil, fmt.Errorf("encode request: %w", err)
	}
	// The claim is the first step's: after it, the reply was posted and
	// the claim stays whatever a later step does.
	d := &DeadLetter{
		JobID: job.ID, Source: a.Source, EventID: a.EventID, Topic: a.Topic, Rule: a.Rule, Platform: a.Platform,
		TargetKey: a.TargetKey, ClaimKey: a.ClaimKey, ClaimTTL: a.ClaimTTL, RequestJSON: reqJSON, Reason: reason,
		Status: status, Error: msg, Attempts: job.Attempt, ReceivedAt: a.ReceivedAt, DeadAt: now,
		keepClaim: keepClaim || a.Step > 0, Step: a.Step, Next: a.Next,
	}
	h := historyFromJob(job, DeadLettered, reason, now)
	h.Error = msg
	return h, d, nil
}

// finishFromMark records the outcome an earlier run of the job reached
// (its mark says so) without sending again.
func (s *Store) finishFromMark(ctx context.Context, rj *river.Job[DeliveryArgs], m mark) error {
	s.loadAttachmentsForLetter(ctx, &rj.Args, m)
	job := &Job{ID: rj.ID, Attempt: rj.Attempt, Args: &rj.Args}
	h, d, err := s.outcomeOfMark(job, m)
	if err != nil {
		return err
	}
	s.log.Info("recording the outcome of an earlier run without sending again", "event_id", rj.Args.EventID,
		"rule", rj.Args.Rule, "outcome", h.Outcome)
	return s.finish(ctx, rj, h, d)
}

// loadAttachmentsForLetter gives a dead letter its attachments' data, so
// a replay sends them; a failure is logged and the letter kept without.
func (s *Store) loadAttachmentsForLetter(ctx context.Context, a *DeliveryArgs, m mark) {
	if m.state != markDead {
		return
	}
	if err := s.loadAttachments(ctx, a); err != nil {
		s.log.Warn("dead letter kept without its attachments' data", "event_id", a.EventID, "error", err)
	}
}

func (s *Store) outcomeOfMark(job *Job, m mark) (*History, *DeadLetter, error) {
	if m.state == markSent {
		h := historyFromJob(job, Sent, "", s.now())
		h.ResponseID = m.text
		return h, nil, nil
	}
	// The earlier run's error message is lost; the reason and status are
	// kept. The reply may have been posted: keep the claim.
	return s.deadRecords(job, m.text, m.status,
		fmt.Sprintf("%s (recorded after a restart or a store outage)", m.text), true)
}

// finish records the job's outcome and completes it in one transaction, so
// a crash cannot leave a sent reply queued (or a dead letter working). The
// outcome's mark is already written, so when the store stays unwritable,
// or the bot shuts down, the job is snoozed (no attempt used, so River
// never discards it) and its next run, in this process or after a restart
// or on another replica, records the outcome from the mark instead of
// sending again.
func (s *Store) finish(ctx context.Context, rj *river.Job[DeliveryArgs], h *History, dead *DeadLetter) error {
	var err error
	wait := 100 * time.Millisecond
	// Keep trying for the rest of the attempt's time: the snooze that
	// follows is itself a write, and if the store cannot take it either,
	// River leaves the job running until rescue_after has passed.
	for deadline := time.Now().Add(s.opts.JobTimeout); ; {
		if err = s.finishTx(ctx, rj, h, dead); err == nil {
			s.marks.release(ctx, rj.ID)
			return nil
		}
		s.log.Warn("record delivery outcome", "event_id", h.EventID, "rule", h.Rule, "error", err)
		if time.Now().Add(wait).After(deadline) || !s.sleep(ctx, wait) {
			break
		}
		wait = min(2*wait, 5*time.Second)
	}
	s.log.Error("cannot record a delivery outcome yet; its mark keeps it and a later run records it",
		"event_id", h.EventID, "rule", h.Rule, "outcome", h.Outcome, "error", err)
	return river.JobSnooze(5 * time.Second)
}

// sleep waits d; false if the job or the store stops first.
func (s *Store) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
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
	// A run that lost the job (another replica rescued it after
	// rescue_after and runs it now, or already finished it) must record
	// nothing: its history would be a duplicate and its next step would
	// run twice. The check locks the job's row until commit.
	owned, err := ownsJob(ctx, tx, s.backend.dialect(), rj.ID, rj.Attempt)
	if err != nil {
		return err
	}
	if !owned {
		s.log.Warn("another run of this job took it over; this run records nothing", "event_id", rj.Args.EventID,
			"rule", rj.Args.Rule, "job_id", rj.ID, "attempt", rj.Attempt)
		return nil
	}
	if err := recordOutcome(ctx, tx, h, dead); err != nil {
		return err
	}
	if dead == nil { // done: the rule's next step runs (chain.go)
		if err := s.queueNextStep(ctx, tx, &rj.Args); err != nil {
			return err
		}
	}
	if err := s.backend.complete(ctx, tx, rj); err != nil {
		return fmt.Errorf("complete job: %w", err)
	}
	return tx.commit(ctx)
}

// recordOutcome writes a job's history record and dead letter, releasing
// the once/cooldown claim of a dead letter unless it must be kept, and of a
// reply withheld by a kind that releases it.
func recordOutcome(ctx context.Context, tx txn, h *History, dead *DeadLetter) error {
	if err := insertHistory(ctx, tx, h); err != nil {
		return err
	}
	claimKey := ""
	if h.releaseClaim {
		claimKey = h.claimKey
	}
	if dead != nil {
		if err := insertDeadLetter(ctx, tx, dead); err != nil {
			return err
		}
		if !dead.keepClaim {
			claimKey = dead.ClaimKey
		}
	}
	if claimKey == "" {
		return nil
	}
	if _, err := tx.exec(ctx, `DELETE FROM bot_claims WHERE rule = ? AND claim_key = ? AND event_key = ?`,
		h.Rule, claimKey, h.Source+"/"+h.EventID); err != nil {
		return fmt.Errorf("release claim: %w", err)
	}
	return nil
}
