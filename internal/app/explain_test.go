package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/rules"
)

// headerRules: a Help Scout source, whose event name arrives in the
// X-HelpScout-Event header, and rules on that name.
const headerRules = `
sources:
  helpscout: {kind: helpscout, secret_env: TEST_HELPSCOUT_SECRET}
platforms:
  helpscout: {kind: log}
rules:
  - name: refund-note
    source: helpscout
    when: topic == "convo.created" && ticket.subject == "Refund"
    reply: {as: note, body: "refund request"}
  - name: on-reply
    source: helpscout
    when: topic == "convo.customer.reply.created"
    reply: {as: note, body: "replied"}
`

// startExplainBot runs an App with headerRules and returns its handler's
// URL and the App.
func startExplainBot(t *testing.T) (string, *App) {
	t.Helper()
	dir := t.TempDir()
	rulesPath := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesPath, []byte(headerRules), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.Platforms = testPlatforms
	opts.RulesPath, opts.DataDir, opts.Listen, opts.WatchInterval = rulesPath, filepath.Join(dir, "data"), "127.0.0.1:0", 0
	opts.AdminToken = "explain-admin"
	env := Env(func(name string) string { return map[string]string{"TEST_HELPSCOUT_SECRET": "hs-secret"}[name] })
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, opts, env, slog.New(slog.DiscardHandler), &replyBuffer{})
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
	return srv.URL, a
}

// explainStored asks the admin API to explain a stored event.
func explainStored(t *testing.T, url, source, id string) (int, rules.Explanation, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/admin/explain/"+source+"/"+id, nil)
	req.Header.Set("Authorization", "Bearer explain-admin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(resp.Body)
	var ex rules.Explanation
	_ = json.Unmarshal(raw.Bytes(), &ex)
	return resp.StatusCode, ex, raw.String()
}

// A stored Help Scout event explains as it arrived: its name came in a
// header, which the store keeps with the body. An event stored without
// it (by a release that did not keep headers) says how to explain it
// instead of failing with a server error.
func TestExplainStoredEventUsesItsHeaders(t *testing.T) {
	url, a := startExplainBot(t)
	body := []byte(`{"id": 101, "number": 7, "subject": "Refund", "status": "active", "state": "published",
		"createdBy": {"id": 12, "type": "customer", "email": "ada@example.com"}, "primaryCustomer": {"id": 12},
		"preview": "I want my money back", "createdAt": "2026-01-07T11:00:00Z"}`)
	req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/helpscout", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range signHeaders("helpscout", "hs-secret", body) {
		req.Header[k] = v
	}
	req.Header.Set("X-HelpScout-Event", "convo.created")
	if code := statusOf(t, req); code != http.StatusOK {
		t.Fatalf("POST /webhooks/helpscout = %d, want 200", code)
	}
	// As the previous release stored it: the body and no headers.
	old := &queue.Intake{Source: "helpscout", EventID: "convo.created:202", Topic: "convo.created", ReceivedAt: time.Now(),
		Payload: []byte(`{"id": 202, "subject": "Refund"}`),
		Actions: []queue.Action{{Rule: "refund-note", Platform: "helpscout", Shadow: true, ClaimKey: "k", TargetKey: "helpscout:conversation:202"}}}
	if _, err := a.store.Accept(context.Background(), old); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, id    string
		status      int
		topic       string
		verdicts    map[string]string
		errContains string
	}{
		{name: "kept with its header", id: "convo.created:101", status: http.StatusOK, topic: "convo.created",
			verdicts: map[string]string{"refund-note": rules.VerdictMatched, "on-reply": rules.VerdictNoMatch}},
		{name: "stored without it", id: "convo.created:202", status: http.StatusUnprocessableEntity,
			errContains: "stored without its X-HelpScout-Event header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ex, raw := explainStored(t, url, "helpscout", tt.id)
			if status != tt.status {
				t.Fatalf("GET /admin/explain = %d, want %d\n%s", status, tt.status, raw)
			}
			if tt.errContains != "" && !strings.Contains(raw, tt.errContains) {
				t.Errorf("answer %s, want one saying %q", raw, tt.errContains)
			}
			if ex.Topic != tt.topic {
				t.Errorf("topic %q, want %q", ex.Topic, tt.topic)
			}
			for _, r := range ex.Rules {
				if want, ok := tt.verdicts[r.Rule]; ok && r.Verdict != want {
					t.Errorf("rule %s: verdict %s, want %s", r.Rule, r.Verdict, want)
				}
				delete(tt.verdicts, r.Rule)
			}
			if len(tt.verdicts) > 0 {
				t.Errorf("rules missing from the explanation: %v", tt.verdicts)
			}
		})
	}
}
