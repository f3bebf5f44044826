package queue

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/ratelimit"
)

// TestRateLimitStateIsShared: many concurrent updates through the store
// (as from several replicas) never lose one, so a fleet shares one budget.
func TestRateLimitStateIsShared(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		a := openTestStore(t, opts, nil, fastPolicy())
		// A second handle on the same database, like a second replica.
		b, err := Open(context.Background(), Options{DataDir: opts.DataDir, DatabaseURL: opts.DatabaseURL})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ctx := context.Background()
		reset := time.Now().Add(time.Hour).Truncate(time.Millisecond)
		if err := a.RateLimitStore().Update(ctx, "intercom", func(ratelimit.State) ratelimit.State {
			return ratelimit.State{Limit: 1000, Remaining: 1000, ResetAt: reset, Reported: reset, Window: 10 * time.Second}
		}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, s := range []*Store{a, b} {
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 25 {
						if err := s.RateLimitStore().Update(ctx, "intercom", func(st ratelimit.State) ratelimit.State {
							st.Remaining--
							return st
						}); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
		}
		wg.Wait()
		var got ratelimit.State
		if err := b.RateLimitStore().Update(ctx, "intercom", func(st ratelimit.State) ratelimit.State { got = st; return st }); err != nil {
			t.Fatal(err)
		}
		if got.Remaining != 800 || got.Limit != 1000 || !got.ResetAt.Equal(reset) || got.Window != 10*time.Second {
			t.Errorf("state after 200 concurrent decrements = %+v, want remaining 800 and the rest unchanged", got)
		}
	})
}
