package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/metrics"
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

	// Buffers that grew past this are not pooled.
	maxPooledBuffer = 256 << 10
)

// Source is one configured webhook source, served at /webhooks/{Name}.
type Source struct {
	Name string
	Kind string // event.KindIntercom or event.KindWHMCS
	// Secret keys the HMAC of the signature header.
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
	// bodies and answers reuse buffers between requests.
	bodies  sync.Pool // *bytes.Buffer
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
	return h
}

// Register routes /webhooks/{source} to the handler. POST delivers, HEAD
// answers 200 for a configured source (Intercom checks the URL that way);
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
			h.refuse(w, &x, http.StatusNotFound, metrics.OutcomeUnknownSource, "unknown source")
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
		h.refuse(w, &x, http.StatusMethodNotAllowed, metrics.OutcomeBadRequest, "method not allowed")
	}
}

var (
	allowHeader       = []string{"POST, HEAD"}
	jsonContentHeader = []string{"application/json"}
	retryAfterHeader  = []string{strconv.Itoa(RetryAfterSeconds)}
)

func (h *Handler) post(w http.ResponseWriter, r *http.Request, x *exchange, src Source) {
	if r.ContentLength > h.maxBody {
		h.refuse(w, x, http.StatusRequestEntityTooLarge, metrics.OutcomeBadRequest, h.tooLarge())
		return
	}
	buf, _ := h.bodies.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			h.bodies.Put(buf)
		}
	}()
	buf.Reset()
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.maxBody)); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.refuse(w, x, http.StatusRequestEntityTooLarge, metrics.OutcomeBadRequest, h.tooLarge())
		} else {
			h.refuse(w, x, http.StatusBadRequest, metrics.OutcomeBadRequest, "reading body: "+err.Error())
		}
		return
	}
	body := buf.Bytes()

	if !src.InsecureSkipVerify {
		if err := Verify(src.Kind, src.Secret, body, r.Header); err != nil {
			if se, ok := errors.AsType[*SignatureError](err); ok {
				h.refuse(w, x, http.StatusUnauthorized, metrics.OutcomeBadSignature, se.Reason)
			} else {
				x.err = err
				h.refuse(w, x, http.StatusInternalServerError, metrics.OutcomeStoreError, "source misconfigured")
			}
			return
		}
	}
	if ct := r.Header.Get("Content-Type"); !isJSONContentType(ct) {
		h.refuse(w, x, http.StatusUnsupportedMediaType, metrics.OutcomeBadRequest,
			fmt.Sprintf("content type %q is not application/json", ct))
		return
	}

	ev, err := Parse(src.Kind, x.label, body, h.now())
	if err != nil {
		if bre, ok := errors.AsType[*BadRequestError](err); ok {
			h.refuse(w, x, http.StatusBadRequest, metrics.OutcomeBadRequest, bre.Reason)
		} else {
			x.err = err
			h.refuse(w, x, http.StatusInternalServerError, metrics.OutcomeStoreError, "source misconfigured")
		}
		return
	}
	x.topic, x.id = ev.Topic, ev.ID

	if ev.Kind == event.KindIntercom && ev.Topic == TopicPing {
		h.metrics.EventsIgnored.WithLabelValues(x.label, "ping").Inc()
		h.respond(w, x, http.StatusOK, metrics.OutcomeIgnored, func(b []byte) []byte {
			return append(b, `{"status":"ignored","reason":"ping"}`...)
		})
		return
	}

	res, err := h.dispatcher.Dispatch(r.Context(), ev)
	if err != nil {
		x.err = err
		w.Header()["Retry-After"] = retryAfterHeader
		h.refuse(w, x, http.StatusServiceUnavailable, metrics.OutcomeStoreError, "event not stored; retry later")
		return
	}
	outcome := res.Outcome
	switch outcome {
	case metrics.OutcomeAccepted, metrics.OutcomeDuplicate:
	case metrics.OutcomeIgnored:
		if res.Reason != "" {
			h.metrics.EventsIgnored.WithLabelValues(x.label, res.Reason).Inc()
		}
	default:
		outcome = metrics.OutcomeAccepted
	}
	h.respond(w, x, http.StatusOK, outcome, func(b []byte) []byte {
		b = append(b, `{"status":"`...)
		b = append(b, outcome...)
		b = append(b, `","event_id":`...)
		b = appendJSONString(b, ev.ID)
		b = append(b, `,"actions":`...)
		b = strconv.AppendInt(b, int64(res.Actions), 10)
		if outcome == metrics.OutcomeIgnored && res.Reason != "" {
			b = append(b, `,"reason":`...)
			b = appendJSONString(b, res.Reason)
		}
		return append(b, '}')
	})
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

// respond writes a JSON answer built by body.
func (h *Handler) respond(w http.ResponseWriter, x *exchange, status int, outcome string, body func([]byte) []byte) {
	x.status, x.outcome, x.wrote = status, outcome, true
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
func (h *Handler) refuse(w http.ResponseWriter, x *exchange, status int, outcome, reason string) {
	x.reason = reason
	h.respond(w, x, status, outcome, func(b []byte) []byte {
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
				x.outcome = metrics.OutcomeStoreError
			}
		} else {
			// Whether the event was stored is unknown: make the
			// platform retry; deduplication absorbs a double.
			h.refuse(w, x, http.StatusInternalServerError, metrics.OutcomeStoreError, "internal error")
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
		outcomes: make(map[string]prometheus.Counter, len(metrics.WebhookOutcomes)),
	}
	for _, o := range metrics.WebhookOutcomes {
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
