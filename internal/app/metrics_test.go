package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

// metricsRules fire every kind of counter: replies sent, shadowed,
// suppressed (once), dead-lettered at render time, and a condition error.
const metricsRules = `
settings:
  delivery:
    backoff_initial: 10ms
    backoff_max: 50ms
sources:
  intercom:
    kind: intercom
    secret_env: TEST_INTERCOM_SECRET
  whmcs:
    kind: whmcs
    secret_env: TEST_WHMCS_SECRET
platforms:
  intercom:
    kind: log
  whmcs:
    kind: log
rules:
  - name: greet
    source: intercom
    when: topic == "conversation.user.created"
    once: true
    reply:
      as: comment
      body: "<p>Hello {{ contact?.name ?? 'there' }}</p>"
  - name: greet-shadow
    source: intercom
    when: topic == "conversation.user.created"
    mode: shadow
    reply:
      as: note
      body: "<p>shadow</p>"
  - name: broken-condition
    source: whmcs
    when: topic == "TicketOpen" && ticket.attributes.missing > 1
    reply:
      as: note
      body: never
  - name: guest-render
    source: whmcs
    when: topic == "TicketOpen"
    reply:
      as: comment
      body: "Hello {{ contact.name }}"
`

// TestMetricsLint scrapes a bot that has served every kind of request and
// runs Prometheus' linter (what promtool check metrics does) on the
// result: names, units, help texts, counter suffixes.
func TestMetricsLint(t *testing.T) {
	dir := t.TempDir()
	rulesPath := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesPath, []byte(metricsRules), 0o600); err != nil {
		t.Fatal(err)
	}
	env := Env(func(name string) string {
		return map[string]string{"TEST_INTERCOM_SECRET": "ic-secret", "TEST_WHMCS_SECRET": "wh-secret"}[name]
	})
	opts := DefaultOptions()
	opts.Platforms = testPlatforms
	opts.RulesPath, opts.DataDir, opts.Listen, opts.WatchInterval = rulesPath, filepath.Join(dir, "data"), "127.0.0.1:0", 0
	opts.AdminToken = "metrics-admin"
	ctx, cancel := context.WithCancel(context.Background())
	replies := &replyBuffer{}
	a, err := New(ctx, opts, env, slog.New(slog.DiscardHandler), replies)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)

	created := []byte(`{"type":"notification_event","id":"notif_metrics-1","topic":"conversation.user.created","created_at":1768471200,
		"data":{"item":{"type":"conversation","id":"42","source":{"id":"1","body":"<p>hi</p>","author":{"type":"user","id":"c1","name":"Ada"}}}}}`)
	ping := []byte(`{"type":"notification_event","id":null,"topic":"ping","created_at":1768471200,"data":{"item":{"type":"ping","message":"hi"}}}`)
	guest := []byte(`{"event":"TicketOpen","id":"TicketOpen-metrics","occurred_at":"2026-01-15T10:00:00Z","vars":{"ticketid":7,"userid":0,"message":"hi"}}`)
	deliveries := []struct {
		source string
		body   []byte
		secret string
		want   int
	}{
		{"intercom", created, "ic-secret", http.StatusOK},
		{"intercom", created, "ic-secret", http.StatusOK}, // duplicate
		{"intercom", ping, "ic-secret", http.StatusOK},
		{"intercom", created, "wrong", http.StatusUnauthorized},
		{"intercom", []byte(`{"type":`), "ic-secret", http.StatusBadRequest},
		{"nowhere", created, "ic-secret", http.StatusNotFound},
		{"whmcs", guest, "wh-secret", http.StatusOK},
	}
	for _, d := range deliveries {
		kind := d.source
		if kind == "nowhere" {
			kind = "intercom"
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/"+d.source, bytes.NewReader(d.body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range signHeaders(kind, d.secret, d.body) {
			req.Header[k] = v
		}
		if code := statusOf(t, req); code != d.want {
			t.Errorf("POST /webhooks/%s = %d; want %d", d.source, code, d.want)
		}
	}
	for _, r := range []struct {
		method, path, token string
		want                int
	}{
		{http.MethodGet, "/admin/dlq", "metrics-admin", http.StatusOK},
		{http.MethodGet, "/admin/history", "wrong", http.StatusUnauthorized},
		{http.MethodPost, "/-/reload", "", http.StatusUnauthorized}, // an admin token guards reloads too
		{http.MethodPost, "/-/reload", "metrics-admin", http.StatusOK},
	} {
		req, _ := http.NewRequest(r.method, srv.URL+r.path, nil)
		req.Header.Set("Authorization", "Bearer "+r.token)
		if code := statusOf(t, req); code != r.want {
			t.Errorf("%s %s = %d; want %d", r.method, r.path, code, r.want)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(replies.String(), "Hello Ada") {
		if time.Now().After(deadline) {
			t.Fatalf("the reply was never delivered; log platform output:\n%s", replies.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	problems, err := testutil.GatherAndLint(a.m.Registry)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}

	// The same through the HTTP exposition Prometheus scrapes.
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	problems, err = promlint.New(bytes.NewReader(text)).Lint()
	if err != nil {
		t.Fatalf("/metrics is not valid exposition text: %v", err)
	}
	for _, p := range problems {
		t.Errorf("/metrics: metric %s: %s", p.Metric, p.Text)
	}
	for _, series := range []string{
		`autoresponder_webhook_requests_total{outcome="duplicate",source="intercom"} 1`,
		`autoresponder_webhook_ignored_total{reason="ping",source="intercom"} 1`,
		`autoresponder_rule_errors_total{rule="broken-condition"} 1`,
		`autoresponder_dead_letters 1`,
	} {
		if !strings.Contains(string(text), series+"\n") {
			t.Errorf("/metrics lacks %s (the scenario did not run as meant)", series)
		}
	}
}

func statusOf(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// replyBuffer collects what the log platform prints (the replies).
type replyBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *replyBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *replyBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
