package webhook

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/supportops/autoresponder/internal/metrics"
)

// Bodies being read share a memory budget: while it is spent, further
// requests are answered 503 with Retry-After (counted as busy), and once
// the bodies are done the budget is free again.
func TestInFlightBudget(t *testing.T) {
	m := metrics.New()
	h := NewHandler(Options{
		Lookup: lookupTestSource, Dispatcher: &fakeDispatcher{}, Metrics: m,
		Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 1024,
		MaxInFlightBytes: 1, // raised to 3 × 1025: two bodies of 600 bytes fill it
	})
	r := mux.NewRouter()
	h.Register(r)
	srv := httptest.NewServer(r)
	defer srv.Close()

	// Two slow bodies: 600 bytes each, then nothing until released.
	var writers []*io.PipeWriter
	done := make(chan int, 2)
	for range 2 {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		go func() {
			resp, err := http.Post(srv.URL+"/webhooks/dev", "application/json", pr)
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		if _, err := pw.Write([]byte(`{"pad":"` + strings.Repeat("x", 592))); err != nil {
			t.Fatal(err)
		}
	}
	post := func() (*http.Response, string) {
		resp, err := http.Post(srv.URL+"/webhooks/dev", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	var resp *http.Response
	var body string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if resp, body = post(); resp.StatusCode == http.StatusServiceUnavailable {
			break
		}
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "30" ||
		!strings.Contains(body, "too many webhook bodies in flight") {
		t.Fatalf("with the budget spent: %d %q %s; want 503, Retry-After 30", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if n := testutil.ToFloat64(m.WebhooksTotal.WithLabelValues("dev", metrics.OutcomeBusy)); n < 1 {
		t.Errorf("busy outcomes = %v; want at least 1", n)
	}
	for _, pw := range writers {
		pw.Write([]byte(`"}`))
		pw.Close()
	}
	for range writers {
		if code := <-done; code != http.StatusBadRequest {
			t.Errorf("slow body answered %d; want it read whole (400: not an event)", code)
		}
	}
	if resp, body = post(); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("after the slow bodies: %d %s; want the 400 of an empty object (the budget is free)", resp.StatusCode, body)
	}
}
