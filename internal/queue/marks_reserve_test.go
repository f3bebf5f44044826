package queue

import (
	"context"
	"testing"
	"time"
)

// TestReservedMarkSlotsOfFinishedJobsAreFreed: mark slots reserved for jobs
// that will never run again (their row is gone or completed) are freed by
// the periodic clean-up, not only by a restart, so deliveries waiting for
// a slot go out. (SQLite only: PostgreSQL marks need no reservation.)
func TestReservedMarkSlotsOfFinishedJobsAreFreed(t *testing.T) {
	ctx := context.Background()
	snd := newRecordingSender(nil)
	s, start := openStopped(t, Options{DataDir: t.TempDir()}, snd, fastPolicy())
	done := mustAccept(t, s, intake("e0", action("greet", "c0"))).Actions[0].JobID
	if _, err := s.backend.pool().exec(ctx, `UPDATE river_job SET state = 'completed', finalized_at = ? WHERE id = ?`,
		sqlTime(s, time.Now()), done); err != nil {
		t.Fatal(err)
	}
	start() // (a start frees them too: the reservations come after it)
	if !s.marks.reserve(done) {
		t.Fatal("no slot for the completed job")
	}
	// Every other slot is reserved by jobs that no longer exist.
	for j := range int64(markSlots - 1) {
		if !s.marks.reserve(-1 - j) {
			t.Fatalf("slot %d not free", j)
		}
	}
	mustAccept(t, s, intake("e1", action("greet", "c1")))
	time.Sleep(300 * time.Millisecond)
	if n := snd.sentCount(); n != 0 {
		t.Fatalf("%d replies sent with no slot for their mark; want 0", n)
	}
	if err := s.dropStaleMarks(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reply once the stale reservations are freed", func() bool { return snd.sentCount() == 1 })
	if left := s.marks.reservedOnly(); len(left) != 0 {
		t.Errorf("%d reservations left after the reply was recorded; want 0", len(left))
	}
}
