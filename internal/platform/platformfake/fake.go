// Package platformfake is the machinery the platforms' strict fakes share
// (internal/platform/<name>/<name>fake): a loopback server that records
// valid requests, scripts answers, limits the rate and counts violations.
// A platform's fake supplies the checks and the answers (Platform).
//
// A fake checks every request against the platform's documented schema.
// A request that does not fit gets the platform's own kind of error AND is
// recorded as a violation, so a test can end with AssertNoViolations: a
// fake that accepted anything would prove nothing. Valid requests are
// recorded and answered with a success carrying a unique id, unless a hook,
// a scripted queue or the rate limiter says otherwise.
package platformfake

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Recorded is one request the fake found valid.
type Recorded struct {
	Time   time.Time
	Method string
	// Path is the request path as sent (escaped).
	Path string
	// Endpoint names what was called, in the platform fake's own terms.
	Endpoint string
	// TargetID is the conversation or ticket id the request was for.
	TargetID string
	Header   http.Header
	RawBody  []byte

	// Body is a JSON body, decoded; numbers are json.Number.
	Body map[string]any
	// Form is a form body's fields, with what the platform's fake decoded
	// of them (custom fields, attachments).
	Form         map[string]string
	CustomFields map[string]string
	Attachments  []File

	// Status and ResponseID are what the fake answered.
	Status     int
	ResponseID string
}

// File is an uploaded attachment, decoded.
type File struct {
	Name string
	Data []byte
}

// Response is a scripted answer. The zero Response is the platform's
// normal success.
type Response struct {
	// Status defaults to 200.
	Status int
	// Header is added to the answer (after the rate-limit headers, so it
	// can override them).
	Header http.Header
	// Body is sent as is. Empty means the platform's own body for Status:
	// the success object for a 2xx, its error format otherwise.
	Body string
	// Empty sends no body at all, whatever Status is.
	Empty bool
	// Delay holds the answer back (cut short if the client goes away).
	Delay time.Duration
	// Drop closes the connection without answering, after Delay: the
	// request arrived and may have been acted on, but the client sees a
	// network error.
	Drop bool
}

// Hook decides the answer to a valid request; nil falls through to the
// scripted queue, then to the default success. It runs concurrently.
type Hook func(req Recorded) *Response

// RateLimit enables fixed-window rate limiting: at most
// Limit authenticated requests (valid or not) per Window, windows aligned
// to the clock; e.g. {167, 10 * time.Second} for a 1000/min app. Every answer then carries X-RateLimit-Limit, -Remaining and
// -Reset (unix seconds); over the limit the answer is 429.
type RateLimit struct {
	Limit  int
	Window time.Duration
}

// Stats counts what the fake saw.
type Stats struct {
	Requests    int // every request
	Valid       int // requests that passed validation (Count)
	Accepted    int // answered 2xx
	RateLimited int // answered 429 by the rate limiter
	Violations  int // requests that failed validation
}

// TB is the part of testing.TB the assertions need.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Failure is why a request was refused.
type Failure struct {
	Status   int
	Code     string // platform error code, when it has them
	Problems []string
}

// Platform is what differs between the fakes.
type Platform interface {
	Name() string
	// Check validates r; rec is filled as far as parsing got.
	Check(r *http.Request, rec *Recorded) *Failure
	// Success is the body of a 2xx answer to rec; it sets rec.ResponseID.
	Success(rec *Recorded, n int64) []byte
	// ErrorBody is the platform's error body.
	ErrorBody(status int, code, message string) []byte
}

// Server is the machinery the fakes share; a platform's fake embeds it.
type Server struct {
	p      Platform
	ts     *httptest.Server
	now    func() time.Time
	record bool
	limit  *limiter
	ids    atomic.Int64

	mu         sync.Mutex
	hook       Hook
	queue      []Response
	requests   []Recorded
	violations []string
	stats      Stats
}

// NewServer starts a fake of p on loopback; Close it when done.
func NewServer(p Platform, rl RateLimit, hook Hook, now func() time.Time, disableRecording bool) *Server {
	if now == nil {
		now = time.Now
	}
	s := &Server{p: p, now: now, record: !disableRecording, hook: hook}
	if rl.Limit > 0 && rl.Window > 0 {
		s.limit = &limiter{limit: rl.Limit, window: rl.Window}
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the fake's base URL, to configure the replier with.
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the fake down, waiting for requests in flight.
func (s *Server) Close() { s.ts.Close() }

// Requests returns the valid requests so far, oldest first (nil when
// recording is disabled).
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.requests...)
}

// Count is the number of valid requests so far (counted even when
// recording is disabled).
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.Valid
}

// RateLimited is the number of 429s the rate limiter sent.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.RateLimited
}

// Stats returns all counters at once.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Violations describes every request that failed validation.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// AssertNoViolations fails t for each violation recorded.
func (s *Server) AssertNoViolations(t TB) {
	t.Helper()
	for _, v := range s.Violations() {
		t.Errorf("%s fake: request violated the API: %s", s.p.Name(), v)
	}
}

// SetHook replaces the hook (nil removes it).
func (s *Server) SetHook(h Hook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = h
}

// Enqueue scripts answers for the next valid requests, in order, e.g.
// Enqueue(Response{Status: 500}, Response{}) for "500 then success".
func (s *Server) Enqueue(rs ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, rs...)
}

// Reset forgets recorded requests, violations, counters and scripted
// answers; the hook and the rate-limit window stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue, s.requests, s.violations, s.stats = nil, nil, nil, Stats{}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	rec := Recorded{Time: now, Method: r.Method, Path: r.URL.EscapedPath(), Header: r.Header.Clone()}
	fail := s.p.Check(r, &rec)

	// Every authenticated call counts against the limit.
	limited := false
	if s.limit != nil && (fail == nil || fail.Status != http.StatusUnauthorized) {
		h, ok := s.limit.take(now)
		h.set(w.Header())
		limited = !ok
	}

	if fail != nil {
		msg := joinProblems(fail.Problems)
		s.mu.Lock()
		s.stats.Requests++
		s.stats.Violations++
		s.violations = append(s.violations, r.Method+" "+rec.Path+": "+msg)
		s.mu.Unlock()
		writeBody(w, fail.Status, s.p.ErrorBody(fail.Status, fail.Code, msg))
		return
	}
	if limited {
		rec.Status = http.StatusTooManyRequests
		s.store(rec, true)
		writeBody(w, rec.Status, s.p.ErrorBody(rec.Status, "rate_limit_exceeded", "You have exceeded the rate limit. Please try again later."))
		return
	}

	resp := s.next(rec)
	if resp.Delay > 0 {
		t := time.NewTimer(resp.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	var body []byte
	switch {
	case resp.Empty:
	case resp.Body != "":
		body = []byte(resp.Body)
	case status >= 200 && status < 300:
		body = s.p.Success(&rec, s.ids.Add(1))
	default:
		body = s.p.ErrorBody(status, defaultCode(status), http.StatusText(status))
	}
	rec.Status = status
	if resp.Drop {
		rec.Status = 0
	}
	s.store(rec, false)

	if resp.Drop {
		hangUp(w)
		return
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	if resp.Body != "" && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", http.DetectContentType(body))
	}
	writeBody(w, status, body)
}

// next picks the answer for a valid request: hook, queue, default.
func (s *Server) next(rec Recorded) Response {
	s.mu.Lock()
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		if resp := hook(rec); resp != nil {
			return *resp
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return Response{}
	}
	resp := s.queue[0]
	s.queue = s.queue[1:]
	return resp
}

func (s *Server) store(rec Recorded, rateLimited bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	s.stats.Valid++
	if rateLimited {
		s.stats.RateLimited++
	}
	if rec.Status >= 200 && rec.Status < 300 {
		s.stats.Accepted++
	}
	if s.record {
		s.requests = append(s.requests, rec)
	}
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	if w.Header().Get("Content-Type") == "" && len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client may have gone; nothing to do about it
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 cannot hijack; an unfinished answer is the nearest thing.
		w.Header().Set("Content-Length", "1")
		w.WriteHeader(http.StatusOK)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	_ = conn.Close()
}

// defaultCode is a conventional error code for a scripted status, for
// platforms whose errors carry one.
func defaultCode(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return "parameter_invalid"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "api_plan_restricted"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusRequestTimeout:
		return "request_timeout"
	case http.StatusConflict:
		return "conflict"
	case http.StatusTooManyRequests:
		return "rate_limit_exceeded"
	case http.StatusInternalServerError:
		return "server_error"
	default:
		if status >= 500 {
			return "service_unavailable"
		}
		return "client_error"
	}
}
