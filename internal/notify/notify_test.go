package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/replier"
)

var testOptions = Options{AllowPrivate: true, Timeout: 2 * time.Second, Now: func() time.Time { return fakeClock }}

var sample = Notification{
	ID: "job-42", Text: `Refund from ana@example.com: <b>"now"</b> & more`,
	Rule: "refund-route", Platform: "intercom", Target: event.Target{Type: "conversation", ID: "123"},
}

// failure is what a send should come back with; zero reason is success.
type failure struct {
	reason     replier.Reason
	retry      bool
	status     int
	message    string
	retryAfter time.Duration
}

func checkOutcome(t *testing.T, err error, want failure) {
	t.Helper()
	if want.reason == "" {
		if err != nil {
			t.Fatalf("Notify failed: %v", err)
		}
		return
	}
	e := platformtest.WantError(t, err, want.reason, want.retry)
	if e.Status != want.status {
		t.Errorf("status %d, want %d", e.Status, want.status)
	}
	if !strings.Contains(e.Message, want.message) {
		t.Errorf("message %q does not contain %q", e.Message, want.message)
	}
	if e.RetryAfter != want.retryAfter {
		t.Errorf("retry after %v, want %v", e.RetryAfter, want.retryAfter)
	}
}

func TestWebhook(t *testing.T) {
	tests := []struct {
		name  string
		reply answer
		want  failure
	}{
		{"200", answer{status: 200, body: `{"received":true}`}, failure{}},
		{"204 with no body", answer{status: 204}, failure{}},
		{"400 says why", answer{status: 400, body: "unknown rule"}, failure{reason: replier.ReasonClientError, status: 400, message: "unknown rule"}},
		{"410 gone", answer{status: 410}, failure{reason: replier.ReasonClientError, status: 410, message: "gone"}},
		{"429 with Retry-After", answer{status: 429, body: "slow down", header: map[string]string{"Retry-After": "30"}},
			failure{reason: replier.ReasonRateLimited, retry: true, status: 429, message: "slow down", retryAfter: 30 * time.Second}},
		{"503", answer{status: 503, body: "maintenance"}, failure{reason: replier.ReasonServerError, retry: true, status: 503, message: "maintenance"}},
		{"500 echoing the secret", answer{status: 500, body: "bad key " + receiverSecret},
			failure{reason: replier.ReasonServerError, retry: true, status: 500, message: "bad key [redacted]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv := newReceiver(t, tt.reply)
			w, err := NewWebhook(WebhookConfig{Name: "crm", URL: recv.server.URL + receiverPath, Secret: receiverSecret, Options: testOptions})
			if err != nil {
				t.Fatal(err)
			}
			err = w.Notify(context.Background(), sample)
			checkOutcome(t, err, tt.want)
			if err != nil && strings.Contains(err.Error(), receiverSecret) {
				t.Fatalf("error leaks the secret: %v", err)
			}
			want := []string{`job-42|crm|refund-route|intercom|conversation/123|` + sample.Text}
			if got := recv.received(); !slices.Equal(got, want) {
				t.Fatalf("receiver got %q, want %q", got, want)
			}
		})
	}
}

func TestWebhookRefusesBeforeSending(t *testing.T) {
	recv := newReceiver(t, answer{status: 200})
	w, err := NewWebhook(WebhookConfig{Name: "crm", URL: recv.server.URL + receiverPath, Secret: receiverSecret, Options: testOptions})
	if err != nil {
		t.Fatal(err)
	}
	empty := sample
	empty.Text = ""
	platformtest.WantError(t, w.Notify(context.Background(), empty), replier.ReasonInvalidRequest, false)
	if got := recv.received(); len(got) != 0 {
		t.Fatalf("an empty notification was sent: %q", got)
	}

	for _, secret := range []string{"", "has space", "tab\tinside"} {
		if _, err := NewWebhook(WebhookConfig{Name: "crm", URL: recv.server.URL, Secret: secret, Options: testOptions}); err == nil {
			t.Errorf("secret %q accepted", secret)
		} else if secret != "" && strings.Contains(err.Error(), secret) {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}

func TestSlack(t *testing.T) {
	tests := []struct {
		name  string
		reply answer
		want  failure
	}{
		{"ok", answer{status: 200, body: "ok"}, failure{}},
		{"invalid_payload", answer{status: 400, body: "invalid_payload"}, failure{reason: replier.ReasonClientError, status: 400, message: "slack: invalid_payload"}},
		{"no_text", answer{status: 400, body: "no_text"}, failure{reason: replier.ReasonClientError, status: 400, message: "slack: no_text"}},
		{"invalid_token", answer{status: 403, body: "invalid_token"}, failure{reason: replier.ReasonClientError, status: 403, message: "slack: invalid_token"}},
		{"no_service", answer{status: 404, body: "no_service"}, failure{reason: replier.ReasonClientError, status: 404, message: "slack: no_service"}},
		{"channel_is_archived", answer{status: 410, body: "channel_is_archived"}, failure{reason: replier.ReasonClientError, status: 410, message: "slack: channel_is_archived"}},
		{"rate limited", answer{status: 429, body: "rate_limited", header: map[string]string{"Retry-After": "12"}},
			failure{reason: replier.ReasonRateLimited, retry: true, status: 429, message: "slack: rate_limited", retryAfter: 12 * time.Second}},
		{"rollup_error", answer{status: 500, body: "rollup_error"}, failure{reason: replier.ReasonServerError, retry: true, status: 500, message: "slack: rollup_error"}},
		{"500 with nothing", answer{status: 500}, failure{reason: replier.ReasonServerError, retry: true, status: 500, message: "internal server error"}},
		{"200 without ok is never retried", answer{status: 200, body: "<html>proxy</html>"},
			failure{reason: replier.ReasonInvalidResponse, status: 200, message: "without \"ok\""}},
		{"echoing the URL", answer{status: 404, body: "no_service for " + slackPath},
			failure{reason: replier.ReasonClientError, status: 404, message: "slack: no_service for [redacted]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sl := newSlack(t, tt.reply)
			s, err := NewSlack(SlackConfig{Name: "ops", URL: sl.server.URL + slackPath, Options: testOptions})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Notify(context.Background(), sample)
			checkOutcome(t, err, tt.want)
			if err != nil && (strings.Contains(err.Error(), "xoxbSecretToken") || strings.Contains(err.Error(), "/services/")) {
				t.Fatalf("error leaks the webhook URL: %v", err)
			}
			// Sent as written: no HTML escaping of <, > and &.
			if got := sl.received(); !slices.Equal(got, []string{sample.Text}) {
				t.Fatalf("slack got %q, want %q", got, sample.Text)
			}
		})
	}
}

// Transport failures quote the URL in net/http's words; the Slack URL is
// a secret and must come out redacted, and the failure stays retryable.
func TestSlackURLNeverInTransportErrors(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL + slackPath
	closed.Close()

	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release) // runs first: lets the handler return so Close can finish

	tests := []struct {
		name   string
		url    string
		reason replier.Reason
	}{
		{"connection refused", url, replier.ReasonNetwork},
		{"timeout", hang.URL + slackPath, replier.ReasonTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := testOptions
			opt.Timeout = 200 * time.Millisecond
			s, err := NewSlack(SlackConfig{Name: "ops", URL: tt.url, Options: opt})
			if err != nil {
				t.Fatal(err)
			}
			e := platformtest.WantError(t, s.Notify(context.Background(), sample), tt.reason, true)
			if strings.Contains(e.Error(), "xoxbSecretToken") || strings.Contains(e.Error(), "/services/") {
				t.Fatalf("error leaks the webhook URL: %v", e)
			}
			if !strings.Contains(e.Message, "[redacted]") {
				t.Fatalf("message %q does not show where the URL was redacted", e.Message)
			}
		})
	}
}

func TestNewSlackNeverQuotesTheURL(t *testing.T) {
	for _, raw := range []string{"", "http://hooks.slack.com" + slackPath, "https://hooks.slack.com" + slackPath + "#x", "https://%zz" + slackPath} {
		_, err := NewSlack(SlackConfig{Name: "ops", URL: raw})
		if err == nil {
			t.Errorf("NewSlack(%q) accepted", raw)
			continue
		}
		if strings.Contains(err.Error(), "xoxbSecretToken") {
			t.Errorf("NewSlack error quotes the URL: %v", err)
		}
	}
}

func TestEscapeSlack(t *testing.T) {
	tests := map[string]string{
		"plain":                     "plain",
		"<!channel> now":            "&lt;!channel&gt; now",
		"<https://evil.example|ok>": "&lt;https://evil.example|ok&gt;",
		"a & b":                     "a &amp; b",
		"&lt; already":              "&amp;lt; already",
	}
	for in, want := range tests {
		if got := EscapeSlack(in); got != want {
			t.Errorf("EscapeSlack(%q) = %q, want %q", in, got, want)
		}
	}
}
