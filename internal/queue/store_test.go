package queue

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/replier"
)

// clock is a settable time source for budget and cooldown tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func fastPolicy() Policy {
	p := DefaultPolicy
	p.BackoffInitial = 5 * time.Millisecond
	p.BackoffMax = 20 * time.Millisecond
	p.TargetMaxPerHour = 100
	return p
}

func mustAccept(t *testing.T, s *Store, in *Intake) AcceptResult {
	t.Helper()
	res, err := s.Accept(context.Background(), in)
	if err != nil {
		t.Fatalf("accept %s: %v", in.EventID, err)
	}
	return res
}

func TestDeliversOnceAndRecordsHistory(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(nil)
		s := openTestStore(t, opts, snd, fastPolicy())
		res := mustAccept(t, s, intake("e1", action("greet", "c1")))
		if res.Duplicate || res.Actions[0].Outcome != Queued || res.Actions[0].JobID == 0 {
			t.Fatalf("first delivery: got %+v, want one queued job", res)
		}
		if again := mustAccept(t, s, intake("e1", action("greet", "c1"))); !again.Duplicate {
			t.Fatalf("same event id again: got %+v, want duplicate", again)
		}
		waitFor(t, "history record", func() bool {
			h, _ := s.History(context.Background(), HistoryFilter{Rule: "greet"})
			return len(h) == 1
		})
		h, _ := s.History(context.Background(), HistoryFilter{Rule: "greet"})
		if h[0].Outcome != Sent || h[0].ResponseID != "part-e1" || h[0].Attempts != 1 || h[0].Target.ID != "c1" {
			t.Errorf("history = %+v, want sent once to c1 with the platform's id", h[0])
		}
		time.Sleep(100 * time.Millisecond)
		if n := snd.sentCount(); n != 1 {
			t.Errorf("sent %d replies, want 1", n)
		}
	})
}

func TestConcurrentDuplicatesYieldOneReply(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(nil)
		s := openTestStore(t, opts, snd, fastPolicy())
		var fresh atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := s.Accept(context.Background(), intake("dup", action("greet", "c1")))
				if err != nil {
					t.Errorf("accept: %v", err)
					return
				}
				if !res.Duplicate {
					fresh.Add(1)
				}
			}()
		}
		wg.Wait()
		if fresh.Load() != 1 {
			t.Fatalf("%d of 20 concurrent deliveries were accepted as new, want 1", fresh.Load())
		}
		waitFor(t, "the reply", func() bool { return snd.sentCount() == 1 })
	})
}

func TestSuppression(t *testing.T) {
	type step struct {
		advance time.Duration
		event   string
		action  Action
		want    string // outcome or suppression reason
	}
	withOnce := func(a Action) Action { a.Once = true; return a }
	withCooldown := func(a Action, d time.Duration) Action { a.Cooldown = d; return a }
	withMax := func(a Action, n int) Action { a.MaxPerHour = n; return a }
	perContact := func(a Action, key string) Action { a.ClaimKey = key; return a }
	cases := []struct {
		name  string
		pol   func(*Policy)
		steps []step
	}{
		{"once per target", nil, []step{
			{0, "a", withOnce(action("welcome", "c1")), Queued},
			{time.Hour * 48, "b", withOnce(action("welcome", "c1")), ReasonOnce},
			{0, "c", withOnce(action("welcome", "c2")), Queued},
		}},
		{"once per contact spans targets", nil, []step{
			{0, "a", perContact(withOnce(action("welcome", "c1")), "contact:intercom:u1"), Queued},
			{0, "b", perContact(withOnce(action("welcome", "c2")), "contact:intercom:u1"), ReasonOnce},
		}},
		{"cooldown is a sliding window", nil, []step{
			{0, "a", withCooldown(action("ack", "c1"), time.Hour), Queued},
			{30 * time.Minute, "b", withCooldown(action("ack", "c1"), time.Hour), ReasonCooldown},
			{31 * time.Minute, "c", withCooldown(action("ack", "c1"), time.Hour), Queued},
			{10 * time.Minute, "d", withCooldown(action("ack", "c1"), time.Hour), ReasonCooldown},
		}},
		{"target budget across rules", func(p *Policy) { p.TargetMaxPerHour = 2 }, []step{
			{0, "a", action("r1", "c1"), Queued},
			{0, "b", action("r2", "c1"), Queued},
			{0, "c", action("r3", "c1"), ReasonTargetBudget},
			{0, "d", action("r3", "c2"), Queued},
			{61 * time.Minute, "e", action("r3", "c1"), Queued},
		}},
		{"rule budget trips, then pauses the rule", func(p *Policy) { p.PauseAfter = 2; p.PauseFor = time.Hour }, []step{
			{0, "a", withMax(action("noisy", "c1"), 2), Queued},
			{0, "b", withMax(action("noisy", "c2"), 2), Queued},
			{0, "c", withMax(action("noisy", "c3"), 2), ReasonRuleBudget},
			{0, "d", withMax(action("noisy", "c4"), 2), ReasonRuleBudget},
			{30 * time.Minute, "e", withMax(action("noisy", "c5"), 2), ReasonPaused},
			{0, "f", withMax(action("other", "c6"), 2), Queued},
			{31 * time.Minute, "g", withMax(action("noisy", "c7"), 2), Queued},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storeKinds(t, func(t *testing.T, opts Options) {
				clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
				opts.Now = clk.now
				pol := fastPolicy()
				if tc.pol != nil {
					tc.pol(&pol)
				}
				s := openTestStore(t, opts, nil, pol)
				for i, st := range tc.steps {
					clk.advance(st.advance)
					in := intake(st.event, st.action)
					in.ReceivedAt = clk.now()
					res := mustAccept(t, s, in)
					got := res.Actions[0].Outcome
					if got == Suppressed {
						got = res.Actions[0].Reason
					}
					if got != st.want {
						t.Fatalf("step %d (event %s): got %s, want %s", i+1, st.event, got, st.want)
					}
				}
			})
		})
	}
}

func TestPausedRulesAreListed(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		pol := fastPolicy()
		pol.PauseAfter = 1
		s := openTestStore(t, opts, nil, pol)
		a := action("noisy", "c1")
		a.MaxPerHour = 1
		mustAccept(t, s, intake("a", a))
		res := mustAccept(t, s, intake("b", a))
		if !res.Actions[0].Paused {
			t.Fatalf("second match over budget with pause_after 1: got %+v, want the rule paused", res.Actions[0])
		}
		paused, err := s.PausedRules(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := paused["noisy"]; !ok || len(paused) != 1 {
			t.Fatalf("paused rules = %v, want noisy", paused)
		}
	})
}

func TestFailures(t *testing.T) {
	serverError := &replier.Error{Reason: replier.ReasonServerError, Retry: true, Status: 500, Message: "boom"}
	notFound := &replier.Error{Reason: replier.ReasonClientError, Status: 404, Message: "not_found: Resource Not Found"}
	cases := []struct {
		name string
		// fail returns the error for the n-th call (1-based), nil to succeed.
		fail         func(n int) *replier.Error
		maxAttempts  int
		wantOutcome  string
		wantAttempts int
		wantReason   string
		wantCalls    int
	}{
		{"server error then success", func(n int) *replier.Error {
			if n == 1 {
				return serverError
			}
			return nil
		}, 5, Sent, 2, "", 2},
		{"not found dead-letters at once", func(int) *replier.Error { return notFound }, 5, DeadLettered, 1, "client_error", 1},
		{"retries exhausted", func(int) *replier.Error { return serverError }, 3, DeadLettered, 3, "server_error", 3},
		{"rate limit waits do not use attempts", func(n int) *replier.Error {
			if n <= 3 {
				return &replier.Error{Reason: replier.ReasonRateLimited, Retry: true, Status: 429, RetryAfter: 20 * time.Millisecond}
			}
			return nil
		}, 2, Sent, 1, "", 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storeKinds(t, func(t *testing.T, opts Options) {
				var calls atomic.Int32
				snd := newRecordingSender(func(*Job) *replier.Error { return tc.fail(int(calls.Add(1))) })
				pol := fastPolicy()
				pol.MaxAttempts = tc.maxAttempts
				s := openTestStore(t, opts, snd, pol)
				a := action("greet", "c1")
				a.Once = true
				mustAccept(t, s, intake("e1", a))
				var h []History
				waitFor(t, "final outcome", func() bool {
					h, _ = s.History(context.Background(), HistoryFilter{Rule: "greet"})
					return len(h) == 1
				})
				if h[0].Outcome != tc.wantOutcome || h[0].Attempts != tc.wantAttempts || h[0].Reason != tc.wantReason {
					t.Errorf("history = outcome %s, attempts %d, reason %q; want %s, %d, %q",
						h[0].Outcome, h[0].Attempts, h[0].Reason, tc.wantOutcome, tc.wantAttempts, tc.wantReason)
				}
				time.Sleep(50 * time.Millisecond)
				if got := int(calls.Load()); got != tc.wantCalls {
					t.Errorf("platform called %d times, want %d", got, tc.wantCalls)
				}
				dead, err := s.DeadLetters(context.Background(), DLQFilter{})
				if err != nil {
					t.Fatal(err)
				}
				if tc.wantOutcome != DeadLettered {
					if len(dead) != 0 {
						t.Errorf("dead letters = %d, want none", len(dead))
					}
					return
				}
				if len(dead) != 1 || dead[0].Request.Body != "hello" || !strings.Contains(dead[0].Error, "HTTP") {
					t.Fatalf("dead letters = %+v, want the request with the platform's error", dead)
				}
				// The once claim was released: a later event may try again.
				if res := mustAccept(t, s, intake("e2", a)); res.Actions[0].Outcome != Queued {
					t.Errorf("after a dead letter the once claim should be free: got %+v", res.Actions[0])
				}
			})
		})
	}
}

func TestRenderErrorAndShadow(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(nil)
		s := openTestStore(t, opts, snd, fastPolicy())
		bad := action("broken", "c1")
		bad.RenderError = "reply.body: {{ contact.name }}: cannot get name from contact"
		shadow := action("trial", "c1")
		shadow.Shadow = true
		res := mustAccept(t, s, intake("e1", bad, shadow, action("good", "c1")))
		want := []string{DeadLettered, Shadowed, Queued}
		for i, w := range want {
			if res.Actions[i].Outcome != w {
				t.Errorf("action %d: got %s, want %s", i, res.Actions[i].Outcome, w)
			}
		}
		waitFor(t, "the good reply", func() bool { return snd.sentCount() == 1 })
		time.Sleep(50 * time.Millisecond)
		if snd.sentCount() != 1 {
			t.Errorf("sent %d, want only the live rule's reply", snd.sentCount())
		}
		dead, _ := s.DeadLetters(context.Background(), DLQFilter{Rule: "broken"})
		if len(dead) != 1 || dead[0].Reason != "render_error" || !strings.Contains(dead[0].Error, "cannot get name") {
			t.Errorf("dead letters = %+v, want the render error", dead)
		}
		h, _ := s.History(context.Background(), HistoryFilter{Rule: "trial"})
		if len(h) != 1 || h[0].Outcome != Shadowed {
			t.Errorf("shadow history = %+v", h)
		}
	})
}

func TestReplayAndDrop(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		var failing atomic.Bool
		failing.Store(true)
		snd := newRecordingSender(func(*Job) *replier.Error {
			if failing.Load() {
				return &replier.Error{Reason: replier.ReasonClientError, Status: 403, Message: "plan restricted"}
			}
			return nil
		})
		s := openTestStore(t, opts, snd, fastPolicy())
		for i := range 3 {
			mustAccept(t, s, intake(fmt.Sprintf("e%d", i), action("greet", fmt.Sprintf("c%d", i))))
		}
		var dead []DeadLetter
		waitFor(t, "three dead letters", func() bool {
			dead, _ = s.DeadLetters(context.Background(), DLQFilter{})
			return len(dead) == 3
		})
		ctx := context.Background()
		dry, err := s.Replay(ctx, DLQFilter{IDs: []int64{dead[0].ID}}, fastPolicy(), ReplayOptions{DryRun: true})
		if err != nil || len(dry) != 1 {
			t.Fatalf("dry run: %v %v", dry, err)
		}
		if still, _ := s.DeadLetters(ctx, DLQFilter{}); len(still) != 3 {
			t.Fatalf("dry run changed the queue: %d left", len(still))
		}
		failing.Store(false)
		out, err := s.Replay(ctx, DLQFilter{IDs: []int64{dead[0].ID}}, fastPolicy(), ReplayOptions{})
		if err != nil || len(out) != 1 || out[0].JobID == 0 {
			t.Fatalf("replay: %+v %v", out, err)
		}
		waitFor(t, "the replayed reply", func() bool { return snd.sentCount() == 1 })
		if snd.sent[0].Args.Request.Target.ID != dead[0].Request.Target.ID {
			t.Errorf("replayed the wrong letter")
		}
		n, err := s.Drop(ctx, DLQFilter{Rule: "greet"})
		if err != nil || n != 2 {
			t.Fatalf("drop: %d %v, want 2", n, err)
		}
		if _, err := s.Drop(ctx, DLQFilter{}); err == nil {
			t.Error("drop without a selector must refuse")
		}
	})
}

func TestQueuedJobsSurviveRestart(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		// First process: accepts but never works the queue.
		s1, err := Open(context.Background(), Options{DataDir: opts.DataDir, DatabaseURL: opts.DatabaseURL})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if _, err := s1.Accept(context.Background(), intake(fmt.Sprintf("e%d", i), action("greet", fmt.Sprintf("c%d", i)))); err != nil {
				t.Fatal(err)
			}
		}
		s1.Close()
		snd := newRecordingSender(nil)
		openTestStore(t, opts, snd, fastPolicy())
		waitFor(t, "five replies after restart", func() bool { return snd.sentCount() == 5 })
	})
}

func TestSQLiteDataDirIsExclusive(t *testing.T) {
	dir := t.TempDir()
	openTestStore(t, Options{DataDir: dir}, newRecordingSender(nil), fastPolicy())
	_, err := Open(context.Background(), Options{DataDir: dir, Sender: newRecordingSender(nil)})
	if err == nil || !strings.Contains(err.Error(), "in use by another bot process") {
		t.Fatalf("second worker on the same data directory: err = %v, want in use", err)
	}
	// Tools (no sender) may still open it.
	tool, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatalf("tool open: %v", err)
	}
	tool.Close()
}

func TestReplayRespectsClaimsAndRaces(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		var failing atomic.Bool
		failing.Store(true)
		snd := newRecordingSender(func(*Job) *replier.Error {
			if failing.Load() {
				return &replier.Error{Reason: replier.ReasonClientError, Status: 403, Message: "plan restricted"}
			}
			return nil
		})
		s := openTestStore(t, opts, snd, fastPolicy())
		ctx := context.Background()
		once := action("welcome", "c1")
		once.Once = true
		mustAccept(t, s, intake("e1", once))
		var dead []DeadLetter
		waitFor(t, "the dead letter", func() bool {
			dead, _ = s.DeadLetters(ctx, DLQFilter{})
			return len(dead) == 1
		})
		// The claim was released; a later event on the target takes it.
		failing.Store(false)
		if res := mustAccept(t, s, intake("e2", once)); res.Actions[0].Outcome != Queued {
			t.Fatalf("e2: %+v", res.Actions[0])
		}
		waitFor(t, "e2's reply", func() bool { return snd.sentCount() == 1 })

		// Replaying e1 would post "once" twice: skipped, and the letter stays.
		out, err := s.Replay(ctx, DLQFilter{IDs: []int64{dead[0].ID}}, fastPolicy(), ReplayOptions{})
		if err != nil || len(out) != 1 || out[0].Skipped == "" || out[0].JobID != 0 {
			t.Fatalf("replay while another event holds the once claim = %+v, %v; want skipped", out, err)
		}
		if still, _ := s.DeadLetters(ctx, DLQFilter{}); len(still) != 1 {
			t.Fatalf("a skipped replay removed the letter: %d left", len(still))
		}

		// Two replays at once with force: only one gets the letter.
		var wg sync.WaitGroup
		var queued atomic.Int32
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := s.Replay(ctx, DLQFilter{IDs: []int64{dead[0].ID}}, fastPolicy(), ReplayOptions{Force: true})
				if err != nil {
					t.Errorf("replay: %v", err)
					return
				}
				for _, r := range out {
					if r.JobID != 0 {
						queued.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if queued.Load() != 1 {
			t.Fatalf("concurrent replays queued %d jobs, want 1", queued.Load())
		}
		waitFor(t, "the forced replay", func() bool { return snd.sentCount() == 2 })
		time.Sleep(100 * time.Millisecond)
		if snd.sentCount() != 2 {
			t.Errorf("sent %d, want 2 (e2, then the forced replay of e1)", snd.sentCount())
		}
	})
}

func TestPlatformAnswersWithNULAreKept(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(func(*Job) *replier.Error {
			return &replier.Error{Reason: replier.ReasonClientError, Status: 400, Message: "bad\x00field"}
		})
		s := openTestStore(t, opts, snd, fastPolicy())
		mustAccept(t, s, intake("e1", action("greet", "c1")))
		var dead []DeadLetter
		waitFor(t, "the dead letter", func() bool {
			dead, _ = s.DeadLetters(context.Background(), DLQFilter{})
			return len(dead) == 1
		})
		if !strings.Contains(dead[0].Error, "bad\uFFFDfield") {
			t.Errorf("dead letter error = %q", dead[0].Error)
		}
	})
}

// TestRateLimitWaitsAreCapped: a platform that answers 429 forever ends in
// the dead-letter queue after maxSnoozes waits, not never.
func TestRateLimitWaitsAreCapped(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		var calls atomic.Int32
		snd := newRecordingSender(func(*Job) *replier.Error {
			calls.Add(1)
			return &replier.Error{Reason: replier.ReasonRateLimited, Retry: true, Status: 429, RetryAfter: time.Millisecond}
		})
		opts.MaxSnoozes = 5
		s := openTestStore(t, opts, snd, fastPolicy())
		mustAccept(t, s, intake("e1", action("greet", "c1")))
		var dead []DeadLetter
		waitFor(t, "the dead letter", func() bool {
			dead, _ = s.DeadLetters(context.Background(), DLQFilter{})
			return len(dead) == 1
		})
		if n := int(calls.Load()); n != 6 || dead[0].Reason != "rate_limited" || dead[0].Attempts != 1 {
			t.Errorf("%d calls, dead letter %+v; want 6 calls (5 waits, which use no attempt) and a rate_limited letter", n, dead[0])
		}
	})
}
