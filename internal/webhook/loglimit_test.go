package webhook

import (
	"fmt"
	"testing"
	"time"
)

// The limiter's table stays bounded however many keys come and go (the
// keys are source names, and reloads can rename sources for ever), and a
// busy key keeps its limit.
func TestLogLimiterIsBounded(t *testing.T) {
	l := newLogLimiter(logsPerSecond, logBurst)
	now := time.Unix(0, 0)
	for i := range 10 * maxLogBuckets {
		now = now.Add(100 * time.Millisecond)
		if ok, _ := l.allow(fmt.Sprint("source-", i), now); !ok {
			t.Fatalf("first line of key %d refused", i)
		}
		// One key floods all along.
		for range 3 {
			l.allow("busy", now)
		}
	}
	if n := len(l.buckets); n > maxLogBuckets {
		t.Errorf("%d buckets kept, want at most %d", n, maxLogBuckets)
	}
	if ok, _ := l.allow("busy", now); ok {
		t.Error("the flooding key was let through: its bucket was forgotten")
	}
}
