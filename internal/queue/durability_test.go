package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/supportops/autoresponder/internal/replier"
)

// openStopped opens a store with a sender but does not start delivering,
// so a test can arrange the queue first; start starts it.
func openStopped(t *testing.T, opts Options, sender Sender, pol Policy) (s *Store, start func()) {
	t.Helper()
	opts.Sender = sender
	opts.Policy = func() Policy { return pol }
	opts.FetchPollInterval = 10 * time.Millisecond
	s, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
		s.Close()
	})
	return s, func() {
		if err := s.Start(context.Background()); err != nil {
			t.Fatalf("start: %v", err)
		}
	}
}

// sqlTime is a time as River stores it on s.
func sqlTime(s *Store, at time.Time) any {
	if s.Kind() == "sqlite" {
		return at.UTC().Format("2006-01-02 15:04:05.999999")
	}
	return at
}

// TestJobsRiverGaveUpOnAreDeadLettered: a delivery job that River
// discarded or cancelled without the worker deciding (its rescuer discards
// a job stuck on its last attempt after a crash) ends as a dead letter
// with a history record, keeping its once claim because the reply may have
// been posted, and is not sent.
func TestJobsRiverGaveUpOnAreDeadLettered(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(nil)
		s, start := openStopped(t, opts, snd, fastPolicy())
		ctx := context.Background()
		states := map[string]string{"e1": "discarded", "e2": "cancelled", "e3": "discarded"}
		for id, state := range states {
			a := action("greet", "c-"+id)
			a.Once = true
			res := mustAccept(t, s, intake(id, a))
			if _, err := s.backend.pool().exec(ctx, `UPDATE river_job SET state = ?, finalized_at = ? WHERE id = ?`,
				state, sqlTime(s, time.Now()), res.Actions[0].JobID); err != nil {
				t.Fatal(err)
			}
		}
		start()
		var dead []DeadLetter
		waitFor(t, "dead letters of the abandoned jobs", func() bool {
			dead, _ = s.DeadLetters(ctx, DLQFilter{})
			return len(dead) == len(states)
		})
		for _, d := range dead {
			if d.Reason != abandonedReason || d.JobID == 0 {
				t.Errorf("dead letter %+v; want reason %q and its job id", d, abandonedReason)
			}
		}
		for id := range states {
			h, err := s.History(ctx, HistoryFilter{EventID: id})
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != 1 || h[0].Outcome != DeadLettered || h[0].Reason != abandonedReason {
				t.Errorf("history of %s = %+v; want one dead_lettered/interrupted record", id, h)
			}
		}
		// The once claim is kept: a new event on the same target is
		// suppressed.
		a := action("greet", "c-e1")
		a.Once = true
		if r := mustAccept(t, s, intake("e1-again", a)); r.Actions[0].Outcome != Suppressed {
			t.Errorf("a new event after an interrupted delivery = %+v; want suppressed by the kept once claim", r.Actions[0])
		}
		time.Sleep(100 * time.Millisecond)
		if n := snd.sentCount(); n != 0 {
			t.Errorf("%d replies sent for jobs River gave up on; want 0", n)
		}
		// Swept once: a second sweep finds nothing.
		if n, err := s.SweepAbandoned(ctx); err != nil || n != 0 {
			t.Errorf("second sweep = %d, %v; want 0, nil", n, err)
		}
	})
}

// TestAcceptAfterCloseFails: Accept after Close returns ErrClosed at once,
// never waiting for its context.
func TestAcceptAfterCloseFails(t *testing.T) {
	s, err := Open(context.Background(), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	var wg sync.WaitGroup
	var hung atomic.Int32
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := s.Accept(ctx, intake("after-close-"+string(rune('a'+i)), action("greet", "c1")))
			if !errors.Is(err, ErrClosed) {
				hung.Add(1)
				t.Errorf("Accept after Close = %v; want ErrClosed", err)
			}
		}()
	}
	wg.Wait()
	if n := hung.Load(); n > 0 {
		t.Errorf("%d of 40 Accept calls after Close did not fail with ErrClosed", n)
	}
}

// TestUndecodableSnoozeCountFailsClosed: a job whose metadata does not
// decode has used up its rate-limit waits: it is dead-lettered at the
// first 429 instead of waiting again.
func TestUndecodableSnoozeCountFailsClosed(t *testing.T) {
	var calls atomic.Int32
	snd := newRecordingSender(func(*Job) *replier.Error {
		calls.Add(1)
		return &replier.Error{Reason: replier.ReasonRateLimited, Retry: true, Status: 429, RetryAfter: time.Millisecond}
	})
	s, start := openStopped(t, Options{DataDir: t.TempDir(), MaxSnoozes: 3}, snd, fastPolicy())
	res := mustAccept(t, s, intake("e1", action("greet", "c1")))
	if _, err := s.backend.pool().exec(context.Background(), `UPDATE river_job SET metadata = ? WHERE id = ?`,
		`{"output":{"rate_limit_waits":"5"}}`, res.Actions[0].JobID); err != nil {
		t.Fatal(err)
	}
	start()
	waitFor(t, "the dead letter", func() bool {
		dead, _ := s.DeadLetters(context.Background(), DLQFilter{})
		return len(dead) == 1
	})
	if n := calls.Load(); n != 1 {
		t.Errorf("%d sends; want 1 (metadata that does not decode counts as the waits used up)", n)
	}
}

// TestWALStaysSmall: queueing thousands of replies does not let SQLite's
// write-ahead log grow to its default of about 4 MiB, which fills a small
// volume by itself. It also reports the disk the data directory needs per
// 1,000 queued replies (2 KiB webhook payloads, one reply each).
func TestWALStaysSmall(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := dirSize(t, dir)
	const replies = 3000
	payload := []byte(`{"pad":"` + strings.Repeat("x", 2048) + `"}`)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				in := intake(fmt.Sprintf("wal-%d", i), action("greet", fmt.Sprintf("c%d", i)))
				in.Payload = payload
				mustAccept(t, s, in)
			}
		}()
	}
	for i := range replies {
		work <- i
	}
	close(work)
	wg.Wait()
	wal := fileSize(t, filepath.Join(dir, "bot.db-wal"))
	used := dirSize(t, dir) - before
	t.Logf("%d queued replies: data directory grew by %d KiB (%d KiB per 1,000); write-ahead log %d KiB",
		replies, used>>10, used*1000/replies>>10, wal>>10)
	if limit := int64(2 << 20); wal > limit {
		t.Errorf("write-ahead log is %d KiB after %d replies; want at most %d KiB", wal>>10, replies, limit>>10)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		n += fileSize(t, filepath.Join(dir, e.Name()))
	}
	return n
}

// TestFinishGivesUpAtShutdown: when the outcome cannot be written and the
// job's context ends (shutdown), recording stops retrying at once and the
// job is snoozed (its mark keeps the outcome), instead of sleeping through
// the whole retry patience while the store is being closed.
func TestFinishGivesUpAtShutdown(t *testing.T) {
	s, err := Open(context.Background(), Options{DataDir: t.TempDir(), Sender: newRecordingSender(nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The store cannot write anything any more.
	_ = s.backend.(*sqliteBackend).db.Close()
	rj := &river.Job[DeliveryArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1}}
	h := &History{JobID: 1, Source: "intercom", EventID: "e1", Rule: "greet", Outcome: Sent}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.finish(ctx, rj, h, nil) }()
	time.Sleep(300 * time.Millisecond) // a few failed writes
	cancel()
	select {
	case err := <-done:
		var snooze *river.JobSnoozeError
		if !errors.As(err, &snooze) {
			t.Errorf("finish at shutdown = %v; want the job snoozed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("finish still retrying 10 s after the job's context ended")
	}
}

// TestAttachmentsAreStoredOnce: replies that attach the same files keep one
// copy of them, not one per job, and every reply is sent with the files'
// full contents.
func TestAttachmentsAreStoredOnce(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(nil)
		s, start := openStopped(t, opts, snd, fastPolicy())
		ctx := context.Background()
		files := []replier.Attachment{
			{Name: "guide.pdf", ContentType: "application/pdf", Data: []byte(strings.Repeat("%PDF guide ", 50000))},
			{Name: "logo.png", ContentType: "image/png", Data: []byte(strings.Repeat("\x89PNG", 100000))},
		}
		const replies = 5
		for i := range replies {
			a := action("greet", fmt.Sprintf("c%d", i))
			a.Request.Attachments = files
			mustAccept(t, s, intake(fmt.Sprintf("att-%d", i), a))
		}
		argsLen := `SELECT COALESCE(SUM(LENGTH(args)), 0) FROM river_job`
		if s.Kind() == "postgres" {
			argsLen = `SELECT COALESCE(SUM(LENGTH(args::text)), 0) FROM river_job`
		}
		var stored int64
		if err := s.backend.pool().queryRow(ctx, argsLen).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if size := len(files[0].Data) + len(files[1].Data); stored > int64(size) {
			t.Errorf("%d jobs hold %d KiB of arguments; their attachments are %d KiB, stored once they fit in less",
				replies, stored>>10, size>>10)
		}
		start()
		waitFor(t, "every reply", func() bool { return snd.sentCount() == replies })
		snd.mu.Lock()
		defer snd.mu.Unlock()
		for _, job := range snd.sent {
			got := job.Args.Request.Attachments
			if len(got) != len(files) {
				t.Fatalf("job %d sent %d attachments; want %d", job.ID, len(got), len(files))
			}
			for i := range files {
				if got[i].Name != files[i].Name || got[i].ContentType != files[i].ContentType || string(got[i].Data) != string(files[i].Data) {
					t.Errorf("job %d attachment %d = %s %s (%d bytes); want %s %s (%d bytes)", job.ID, i,
						got[i].Name, got[i].ContentType, len(got[i].Data), files[i].Name, files[i].ContentType, len(files[i].Data))
				}
			}
		}
	})
}

// TestJobQueuedInTodaysFormatDelivers: a job queued by the previous
// version (attachment data inline in its arguments, River's budget equal
// to max_attempts) still delivers after the upgrade.
func TestJobQueuedInTodaysFormatDelivers(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(nil)
		s, start := openStopped(t, opts, snd, fastPolicy())
		ctx := context.Background()
		// The arguments exactly as the previous version wrote them.
		const old = `{"source":"intercom","event_id":"old-1","topic":"conversation.user.created","rule":"greet",
			"platform":"intercom","request":{"platform":"intercom","as":"note","target":{"type":"conversation","id":"c-old"},
			"body":"hello","attachments":[{"name":"a.txt","content_type":"text/plain","data":"aGVsbG8gZmlsZQ=="}]},
			"target_key":"intercom:conversation:c-old","received_at":"2026-11-30T10:00:00Z","deadline":"2099-01-01T00:00:00Z",
			"max_attempts":12}`
		var args DeliveryArgs
		if err := json.Unmarshal([]byte(old), &args); err != nil {
			t.Fatal(err)
		}
		tx, err := s.backend.begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.backend.insertJobs(ctx, tx, []river.InsertManyParams{{Args: args,
			InsertOpts: &river.InsertOpts{Queue: deliveryQueue, MaxAttempts: args.MaxAttempts}}}); err != nil {
			t.Fatal(err)
		}
		if err := tx.commit(ctx); err != nil {
			t.Fatal(err)
		}
		start()
		waitFor(t, "the old job's reply", func() bool { return snd.sentCount() == 1 })
		snd.mu.Lock()
		got := snd.sent[0].Args.Request
		snd.mu.Unlock()
		if got.Body != "hello" || len(got.Attachments) != 1 || string(got.Attachments[0].Data) != "hello file" {
			t.Errorf("old job sent %+v; want its body and inline attachment", got)
		}
		waitFor(t, "its history", func() bool {
			h, _ := s.History(ctx, HistoryFilter{EventID: "old-1"})
			return len(h) == 1 && h[0].Outcome == Sent
		})
	})
}

// TestSentMarkSurvivesARestart: a job whose reply the platform accepted
// (its sent mark is written) but whose outcome was never committed is
// recorded as sent after a restart, with the platform's response id, and
// not posted again. The job's next run has a raised attempt count (as
// after River's rescuer), so that PostgreSQL's marks table is read, not
// only this process's memory.
func TestSentMarkSurvivesARestart(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		ctx := context.Background()
		first := newRecordingSender(nil)
		s, _ := openStopped(t, opts, first, fastPolicy())
		res := mustAccept(t, s, intake("e1", action("greet", "c1")))
		id := res.Actions[0].JobID
		if !s.marks.reserve(id) {
			t.Fatal("no sent-mark slot")
		}
		if err := s.marks.put(ctx, id, mark{state: markSent, text: "part-accepted"}); err != nil {
			t.Fatal(err)
		}
		// The job ran once (River counted the attempt) and the process
		// ended before its outcome committed.
		if _, err := s.backend.pool().exec(ctx, `UPDATE river_job SET attempt = 1 WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		s.Close()

		again := newRecordingSender(nil)
		s2, start := openStopped(t, opts, again, fastPolicy())
		start()
		var h []History
		waitFor(t, "the outcome recorded", func() bool {
			h, _ = s2.History(ctx, HistoryFilter{EventID: "e1"})
			return len(h) == 1
		})
		if h[0].Outcome != Sent || h[0].ResponseID != "part-accepted" {
			t.Errorf("history %+v; want sent with the platform's response id", h[0])
		}
		if n := again.sentCount() + first.sentCount(); n != 0 {
			t.Errorf("%d replies posted; want 0 (the mark says it was sent)", n)
		}
		// The mark is cleared once recorded (just after the commit).
		waitFor(t, "the mark cleared", func() bool {
			jobs, err := s2.marks.jobs(ctx)
			return err == nil && len(jobs) == 0
		})
	})
}

// TestNoSendWithoutRoomForItsMark: when every sent-mark slot is taken, a
// delivery waits without sending, and goes out once a slot is free.
func TestNoSendWithoutRoomForItsMark(t *testing.T) {
	snd := newRecordingSender(nil)
	s, start := openStopped(t, Options{DataDir: t.TempDir()}, snd, fastPolicy())
	start() // before the reservations: a start frees those of jobs not queued
	for j := range int64(markSlots) {
		if !s.marks.reserve(-1 - j) {
			t.Fatalf("slot %d not free", j)
		}
	}
	mustAccept(t, s, intake("e1", action("greet", "c1")))
	time.Sleep(500 * time.Millisecond)
	if n := snd.sentCount(); n != 0 {
		t.Fatalf("%d replies sent with no slot for their mark; want 0", n)
	}
	s.marks.release(context.Background(), -1)
	waitFor(t, "the reply once a slot is free", func() bool { return snd.sentCount() == 1 })
}
