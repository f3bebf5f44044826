package webhook

import (
	"sync"
	"time"
)

// Log lines about refused requests, per source: a steady rate and a burst.
const (
	logsPerSecond = 5
	logBurst      = 10
)

// logLimiter is a token bucket per key. Keys are metrics labels (configured
// source names and "unknown"), a small set, so buckets are never evicted.
type logLimiter struct {
	rate, burst float64

	mu      sync.Mutex
	buckets map[string]*logBucket
}

type logBucket struct {
	tokens  float64
	last    time.Time
	dropped int // since the last line let through
}

func newLogLimiter(perSecond, burst float64) logLimiter {
	return logLimiter{rate: perSecond, burst: burst, buckets: make(map[string]*logBucket)}
}

// allow reports whether a line for key may be written now; when it may,
// dropped is the number of lines refused since the previous one.
func (l *logLimiter) allow(key string, now time.Time) (ok bool, dropped int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		b = &logBucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed*l.rate)
	}
	b.last = now
	if b.tokens < 1 {
		b.dropped++
		return false, 0
	}
	b.tokens--
	dropped, b.dropped = b.dropped, 0
	return true, dropped
}
