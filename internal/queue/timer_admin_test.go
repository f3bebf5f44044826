package queue

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/supportops/autoresponder/internal/metrics"
)

// TestTimersListAndCancel: pending timers are listed soonest first (the
// event's payload only when asked), cancelled by selection with history,
// and a reload cancels the timers of rules it removed.
func TestTimersListAndCancel(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		ctx := context.Background()
		opts.Metrics = metrics.New()
		s := openTestStore(t, opts, nil, fastPolicy())
		first := timerIntake("e1", timerStart("nudge", "c1", 3*time.Hour), timerStart("escalate", "c1", time.Hour))
		first.Headers = http.Header{"X-Hub-Signature": {"sha1=abc"}}
		mustAccept(t, s, first)
		mustAccept(t, s, timerIntake("e2", timerStart("nudge", "c2", 2*time.Hour)))

		all, err := s.Timers(ctx, TimerFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, tm := range all {
			order = append(order, tm.Rule+"/"+tm.Target.ID)
			if tm.Payload != nil || tm.Headers != nil {
				t.Errorf("timer %d listed with its payload; want it left out unless asked", tm.ID)
			}
		}
		if want := "[escalate/c1 nudge/c2 nudge/c1]"; fmt.Sprint(order) != want {
			t.Errorf("timers listed %v; want %s (soonest due first)", order, want)
		}
		full, err := s.Timers(ctx, TimerFilter{Rule: "nudge", TargetID: "c1", WithPayload: true})
		if err != nil || len(full) != 1 || string(full[0].Payload) != `{"id":"e1"}` ||
			full[0].Headers.Get("X-Hub-Signature") != "sha1=abc" || full[0].MaxLate != time.Hour {
			t.Fatalf("timer with payload = %+v, %v; want e1's payload and headers", full, err)
		}
		if n, err := s.TimerCount(ctx); err != nil || n != 3 {
			t.Errorf("TimerCount = %d, %v; want 3", n, err)
		}
		if c, err := s.JobCounts(ctx); err != nil || c["scheduled"] != 0 {
			t.Errorf("delivery job counts = %v, %v; want timers not counted as deliveries", c, err)
		}

		if _, err := s.CancelTimers(ctx, TimerFilter{}, ""); err == nil {
			t.Error("cancelling with no selection succeeded; want it refused")
		}
		if n, err := s.CancelTimers(ctx, TimerFilter{TargetID: "c2"}, ""); err != nil || n != 1 {
			t.Errorf("cancel by target = %d, %v; want 1", n, err)
		}
		if n, err := s.CancelTimersOf(ctx, []string{"escalate"}, TimerReasonRuleRemoved); err != nil || n != 1 {
			t.Errorf("cancel timers of removed rules = %d, %v; want 1 (escalate)", n, err)
		}
		left, _ := s.Timers(ctx, TimerFilter{})
		if len(left) != 1 || left[0].Rule != "nudge" || left[0].Target.ID != "c1" {
			t.Errorf("timers left = %+v; want nudge on c1", left)
		}
		for _, c := range []struct{ rule, reason string }{{"nudge", TimerReasonManual}, {"escalate", TimerReasonRuleRemoved}} {
			h := timerHistory(t, s, c.rule)
			if len(h) != 1 || h[0].Outcome != TimerCancelled || h[0].Reason != c.reason {
				t.Errorf("history of %s = %+v; want one timer_cancelled (%s)", c.rule, h, c.reason)
			}
		}
		if got := testutil.ToFloat64(opts.Metrics.TimerEvents.WithLabelValues("nudge", metrics.TimerCancelled)); got != 1 {
			t.Errorf("cancelled counter of nudge = %v; want 1", got)
		}
		s.timerMaintenance()
		if got := testutil.ToFloat64(opts.Metrics.TimersPending); got != 1 {
			t.Errorf("pending gauge = %v; want 1", got)
		}
	})
}

// TestLostTimerIsDropped: a timer whose job River gave up on is dropped
// with history instead of staying pending for ever.
func TestLostTimerIsDropped(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		ctx := context.Background()
		s := openTestStore(t, opts, nil, fastPolicy())
		res := mustAccept(t, s, timerIntake("e1", timerStart("nudge", "c1", time.Hour), timerStart("nudge", "c2", time.Hour)))
		if _, err := s.backend.pool().exec(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = ? WHERE id = ?`,
			sqlTime(s, time.Now()), res.Timers[0].ID); err != nil {
			t.Fatal(err)
		}
		if n, err := s.SweepLostTimers(ctx); err != nil || n != 1 {
			t.Fatalf("sweep = %d, %v; want 1", n, err)
		}
		h := timerHistory(t, s, "nudge")
		if len(h) != 1 || h[0].Outcome != TimerDropped || h[0].Reason != TimerReasonInterrupted || h[0].Target.ID != "c1" {
			t.Errorf("history = %+v; want c1's timer dropped (interrupted)", h)
		}
		if left, _ := s.Timers(ctx, TimerFilter{}); len(left) != 1 || left[0].Target.ID != "c2" {
			t.Errorf("timers left = %+v; want c2's, whose job is alive", left)
		}
		if n, err := s.SweepLostTimers(ctx); err != nil || n != 0 {
			t.Errorf("second sweep = %d, %v; want 0", n, err)
		}
	})
}
