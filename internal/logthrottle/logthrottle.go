// Package logthrottle wraps a slog.Handler so that a burst of identical
// records cannot flood the log: while the disk is full, for instance,
// River retries and logs the same error dozens of times a second.
//
// Records are identical when they have the same level, message and
// attributes (those of the logger's With and groups included, minus the
// ones Options.Vary names). Per identity and per Interval the first Burst
// records pass; the rest are counted, and when the interval ends one
// summary record (same level, message and attributes, plus "suppressed",
// the count) reports them.
package logthrottle

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultBurst    = 10
	DefaultInterval = time.Minute
	DefaultMaxKeys  = 1000
)

// Options tune a Handler; zero values take the defaults.
type Options struct {
	// Burst is how many identical records pass per Interval.
	Burst int
	// Interval is the window identical records are counted in.
	Interval time.Duration
	// MinLevel: records below it pass untouched. Default slog.LevelWarn:
	// the info lines of normal work each say something new.
	MinLevel slog.Leveler
	// Vary names attributes left out of the identity (a duration, a
	// remote port): records differing only in them count as identical.
	Vary []string
	// MaxKeys bounds the identities tracked at once; past it records
	// pass untouched (a flood of distinct lines is not repetition).
	MaxKeys int
}

// Handler is a throttling slog.Handler. Handlers derived with WithAttrs
// and WithGroup share one set of counters.
type Handler struct {
	next   slog.Handler
	st     *state
	prefix string // identity of the With attributes and groups
}

type state struct {
	burst    int
	interval time.Duration
	minLevel slog.Leveler
	vary     []string
	maxKeys  int

	mu   sync.Mutex
	keys map[string]*window
}

// window counts one identity's records since start.
type window struct {
	start      time.Time
	n          int
	suppressed int
	done       bool // its summary is written (or being written)
	timer      *time.Timer
	// The first suppressed record, to summarize with.
	next  slog.Handler
	level slog.Level
	msg   string
	attrs []slog.Attr
}

// New wraps next.
func New(next slog.Handler, o Options) *Handler {
	st := &state{burst: o.Burst, interval: o.Interval, minLevel: o.MinLevel, vary: o.Vary, maxKeys: o.MaxKeys,
		keys: make(map[string]*window)}
	if st.burst <= 0 {
		st.burst = DefaultBurst
	}
	if st.interval <= 0 {
		st.interval = DefaultInterval
	}
	if st.minLevel == nil {
		st.minLevel = slog.LevelWarn
	}
	if st.maxKeys <= 0 {
		st.maxKeys = DefaultMaxKeys
	}
	return &Handler{next: next, st: st}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range attrs {
		h.st.writeAttr(&b, a)
	}
	return &Handler{next: h.next.WithAttrs(attrs), st: h.st, prefix: b.String()}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), st: h.st, prefix: h.prefix + "\x00group " + name}
}

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	st := h.st
	if r.Level < st.minLevel.Level() {
		return h.next.Handle(ctx, r)
	}
	key := h.key(r)
	now := time.Now()

	st.mu.Lock()
	w := st.keys[key]
	var ended *window
	if w != nil && now.Sub(w.start) >= st.interval {
		// The window is over and its timer has not fired yet.
		delete(st.keys, key)
		if w.suppressed > 0 && !w.done {
			w.done = true
			w.timer.Stop()
			ended = w
		}
		w = nil
	}
	if w == nil {
		if len(st.keys) >= st.maxKeys {
			st.prune(now)
		}
		if len(st.keys) >= st.maxKeys {
			st.mu.Unlock()
			st.summarize(ended)
			return h.next.Handle(ctx, r)
		}
		w = &window{start: now}
		st.keys[key] = w
	}
	w.n++
	pass := w.n <= st.burst
	if !pass {
		w.suppressed++
		if w.suppressed == 1 {
			w.next, w.level, w.msg = h.next, r.Level, r.Message
			r.Attrs(func(a slog.Attr) bool {
				w.attrs = append(w.attrs, a)
				return true
			})
			w.timer = time.AfterFunc(w.start.Add(st.interval).Sub(now), func() { st.expire(key, w) })
		}
	}
	st.mu.Unlock()

	st.summarize(ended)
	if !pass {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// expire ends a window that suppressed records, at the end of its interval.
func (st *state) expire(key string, w *window) {
	st.mu.Lock()
	if st.keys[key] == w {
		delete(st.keys, key)
	}
	if w.done {
		st.mu.Unlock()
		return
	}
	w.done = true
	st.mu.Unlock()
	st.summarize(w)
}

// summarize writes the record that stands for w's suppressed ones.
func (st *state) summarize(w *window) {
	if w == nil {
		return
	}
	r := slog.NewRecord(time.Now(), w.level, w.msg, 0)
	r.AddAttrs(w.attrs...)
	r.AddAttrs(slog.Int("suppressed", w.suppressed), slog.Duration("suppressed_within", st.interval))
	_ = w.next.Handle(context.Background(), r)
}

// prune forgets windows that are over and suppressed nothing (windows
// that did are forgotten by their timer). The caller holds st.mu.
func (st *state) prune(now time.Time) {
	for k, w := range st.keys {
		if w.suppressed == 0 && now.Sub(w.start) >= st.interval {
			delete(st.keys, k)
		}
	}
}

// key is the identity of r: level, message and attributes.
func (h *Handler) key(r slog.Record) string {
	var b strings.Builder
	b.WriteString(r.Level.String())
	b.WriteByte(0)
	b.WriteString(r.Message)
	b.WriteString(h.prefix)
	r.Attrs(func(a slog.Attr) bool {
		h.st.writeAttr(&b, a)
		return true
	})
	return b.String()
}

func (st *state) writeAttr(b *strings.Builder, a slog.Attr) {
	if slices.Contains(st.vary, a.Key) {
		return
	}
	b.WriteByte(0)
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(a.Value.Resolve().String())
}
