package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/metrics"
)

var (
	intercomSecret = []byte("intercom-client-secret")
	whmcsSecret    = []byte("whmcs-shared-secret")
)

var testSources = map[string]Source{
	"intercom": {Name: "intercom", Platform: plat("intercom"), Secret: intercomSecret},
	"whmcs":    {Name: "whmcs", Platform: plat("whmcs"), Secret: whmcsSecret},
	"dev":      {Name: "dev", Platform: plat("intercom"), InsecureSkipVerify: true},
	// Misconfigured: a signed source without its secret.
	"nosecret": {Name: "nosecret", Platform: plat("intercom")},
}

func lookupTestSource(name string) (Source, bool) {
	s, ok := testSources[name]
	return s, ok
}

// fakeDispatcher records the events it is given and answers as told.
type fakeDispatcher struct {
	result Result
	err    error
	panics int // panic on this many calls first

	mu     sync.Mutex
	events []*event.Event
}

func (d *fakeDispatcher) Dispatch(_ context.Context, ev *event.Event) (Result, error) {
	d.mu.Lock()
	d.events = append(d.events, ev)
	panics := d.panics > 0
	d.panics--
	d.mu.Unlock()
	if panics {
		panic("dispatcher exploded")
	}
	return d.result, d.err
}

func (d *fakeDispatcher) calls() []*event.Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*event.Event(nil), d.events...)
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testEnv struct {
	router  *mux.Router
	metrics *metrics.Metrics
	logs    *syncBuffer
}

func newTestEnv(t *testing.T, d Dispatcher, maxBody int64) *testEnv {
	t.Helper()
	e := &testEnv{router: mux.NewRouter(), metrics: metrics.New(), logs: &syncBuffer{}}
	h := NewHandler(Options{
		Lookup:       lookupTestSource,
		Dispatcher:   d,
		Metrics:      e.metrics,
		Logger:       slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MaxBodyBytes: maxBody,
		Now:          func() time.Time { return testNow },
	})
	h.Register(e.router)
	return e
}

// outcomes returns the non-zero webhook counters as "label/outcome" → n.
func (e *testEnv) outcomes() map[string]float64 {
	got := map[string]float64{}
	for _, label := range []string{"intercom", "whmcs", "dev", "nosecret", unknownSource} {
		for _, o := range metrics.WebhookOutcomes() {
			if n := testutil.ToFloat64(e.metrics.WebhooksTotal.WithLabelValues(label, o)); n != 0 {
				got[label+"/"+o] = n
			}
		}
	}
	return got
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestHandler(t *testing.T) {
	icBody := readFile(t, filepath.Join(testdata, "intercom_conversation_user_created_2x.json"))
	icSig := Sign("intercom", intercomSecret, icBody)
	whBody := readFile(t, filepath.Join(testdata, "whmcs_TicketUserReply.json"))
	whSig := Sign("whmcs", whmcsSecret, whBody)
	pingBody := readFile(t, filepath.Join(testdata, "intercom_ping.json"))
	badJSON := []byte(`{"type":"notification_event",`)
	noTopic := []byte(`{"type":"notification_event","id":"n1"}`)
	const maxBody = 64 << 10
	big := append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), maxBody)...), `"}`...)
	const ct = "application/json"
	icHeader := func(kv ...string) http.Header {
		return header(append([]string{"Content-Type", ct, "X-Hub-Signature", icSig}, kv...)...)
	}
	signedIC := func(body []byte) http.Header {
		return header("Content-Type", ct, "X-Hub-Signature", Sign("intercom", intercomSecret, body))
	}
	accepted := `{"status":"accepted","event_id":"notif_5b0d3c1e-8f4a-4b7e-9c2d-1a2b3c4d5e01","actions":2}`

	tests := []struct {
		name        string
		method      string
		path        string
		body        []byte
		header      http.Header
		chunked     bool   // send without Content-Length
		result      Result // of the dispatcher; default accepted with 2 actions
		dispatchErr error
		panics      int
		wantStatus  int
		wantBody    string // exact, without the final newline; "" for none
		wantHeader  http.Header
		dispatched  int
		wantOutcome string // "label/outcome" counted once; "" for nothing counted
	}{
		{name: "intercom good signature", body: icBody, header: icHeader(),
			wantStatus: 200, wantBody: accepted, dispatched: 1, wantOutcome: "intercom/accepted",
			wantHeader: header("Content-Type", "application/json")},
		{name: "whmcs good signature", path: "/webhooks/whmcs", body: whBody,
			header:     header("Content-Type", ct, "X-Signature", whSig),
			wantStatus: 200, wantBody: `{"status":"accepted","event_id":"TicketUserReply-1042-9001","actions":2}`,
			dispatched: 1, wantOutcome: "whmcs/accepted"},
		{name: "charset utf-8", body: icBody, header: icHeader("Content-Type", "x"),
			wantStatus: 200, wantBody: accepted, dispatched: 1, wantOutcome: "intercom/accepted"},
		{name: "no content type", body: icBody, header: header("X-Hub-Signature", icSig),
			wantStatus: 200, wantBody: accepted, dispatched: 1, wantOutcome: "intercom/accepted"},
		{name: "insecure source needs no signature", path: "/webhooks/dev", body: icBody, header: header("Content-Type", ct),
			wantStatus: 200, wantBody: accepted, dispatched: 1, wantOutcome: "dev/accepted"},
		{name: "duplicate", body: icBody, header: icHeader(), result: Result{Outcome: metrics.OutcomeDuplicate},
			wantStatus: 200, wantBody: `{"status":"duplicate","event_id":"notif_5b0d3c1e-8f4a-4b7e-9c2d-1a2b3c4d5e01","actions":0}`,
			dispatched: 1, wantOutcome: "intercom/duplicate"},
		{name: "ignored by the dispatcher", body: icBody, header: icHeader(),
			result:     Result{Outcome: metrics.OutcomeIgnored, Reason: "own_reply"},
			wantStatus: 200, wantBody: `{"status":"ignored","event_id":"notif_5b0d3c1e-8f4a-4b7e-9c2d-1a2b3c4d5e01","actions":0,"reason":"own_reply"}`,
			dispatched: 1, wantOutcome: "intercom/ignored"},
		{name: "missing signature", body: icBody, header: header("Content-Type", ct),
			wantStatus: 401, wantBody: `{"error":"X-Hub-Signature header missing"}`, wantOutcome: "intercom/bad_signature"},
		{name: "short signature", body: icBody, header: header("Content-Type", ct, "X-Hub-Signature", icSig[:20]),
			wantStatus: 401, wantBody: `{"error":"X-Hub-Signature must be \"sha1=\" and 40 lowercase hex digits"}`, wantOutcome: "intercom/bad_signature"},
		{name: "wrong algorithm", body: icBody,
			header:     header("Content-Type", ct, "X-Hub-Signature", Sign("whmcs", intercomSecret, icBody)),
			wantStatus: 401, wantBody: `{"error":"X-Hub-Signature must be \"sha1=\" and 40 lowercase hex digits"}`, wantOutcome: "intercom/bad_signature"},
		{name: "uppercase hex", body: icBody, header: header("Content-Type", ct, "X-Hub-Signature", "sha1="+strings.ToUpper(icSig[5:])),
			wantStatus: 401, wantBody: `{"error":"X-Hub-Signature must be \"sha1=\" and 40 lowercase hex digits"}`, wantOutcome: "intercom/bad_signature"},
		{name: "signature over another body", body: icBody, header: signedIC(pingBody),
			wantStatus: 401, wantBody: `{"error":"signature does not match the body"}`, wantOutcome: "intercom/bad_signature"},
		{name: "intercom signature on whmcs", path: "/webhooks/whmcs", body: whBody,
			header:     header("Content-Type", ct, "X-Hub-Signature", Sign("intercom", whmcsSecret, whBody)),
			wantStatus: 401, wantBody: `{"error":"X-Signature header missing"}`, wantOutcome: "whmcs/bad_signature"},
		{name: "malformed JSON", body: badJSON, header: signedIC(badJSON),
			wantStatus: 400, wantBody: `{"error":"not JSON: unexpected end of JSON input"}`, wantOutcome: "intercom/bad_request"},
		{name: "topic missing", body: noTopic, header: signedIC(noTopic),
			wantStatus: 400, wantBody: `{"error":"topic missing"}`, wantOutcome: "intercom/bad_request"},
		{name: "ping", body: pingBody, header: signedIC(pingBody),
			wantStatus: 200, wantBody: `{"status":"ignored","reason":"ping"}`, wantOutcome: "intercom/ignored"},
		{name: "head", method: "HEAD", wantStatus: 200},
		{name: "head unknown source", method: "HEAD", path: "/webhooks/nope", wantStatus: 404},
		{name: "unknown source", path: "/webhooks/nope", body: icBody, header: icHeader(),
			wantStatus: 404, wantBody: `{"error":"unknown source"}`, wantOutcome: "unknown/unknown_source"},
		{name: "body too large", body: big, header: signedIC(big),
			wantStatus: 413, wantBody: `{"error":"body larger than 65536 bytes"}`, wantOutcome: "intercom/bad_request"},
		{name: "body too large without length", body: big, header: signedIC(big), chunked: true,
			wantStatus: 413, wantBody: `{"error":"body larger than 65536 bytes"}`, wantOutcome: "intercom/bad_request"},
		{name: "text/plain", body: icBody, header: icHeader("Content-Type", "x"),
			wantStatus: 415, wantBody: `{"error":"content type \"text/plain\" is not application/json"}`, wantOutcome: "intercom/bad_request"},
		{name: "form", body: icBody, header: icHeader("Content-Type", "x"),
			wantStatus: 415, wantBody: `{"error":"content type \"application/x-www-form-urlencoded\" is not application/json"}`, wantOutcome: "intercom/bad_request"},
		{name: "latin-1", body: icBody, header: icHeader("Content-Type", "x"),
			wantStatus: 415, wantBody: `{"error":"content type \"application/json; charset=iso-8859-1\" is not application/json"}`, wantOutcome: "intercom/bad_request"},
		{name: "GET", method: "GET", wantStatus: 405, wantBody: `{"error":"method not allowed"}`,
			wantHeader: header("Allow", "POST, HEAD"), wantOutcome: "intercom/bad_request"},
		{name: "PUT unknown source", method: "PUT", path: "/webhooks/nope", body: icBody, wantStatus: 405,
			wantBody: `{"error":"method not allowed"}`, wantHeader: header("Allow", "POST, HEAD"), wantOutcome: "unknown/bad_request"},
		{name: "dispatcher error", body: icBody, header: icHeader(), dispatchErr: errors.New("database is locked"),
			wantStatus: 503, wantBody: `{"error":"event not stored; retry later"}`, wantHeader: header("Retry-After", "30"),
			dispatched: 1, wantOutcome: "intercom/store_error"},
		{name: "source without its secret", path: "/webhooks/nosecret", body: icBody, header: icHeader(),
			wantStatus: 401, wantBody: `{"error":"no secret configured for the source"}`, wantOutcome: "nosecret/misconfigured"},
		{name: "dispatcher panic", body: icBody, header: icHeader(), panics: 1,
			wantStatus: 500, wantBody: `{"error":"internal error"}`, dispatched: 1, wantOutcome: "intercom/internal_error"},
	}
	// Content types for the cases that replace it ("x" above).
	contentTypes := map[string]string{
		"charset utf-8": "application/json; charset=UTF-8",
		"text/plain":    "text/plain",
		"form":          "application/x-www-form-urlencoded",
		"latin-1":       "application/json; charset=iso-8859-1",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDispatcher{result: tt.result, err: tt.dispatchErr, panics: tt.panics}
			if tt.result == (Result{}) {
				d.result = Result{Outcome: metrics.OutcomeAccepted, Actions: 2}
			}
			e := newTestEnv(t, d, maxBody)
			method, path := tt.method, tt.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/webhooks/intercom"
			}
			req := httptest.NewRequest(method, path, bytes.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header[k] = v
			}
			if c, ok := contentTypes[tt.name]; ok {
				req.Header.Set("Content-Type", c)
			}
			if tt.chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			e.router.ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := strings.TrimSuffix(rec.Body.String(), "\n"); got != tt.wantBody {
				t.Errorf("body\n got %s\nwant %s", got, tt.wantBody)
			}
			if tt.wantBody != "" && !json.Valid(rec.Body.Bytes()) {
				t.Errorf("body is not JSON: %s", rec.Body)
			}
			for k := range tt.wantHeader {
				if got, want := rec.Header().Get(k), tt.wantHeader.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if got := len(d.calls()); got != tt.dispatched {
				t.Errorf("dispatched %d times, want %d", got, tt.dispatched)
			}
			want := map[string]float64{}
			if tt.wantOutcome != "" {
				want[tt.wantOutcome] = 1
			}
			if got := e.outcomes(); !equalCounts(got, want) {
				t.Errorf("outcomes = %v, want %v", got, want)
			}
			if n := testutil.CollectAndCount(e.metrics.WebhookDuration); n != 1 {
				t.Errorf("%d duration series, want 1", n)
			}
			if lines := strings.Count(e.logs.String(), "\n"); lines != 1 {
				t.Errorf("%d log lines, want 1:\n%s", lines, e.logs)
			}
		})
	}
}

func equalCounts(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func post(t *testing.T, h http.Handler, path string, body []byte, hdr http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header = hdr
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerEvent(t *testing.T) {
	d := &fakeDispatcher{}
	e := newTestEnv(t, d, 0)
	body := readFile(t, filepath.Join(testdata, "intercom_ticket_admin_replied.json"))
	rec := post(t, e.router, "/webhooks/intercom", body,
		header("Content-Type", "application/json", "X-Hub-Signature", Sign("intercom", intercomSecret, body)))
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	// An empty Result reads as accepted.
	if got := rec.Body.String(); !strings.HasPrefix(got, `{"status":"accepted",`) {
		t.Errorf("body = %s", got)
	}
	evs := d.calls()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[0]
	if ev.Source != "intercom" || ev.Kind != "intercom" || !ev.ReceivedAt.Equal(testNow) ||
		ev.Target != (event.Target{Type: "ticket", ID: "215472629600001"}) || ev.Source+"/"+ev.ID != "intercom/notif_5b0d3c1e-8f4a-4b7e-9c2d-1a2b3c4d5e05" {
		t.Errorf("event = %+v", ev)
	}
}

func TestHandlerCountsIgnoredReasons(t *testing.T) {
	d := &fakeDispatcher{result: Result{Outcome: metrics.OutcomeIgnored, Reason: "bot_author"}}
	e := newTestEnv(t, d, 0)
	body := readFile(t, filepath.Join(testdata, "intercom_conversation_operator_replied.json"))
	ping := readFile(t, filepath.Join(testdata, "intercom_ping.json"))
	for _, b := range [][]byte{body, body, ping} {
		post(t, e.router, "/webhooks/intercom", b, header("X-Hub-Signature", Sign("intercom", intercomSecret, b)))
	}
	for reason, want := range map[string]float64{"bot_author": 2, "ping": 1} {
		if got := testutil.ToFloat64(e.metrics.EventsIgnored.WithLabelValues("intercom", reason)); got != want {
			t.Errorf("ignored %s = %v, want %v", reason, got, want)
		}
	}
}

func TestHandlerPanicKeepsServing(t *testing.T) {
	d := &fakeDispatcher{panics: 1}
	e := newTestEnv(t, d, 0)
	srv := httptest.NewServer(e.router)
	defer srv.Close()
	body := readFile(t, filepath.Join(testdata, "intercom_conversation_user_created_2x.json"))
	send := func() (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/intercom", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature", Sign("intercom", intercomSecret, body))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, b := send(); code != 500 {
		t.Errorf("first request: %d %s, want 500", code, b)
	}
	for range 3 {
		if code, b := send(); code != 200 {
			t.Errorf("after the panic: %d %s, want 200", code, b)
		}
	}
	// The log line is written after the answer: wait for it.
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(e.logs.String(), "dispatcher exploded") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"panic":"dispatcher exploded"`) || !strings.Contains(logs, `"stack":`) {
		t.Errorf("panic not logged:\n%s", logs)
	}
}

func TestHandlerRateLimitsRejectionLogs(t *testing.T) {
	d := &fakeDispatcher{}
	e := newTestEnv(t, d, 0)
	body := readFile(t, filepath.Join(testdata, "intercom_conversation_user_created_2x.json"))
	const n = 200
	for range n {
		post(t, e.router, "/webhooks/intercom", body, header("X-Hub-Signature", "sha1="+strings.Repeat("0", 40)))
	}
	lines := strings.Count(e.logs.String(), "\n")
	dropped := testutil.ToFloat64(e.metrics.BadRequestLogsDropped)
	// The burst, plus what the rate refills while the loop runs.
	if lines < logBurst || lines > logBurst+5 {
		t.Errorf("%d log lines for %d refused requests, want about %d", lines, n, logBurst)
	}
	if int(dropped)+lines != n {
		t.Errorf("dropped %v + logged %d != %d", dropped, lines, n)
	}
	// Each source has its own budget; accepted deliveries are not limited.
	before := lines
	post(t, e.router, "/webhooks/nope", body, header())
	post(t, e.router, "/webhooks/intercom", body, header("X-Hub-Signature", Sign("intercom", intercomSecret, body)))
	if got := strings.Count(e.logs.String(), "\n"); got != before+2 {
		t.Errorf("%d new lines, want 2", got-before)
	}
	if got := testutil.ToFloat64(e.metrics.WebhooksTotal.WithLabelValues("intercom", metrics.OutcomeBadSignature)); got != n {
		t.Errorf("bad_signature counted %v times, want %d", got, n)
	}
}

func TestLogLimiter(t *testing.T) {
	l := newLogLimiter(2, 3)
	t0 := time.Unix(1000, 0)
	for i := range 3 {
		if ok, _ := l.allow("a", t0); !ok {
			t.Fatalf("line %d refused within the burst", i)
		}
	}
	if ok, _ := l.allow("a", t0); ok {
		t.Fatal("line past the burst allowed")
	}
	if ok, _ := l.allow("b", t0); !ok {
		t.Fatal("another key shares the budget")
	}
	l.allow("a", t0.Add(100*time.Millisecond)) // refused: 0.2 tokens
	ok, dropped := l.allow("a", t0.Add(500*time.Millisecond))
	if !ok || dropped != 2 {
		t.Errorf("after half a second: ok %v, dropped %d; want true, 2", ok, dropped)
	}
	if ok, _ := l.allow("a", t0.Add(time.Hour)); !ok {
		t.Error("refused after an hour")
	}
}

func TestHandlerLogsNoSecrets(t *testing.T) {
	d := &fakeDispatcher{err: errors.New("store down")}
	e := newTestEnv(t, d, 0)
	ic := readFile(t, filepath.Join(testdata, "intercom_conversation_user_created_2x.json"))
	wh := readFile(t, filepath.Join(testdata, "whmcs_TicketOpen.json"))
	icSig := Sign("intercom", intercomSecret, ic)
	whSig := Sign("whmcs", whmcsSecret, wh)
	post(t, e.router, "/webhooks/intercom", ic, header("X-Hub-Signature", icSig))
	post(t, e.router, "/webhooks/whmcs", wh, header("X-Signature", whSig))
	post(t, e.router, "/webhooks/intercom", ic, header("X-Hub-Signature", "sha1="+strings.Repeat("a", 40)))
	post(t, e.router, "/webhooks/whmcs", []byte("{"), header("X-Signature", Sign("whmcs", whmcsSecret, []byte("{"))))
	logs := e.logs.String()
	if strings.Count(logs, "\n") != 4 {
		t.Fatalf("want 4 log lines:\n%s", logs)
	}
	for _, secret := range []string{string(intercomSecret), string(whmcsSecret), icSig[5:], whSig[7:], strings.Repeat("a", 40)} {
		if strings.Contains(logs, secret) {
			t.Errorf("log leaks %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{`"outcome":"store_error"`, `"error":"store down"`, `"event_id":"TicketOpen-1042"`, `"topic":"TicketOpen"`, `"status":503`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
}

func TestIsJSONContentType(t *testing.T) {
	for ct, want := range map[string]bool{
		"":                                  true,
		"application/json":                  true,
		"Application/JSON":                  true,
		"application/json; charset=utf-8":   true,
		"application/json;charset=\"UTF8\"": true,
		"application/json; foo=bar":         true,
		"application/json; charset=latin1":  false,
		"application/jsonp":                 false,
		"text/json":                         false,
		"text/plain":                        false,
		"multipart/form-data; boundary=x":   false,
		"application/x-www-form-urlencoded": false,
	} {
		if got := isJSONContentType(ct); got != want {
			t.Errorf("isJSONContentType(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\`, "tab\tnl\ncr\r", "\x00\x1f", "é☺", "bad\xffutf8", "<&>"} {
		b := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("%q encodes as invalid JSON %s: %v", s, b, err)
			continue
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); back != want {
			t.Errorf("%q round-trips as %q", s, back)
		}
	}
}

func TestNewHandlerNeedsLookupAndDispatcher(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	NewHandler(Options{Lookup: lookupTestSource})
}

func TestHandlerOnServeMux(t *testing.T) {
	h := NewHandler(Options{Lookup: lookupTestSource, Dispatcher: &fakeDispatcher{}})
	sm := http.NewServeMux()
	sm.Handle("/webhooks/{source}", h)
	for path, want := range map[string]int{"/webhooks/intercom": 200, "/webhooks/nope": 404} {
		rec := httptest.NewRecorder()
		sm.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, path, nil))
		if rec.Code != want {
			t.Errorf("HEAD %s = %d, want %d", path, rec.Code, want)
		}
	}
}
