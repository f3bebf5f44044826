package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/supportops/autoresponder/internal/ratelimit"
)

// RateLimitStore keeps rate-limit pacing state in the database, so every
// replica sharing a platform account shares one budget.
func (s *Store) RateLimitStore() ratelimit.Store { return rateLimitStore{s} }

type rateLimitStore struct{ s *Store }

// Update applies f with optimistic concurrency: read, compute, write if the
// row's version is unchanged, else start over.
func (r rateLimitStore) Update(ctx context.Context, account string, f func(ratelimit.State) ratelimit.State) error {
	q := r.s.backend.pool()
	for range 100 {
		var lim, remaining int
		var resetAt, reported, windowMs, nextAt, version int64
		err := q.queryRow(ctx, `SELECT lim, remaining, reset_at, reported, window_ms, next_at, version
			FROM bot_ratelimit WHERE account = ?`,
			account).Scan(&lim, &remaining, &resetAt, &reported, &windowMs, &nextAt, &version)
		exists := err == nil
		if err != nil && !isNoRows(err) {
			return fmt.Errorf("read rate limit of %s: %w", account, err)
		}
		st := ratelimit.State{Limit: lim, Remaining: remaining, ResetAt: fromMillis(resetAt), Reported: fromMillis(reported),
			Window: time.Duration(windowMs) * time.Millisecond, NextAt: fromMillis(nextAt)}
		st = f(st)
		var n int64
		if exists {
			n, err = q.exec(ctx, `UPDATE bot_ratelimit SET lim = ?, remaining = ?, reset_at = ?, reported = ?, window_ms = ?,
					next_at = ?, version = version + 1
				WHERE account = ? AND version = ?`,
				st.Limit, st.Remaining, toMillis(st.ResetAt), toMillis(st.Reported), st.Window.Milliseconds(),
				toMillis(st.NextAt), account, version)
		} else {
			n, err = q.exec(ctx, `INSERT INTO bot_ratelimit (account, lim, remaining, reset_at, reported, window_ms, next_at, version)
				VALUES (?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (account) DO NOTHING`,
				account, st.Limit, st.Remaining, toMillis(st.ResetAt), toMillis(st.Reported), st.Window.Milliseconds(),
				toMillis(st.NextAt))
		}
		if err != nil {
			return fmt.Errorf("write rate limit of %s: %w", account, err)
		}
		if n == 1 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return errors.New("rate limit state: too much contention")
}

func toMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
