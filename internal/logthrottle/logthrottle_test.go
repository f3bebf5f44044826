package logthrottle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines decodes the JSON lines written so far.
func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		out = append(out, m)
	}
	return out
}

func newLogger(o Options) (*slog.Logger, *lockedBuffer, *Handler) {
	buf := &lockedBuffer{}
	h := New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}), o)
	return slog.New(h), buf, h
}

// waitLines polls until n lines are written (the summary comes from a
// timer at the end of the interval).
func waitLines(t *testing.T, buf *lockedBuffer, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines := buf.lines(t)
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A flood of one error (River's "Error fetching jobs" while the disk is
// full) gives Burst lines, then one summary with the count.
func TestFloodBecomesASummary(t *testing.T) {
	log, buf, _ := newLogger(Options{Burst: 3, Interval: 50 * time.Millisecond})
	derived := log.With("component", "producer") // River's logger is derived from the root
	for range 40 {
		derived.Error("producer: Error fetching jobs", "err", "database or disk is full", "queue", "deliveries")
	}
	lines := waitLines(t, buf, 4)
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 3 and a summary:\n%v", len(lines), lines)
	}
	for _, l := range lines[:3] {
		if l["msg"] != "producer: Error fetching jobs" || l["suppressed"] != nil {
			t.Errorf("line %v: want the error as logged", l)
		}
	}
	s := lines[3]
	if s["msg"] != "producer: Error fetching jobs" || s["level"] != "ERROR" || s["err"] != "database or disk is full" ||
		s["component"] != "producer" || s["suppressed"] != float64(37) {
		t.Errorf("summary = %v; want the same error with suppressed 37", s)
	}
	// The next interval starts afresh.
	derived.Error("producer: Error fetching jobs", "err", "database or disk is full", "queue", "deliveries")
	if lines := buf.lines(t); len(lines) != 5 {
		t.Errorf("%d lines after the interval, want 5", len(lines))
	}
}

func TestWhatIsNotThrottled(t *testing.T) {
	tests := []struct {
		name string
		log  func(l *slog.Logger, i int)
	}{
		{"info lines", func(l *slog.Logger, i int) { l.Info("reply queued", "rule", "r1") }},
		{"different errors", func(l *slog.Logger, i int) { l.Error("store failed", "err", fmt.Sprint("error ", i)) }},
		{"different messages", func(l *slog.Logger, i int) { l.Warn(fmt.Sprint("warning ", i)) }},
		{"different derived attributes", func(l *slog.Logger, i int) { l.With("rule", i).Warn("rule failed") }},
		{"different groups", func(l *slog.Logger, i int) { l.WithGroup(fmt.Sprint("g", i)).Warn("x", "a", 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, buf, _ := newLogger(Options{Burst: 2, Interval: time.Hour})
			for i := range 20 {
				tt.log(log, i)
			}
			if n := len(buf.lines(t)); n != 20 {
				t.Errorf("%d lines of 20", n)
			}
		})
	}
}

// Attributes named in Vary do not make records different.
func TestVary(t *testing.T) {
	log, buf, _ := newLogger(Options{Burst: 2, Interval: time.Hour, Vary: []string{"duration_ms"}})
	for i := range 20 {
		log.Error("send failed", "err", errors.New("timeout"), "duration_ms", i)
	}
	if n := len(buf.lines(t)); n != 2 {
		t.Errorf("%d lines, want 2", n)
	}
}

// Identities tracked are bounded: a flood of distinct lines passes, and
// the table does not grow past MaxKeys.
func TestMaxKeys(t *testing.T) {
	log, buf, h := newLogger(Options{Burst: 1, Interval: time.Hour, MaxKeys: 100})
	for i := range 5000 {
		log.Error("distinct", "i", i)
	}
	if n := len(buf.lines(t)); n != 5000 {
		t.Errorf("%d lines of 5000", n)
	}
	h.st.mu.Lock()
	n := len(h.st.keys)
	h.st.mu.Unlock()
	if n > 100 {
		t.Errorf("%d identities tracked, want at most 100", n)
	}
}
