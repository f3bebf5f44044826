package platformfake

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limiter counts requests in fixed windows aligned to the clock, the way
// some platforms enforce per-minute limits in 10-second windows.
type limiter struct {
	limit  int
	window time.Duration

	mu    sync.Mutex
	start time.Time
	used  int
}

type rateHeaders struct {
	limit, remaining int
	reset            time.Time
}

// take spends one request from the current window; ok is false when the
// window was already spent.
func (l *limiter) take(now time.Time) (rateHeaders, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := now.Truncate(l.window)
	if !start.Equal(l.start) {
		l.start, l.used = start, 0
	}
	h := rateHeaders{limit: l.limit, reset: start.Add(l.window)}
	if l.used >= l.limit {
		return h, false
	}
	l.used++
	h.remaining = l.limit - l.used
	return h, true
}

func (h rateHeaders) set(dst http.Header) {
	reset := h.reset.Unix()
	if h.reset.Nanosecond() != 0 {
		reset++ // never announce a reset before the window really ends
	}
	dst.Set("X-RateLimit-Limit", strconv.Itoa(h.limit))
	dst.Set("X-RateLimit-Remaining", strconv.Itoa(h.remaining))
	dst.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
}
