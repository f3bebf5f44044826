package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/supportops/autoresponder/internal/metrics"
)

// crashRetries is how many runs River allows a delivery job beyond the
// bot's own max_attempts. The bot decides a job's fate itself (it
// dead-letters at DeliveryArgs.MaxAttempts), so River's limit is only ever
// reached when runs end without the worker deciding: a process killed
// mid-delivery, whose job River's rescuer would otherwise discard on its
// last attempt without running the worker. The margin makes that rare; the
// sweep below makes it harmless.
const crashRetries = 5

// riverMaxAttempts is the River job budget of a delivery the bot gives up
// on after maxAttempts tries.
func riverMaxAttempts(maxAttempts int) int { return max(maxAttempts, 1) + crashRetries }

// sweepInterval is how often jobs River gave up on are looked for.
const sweepInterval = 30 * time.Second

// abandonedReason is the dead-letter reason of a delivery River discarded
// or cancelled outside the worker.
const abandonedReason = "interrupted"

// SweepAbandoned finds delivery jobs River discarded or cancelled without
// the worker recording an outcome (a job interrupted by crashes more often
// than its River budget allows, or one queued before that budget existed)
// and records them: as sent when their mark says the platform accepted the
// reply, otherwise as dead letters (reason "interrupted") that keep their
// once/cooldown claim, since the reply may have been posted. The River row
// is removed in the same transaction, so a job is swept once. It returns
// how many jobs it recorded.
func (s *Store) SweepAbandoned(ctx context.Context) (int, error) {
	n := 0
	for after := int64(0); ; {
		list, last, err := s.abandonedPage(ctx, after)
		if err != nil {
			return n, err
		}
		for _, rj := range list {
			recorded, err := s.recordedInHistory(ctx, rj)
			if err != nil {
				return n, err
			}
			if recorded {
				continue
			}
			done, err := s.sweepOne(ctx, rj)
			if err != nil {
				return n, err
			}
			if done {
				n++
			}
		}
		if last == 0 {
			return n, nil
		}
		after = last
	}
}

// sweepPage is how many abandoned jobs are read at a time.
const sweepPage = 500

// abandonedPage lists discarded or cancelled delivery jobs with ids above
// after, and the last id read when the page is full (0: no more pages). A
// job whose arguments do not decode is logged and left in place.
func (s *Store) abandonedPage(ctx context.Context, after int64) (list []*river.Job[DeliveryArgs], last int64, err error) {
	rows, err := s.backend.pool().query(ctx, `SELECT id, attempt, args FROM river_job
		WHERE kind = ? AND state IN ('discarded', 'cancelled') AND id > ?
		ORDER BY id LIMIT ?`, DeliveryArgs{}.Kind(), after, sweepPage)
	if err != nil {
		return nil, 0, fmt.Errorf("find abandoned deliveries: %w", err)
	}
	defer rows.Close()
	read := 0
	for rows.Next() {
		var (
			id      int64
			attempt int
			args    []byte
		)
		if err := rows.Scan(&id, &attempt, &args); err != nil {
			return nil, 0, fmt.Errorf("find abandoned deliveries: %w", err)
		}
		read, last = read+1, id
		rj := &river.Job[DeliveryArgs]{JobRow: &rivertype.JobRow{ID: id, Attempt: attempt}}
		if err := json.Unmarshal(args, &rj.Args); err != nil {
			s.log.Error("abandoned delivery does not decode; left in place", "job_id", id, "error", err)
			continue
		}
		list = append(list, rj)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("find abandoned deliveries: %w", err)
	}
	if read < sweepPage {
		last = 0
	}
	return list, last, nil
}

// recordedInHistory says whether the job's outcome is already recorded. A
// job id alone does not say it: SQLite reuses the ids of deleted jobs
// (River's rows are deleted an hour after they complete, and by the
// sweep) while history keeps them, so the record must also be of the
// job's event and rule.
func (s *Store) recordedInHistory(ctx context.Context, rj *river.Job[DeliveryArgs]) (bool, error) {
	var one int
	err := s.backend.pool().queryRow(ctx, `SELECT 1 FROM bot_history
		WHERE job_id = ? AND source = ? AND event_id = ? AND rule = ? LIMIT 1`,
		rj.ID, rj.Args.Source, rj.Args.EventID, rj.Args.Rule).Scan(&one)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find abandoned deliveries: %w", err)
	}
	return true, nil
}

func (s *Store) sweepOne(ctx context.Context, rj *river.Job[DeliveryArgs]) (bool, error) {
	job := &Job{ID: rj.ID, Attempt: rj.Attempt, Args: &rj.Args}
	m, marked, err := s.marks.get(ctx, rj.ID, true)
	if err != nil {
		return false, err
	}
	if !marked {
		m = mark{state: markDead, text: abandonedReason}
	}
	s.loadAttachmentsForLetter(ctx, &rj.Args, m)
	h, d, err := s.outcomeOfMark(job, m)
	if err != nil {
		return false, err
	}
	if !marked {
		msg := "the delivery was interrupted (the process stopped during its attempts) and its job was given up; the reply may have been posted"
		h.Error, d.Error = msg, msg
	}
	tx, err := s.backend.begin(ctx)
	if err != nil {
		return false, fmt.Errorf("record abandoned delivery: %w", err)
	}
	defer tx.rollback(ctx)
	// Taken first, so that of two replicas sweeping at once one records it.
	gone, err := tx.exec(ctx, `DELETE FROM river_job WHERE id = ? AND state IN ('discarded', 'cancelled')`, rj.ID)
	if err != nil {
		return false, fmt.Errorf("record abandoned delivery: %w", err)
	}
	if gone == 0 {
		return false, nil
	}
	if err := recordOutcome(ctx, tx, h, d); err != nil {
		return false, err
	}
	if d == nil { // the mark says it was sent: the rule's next step runs
		if err := s.queueNextStep(ctx, tx, &rj.Args); err != nil {
			return false, err
		}
	}
	if err := tx.commit(ctx); err != nil {
		return false, fmt.Errorf("record abandoned delivery: %w", err)
	}
	s.marks.release(ctx, rj.ID)
	a := job.Args
	if d != nil {
		s.count(a, metrics.ReplyDeadLettered)
	} else {
		s.count(a, metrics.ReplySent)
	}
	s.log.Error("delivery given up outside the worker recorded", "event_id", a.EventID, "rule", a.Rule,
		"job_id", rj.ID, "attempts", rj.Attempt, "outcome", h.Outcome, "reason", h.Reason)
	return true, nil
}

// dropStaleMarks removes marks whose job is recorded (its outcome committed
// but the process stopped before clearing the mark), and frees mark slots
// reserved for jobs that will not run again (gone or finished), which
// would otherwise stay taken until a restart.
func (s *Store) dropStaleMarks(ctx context.Context) error {
	jobs, err := s.marks.jobs(ctx)
	if err != nil {
		return err
	}
	for _, id := range jobs {
		// A marked job River gave up on keeps its mark: the sweep needs it.
		if err := s.releaseIfDone(ctx, id, "completed"); err != nil {
			return err
		}
	}
	for _, id := range s.marks.reservedOnly() {
		if err := s.releaseIfDone(ctx, id, "completed", "discarded", "cancelled"); err != nil {
			return err
		}
	}
	return nil
}

// releaseIfDone releases job's mark and reservation when its River row is
// gone or in one of the done states.
func (s *Store) releaseIfDone(ctx context.Context, id int64, done ...string) error {
	var state string
	err := s.backend.pool().queryRow(ctx, `SELECT state FROM river_job WHERE id = ?`, id).Scan(&state)
	if err != nil && !isNoRows(err) {
		return fmt.Errorf("check sent mark of job %d: %w", id, err)
	}
	if isNoRows(err) || slices.Contains(done, state) {
		s.marks.release(ctx, id)
	}
	return nil
}
