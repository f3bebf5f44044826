package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// A rule's requests run as a chain of jobs: the reply (or first action) is
// step 0 and carries the rest in DeliveryArgs.Next. When a step is done
// (sent, or withheld by a dry run or shadow mode) the next step's job is
// inserted in the transaction that records the outcome and completes the
// step's job, so a crash never loses a step or runs one twice. A step that
// fails is dead-lettered with the steps after it; nothing after it runs
// until a replay resumes the chain there.

// nextStep is the job of the step after a, or nil when a is the last. The
// next step starts its own clock (deadline and attempts); attachments
// belong to a reply step, so it inherits no attachment references.
func nextStep(a *DeliveryArgs, pol Policy, now time.Time) *DeliveryArgs {
	if len(a.Next) == 0 {
		return nil
	}
	next := &DeliveryArgs{
		Source: a.Source, EventID: a.EventID, Topic: a.Topic, Rule: a.Rule, Platform: a.Next[0].Platform,
		Request: a.Next[0], ClaimKey: a.ClaimKey, ClaimTTL: a.ClaimTTL, TargetKey: a.TargetKey,
		ReceivedAt: a.ReceivedAt, Deadline: now.Add(pol.MaxAge), MaxAttempts: pol.MaxAttempts,
		Step: a.Step + 1, FiredAt: a.FiredAt,
	}
	if len(a.Next) > 1 {
		next.Next = a.Next[1:]
	}
	return next
}

// queueNextStep inserts, in tx, the job of the step after a, if any.
func (s *Store) queueNextStep(ctx context.Context, tx txn, a *DeliveryArgs) error {
	now := s.now()
	pol := s.policy()
	next := nextStep(a, pol, now)
	if next == nil {
		return nil
	}
	if err := storeAttachments(ctx, tx, next, now); err != nil {
		return fmt.Errorf("queue step %d: %w", next.Step, err)
	}
	ids, err := s.backend.insertJobs(ctx, tx, []river.InsertManyParams{{Args: *next, InsertOpts: &river.InsertOpts{
		Queue: deliveryQueue, MaxAttempts: riverMaxAttempts(next.MaxAttempts),
	}}})
	if err != nil {
		return fmt.Errorf("queue step %d: %w", next.Step, err)
	}
	s.log.Info("next step queued", "event_id", a.EventID, "source", a.Source, "rule", a.Rule, "step", next.Step,
		"platform", next.Platform, "action", next.Request.Action, "job_id", ids[0])
	return nil
}

// ownsJob reports whether the job is still running at this attempt, locking
// its row (PostgreSQL) so that a rescued run of the same job cannot record
// its outcome at the same time. SQLite has one writer: the transaction
// already excludes the other run.
func ownsJob(ctx context.Context, tx txn, d dialect, id int64, attempt int) (bool, error) {
	q := `SELECT state, attempt FROM river_job WHERE id = ?`
	if d.name == postgresDialect.name {
		q = `SELECT state::text, attempt FROM river_job WHERE id = ? FOR UPDATE`
	}
	var state string
	var got int
	err := tx.queryRow(ctx, q, id).Scan(&state, &got)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check the job is still ours: %w", err)
	}
	return state == "running" && got == attempt, nil
}
