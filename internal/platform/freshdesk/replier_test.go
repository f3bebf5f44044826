package freshdesk_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/freshdesk"
	"github.com/supportops/autoresponder/internal/platform/freshdesk/freshdeskfake"
	"github.com/supportops/autoresponder/internal/replier"
)

func account(baseURL, key string) *platform.Account {
	return &platform.Account{
		Name: "fd", BaseURL: baseURL, Timeout: 5 * time.Second, Now: time.Now,
		Settings: &platform.Settings{Values: map[string]string{}, Secrets: map[string]bool{freshdesk.SettingAPIKey: true}},
		Secret: func(k string) ([]byte, error) {
			if k != freshdesk.SettingAPIKey {
				return nil, errors.New("no such secret")
			}
			return []byte(key), nil
		},
	}
}

func newReplier(t *testing.T) (replier.Replier, *freshdeskfake.Server) {
	t.Helper()
	f := freshdeskfake.New(t)
	r, err := freshdesk.New().NewReplier(account(f.BaseURL(), freshdeskfake.APIKey))
	if err != nil {
		t.Fatal(err)
	}
	return r, f
}

func request(as, id, body string) *replier.Request {
	return &replier.Request{Platform: "fd", As: as, Target: event.Target{Type: event.TargetTicket, ID: id}, Body: body}
}

func TestSendReplyAndNote(t *testing.T) {
	const html = `<p>Hi <b>Ada</b> &amp; "team"</p>`
	cases := []struct {
		as, endpoint string
		private      any
	}{
		{platform.AsComment, "reply", nil},
		{platform.AsNote, "notes", true},
	}
	for _, c := range cases {
		t.Run(c.as, func(t *testing.T) {
			r, f := newReplier(t)
			res, err := r.Send(context.Background(), request(c.as, "4242", html))
			if err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			reqs := f.Requests()
			if len(reqs) != 1 {
				t.Fatalf("fake saw %d requests, problems %q", len(reqs), f.Problems())
			}
			got := reqs[0]
			if got.Endpoint != c.endpoint || got.TicketID != "4242" || got.Body["body"] != html || got.Body["private"] != c.private {
				t.Errorf("request = %+v, want %s on 4242 with the HTML as written and private %v", got, c.endpoint, c.private)
			}
			if res.ResponseID == "" || res.Status != http.StatusCreated {
				t.Errorf("result = %+v, want the created conversation's id and 201", res)
			}
			if !res.RateLimit.Known || res.RateLimit.Limit != 3000 {
				t.Errorf("rate limit = %+v, want X-RateLimit-Total read", res.RateLimit)
			}
		})
	}
}

func TestSendRefusesBeforeSending(t *testing.T) {
	cases := []struct {
		name string
		req  *replier.Request
		want string
	}{
		{"nil request", nil, "nil request"},
		{"conversation target", &replier.Request{As: "comment", Target: event.Target{Type: "conversation", ID: "1"}, Body: "x"}, "cannot post"},
		{"unknown kind", request("quick_reply", "1", "x"), "cannot post"},
		{"id with a slash", request("note", "1/../2", "x"), "path separator"},
		{"id not a number", request("note", "abc", "x"), "not a number"},
		{"empty body", request("comment", "1", "  "), "body is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			_, err := r.Send(context.Background(), c.req)
			var e *replier.Error
			if !errors.As(err, &e) || e.Reason != replier.ReasonInvalidRequest || e.Retry {
				t.Fatalf("error %v, want a permanent invalid_request", err)
			}
			if !strings.Contains(e.Message, c.want) {
				t.Errorf("message %q, want %q", e.Message, c.want)
			}
			if f.Accepted()+len(f.Problems()) != 0 {
				t.Error("the request reached Freshdesk")
			}
		})
	}
}

func TestErrorShapes(t *testing.T) {
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		reason replier.Reason
		retry  bool
		msg    string
		after  time.Duration
	}{
		{"validation failed", 400, nil,
			`{"description":"Validation failed","errors":[{"field":"body","message":"It should not be blank","code":"invalid_value"},{"field":"user_id","message":"There is no agent matching the given user_id","code":"invalid_value"}]}`,
			replier.ReasonClientError, false, "Validation failed: body: It should not be blank (invalid_value); user_id: There is no agent matching the given user_id (invalid_value)", 0},
		{"code and message", 401, nil, `{"code":"invalid_credentials","message":"You have to be logged in to perform this action."}`,
			replier.ReasonClientError, false, "invalid_credentials: You have to be logged in to perform this action.", 0},
		{"ticket gone", 404, nil, ``, replier.ReasonClientError, false, "not found", 0},
		{"rate limited", 429, http.Header{"Retry-After": {"42"}, "X-Ratelimit-Remaining": {"0"}}, `{"code":"too_many_requests","message":"slow down"}`,
			replier.ReasonRateLimited, true, "too_many_requests: slow down", 42 * time.Second},
		{"html error page", 502, nil, `<html><body>Bad gateway</body></html>`, replier.ReasonServerError, true, "Bad gateway", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			f.Answer(c.status, c.header, c.body)
			_, err := r.Send(context.Background(), request("note", "9", "hi"))
			var e *replier.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not a *replier.Error", err)
			}
			if e.Reason != c.reason || e.Retry != c.retry || e.Status != c.status || e.RetryAfter != c.after {
				t.Errorf("error %+v, want %s retry %v after %v", e, c.reason, c.retry, c.after)
			}
			if !strings.Contains(e.Message, c.msg) {
				t.Errorf("message %q, want it to carry %q", e.Message, c.msg)
			}
			if c.status == 429 && (!e.RateLimit.Known || e.RateLimit.Remaining != 0) {
				t.Errorf("rate limit %+v, want 0 remaining read from the 429", e.RateLimit)
			}
		})
	}
}

func TestUnreadableSuccessIsNotRetried(t *testing.T) {
	for _, body := range []string{`not json`, `{"body":"<p>x</p>"}`, `{"id":"abc"}`, ``} {
		r, f := newReplier(t)
		f.Answer(http.StatusCreated, nil, body)
		_, err := r.Send(context.Background(), request("comment", "9", "hi"))
		var e *replier.Error
		if !errors.As(err, &e) || e.Reason != replier.ReasonInvalidResponse || e.Retry {
			t.Errorf("body %q: error %v, want a permanent invalid_response", body, err)
		}
	}
}

func TestSecretsStayOutOfErrors(t *testing.T) {
	r, f := newReplier(t)
	basic := freshdesk.BasicAuth(freshdeskfake.APIKey, "X")
	// A platform echoing the credentials back.
	f.Answer(400, nil, `{"code":"bad","message":"key `+freshdeskfake.APIKey+` header `+basic+`"}`)
	_, err := r.Send(context.Background(), request("comment", "9", "hi"))
	if err == nil {
		t.Fatal("Send succeeded")
	}
	for _, s := range []string{freshdeskfake.APIKey, strings.TrimPrefix(basic, "Basic ")} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error quotes a secret: %v", err)
		}
	}
}

func TestNewReplierRefusals(t *testing.T) {
	p := freshdesk.New()
	cases := []struct {
		name string
		a    *platform.Account
		want string
	}{
		{"api path in base URL", account("https://yourco.freshdesk.com/api/v2", "k"), "without /api/v2"},
		{"no scheme", account("yourco.freshdesk.com", "k"), "scheme"},
		{"empty key", account("https://yourco.freshdesk.com", ""), "api_key is empty"},
		{"key with a space", account("https://yourco.freshdesk.com", "a key"), "whitespace"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := p.NewReplier(c.a)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	r, err := p.NewReplier(account("https://yourco.freshdesk.com/", "k"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != "freshdesk" || !r.Supports("note", "ticket") || r.Supports("note", "conversation") {
		t.Errorf("Kind %q / Supports disagree with the capability table", r.Kind())
	}
}
