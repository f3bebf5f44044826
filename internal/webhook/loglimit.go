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

// maxLogBuckets bounds the buckets kept. Keys are metrics labels (the
// configured source names and "unknown"), but reloads can rename sources
// for ever: past this many, full buckets (no different from new ones) are
// dropped.
const maxLogBuckets = 256

// logLimiter is a token bucket per key.
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
		if len(l.buckets) >= maxLogBuckets {
			l.prune(now)
		}
		b = &logBucket{tokens: l.burst, last: now}
		if len(l.buckets) >= maxLogBuckets {
			// Every bucket is busy: limit this key by a bucket that is
			// not kept (its first line passes).
			return true, 0
		}
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

// prune drops the buckets that have refilled and owe no dropped count:
// a new bucket would behave the same. The caller holds l.mu.
func (l *logLimiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if b.dropped == 0 && b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
