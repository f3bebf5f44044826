// Package ratelimit paces requests to a platform account so the bot stays
// under the platform's rate limit instead of running into it. It learns the
// limit from the X-RateLimit-* headers of every response, spreads what is
// left of the window evenly over the time left, and waits for the reset
// when nothing is left. State lives in a Store: memory for one process, the
// database for a fleet of replicas sharing one account.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// State is the pacing state of one account.
type State struct {
	// Limit and Remaining are as last reported (Remaining also counts down
	// locally with every request started).
	Limit     int
	Remaining int
	// ResetAt is when the current window ends (reported, or estimated once
	// a reported window is over); zero while nothing is known.
	ResetAt time.Time
	// Reported is the last window end the platform reported: an answer
	// naming an earlier one is stale.
	Reported time.Time
	// Window is the window length, learned from consecutive resets.
	Window time.Duration
	// NextAt is the earliest start of the next request.
	NextAt time.Time
}

// Store keeps State per account. Update applies f atomically: f receives
// the current state (zero value when none) and returns the new one.
type Store interface {
	Update(ctx context.Context, account string, f func(State) State) error
}

// Config tunes a Limiter.
type Config struct {
	// Window is the platform's window length, used to guess the next reset
	// before a response says (some platforms count in windows of 10 s).
	Window time.Duration
	// RequestsPerMinute, when set, paces an account even before the
	// platform reports anything.
	RequestsPerMinute func(account string) int
	// MaxWait bounds one wait inside Wait; longer waits are returned as
	// *WaitError so the caller can give the slot back (snooze the job).
	MaxWait time.Duration
	Now     func() time.Time
	Sleep   func(ctx context.Context, d time.Duration) error
}

// Limiter paces requests per account.
type Limiter struct {
	store Store
	cfg   Config
}

// New returns a Limiter keeping state in store.
func New(store Store, cfg Config) *Limiter {
	if cfg.Window <= 0 {
		cfg.Window = 10 * time.Second
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.RequestsPerMinute == nil {
		cfg.RequestsPerMinute = func(string) int { return 0 }
	}
	return &Limiter{store: store, cfg: cfg}
}

// WaitError says the account has no capacity for longer than MaxWait.
type WaitError struct{ Wait time.Duration }

func (e *WaitError) Error() string {
	return fmt.Sprintf("rate limit: next slot in %s", e.Wait.Round(time.Millisecond))
}

// Wait blocks until a request to account may start, and returns how long it
// waited. It returns *WaitError without waiting when the next slot is
// further away than MaxWait.
func (l *Limiter) Wait(ctx context.Context, account string) (time.Duration, error) {
	var waited time.Duration
	for {
		now := l.cfg.Now()
		var d time.Duration
		var reserved bool
		err := l.store.Update(ctx, account, func(st State) State {
			var next State
			next, d, reserved = plan(st, now, l.cfg.Window, l.cfg.RequestsPerMinute(account))
			if d > l.cfg.MaxWait {
				reserved = false
				return st
			}
			return next
		})
		if err != nil {
			return waited, fmt.Errorf("rate limit state: %w", err)
		}
		if d > l.cfg.MaxWait {
			return waited, &WaitError{Wait: d}
		}
		if d > 0 {
			if err := l.cfg.Sleep(ctx, d); err != nil {
				return waited, err
			}
			waited += d
		}
		if reserved {
			return waited, nil
		}
	}
}

// plan decides when the next request may start. It returns the new state,
// the delay, and whether a slot was reserved (false: wait d, then ask again,
// because the window resets first).
func plan(st State, now time.Time, window time.Duration, rpm int) (State, time.Duration, bool) {
	if st.ResetAt.IsZero() {
		if rpm <= 0 {
			return st, 0, true
		}
		slot := later(now, st.NextAt)
		st.NextAt = slot.Add(time.Minute / time.Duration(rpm))
		return st, slot.Sub(now), true
	}
	if !now.Before(st.ResetAt) && st.Limit <= 0 {
		// The window was a guess (a 429 without rate-limit headers) and
		// it is over: nothing is known again. Rolling it over would
		// refill it with the unknown limit, 0, and wait forever.
		st.ResetAt, st.Remaining = time.Time{}, 0
		return plan(st, now, window, rpm)
	}
	if !now.Before(st.ResetAt) {
		// A new window began; until a response says more, assume the
		// platform's full limit and the window length seen so far.
		if st.Window > 0 {
			window = st.Window
		}
		for !now.Before(st.ResetAt) {
			st.ResetAt = st.ResetAt.Add(window)
		}
		st.Remaining = st.Limit
	}
	if st.Remaining <= 0 {
		return st, st.ResetAt.Sub(now), false
	}
	// Spread what is left evenly over the time left, so a backlog drains at
	// the allowed rate and never bursts into a 429.
	interval := st.ResetAt.Sub(now) / time.Duration(st.Remaining)
	if rpm > 0 {
		interval = max(interval, time.Minute/time.Duration(rpm))
	}
	slot := later(now, st.NextAt)
	if !slot.Before(st.ResetAt) {
		return st, st.ResetAt.Sub(now), false
	}
	st.NextAt = slot.Add(interval)
	st.Remaining--
	return st, slot.Sub(now), true
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Observe records what a response said about the account's limit. A 429
// (limited) empties the window.
func (l *Limiter) Observe(ctx context.Context, account string, limit, remaining int, reset time.Time, limited bool) error {
	if limit <= 0 && !limited {
		return nil
	}
	return l.store.Update(ctx, account, func(st State) State {
		return observe(st, limit, remaining, reset, limited)
	})
}

func observe(st State, limit, remaining int, reset time.Time, limited bool) State {
	if limit > 0 {
		st.Limit = limit
	}
	switch {
	case reset.IsZero():
	case reset.After(st.Reported):
		// A newer window than any reported before: trust the platform, and
		// learn the window length from the step between resets.
		if !st.Reported.IsZero() {
			if w := reset.Sub(st.Reported); w > 0 && w <= time.Hour {
				st.Window = w
			}
		}
		st.Reported = reset
		if st.ResetAt.Equal(reset) {
			// We already rolled into this window and counted every
			// request since; the header may predate some of them.
			st.Remaining = min(st.Remaining, remaining)
		} else {
			st.ResetAt, st.Remaining = reset, remaining
		}
		if st.NextAt.After(reset) {
			st.NextAt = reset
		}
	case reset.Before(st.Reported):
		// An answer from a window that is already over says nothing now.
	default:
		if st.ResetAt.After(reset) {
			break // our estimate has already moved on to the next window
		}
		// Same window: requests started since this response left may
		// already have been counted locally; keep the lower figure.
		st.Remaining = min(st.Remaining, remaining)
	}
	if limited {
		st.Remaining = 0
	}
	return st
}

// Backoff is how long to wait after a 429 without usable headers.
const Backoff = 10 * time.Second

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// IsWait reports whether err is a *WaitError and returns the wait.
func IsWait(err error) (time.Duration, bool) {
	var we *WaitError
	if errors.As(err, &we) {
		return we.Wait, true
	}
	return 0, false
}
