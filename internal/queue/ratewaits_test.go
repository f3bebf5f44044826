package queue

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/replier"
)

// TestOtherWaitsDoNotUseUpRateLimitWaits: a job that has waited many times
// for reasons of the bot's own (River counts every snooze in its metadata)
// still waits at its first 429 instead of being dead-lettered, and is sent
// once the platform lets it.
func TestOtherWaitsDoNotUseUpRateLimitWaits(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		var calls atomic.Int32
		snd := newRecordingSender(func(*Job) *replier.Error {
			if calls.Add(1) == 1 {
				return &replier.Error{Reason: replier.ReasonRateLimited, Retry: true, Status: 429, RetryAfter: time.Millisecond}
			}
			return nil
		})
		opts.MaxSnoozes = 3
		s, start := openStopped(t, opts, snd, fastPolicy())
		res := mustAccept(t, s, intake("e1", action("greet", "c1")))
		// What River's metadata holds after ten waits for a mark slot.
		if _, err := s.backend.pool().exec(context.Background(), `UPDATE river_job SET metadata = ? WHERE id = ?`,
			`{"snoozes":10}`, res.Actions[0].JobID); err != nil {
			t.Fatal(err)
		}
		start()
		var h []History
		waitFor(t, "the outcome", func() bool {
			h, _ = s.History(context.Background(), HistoryFilter{EventID: "e1"})
			return len(h) == 1
		})
		if h[0].Outcome != Sent {
			t.Errorf("history %+v; want sent (waits that were not for a rate limit do not count against the cap)", h[0])
		}
		if n := calls.Load(); n != 2 {
			t.Errorf("%d sends; want 2 (a 429, then the reply)", n)
		}
	})
}
