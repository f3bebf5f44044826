package webhook

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
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

	client := &http.Client{Timeout: 10 * time.Second}
	// Two slow bodies: 600 of their 602 bytes, then nothing until
	// released. Each holds 512 + 1024 bytes of buffers; the first is in
	// before the second starts, so neither is refused.
	var conns []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
		fmt.Fprintf(c, "POST /webhooks/dev HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 602\r\n\r\n%s",
			`{"pad":"`+strings.Repeat("x", 592))
		want := int64(1536 * len(conns))
		for deadline := time.Now().Add(5 * time.Second); h.reserved.Load() != want; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the slow bodies hold %d bytes of buffers, want %d", h.reserved.Load(), want)
			}
		}
	}
	post := func() (*http.Response, string) {
		resp, err := client.Post(srv.URL+"/webhooks/dev", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := post()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "30" ||
		!strings.Contains(body, "too many webhook bodies in flight") {
		t.Fatalf("with the budget spent: %d %q %s; want 503, Retry-After 30", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if n := testutil.ToFloat64(m.WebhooksTotal.WithLabelValues("dev", metrics.OutcomeBusy)); n != 1 {
		t.Errorf("busy outcomes = %v; want 1", n)
	}
	for _, c := range conns {
		io.WriteString(c, `"}`)
		status, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.HasPrefix(status, "HTTP/1.1 400") {
			t.Errorf("slow body answered %q, %v; want it read whole (400: not an event)", status, err)
		}
	}
	if resp, body = post(); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("after the slow bodies: %d %s; want the 400 of an empty object (the budget is free)", resp.StatusCode, body)
	}
}

// A body read into a pooled buffer holds that buffer's memory as much as a
// freshly grown one, so it counts against the budget: otherwise a round of
// large bodies would leave buffers behind that later connections fill
// without reserving anything.
func TestPooledBuffersCountAgainstTheBudget(t *testing.T) {
	h := NewHandler(Options{
		Lookup: lookupTestSource, Dispatcher: &fakeDispatcher{}, Metrics: metrics.New(),
		Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 1024,
	})
	r := mux.NewRouter()
	h.Register(r)
	srv := httptest.NewServer(r)
	defer srv.Close()

	// Leave grown buffers in the pool: sequential bodies of 1,000 bytes.
	client := &http.Client{Timeout: 10 * time.Second}
	for range 4 {
		resp, err := client.Post(srv.URL+"/webhooks/dev", "application/json",
			strings.NewReader(`{"pad":"`+strings.Repeat("x", 990)+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if n := h.reserved.Load(); n != 0 {
		t.Fatalf("%d bytes still reserved with no request in flight", n)
	}
	// A slow body of which 600 bytes have arrived, most likely into the
	// pooled buffer: whichever buffer it landed in, the budget must cover
	// at least those bytes.
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /webhooks/dev HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 602\r\n\r\n%s",
		`{"pad":"`+strings.Repeat("x", 592))
	const want = 600
	for deadline := time.Now().Add(2 * time.Second); h.reserved.Load() < want; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("a body holds 600 bytes received, but only %d bytes are reserved", h.reserved.Load())
		}
	}
}
