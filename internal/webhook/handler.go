package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/metrics"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

const (
	// DefaultMaxBodyBytes is the largest body accepted when
	// Options.MaxBodyBytes is 0.
	DefaultMaxBodyBytes = 1 << 20

	// RetryAfterSeconds is the Retry-After of a 503: the event was not
	// stored and the platform must send it again.
	RetryAfterSeconds = 30

	// unknownSource is the metrics label of requests for a source that
	// is not configured, so that labels stay a closed set.
	unknownSource = "unknown"

	// DefaultMaxInFlightBytes is the memory set aside for webhook bodies
	// being read, all requests together, when Options.MaxInFlightBytes
	// is 0. Past it requests are answered 503 with Retry-After.
	DefaultMaxInFlightBytes = 64 << 20

	// Buffers that grew past this are not pooled.
	maxPooledBuffer = 256 << 10

	// minBodyBuffer is the first allocation for a body, made only once the
	// client sends; it doubles from there as bytes arrive.
	minBodyBuffer = 512
)

// Source is one configured webhook source, served at /webhooks/{Name}.
type Source struct {
	Name string
	// Platform is the kind of helpdesk that sends to the source: it
	// verifies and parses the deliveries.
	Platform platform.Platform
	// Settings are the source's platform settings.
	Settings *platform.Settings
	// Secret is what the platform's signature is checked with.
	Secret []byte
	// InsecureSkipVerify accepts deliveries without checking their
	// signature. For local testing only.
	InsecureSkipVerify bool
}

// Dispatcher takes an event off the handler: it deduplicates it, stores it
// durably and runs or queues the rules. It must return an error when the
// event was not stored; the platform is then told to retry.
type Dispatcher interface {
	Dispatch(ctx context.Context, ev *event.Event) (Result, error)
}

// Result is what Dispatch did with an event.
type Result struct {
	// Outcome is metrics.OutcomeAccepted, OutcomeDuplicate or
	// OutcomeIgnored; "" reads as accepted.
	Outcome string
	// Reason says why an event was ignored (a label of EventsIgnored,
	// which the handler counts: own_reply, bot_author, operator, ...).
	Reason string
	// Actions is the number of replies or notes queued.
	Actions int
}

// Options configure a Handler. Lookup and Dispatcher are required.
type Options struct {
	// Lookup finds a configured source by name. It is called on every
	// request and must be safe for concurrent use (reloads swap sources).
	Lookup     func(name string) (Source, bool)
	Dispatcher Dispatcher
	// Metrics defaults to a fresh metrics.New().
	Metrics *metrics.Metrics
	// Logger defaults to discarding.
	Logger *slog.Logger
	// MaxBodyBytes defaults to DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxInFlightBytes bounds the buffers of all bodies being read at
	// once; defaults to DefaultMaxInFlightBytes. It is raised to three
	// times MaxBodyBytes if lower, so that the largest body can be read.
	MaxInFlightBytes int64
	// Now stamps Event.ReceivedAt; defaults to time.Now.
	Now func() time.Time
}

// Handler serves /webhooks/{source}: it checks, parses and dispatches
// deliveries and answers at once. It is safe for concurrent use.
type Handler struct {
	lookup     func(string) (Source, bool)
	dispatcher Dispatcher
	metrics    *metrics.Metrics
	logger     *slog.Logger
	maxBody    int64
	now        func() time.Time

	stats sync.Map // label → *sourceStats
	logs  logLimiter
	// inflight reserves memory for the bodies being read; reserved is
	// what it holds (the semaphore does not tell).
	inflight *semaphore.Weighted
	reserved atomic.Int64
	// bodies and answers reuse buffers between requests.
	bodies  sync.Pool // *[]byte
	answers sync.Pool // *[]byte
}

// NewHandler builds a Handler. It panics when Lookup or Dispatcher is nil.
func NewHandler(o Options) *Handler {
	if o.Lookup == nil || o.Dispatcher == nil {
		panic("webhook: NewHandler needs Options.Lookup and Options.Dispatcher")
	}
	h := &Handler{
		lookup: o.Lookup, dispatcher: o.Dispatcher, metrics: o.Metrics, logger: o.Logger,
		maxBody: o.MaxBodyBytes, now: o.Now,
		logs: newLogLimiter(logsPerSecond, logBurst),
	}
	if h.metrics == nil {
		h.metrics = metrics.New()
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.now == nil {
		h.now = time.Now
	}
	inflight := max(o.MaxInFlightBytes, 0)
	if inflight == 0 {
		inflight = DefaultMaxInFlightBytes
	}
	// The largest body's buffer is maxBody+1 bytes, grown by doubling;
	// the copies of one growth step coexist for a moment.
	h.inflight = semaphore.NewWeighted(max(inflight, 3*(h.maxBody+1)))
	return h
}

// Register routes /webhooks/{source} to the handler. POST delivers, HEAD
// answers 200 for a configured source (some platforms check the URL that
// way);
// other methods get 405 with an Allow header.
func (h *Handler) Register(r *mux.Router) {
	r.Handle("/webhooks/{source}", h)
}

// exchange is the state of one request, for its metrics and its log line.
type exchange struct {
	start   time.Time
	name    string // the source as requested
	label   string // the source as a metrics label
	topic   string
	id      string
	outcome string // "" for HEAD
	status  int
	reason  string // why the request was refused
	err     error  // dispatcher error
	panic   any
	stack   []byte
	wrote   bool
}

// ServeHTTP implements http.Handler. The source name is the path variable
// "source": of gorilla/mux (see Register) or of a net/http ServeMux pattern
// such as "/webhooks/{source}".
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := exchange{start: time.Now(), label: unknownSource}
	defer h.finish(w, r, &x)

	x.name = mux.Vars(r)["source"]
	if x.name == "" {
		x.name = r.PathValue("source") // mounted on a net/http ServeMux pattern
	}
	src, known := h.lookup(x.name)
	if known {
		x.label = x.name
		if src.Name != "" {
			x.label = src.Name
		}
	}
	switch r.Method {
	case http.MethodPost:
		if !known {
			h.refuse(w, &x, metrics.IntakeUnknownSource, "unknown source")
			return
		}
		h.post(w, r, &x, src)
	case http.MethodHead:
		x.status = http.StatusOK
		if !known {
			x.status = http.StatusNotFound
		}
		x.wrote = true
		w.WriteHeader(x.status)
	default:
		w.Header()["Allow"] = allowHeader
		h.refuse(w, &x, metrics.IntakeMethodNotAllowed, "method not allowed")
	}
}

var (
	allowHeader       = []string{"POST, HEAD"}
	jsonContentHeader = []string{"application/json"}
	retryAfterHeader  = []string{strconv.Itoa(RetryAfterSeconds)}
)

func (h *Handler) post(w http.ResponseWriter, r *http.Request, x *exchange, src Source) {
	if r.ContentLength > h.maxBody {
		h.refuse(w, x, metrics.IntakeTooLarge, h.tooLarge())
		return
	}
	bp, _ := h.bodies.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	// A pooled buffer is memory this request holds as much as a grown
	// one: it counts against the budget too, or a round of large bodies
	// would leave buffers that later requests fill for free.
	buf, held := (*bp)[:0], int64(0)
	if c := int64(cap(buf)); c > 0 {
		if h.inflight.TryAcquire(c) {
			held = c
			h.reserved.Add(c)
		} else {
			buf = nil // read into fresh memory, reserved as it grows
		}
	}
	body, reserved, err := h.readBody(http.MaxBytesReader(w, r.Body, h.maxBody), buf)
	reserved += held
	defer func() {
		h.inflight.Release(reserved)
		h.reserved.Add(-reserved)
		if cap(body) <= maxPooledBuffer {
			*bp = body[:0]
			h.bodies.Put(bp)
		}
	}()
	if err != nil {
		switch _, tooLarge := errors.AsType[*http.MaxBytesError](err); {
		case tooLarge || errors.Is(err, errTooLarge):
			h.refuse(w, x, metrics.IntakeTooLarge, h.tooLarge())
		case errors.Is(err, errBusy):
			h.refuse(w, x, metrics.IntakeBusy, "too many webhook bodies in flight; retry later")
		default:
			h.refuse(w, x, metrics.IntakeBadRequest, "reading body: "+err.Error())
		}
		return
	}

	if src.Platform == nil {
		x.err = errors.New("source has no platform")
		h.refuse(w, x, metrics.IntakeMisconfigured, "source misconfigured")
		return
	}
	d := &platform.Delivery{Header: r.Header, Body: body, Secret: src.Secret, Settings: src.Settings, Now: h.now()}
	if !src.InsecureSkipVerify {
		if err := verify(src.Platform, d); err != nil {
			if se, ok := errors.AsType[*platform.SignatureError](err); ok {
				outcome := metrics.IntakeBadSignature
				if se == platform.ErrNoSecret {
					outcome = metrics.IntakeNoSecret
				}
				h.refuse(w, x, outcome, se.Reason)
			} else {
				x.err = err
				h.refuse(w, x, metrics.IntakeMisconfigured, "source misconfigured")
			}
			return
		}
		if c, ok := src.Platform.(platform.Challenger); ok {
			if answer, contentType, handled := c.Challenge(d); handled {
				h.answerChallenge(w, x, answer, contentType)
				return
			}
		}
	}
	if ct := r.Header.Get("Content-Type"); !isJSONContentType(ct) {
		h.refuse(w, x, metrics.IntakeUnsupportedType,
			fmt.Sprintf("content type %q is not application/json", ct))
		return
	}

	ev, err := platform.Parse(src.Platform, x.label, d, d.Now)
	if err != nil {
		if bre, ok := errors.AsType[*payload.BadRequestError](err); ok {
			h.refuse(w, x, metrics.IntakeBadRequest, bre.Reason)
		} else {
			x.err = err
			h.refuse(w, x, metrics.IntakeMisconfigured, "source misconfigured")
		}
		return
	}
	x.topic, x.id = ev.Topic, ev.ID

	if platform.IsPing(src.Platform, ev) {
		h.metrics.EventsIgnored.WithLabelValues(x.label, ReasonPing).Inc()
		h.respond(w, x, metrics.IntakeIgnored, func(b []byte) []byte {
			return append(b, `{"status":"ignored","reason":"ping"}`...)
		})
		return
	}

	res, err := h.dispatcher.Dispatch(r.Context(), ev)
	if err != nil {
		x.err = err
		h.refuse(w, x, metrics.IntakeStoreError, "event not stored; retry later")
		return
	}
	outcome := metrics.IntakeAccepted
	switch res.Outcome {
	case metrics.OutcomeDuplicate:
		outcome = metrics.IntakeDuplicate
	case metrics.OutcomeIgnored:
		outcome = metrics.IntakeIgnored
		if res.Reason != "" {
			h.metrics.EventsIgnored.WithLabelValues(x.label, res.Reason).Inc()
		}
	}
	h.respond(w, x, outcome, func(b []byte) []byte {
		b = append(b, `{"status":"`...)
		b = append(b, outcome.Name...)
		b = append(b, `","event_id":`...)
		b = appendJSONString(b, ev.ID)
		b = append(b, `,"actions":`...)
		b = strconv.AppendInt(b, int64(res.Actions), 10)
		if outcome == metrics.IntakeIgnored && res.Reason != "" {
			b = append(b, `,"reason":`...)
			b = appendJSONString(b, res.Reason)
		}
		return append(b, '}')
	})
}

// ReasonPing is the EventsIgnored reason of a platform's subscription
// check (a Topic with Ping).
const ReasonPing = "ping"

// verify runs the platform's Verify; a panic in it is a refusal, not a
// crash: the bytes are the sender's.
func verify(p platform.Platform, d *platform.Delivery) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &platform.SignatureError{Reason: "signature could not be checked"}
		}
	}()
	return p.Verify(d)
}

// answerChallenge writes a platform's answer to its webhook handshake.
func (h *Handler) answerChallenge(w http.ResponseWriter, x *exchange, answer []byte, contentType string) {
	x.status, x.outcome, x.wrote = http.StatusOK, metrics.IntakeIgnored.Label, true
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(answer)
}

var (
	errBusy     = errors.New("webhook bodies in flight fill their memory budget")
	errTooLarge = errors.New("body too large")
)

// readBody appends the body from r to b. The buffer grows only as bytes
// arrive, never to a declared Content-Length (a client can declare a
// megabyte and send nothing), and every array it allocates is first
// reserved on the in-flight budget: when the budget is spent the read
// stops with errBusy. reserved is what the caller must release. A pooled
// buffer's array exists already and is not reserved again; the pool only
// holds arrays that were reserved when they were made.
func (h *Handler) readBody(r io.Reader, b []byte) (body []byte, reserved int64, err error) {
	limit := int(h.maxBody) + 1 // room to see one byte past the limit
	for {
		if len(b) == cap(b) {
			if len(b) >= limit {
				return b, reserved, errTooLarge
			}
			size := min(max(2*cap(b), minBodyBuffer), limit)
			if !h.inflight.TryAcquire(int64(size)) {
				return b, reserved, errBusy
			}
			reserved += int64(size)
			h.reserved.Add(int64(size))
			grown := make([]byte, len(b), size)
			copy(grown, b)
			b = grown
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, reserved, nil
		}
		if err != nil {
			return b, reserved, err
		}
	}
}

func (h *Handler) tooLarge() string {
	return "body larger than " + strconv.FormatInt(h.maxBody, 10) + " bytes"
}

// isJSONContentType accepts application/json with or without parameters
// (a charset must be UTF-8), and no Content-Type at all: the body is
// authenticated by then, and senders that forget the header still send
// JSON. Anything else (text/plain, forms) is refused.
func isJSONContentType(ct string) bool {
	if ct == "" {
		return true
	}
	mediaType, params, _ := strings.Cut(ct, ";")
	if !strings.EqualFold(strings.TrimSpace(mediaType), "application/json") {
		return false
	}
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "charset") {
			v = strings.Trim(strings.TrimSpace(v), `"`)
			if !strings.EqualFold(v, "utf-8") && !strings.EqualFold(v, "utf8") {
				return false
			}
		}
	}
	return true
}

// respond writes a JSON answer built by body, with the outcome's status.
// A 503 carries Retry-After: the platform must send the event again.
func (h *Handler) respond(w http.ResponseWriter, x *exchange, outcome metrics.IntakeOutcome, body func([]byte) []byte) {
	status := outcome.Status
	x.status, x.outcome, x.wrote = status, outcome.Label, true
	if status == http.StatusServiceUnavailable {
		w.Header()["Retry-After"] = retryAfterHeader
	}
	bp, _ := h.answers.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, 256)
		bp = &b
	}
	b := body((*bp)[:0])
	b = append(b, '\n')
	w.Header()["Content-Type"] = jsonContentHeader
	w.WriteHeader(status)
	w.Write(b)
	if cap(b) <= 4096 {
		*bp = b[:0]
		h.answers.Put(bp)
	}
}

// refuse answers {"error": reason}.
func (h *Handler) refuse(w http.ResponseWriter, x *exchange, outcome metrics.IntakeOutcome, reason string) {
	x.reason = reason
	h.respond(w, x, outcome, func(b []byte) []byte {
		b = append(b, `{"error":`...)
		b = appendJSONString(b, reason)
		return append(b, '}')
	})
}

// finish runs after every request: it turns a panic into a 500, counts the
// outcome, observes the duration and writes the log line.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, x *exchange) {
	if p := recover(); p != nil {
		if p == http.ErrAbortHandler {
			panic(p)
		}
		x.panic, x.stack = p, debug.Stack()
		if x.wrote {
			// The answer is out; count what it said.
			if x.outcome == "" {
				x.outcome = metrics.OutcomeInternalError
			}
		} else {
			// Whether the event was stored is unknown: make the
			// platform retry; deduplication absorbs a double.
			h.refuse(w, x, metrics.IntakeInternalError, "internal error")
		}
	}
	d := time.Since(x.start)
	st := h.sourceStats(x.label)
	st.duration.Observe(d.Seconds())
	if c := st.outcomes[x.outcome]; c != nil {
		c.Inc()
	}
	h.logExchange(r, x, d)
}

type sourceStats struct {
	duration prometheus.Observer
	outcomes map[string]prometheus.Counter
}

// sourceStats caches the collectors of a label: WithLabelValues hashes its
// labels on every call.
func (h *Handler) sourceStats(label string) *sourceStats {
	if st, ok := h.stats.Load(label); ok {
		return st.(*sourceStats)
	}
	st := &sourceStats{
		duration: h.metrics.WebhookDuration.WithLabelValues(label),
		outcomes: make(map[string]prometheus.Counter),
	}
	for _, o := range metrics.WebhookOutcomes() {
		st.outcomes[o] = h.metrics.WebhooksTotal.WithLabelValues(label, o)
	}
	actual, _ := h.stats.LoadOrStore(label, st)
	return actual.(*sourceStats)
}

// logExchange writes the request's log line. Lines about refused requests
// and failures are rate-limited per source, so a flood of bad requests
// cannot fill the disk; dropped lines are counted.
func (h *Handler) logExchange(r *http.Request, x *exchange, d time.Duration) {
	level := slog.LevelInfo
	switch {
	case x.status >= 500:
		level = slog.LevelError
	case x.status >= 400:
		level = slog.LevelWarn
	case r.Method == http.MethodHead:
		level = slog.LevelDebug
	}
	ctx := r.Context()
	if !h.logger.Enabled(ctx, level) {
		return
	}
	suppressed := 0
	if x.status >= 400 {
		ok, n := h.logs.allow(x.label, time.Now())
		if !ok {
			h.metrics.BadRequestLogsDropped.Inc()
			return
		}
		suppressed = n
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs,
		slog.String("source", x.label),
		slog.String("topic", x.topic),
		slog.String("event_id", x.id),
		slog.String("outcome", x.outcome),
		slog.Int("status", x.status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
	)
	if x.status >= 400 {
		attrs = append(attrs, slog.String("method", r.Method), slog.String("remote", r.RemoteAddr))
		if x.label == unknownSource {
			attrs = append(attrs, slog.String("requested_source", truncate(x.name, 64)))
		}
		if x.reason != "" {
			attrs = append(attrs, slog.String("reason", x.reason))
		}
	}
	if x.err != nil {
		attrs = append(attrs, slog.String("error", x.err.Error()))
	}
	if x.panic != nil {
		attrs = append(attrs, slog.String("panic", fmt.Sprint(x.panic)), slog.String("stack", string(x.stack)))
	}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed_before", suppressed))
	}
	h.logger.LogAttrs(ctx, level, "webhook", attrs...)
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
