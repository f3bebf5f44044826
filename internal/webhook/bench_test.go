package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/metrics"
)

// benchPayload is a compact conversation.admin.replied delivery of about
// 5 KB, as Intercom sends it.
func benchPayload(b *testing.B) []byte {
	b.Helper()
	raw := readFile(b, filepath.Join(testdata, "intercom_conversation_admin_replied.json"))
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkParseIntercom(b *testing.B) {
	body := benchPayload(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Parse("intercom", "intercom", body, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// benchWHMCSPayload is a TicketOpen delivery of the WHMCS hook file, with
// a customer message of about 2 KB (the testdata one is a few lines).
func benchWHMCSPayload(b *testing.B) []byte {
	b.Helper()
	var root map[string]any
	if err := json.Unmarshal(readFile(b, filepath.Join(testdata, "whmcs_TicketOpen.json")), &root); err != nil {
		b.Fatal(err)
	}
	vars := root["vars"].(map[string]any)
	vars["message"] = strings.Repeat("I was charged twice for invoice #5531 & can't see why.\r\n", 36)
	body, err := json.Marshal(root)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func BenchmarkParseWHMCS(b *testing.B) {
	body := benchWHMCSPayload(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Parse("whmcs", "whmcs", body, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyWHMCS(b *testing.B) {
	body := benchWHMCSPayload(b)
	h := http.Header{HeaderWHMCSSignature: {Sign("whmcs", whmcsSecret, body)}}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := Verify("whmcs", whmcsSecret, body, h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyIntercom(b *testing.B) {
	body := benchPayload(b)
	h := http.Header{HeaderIntercomSignature: {Sign("intercom", intercomSecret, body)}}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := Verify("intercom", intercomSecret, body, h); err != nil {
			b.Fatal(err)
		}
	}
}

type nopDispatcher struct{}

func (nopDispatcher) Dispatch(context.Context, *event.Event) (Result, error) {
	return Result{Outcome: metrics.OutcomeAccepted, Actions: 1}, nil
}

// nopWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler, not a recorder.
type nopWriter struct {
	h    http.Header
	code int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(code int)        { w.code = code }

func benchHandler(b *testing.B) (http.Handler, []byte, string) {
	b.Helper()
	r := mux.NewRouter()
	NewHandler(Options{
		Lookup:     lookupTestSource,
		Dispatcher: nopDispatcher{},
		Metrics:    metrics.New(),
		Logger:     slog.New(slog.DiscardHandler),
	}).Register(r)
	body := benchPayload(b)
	return r, body, Sign("intercom", intercomSecret, body)
}

// serveOne sends one signed delivery through h, reusing req and w.
func serveOne(b *testing.B, h http.Handler, req *http.Request, w *nopWriter, rd *bytes.Reader, body []byte) {
	rd.Reset(body)
	req.Body = io.NopCloser(rd)
	clear(w.h)
	w.code = 0
	h.ServeHTTP(w, req)
	if w.code != http.StatusOK {
		b.Fatalf("status %d", w.code)
	}
}

func newBenchRequest(body []byte, sig string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, "http://bot/webhooks/intercom", nil)
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIntercomSignature, sig)
	return req
}

// BenchmarkHandler is one signed 5 KB delivery through the router and the
// handler (verify, parse, dispatch to a no-op, metrics, log to a discarding
// logger).
func BenchmarkHandler(b *testing.B) {
	h, body, sig := benchHandler(b)
	req := newBenchRequest(body, sig)
	w := &nopWriter{h: http.Header{}}
	rd := bytes.NewReader(body)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		serveOne(b, h, req, w, rd, body)
	}
}

// BenchmarkHandlerParallel is BenchmarkHandler on every CPU: ns/op is the
// inverse of the throughput of the process.
func BenchmarkHandlerParallel(b *testing.B) {
	h, body, sig := benchHandler(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.RunParallel(func(pb *testing.PB) {
		req := newBenchRequest(body, sig)
		w := &nopWriter{h: http.Header{}}
		rd := bytes.NewReader(body)
		for pb.Next() {
			serveOne(b, h, req, w, rd, body)
		}
	})
}
