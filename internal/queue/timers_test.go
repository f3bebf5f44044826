package queue

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/supportops/autoresponder/internal/metrics"
	"github.com/supportops/autoresponder/internal/testpg"
)

// TestTimerFiresOnce: a timer fires once, at or after its due time, and
// its reply is delivered as the triggering event's, with the fire time.
func TestTimerFiresOnce(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		ctx := context.Background()
		opts.Metrics = metrics.New()
		snd := newRecordingSender(nil)
		f := &testFirer{}
		s := openTimerStore(t, opts, snd, f)
		in := timerIntake("e1", timerStart("nudge", "c1", 50*time.Millisecond))
		res := mustAccept(t, s, in)
		if len(res.Timers) != 1 || res.Timers[0].Outcome != TimerStarted || res.Timers[0].ID == 0 {
			t.Fatalf("accept = %+v; want one timer started with its id", res)
		}
		if again := mustAccept(t, s, timerIntake("e1", timerStart("nudge", "c1", 50*time.Millisecond))); !again.Duplicate || again.Timers != nil {
			t.Fatalf("the same event again = %+v; want a duplicate that starts nothing", again)
		}
		waitFor(t, "the timer's reply", func() bool { return snd.sentCount() == 1 })
		waitFor(t, "the reply's history", func() bool {
			h, _ := s.History(ctx, HistoryFilter{Rule: "nudge", Outcome: Sent})
			return len(h) == 1
		})
		time.Sleep(200 * time.Millisecond)
		if n, calls := snd.sentCount(), f.callCount(); n != 1 || calls != 1 {
			t.Fatalf("sent %d replies after %d renders; want 1 and 1", n, calls)
		}
		snd.mu.Lock()
		job := snd.sent[0]
		snd.mu.Unlock()
		due := in.Timers[0].DueAt.Truncate(time.Millisecond)
		if job.Args.EventID != "e1" || !job.Args.ReceivedAt.Equal(in.ReceivedAt.Truncate(time.Millisecond)) ||
			job.Args.FiredAt.Before(due) || !job.Args.Deadline.Equal(job.Args.FiredAt.Add(fastPolicy().MaxAge)) {
			t.Errorf("delivery %+v; want event e1 received at %v, fired at or after %v, deadline max_age after firing",
				job.Args, in.ReceivedAt, due)
		}
		h := timerHistory(t, s, "nudge")
		if len(h) != 1 || h[0].Outcome != TimerFired || h[0].Reason != Queued || h[0].JobID != res.Timers[0].ID ||
			h[0].Target.ID != "c1" || h[0].Platform != "intercom" || h[0].EventID != "e1" {
			t.Errorf("timer history = %+v; want one timer_fired (queued) of timer %d on c1", h, res.Timers[0].ID)
		}
		if n, err := s.TimerCount(ctx); err != nil || n != 0 {
			t.Errorf("pending timers after firing = %d, %v; want 0", n, err)
		}
		if got := testutil.ToFloat64(opts.Metrics.TimerEvents.WithLabelValues("nudge", metrics.TimerFired)); got != 1 {
			t.Errorf("fired counter = %v; want 1", got)
		}
		if got := testutil.ToFloat64(opts.Metrics.TimerEvents.WithLabelValues("nudge", metrics.TimerStarted)); got != 1 {
			t.Errorf("started counter = %v; want 1", got)
		}
	})
}

// TestTimerCancelledBeforeDue: cancel_when removes the timer and its job,
// so it never fires, and history says why.
func TestTimerCancelledBeforeDue(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		ctx := context.Background()
		opts.Metrics = metrics.New()
		snd := newRecordingSender(nil)
		f := &testFirer{}
		s := openTimerStore(t, opts, snd, f)
		start := mustAccept(t, s, timerIntake("e1", timerStart("nudge", "c1", 300*time.Millisecond)))
		id := start.Timers[0].ID
		res := mustAccept(t, s, cancelIntake("e2", "nudge", "c1"))
		if len(res.Cancels) != 1 || !res.Cancels[0].Cancelled || res.Cancels[0].ID != id {
			t.Fatalf("cancel = %+v; want timer %d cancelled", res.Cancels, id)
		}
		if jobExists(t, s, id) {
			t.Errorf("the cancelled timer's job %d is still queued", id)
		}
		if again := mustAccept(t, s, cancelIntake("e3", "nudge", "c1")); again.Cancels[0].Cancelled {
			t.Errorf("cancelling again = %+v; want nothing cancelled", again.Cancels)
		}
		h := timerHistory(t, s, "nudge")
		if len(h) != 1 || h[0].Outcome != TimerCancelled || h[0].Reason != TimerReasonCancelWhen || h[0].EventID != "e1" ||
			h[0].Target.Type != "conversation" || h[0].Target.ID != "c1" || h[0].ReceivedAt.IsZero() || h[0].FinishedAt.IsZero() {
			t.Errorf("timer history = %+v; want one timer_cancelled (cancel_when) of e1's timer on c1", h)
		}
		// Past its due time nothing fires.
		time.Sleep(time.Second)
		if n, calls := snd.sentCount(), f.callCount(); n != 0 || calls != 0 {
			t.Errorf("a cancelled timer rendered %d times and sent %d replies; want 0", calls, n)
		}
		if got := testutil.ToFloat64(opts.Metrics.TimerEvents.WithLabelValues("nudge", metrics.TimerCancelled)); got != 1 {
			t.Errorf("cancelled counter = %v; want 1", got)
		}
		if n, _ := s.TimerCount(ctx); n != 0 {
			t.Errorf("pending timers = %d; want 0", n)
		}
	})
}

// TestTimerKeepOrRestart: a second trigger keeps the pending timer, or,
// with Restart, replaces it (history says so, the old job is gone).
func TestTimerKeepOrRestart(t *testing.T) {
	cases := []struct {
		restart     bool
		wantOutcome string
		wantHistory int // timer_cancelled (restarted) records
	}{
		{false, TimerKept, 0},
		{true, TimerRestarted, 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("restart=%v", c.restart), func(t *testing.T) {
			storeKinds(t, func(t *testing.T, opts Options) {
				ctx := context.Background()
				s := openTestStore(t, opts, nil, fastPolicy())
				first := mustAccept(t, s, timerIntake("e1", timerStart("nudge", "c1", time.Hour)))
				second := timerStart("nudge", "c1", 2*time.Hour)
				second.Restart = c.restart
				res := mustAccept(t, s, timerIntake("e2", second))
				r := res.Timers[0]
				if r.Outcome != c.wantOutcome {
					t.Fatalf("second trigger = %+v; want %s", r, c.wantOutcome)
				}
				list, err := s.Timers(ctx, TimerFilter{Rule: "nudge"})
				if err != nil || len(list) != 1 {
					t.Fatalf("pending timers = %+v, %v; want one", list, err)
				}
				wantID, wantEvent, wantDue := first.Timers[0].ID, "e1", time.Hour
				if c.restart {
					wantID, wantEvent, wantDue = r.ID, "e2", 2*time.Hour
					if r.Replaced != first.Timers[0].ID {
						t.Errorf("restart = %+v; want it to replace timer %d", r, first.Timers[0].ID)
					}
				}
				// One job, whatever its id (SQLite reuses a deleted job's).
				var jobs int
				if err := s.backend.pool().queryRow(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = ?`,
					TimerArgs{}.Kind()).Scan(&jobs); err != nil || jobs != 1 {
					t.Errorf("timer jobs = %d, %v; want 1", jobs, err)
				}
				if got := list[0]; got.ID != wantID || r.ID != wantID || got.EventID != wantEvent ||
					got.DueAt.Sub(time.Now()) < wantDue-time.Minute {
					t.Errorf("pending timer %+v (result %+v); want id %d of %s due in about %v", got, r, wantID, wantEvent, wantDue)
				}
				h := timerHistory(t, s, "nudge")
				if len(h) != c.wantHistory || (c.restart && (h[0].Reason != TimerReasonRestarted || h[0].EventID != "e1")) {
					t.Errorf("timer history = %+v; want %d restarted record(s) of e1's timer", h, c.wantHistory)
				}
			})
		})
	}
}

// TestTimerDropped: a timer later than max_late, or one its rule no longer
// fires, is dropped with the reason in history and sends nothing.
func TestTimerDropped(t *testing.T) {
	cases := []struct {
		name    string
		skew    time.Duration // the store's clock runs ahead by this
		act     func(*Timer) (Action, string)
		reason  string
		renders int
	}{
		{"max_late", 48 * time.Hour, nil, TimerReasonMaxLate, 0},
		{"rule removed", 0, func(*Timer) (Action, string) { return Action{}, TimerReasonRuleRemoved }, TimerReasonRuleRemoved, 1},
		// A rule this replica does not know, long past due: no replica
		// that knows it took the timer, so it is dropped as removed.
		{"rule unknown past the grace", unknownRuleGrace + time.Minute, func(*Timer) (Action, string) { return Action{}, TimerReasonRuleUnknown }, TimerReasonRuleRemoved, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storeKinds(t, func(t *testing.T, opts Options) {
				opts.Metrics = metrics.New()
				opts.Now = func() time.Time { return time.Now().Add(c.skew) }
				snd := newRecordingSender(nil)
				f := &testFirer{act: c.act}
				s := openTimerStore(t, opts, snd, f)
				mustAccept(t, s, timerIntake("e1", timerStart("nudge", "c1", 20*time.Millisecond)))
				var h []History
				waitFor(t, "the timer's end", func() bool {
					h = timerHistory(t, s, "nudge")
					return len(h) > 0
				})
				if len(h) != 1 || h[0].Outcome != TimerDropped || h[0].Reason != c.reason {
					t.Errorf("timer history = %+v; want one timer_dropped (%s)", h, c.reason)
				}
				time.Sleep(100 * time.Millisecond)
				if n, calls := snd.sentCount(), f.callCount(); n != 0 || calls != c.renders {
					t.Errorf("sent %d, rendered %d times; want 0 sent, %d renders", n, calls, c.renders)
				}
				if got := testutil.ToFloat64(opts.Metrics.TimerEvents.WithLabelValues("nudge", metrics.TimerDropped)); got != 1 {
					t.Errorf("dropped counter = %v; want 1", got)
				}
			})
		})
	}
}

// TestTimerFireRechecksOnce: a once claim taken by an earlier reply
// suppresses the timer's reply when it fires, recorded as at intake.
func TestTimerFireRechecksOnce(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		ctx := context.Background()
		snd := newRecordingSender(nil)
		once := func(tm *Timer) (Action, string) {
			a := action(tm.Rule, tm.Target.ID)
			a.Once = true
			return a, ""
		}
		s := openTimerStore(t, opts, snd, &testFirer{act: once})
		a, _ := once(&Timer{Rule: "nudge", Target: timerStart("nudge", "c1", 0).Target})
		if r := mustAccept(t, s, intake("e1", a)); r.Actions[0].Outcome != Queued {
			t.Fatalf("first reply = %+v; want queued", r.Actions[0])
		}
		mustAccept(t, s, timerIntake("e2", timerStart("nudge", "c1", 20*time.Millisecond)))
		waitFor(t, "the timer firing", func() bool { return len(timerHistory(t, s, "nudge")) == 1 })
		h := timerHistory(t, s, "nudge")
		if h[0].Outcome != TimerFired || h[0].Reason != Suppressed {
			t.Errorf("timer history = %+v; want timer_fired (suppressed)", h)
		}
		sup, err := s.History(ctx, HistoryFilter{EventID: "e2", Outcome: Suppressed})
		if err != nil || len(sup) != 1 || sup[0].Reason != ReasonOnce {
			t.Errorf("suppression of the timer's reply = %+v, %v; want one, reason once", sup, err)
		}
		waitFor(t, "the first reply", func() bool { return snd.sentCount() >= 1 })
		time.Sleep(100 * time.Millisecond)
		if n := snd.sentCount(); n != 1 {
			t.Errorf("sent %d replies; want 1 (the timer's is suppressed)", n)
		}
	})
}

// TestTimerCancelRacingFire: a cancel that lands while the timer is being
// rendered either wins (nothing sent) or loses (it fired): never both,
// never neither.
func TestTimerCancelRacingFire(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		ctx := context.Background()
		snd := newRecordingSender(nil)
		f := &testFirer{started: make(chan int64, 10)}
		s := openTimerStore(t, opts, snd, f)
		const n = 6
		for i := range n {
			target := fmt.Sprintf("c%d", i)
			mustAccept(t, s, timerIntake("start-"+target, timerStart("nudge", target, 20*time.Millisecond)))
		}
		var wg sync.WaitGroup
		for i := range n {
			id := <-f.started // rendering, its job running
			wg.Add(2)
			go func() {
				defer wg.Done()
				if _, err := s.CancelTimers(ctx, TimerFilter{ID: id}, ""); err != nil {
					t.Errorf("cancel: %v", err)
				}
			}()
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i%3) * 5 * time.Millisecond) // vary who goes first
				f.release(id)
			}()
		}
		wg.Wait()
		waitFor(t, "every timer settled", func() bool { return len(timerHistory(t, s, "nudge")) >= n })
		time.Sleep(200 * time.Millisecond)
		h := timerHistory(t, s, "nudge")
		if len(h) != n {
			t.Errorf("%d timer records for %d timers: %+v", len(h), n, h)
		}
		fired := 0
		seen := map[int64]string{}
		for _, r := range h {
			if prev, dup := seen[r.JobID]; dup {
				t.Errorf("timer %d both %s and %s", r.JobID, prev, r.Outcome)
			}
			seen[r.JobID] = r.Outcome
			if r.Outcome == TimerFired {
				fired++
			}
		}
		waitFor(t, "the fired timers' replies", func() bool { return snd.sentCount() >= fired })
		time.Sleep(100 * time.Millisecond)
		if got := snd.sentCount(); got != fired {
			t.Errorf("sent %d replies for %d fired timers", got, fired)
		}
		t.Logf("%d of %d racing timers fired, the rest were cancelled", fired, n)
	})
}

// TestTimerSurvivesReopen: a timer due while the store was closed fires
// when it opens again, unless it is later than max_late by then.
func TestTimerSurvivesReopen(t *testing.T) {
	cases := []struct {
		name    string
		skew    time.Duration
		outcome string
		sent    int
	}{
		{"fires after reopen", 0, TimerFired, 1},
		{"dropped when too late", 48 * time.Hour, TimerDropped, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storeKinds(t, func(t *testing.T, opts Options) {
				s1, err := Open(context.Background(), Options{DataDir: opts.DataDir, DatabaseURL: opts.DatabaseURL})
				if err != nil {
					t.Fatal(err)
				}
				st := timerStart("nudge", "c1", 30*time.Millisecond)
				mustAccept(t, s1, timerIntake("e1", st))
				s1.Close()
				for time.Now().Before(st.DueAt) {
					time.Sleep(10 * time.Millisecond) // due while closed
				}
				snd := newRecordingSender(nil)
				opts.Now = func() time.Time { return time.Now().Add(c.skew) }
				s := openTimerStore(t, opts, snd, &testFirer{})
				waitFor(t, "the timer's end", func() bool { return len(timerHistory(t, s, "nudge")) == 1 })
				if h := timerHistory(t, s, "nudge"); h[0].Outcome != c.outcome {
					t.Errorf("timer history = %+v; want %s", h, c.outcome)
				}
				waitFor(t, "replies", func() bool { return snd.sentCount() == c.sent })
			})
		})
	}
}

// TestTimersFireOnceAcrossReplicas: two stores on one PostgreSQL database
// with 50 timers due at once fire each exactly once between them.
func TestTimersFireOnceAcrossReplicas(t *testing.T) {
	url := testpg.Fresh(t)
	ctx := context.Background()
	snd := newRecordingSender(nil)
	f := &testFirer{}
	a := openTimerStore(t, Options{DatabaseURL: url}, snd, f)
	b := openTimerStore(t, Options{DatabaseURL: url}, snd, f)
	const n = 50
	due := 300 * time.Millisecond
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		target := fmt.Sprintf("c%d", i)
		mustAccept(t, s, timerIntake("e-"+target, timerStart("nudge", target, due)))
	}
	waitFor(t, "50 replies", func() bool { return snd.sentCount() >= n })
	waitFor(t, "50 fired timers", func() bool { return len(timerHistory(t, a, "nudge")) >= n })
	time.Sleep(300 * time.Millisecond)
	if got := snd.sentCount(); got != n {
		t.Errorf("sent %d replies for %d timers", got, n)
	}
	perEvent := map[string]int{}
	snd.mu.Lock()
	for _, j := range snd.sent {
		perEvent[j.Args.EventID]++
	}
	snd.mu.Unlock()
	for ev, c := range perEvent {
		if c != 1 {
			t.Errorf("event %s replied %d times", ev, c)
		}
	}
	if h := timerHistory(t, a, "nudge"); len(h) != n {
		t.Errorf("%d timer records; want %d", len(h), n)
	}
	if c, err := b.TimerCount(ctx); err != nil || c != 0 {
		t.Errorf("pending after firing = %d, %v; want 0", c, err)
	}
}

// TestTimerOfAnUnknownRuleWaitsForAReplicaThatKnowsIt: during a rolling
// change of the rules file, a replica without the rule leaves the timer
// for one that has it instead of dropping it.
func TestTimerOfAnUnknownRuleWaitsForAReplicaThatKnowsIt(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(nil)
		var calls atomic.Int32
		f := &testFirer{act: func(tm *Timer) (Action, string) {
			if calls.Add(1) == 1 {
				return Action{}, TimerReasonRuleUnknown // the old file
			}
			return action(tm.Rule, tm.Target.ID), "" // the new one
		}}
		s := openTimerStore(t, opts, snd, f)
		mustAccept(t, s, timerIntake("e1", timerStart("nudge", "c1", 20*time.Millisecond)))
		waitFor(t, "the reply sent by a replica that knows the rule", func() bool { return snd.sentCount() == 1 })
		h := timerHistory(t, s, "nudge")
		if len(h) != 1 || h[0].Outcome != TimerFired {
			t.Fatalf("timer history = %+v; want it fired once, never dropped", h)
		}
	})
}
