package chatwoot_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/chatwoot"
	"github.com/supportops/autoresponder/internal/platform/chatwoot/chatwootfake"
	"github.com/supportops/autoresponder/internal/replier"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func account(f *chatwootfake.Fake) *platform.Account {
	secrets := f.Secrets()
	return &platform.Account{
		Name: "cw", BaseURL: f.BaseURL(), Settings: settings(f.Settings()), Timeout: 5 * time.Second,
		Now: func() time.Time { return now },
		Secret: func(key string) ([]byte, error) {
			if v, ok := secrets[key]; ok {
				return []byte(v), nil
			}
			return nil, errors.New("no secret " + key)
		},
	}
}

func newReplier(t *testing.T) (replier.Replier, *chatwootfake.Fake) {
	t.Helper()
	f := chatwootfake.New(t)
	r, err := chatwoot.New().NewReplier(account(f))
	if err != nil {
		t.Fatalf("NewReplier: %v", err)
	}
	return r, f
}

func request(as, id, body string) *replier.Request {
	return &replier.Request{Platform: "cw", As: as, Target: event.Target{Type: event.TargetConversation, ID: id}, Body: body}
}

func TestSendCommentAndNote(t *testing.T) {
	cases := []struct {
		as      string
		private bool
	}{
		{platform.AsComment, false},
		{platform.AsNote, true},
	}
	for _, c := range cases {
		t.Run(c.as, func(t *testing.T) {
			r, f := newReplier(t)
			body := "Hi **Maria**, we are on it.\nLine two."
			res, err := r.Send(context.Background(), request(c.as, "84", body))
			if err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			msgs := f.Messages()
			if len(msgs) != 1 {
				t.Fatalf("fake got %d messages, problems %q", len(msgs), f.Problems())
			}
			m := msgs[0]
			if m.ConversationID != "84" || m.Content != body || m.MessageType != "outgoing" || m.Private != c.private || m.ContentType != "text" {
				t.Errorf("posted %+v, want outgoing text %q to 84 with private=%v", m, body, c.private)
			}
			if len(m.Body) != 4 {
				t.Errorf("body keys %v, want content, message_type, private and content_type only", m.Body)
			}
			if res.ResponseID != "1001" || res.Status != http.StatusOK {
				t.Errorf("result %+v, want the created message's id 1001 and status 200", res)
			}
		})
	}
}

func TestSupportsIsTheCapabilityTable(t *testing.T) {
	r, _ := newReplier(t)
	cases := []struct {
		as, target string
		want       bool
	}{
		{platform.AsComment, event.TargetConversation, true},
		{platform.AsNote, event.TargetConversation, true},
		{platform.AsComment, event.TargetTicket, false},
		{platform.AsNote, event.TargetTicket, false},
		{"quick_reply", event.TargetConversation, false},
	}
	for _, c := range cases {
		if got := r.Supports(c.as, c.target); got != c.want {
			t.Errorf("Supports(%s, %s) = %v, want %v", c.as, c.target, got, c.want)
		}
	}
	if r.Kind() != "chatwoot" {
		t.Errorf("Kind = %q", r.Kind())
	}
}

// Requests the bot can tell are wrong never reach Chatwoot.
func TestSendRefusesBeforeSending(t *testing.T) {
	cases := []struct {
		name string
		req  *replier.Request
		says string
	}{
		{"nil", nil, "nil request"},
		{"ticket", &replier.Request{As: platform.AsComment, Target: event.Target{Type: event.TargetTicket, ID: "84"}, Body: "x"}, `cannot post a "comment" to a "ticket"`},
		{"quick reply", request("quick_reply", "84", "x"), `cannot post a "quick_reply"`},
		{"path in the id", request(platform.AsComment, "84/../../1", "x"), "path separator"},
		{"id not a number", request(platform.AsComment, "abc", "x"), "not a display id"},
		{"empty id", request(platform.AsComment, "", "x"), "target id is empty"},
		{"empty body", request(platform.AsNote, "84", " \n "), "empty body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			_, err := r.Send(context.Background(), c.req)
			var e *replier.Error
			if !errors.As(err, &e) || e.Reason != replier.ReasonInvalidRequest || e.Retry {
				t.Fatalf("error %v, want a permanent invalid_request", err)
			}
			if !strings.Contains(e.Message, c.says) {
				t.Errorf("message %q, want it to say %q", e.Message, c.says)
			}
			if f.Accepted() != 0 || len(f.Problems()) != 0 {
				t.Errorf("the request reached the fake")
			}
		})
	}
}

// Chatwoot answers errors in several shapes; the dead letter must carry
// what it said.
func TestSendErrorShapes(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"documented shape", 404, `{"description":"Conversation not found","errors":[{"field":"conversation_id","message":"does not exist","code":"not_found"}]}`,
			"Conversation not found; conversation_id: does not exist"},
		{"errors as strings", 422, `{"errors":["Content can't be blank"]}`, "Content can't be blank"},
		{"error key", 401, `{"error":"Invalid Access Token"}`, "Invalid Access Token"},
		{"message key", 422, `{"message":"Content is too long (maximum is 150000 characters)","attributes":["content"]}`, "Content is too long"},
		{"description repeated in errors", 403, `{"description":"Access denied","errors":[{"message":"Access denied"}]}`, "Access denied"},
		{"HTML from a proxy", 502, `<html><body><h1>502 Bad Gateway</h1></body></html>`, "502 Bad Gateway"},
		{"empty body", 503, ``, "service unavailable"},
		{"JSON without a message", 500, `{"status":500}`, `{"status":500}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			f.Answer(c.status, nil, c.body)
			_, err := r.Send(context.Background(), request(platform.AsComment, "84", "hello"))
			var e *replier.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not a *replier.Error", err)
			}
			if e.Status != c.status {
				t.Errorf("status %d, want %d", e.Status, c.status)
			}
			if c.name == "description repeated in errors" {
				if e.Message != c.want {
					t.Errorf("message %q, want %q once", e.Message, c.want)
				}
			} else if !strings.Contains(e.Message, c.want) {
				t.Errorf("message %q, want it to contain %q", e.Message, c.want)
			}
		})
	}
}

func TestSendRedactsTheToken(t *testing.T) {
	r, f := newReplier(t)
	f.Answer(http.StatusUnauthorized, nil, `{"error":"token `+chatwootfake.DefaultToken+` is revoked"}`)
	_, err := r.Send(context.Background(), request(platform.AsComment, "84", "hello"))
	if err == nil || strings.Contains(err.Error(), chatwootfake.DefaultToken) || !strings.Contains(err.Error(), "[redacted] is revoked") {
		t.Fatalf("error %v: want the token redacted and the rest kept", err)
	}
}

// A 2xx the bot cannot read may still have posted the reply: it is never
// retried.
func TestSendInvalidResponse(t *testing.T) {
	for _, body := range []string{`not json`, `{}`, `{"id":null}`, `{"id":true}`, `{"id":""}`, `{"id":-4}`, `[]`} {
		t.Run(body, func(t *testing.T) {
			r, f := newReplier(t)
			f.Answer(http.StatusOK, nil, body)
			_, err := r.Send(context.Background(), request(platform.AsComment, "84", "hello"))
			var e *replier.Error
			if !errors.As(err, &e) || e.Reason != replier.ReasonInvalidResponse || e.Retry {
				t.Fatalf("error %v, want a permanent invalid_response", err)
			}
		})
	}
	t.Run("string id", func(t *testing.T) {
		r, f := newReplier(t)
		f.Answer(http.StatusOK, nil, `{"id":"m-77"}`)
		res, err := r.Send(context.Background(), request(platform.AsComment, "84", "hello"))
		if err != nil || res.ResponseID != "m-77" {
			t.Fatalf("result %+v, error %v: want response id m-77", res, err)
		}
	})
}

func TestRateLimitHeaders(t *testing.T) {
	cases := []struct {
		name   string
		header http.Header
		want   replier.RateLimit
	}{
		{"none (Rack::Attack's default)", nil, replier.RateLimit{}},
		{"reset in seconds", http.Header{"Ratelimit-Limit": {"3000"}, "Ratelimit-Remaining": {"12"}, "Ratelimit-Reset": {"40"}},
			replier.RateLimit{Known: true, Limit: 3000, Remaining: 12, Reset: now.Add(40 * time.Second)}},
		{"reset as unix time", http.Header{"Ratelimit-Limit": {"3000"}, "Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"1772445660"}},
			replier.RateLimit{Known: true, Limit: 3000, Remaining: 0, Reset: time.Unix(1772445660, 0)}},
		{"limit without remaining", http.Header{"Ratelimit-Limit": {"3000"}}, replier.RateLimit{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			f.Answer(0, c.header, "")
			res, err := r.Send(context.Background(), request(platform.AsComment, "84", "hello"))
			if err != nil {
				t.Fatal(err)
			}
			if got := res.RateLimit; got.Known != c.want.Known || got.Limit != c.want.Limit || got.Remaining != c.want.Remaining || !got.Reset.Equal(c.want.Reset) {
				t.Errorf("RateLimit = %+v, want %+v", got, c.want)
			}
		})
	}
	t.Run("on a 429", func(t *testing.T) {
		r, f := newReplier(t)
		f.Answer(http.StatusTooManyRequests, http.Header{"Ratelimit-Limit": {"3000"}, "Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"25"}}, `Retry later`)
		_, err := r.Send(context.Background(), request(platform.AsComment, "84", "hello"))
		var e *replier.Error
		if !errors.As(err, &e) || e.Reason != replier.ReasonRateLimited || !e.Retry || e.RetryAfter != 25*time.Second || e.RateLimit.Limit != 3000 {
			t.Fatalf("error %+v, want rate_limited, retried after the 25 s reset", err)
		}
		if !strings.Contains(e.Message, "Retry later") {
			t.Errorf("message %q lost Rack::Attack's body", e.Message)
		}
	})
}

func TestNewReplierRefusesBadAccounts(t *testing.T) {
	f := chatwootfake.New(t)
	cases := []struct {
		name   string
		change func(a *platform.Account)
		says   string
	}{
		{"no base_url", func(a *platform.Account) { a.BaseURL = "" }, "base_url is required"},
		{"base_url with credentials", func(a *platform.Account) { a.BaseURL = "https://u:p@chat.example.com" }, "credentials"},
		{"no account id", func(a *platform.Account) { delete(a.Settings.Values, "account_id") }, "account_id"},
		{"no token", func(a *platform.Account) {
			a.Secret = func(string) ([]byte, error) { return nil, errors.New("token_env CW_TOKEN is not set") }
		}, "CW_TOKEN is not set"},
		{"token with a newline", func(a *platform.Account) {
			a.Secret = func(string) ([]byte, error) { return []byte("tok-secret-123\n"), nil }
		}, "whitespace"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := account(f)
			c.change(a)
			_, err := chatwoot.New().NewReplier(a)
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("error %v, want it to say %q", err, c.says)
			}
			if strings.Contains(err.Error(), "tok-secret-123") || strings.Contains(err.Error(), chatwootfake.DefaultToken) {
				t.Errorf("error quotes the token: %v", err)
			}
		})
	}
}
