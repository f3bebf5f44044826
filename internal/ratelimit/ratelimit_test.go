package ratelimit

import (
	"context"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func TestPlan(t *testing.T) {
	cases := []struct {
		name         string
		st           State
		now          time.Time
		rpm          int
		wantWait     time.Duration
		wantReserved bool
		wantLeft     int
	}{
		{"nothing known: go", State{}, t0, 0, 0, true, 0},
		{"nothing known, rpm paces", State{NextAt: t0.Add(time.Second)}, t0, 60, time.Second, true, 0},
		{"room left: go now", State{Limit: 10, Remaining: 10, ResetAt: t0.Add(10 * time.Second)}, t0, 0, 0, true, 9},
		{"paced behind the previous request", State{Limit: 10, Remaining: 5, ResetAt: t0.Add(10 * time.Second), NextAt: t0.Add(2 * time.Second)}, t0, 0, 2 * time.Second, true, 4},
		{"empty window: wait for the reset", State{Limit: 10, Remaining: 0, ResetAt: t0.Add(3 * time.Second)}, t0, 0, 3 * time.Second, false, 0},
		{"window over: full limit again", State{Limit: 10, Remaining: 0, ResetAt: t0.Add(-time.Second)}, t0, 0, 0, true, 9},
		{"next slot after the reset: wait for it", State{Limit: 10, Remaining: 3, ResetAt: t0.Add(time.Second), NextAt: t0.Add(2 * time.Second)}, t0, 0, time.Second, false, 3},
		{"a guessed window (429, no headers) is over: go", State{Limit: 0, Remaining: 0, ResetAt: t0.Add(-time.Second)}, t0, 0, 0, true, 0},
		{"a guessed window still running: wait", State{Limit: 0, Remaining: 0, ResetAt: t0.Add(2 * time.Second)}, t0, 0, 2 * time.Second, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, wait, reserved := plan(tc.st, tc.now, 10*time.Second, tc.rpm)
			if wait != tc.wantWait || reserved != tc.wantReserved || st.Remaining != tc.wantLeft {
				t.Errorf("plan = wait %s reserved %v left %d; want %s %v %d", wait, reserved, st.Remaining, tc.wantWait, tc.wantReserved, tc.wantLeft)
			}
		})
	}
}

func TestObserve(t *testing.T) {
	reset := t0.Add(10 * time.Second)
	st := observe(State{}, 167, 166, reset, false)
	if st.Limit != 167 || st.Remaining != 166 || !st.ResetAt.Equal(reset) {
		t.Fatalf("first response: %+v", st)
	}
	// A stale response from the same window never raises our count.
	st.Remaining = 100
	if got := observe(st, 167, 150, reset, false); got.Remaining != 100 {
		t.Errorf("stale header raised remaining to %d", got.Remaining)
	}
	// Another client used the account: lower.
	if got := observe(st, 167, 40, reset, false); got.Remaining != 40 {
		t.Errorf("remaining = %d, want 40", got.Remaining)
	}
	// A 429 empties the window.
	if got := observe(st, 0, 0, time.Time{}, true); got.Remaining != 0 {
		t.Errorf("after 429 remaining = %d, want 0", got.Remaining)
	}
}

// fakePlatform counts requests in fixed windows like Intercom does.
type fakePlatform struct {
	limit       int
	window      time.Duration
	windowStart time.Time
	used        int
	rejected    int
}

func (p *fakePlatform) call(now time.Time) (remaining int, reset time.Time, limited bool) {
	for !now.Before(p.windowStart.Add(p.window)) {
		p.windowStart = p.windowStart.Add(p.window)
		p.used = 0
	}
	reset = p.windowStart.Add(p.window)
	if p.used >= p.limit {
		p.rejected++
		return 0, reset, true
	}
	p.used++
	return p.limit - p.used, reset, false
}

// TestDrainsBacklogAtTheAllowedRate simulates draining a backlog against
// 167 requests per 10 s, with up to 8 requests in flight whose answers
// arrive 80 ms after they start.
func TestDrainsBacklogAtTheAllowedRate(t *testing.T) {
	now := t0
	l := New(NewMemoryStore(), Config{
		Now:   func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil },
	})
	p := &fakePlatform{limit: 167, window: 10 * time.Second, windowStart: t0.Add(-3 * time.Second)}
	type inflight struct {
		done      time.Time
		remaining int
		reset     time.Time
		limited   bool
	}
	var pending []inflight
	const n = 2000
	ctx := context.Background()
	flush := func(all bool) {
		for len(pending) > 0 && (all || len(pending) >= 8 || !pending[0].done.After(now)) {
			r := pending[0]
			pending = pending[1:]
			if r.done.After(now) {
				now = r.done
			}
			if err := l.Observe(ctx, "intercom", 167, r.remaining, r.reset, r.limited); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range n {
		flush(false)
		if _, err := l.Wait(ctx, "intercom"); err != nil {
			t.Fatal(err)
		}
		rem, reset, limited := p.call(now)
		pending = append(pending, inflight{now.Add(80 * time.Millisecond), rem, reset, limited})
	}
	flush(true)
	elapsed := now.Sub(t0)
	ideal := time.Duration(n) * time.Second * 10 / 167
	t.Logf("%d requests in %s (ideal %s), %d rejected", n, elapsed.Round(time.Second), ideal.Round(time.Second), p.rejected)
	if p.rejected != 0 {
		t.Errorf("%d requests got 429, want none", p.rejected)
	}
	if elapsed > ideal*115/100 {
		t.Errorf("took %s, more than 15%% over the allowed rate (%s)", elapsed, ideal)
	}
}

func TestWaitReturnsLongWaits(t *testing.T) {
	now := t0
	l := New(NewMemoryStore(), Config{Now: func() time.Time { return now }, MaxWait: time.Second})
	ctx := context.Background()
	if err := l.Observe(ctx, "a", 10, 0, t0.Add(5*time.Second), false); err != nil {
		t.Fatal(err)
	}
	_, err := l.Wait(ctx, "a")
	if d, ok := IsWait(err); !ok || d != 5*time.Second {
		t.Fatalf("Wait = %v, want a WaitError of 5s", err)
	}
}

func TestWindowIsLearnedAndStaleAnswersIgnored(t *testing.T) {
	st := observe(State{}, 100, 99, t0.Add(2*time.Second), false)
	st = observe(st, 100, 99, t0.Add(4*time.Second), false)
	if st.Window != 2*time.Second {
		t.Fatalf("window = %s, want 2s learned from consecutive resets", st.Window)
	}
	// Past the reset, the next window is estimated with the learned length.
	st, _, _ = plan(st, t0.Add(4*time.Second+time.Millisecond), 10*time.Second, 0)
	if want := t0.Add(6 * time.Second); !st.ResetAt.Equal(want) {
		t.Fatalf("estimated reset = %s, want %s", st.ResetAt, want)
	}
	// A late answer from the finished window changes nothing.
	before := st.Remaining
	st = observe(st, 100, 3, t0.Add(4*time.Second), false)
	if st.Remaining != before {
		t.Errorf("stale answer changed remaining from %d to %d", before, st.Remaining)
	}
	// The first answer of the estimated window cannot raise our count.
	st.Remaining = 50
	st = observe(st, 100, 90, t0.Add(6*time.Second), false)
	if st.Remaining != 50 {
		t.Errorf("remaining = %d, want 50 (requests counted locally since)", st.Remaining)
	}
}
