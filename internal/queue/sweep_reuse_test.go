package queue

import (
	"context"
	"testing"
	"time"
)

// TestSweepRecordsAJobWhoseIdWasUsedBefore: SQLite gives a new job the id
// of a deleted one (River deletes completed rows after an hour) while
// history keeps the old id. A discarded job with such an id is still
// recorded by the sweep, as a dead letter, and the earlier job's record
// stays as it was.
func TestSweepRecordsAJobWhoseIdWasUsedBefore(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		ctx := context.Background()
		first := newRecordingSender(nil)
		s := openTestStore(t, opts, first, fastPolicy())
		old := mustAccept(t, s, intake("e1", action("greet", "c1"))).Actions[0].JobID
		waitFor(t, "the first reply", func() bool {
			h, _ := s.History(ctx, HistoryFilter{EventID: "e1"})
			return len(h) == 1
		})
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := s.Stop(stopCtx); err != nil {
			t.Fatal(err)
		}
		s.Close()

		s2, _ := openStopped(t, opts, newRecordingSender(nil), fastPolicy())
		// River deletes the completed job.
		if _, err := s2.backend.pool().exec(ctx, `DELETE FROM river_job WHERE id = ?`, old); err != nil {
			t.Fatal(err)
		}
		id := mustAccept(t, s2, intake("e2", action("greet", "c2"))).Actions[0].JobID
		if id != old {
			if s2.Kind() == "sqlite" {
				t.Fatalf("new job id %d; want %d reused (SQLite's max(id)+1)", id, old)
			}
			// PostgreSQL does not reuse ids: give history the old id as
			// SQLite would have.
			if _, err := s2.backend.pool().exec(ctx, `UPDATE bot_history SET job_id = ? WHERE job_id = ?`, id, old); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s2.backend.pool().exec(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = ? WHERE id = ?`,
			sqlTime(s2, time.Now()), id); err != nil {
			t.Fatal(err)
		}
		if n, err := s2.SweepAbandoned(ctx); err != nil || n != 1 {
			t.Fatalf("sweep = %d, %v; want 1, nil (the discarded job recorded)", n, err)
		}
		h, err := s2.History(ctx, HistoryFilter{EventID: "e2"})
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 1 || h[0].Outcome != DeadLettered || h[0].Reason != abandonedReason {
			t.Errorf("history of e2 = %+v; want one dead_lettered/interrupted record", h)
		}
		if h, _ := s2.History(ctx, HistoryFilter{EventID: "e1"}); len(h) != 1 || h[0].Outcome != Sent {
			t.Errorf("history of e1 = %+v; want its one sent record", h)
		}
	})
}
