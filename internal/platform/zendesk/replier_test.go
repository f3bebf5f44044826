package zendesk_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/zendesk"
	"github.com/supportops/autoresponder/internal/platform/zendesk/zendeskfake"
	"github.com/supportops/autoresponder/internal/replier"
)

// accountFor configures an account against f, with extra settings.
func accountFor(f *zendeskfake.Fake, extra ...string) *platform.Account {
	s := settings(extra...)
	for k, v := range f.Settings() {
		if _, set := s.Values[k]; !set {
			s.Values[k] = v
		}
	}
	secrets := f.Secrets()
	for k := range secrets {
		s.Secrets[k] = true
	}
	return &platform.Account{
		Name: "zd", BaseURL: f.BaseURL(), Settings: s, Timeout: 5 * time.Second, Now: time.Now,
		Secret: func(key string) ([]byte, error) {
			v, ok := secrets[key]
			if !ok {
				return nil, errors.New(key + " not configured")
			}
			return []byte(v), nil
		},
	}
}

func newReplier(t *testing.T, f *zendeskfake.Fake, extra ...string) replier.Replier {
	t.Helper()
	r, err := zendesk.New().NewReplier(accountFor(f, extra...))
	if err != nil {
		t.Fatalf("NewReplier: %v", err)
	}
	return r
}

func reply(as, body string, html bool) *replier.Request {
	req := &replier.Request{Platform: "zd", As: as, Target: event.Target{Type: event.TargetTicket, ID: "5158"}, Body: body}
	if html {
		req.Set(zendesk.FieldHTML, replier.Value{Bool: true})
	}
	return req
}

func TestSendRendersTheComment(t *testing.T) {
	cases := []struct {
		name   string
		req    *replier.Request
		extra  []string
		want   map[string]any
		oauth  bool
		noAuth bool
	}{
		{name: "public reply, text", req: reply("comment", "Hello <3", false),
			want: map[string]any{"body": "Hello <3", "public": true, "author_id": json.Number(zendeskfake.DefaultAgentID)}},
		{name: "private note, HTML", req: reply("note", "<p>Checked &amp; done</p>", true),
			want: map[string]any{"html_body": "<p>Checked &amp; done</p>", "public": false, "author_id": json.Number(zendeskfake.DefaultAgentID)}},
		{name: "without author_id", req: reply("comment", "Hi", false), extra: []string{zendesk.SettingSendAuthorID, "false"},
			want: map[string]any{"body": "Hi", "public": true}},
		{name: "OAuth", req: reply("note", "Hi", false), oauth: true,
			want: map[string]any{"body": "Hi", "public": false, "author_id": json.Number(zendeskfake.DefaultAgentID)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := zendeskfake.New(t, zendeskfake.Options{OAuth: c.oauth})
			res, err := newReplier(t, f, c.extra...).Send(context.Background(), c.req)
			if err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			reqs := f.Requests()
			if len(reqs) != 1 {
				t.Fatalf("fake accepted %d requests, problems %q", len(reqs), f.Problems())
			}
			got := reqs[0]
			if got.TicketID != "5158" {
				t.Errorf("ticket %q", got.TicketID)
			}
			if len(got.Comment) != len(c.want) {
				t.Errorf("comment %v, want %v", got.Comment, c.want)
			}
			for k, v := range c.want {
				if got.Comment[k] != v {
					t.Errorf("comment.%s = %#v, want %#v", k, got.Comment[k], v)
				}
			}
			if res.ResponseID != got.CommentID || res.Status != http.StatusOK {
				t.Errorf("result %+v, want the new comment's id %s", res, got.CommentID)
			}
			if !res.RateLimit.Known || res.RateLimit.Limit != 700 {
				t.Errorf("rate limit %+v, want X-Rate-Limit read", res.RateLimit)
			}
		})
	}
}

func TestSendRefusesWhatZendeskWould(t *testing.T) {
	cases := []struct {
		name string
		req  *replier.Request
		want string
	}{
		{"ticket id not a number", &replier.Request{As: "comment", Target: event.Target{Type: "ticket", ID: "../users/1"}, Body: "x"}, "not a Zendesk ticket number"},
		{"conversation target", &replier.Request{As: "comment", Target: event.Target{Type: "conversation", ID: "1"}, Body: "x"}, "cannot post"},
		{"unknown kind", &replier.Request{As: "quick_reply", Target: event.Target{Type: "ticket", ID: "1"}, Body: "x"}, "cannot post"},
		{"blank body", &replier.Request{As: "note", Target: event.Target{Type: "ticket", ID: "1"}, Body: " \n"}, "body is empty"},
		{"nil", nil, "nil request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := zendeskfake.New(t, zendeskfake.Options{})
			_, err := newReplier(t, f).Send(context.Background(), c.req)
			var e *replier.Error
			if !errors.As(err, &e) || e.Reason != replier.ReasonInvalidRequest || e.Retry {
				t.Fatalf("Send = %v, want a permanent invalid_request", err)
			}
			if !strings.Contains(e.Message, c.want) {
				t.Errorf("message %q, want %q", e.Message, c.want)
			}
			if n := f.Accepted() + len(f.Problems()); n != 0 {
				t.Errorf("%d requests reached Zendesk", n)
			}
		})
	}
}

func TestSendReadsZendeskErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		reason replier.Reason
		retry  bool
		want   string
		after  time.Duration
	}{
		{name: "record invalid", status: 422,
			body:   `{"error":"RecordInvalid","description":"Record validation errors","details":{"base":[{"description":"Ticket has reached the comment limit","error":"CommentLimit"}],"author_id":[{"error":"InvalidValue"}]}}`,
			reason: replier.ReasonClientError, want: "RecordInvalid: Record validation errors (author_id: InvalidValue; base: Ticket has reached the comment limit)"},
		{name: "bare error", status: 401, body: `{"error":"Couldn't authenticate you"}`, reason: replier.ReasonClientError, want: "Couldn't authenticate you"},
		{name: "error object", status: 403, body: `{"error":{"title":"Forbidden","message":"You do not have access to this page."}}`,
			reason: replier.ReasonClientError, want: "Forbidden: You do not have access to this page."},
		{name: "not found", status: 404, body: `{"error":"RecordNotFound","description":"Not found"}`, reason: replier.ReasonClientError, want: "RecordNotFound: Not found"},
		{name: "rate limited", status: 429, header: http.Header{"Retry-After": {"30"}}, body: `{"error":"TooManyRequests","description":"Rate limit exceeded"}`,
			reason: replier.ReasonRateLimited, retry: true, want: "TooManyRequests", after: 30 * time.Second},
		{name: "rate limited, reset only", status: 429,
			header: http.Header{"Ratelimit-Limit": {"100"}, "Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"12"}},
			body:   `{"error":"TooManyRequests"}`, reason: replier.ReasonRateLimited, retry: true, want: "TooManyRequests", after: 12 * time.Second},
		{name: "HTML from a proxy", status: 502, body: "<html><body>Bad Gateway</body></html>", reason: replier.ReasonServerError, retry: true, want: "Bad Gateway"},
		{name: "empty 503", status: 503, reason: replier.ReasonServerError, retry: true, want: "service unavailable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := zendeskfake.New(t, zendeskfake.Options{})
			f.Answer(c.status, c.header, c.body)
			_, err := newReplier(t, f).Send(context.Background(), reply("comment", "Hi", false))
			var e *replier.Error
			if !errors.As(err, &e) {
				t.Fatalf("Send = %v, want a *replier.Error", err)
			}
			if e.Reason != c.reason || e.Retry != c.retry || e.Status != c.status {
				t.Errorf("reason %s retry %v status %d, want %s %v %d", e.Reason, e.Retry, e.Status, c.reason, c.retry, c.status)
			}
			if !strings.Contains(e.Message, c.want) {
				t.Errorf("message %q, want %q", e.Message, c.want)
			}
			if c.after != 0 && (e.RetryAfter < c.after-time.Second || e.RetryAfter > c.after) {
				t.Errorf("RetryAfter %v, want %v", e.RetryAfter, c.after)
			}
		})
	}
}

func TestSendUnreadableSuccessIsNotRetried(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":          "OK",
		"no ticket":         `{"audit":{"id":1}}`,
		"ticket without id": `{"ticket":{"status":"open"}}`,
		"empty":             "",
	} {
		t.Run(name, func(t *testing.T) {
			f := zendeskfake.New(t, zendeskfake.Options{})
			f.Answer(http.StatusOK, nil, body)
			_, err := newReplier(t, f).Send(context.Background(), reply("comment", "Hi", false))
			var e *replier.Error
			if !errors.As(err, &e) || e.Reason != replier.ReasonInvalidResponse || e.Retry {
				t.Fatalf("Send = %v, want a permanent invalid_response (the reply may be posted)", err)
			}
		})
	}
}

func TestSendResponseIDFallsBackToTheTicket(t *testing.T) {
	f := zendeskfake.New(t, zendeskfake.Options{})
	f.Answer(http.StatusOK, nil, `{"ticket":{"id":5158}}`)
	res, err := newReplier(t, f).Send(context.Background(), reply("comment", "Hi", false))
	if err != nil || res.ResponseID != "5158" {
		t.Fatalf("Send = %+v, %v; want the ticket id when the answer has no audit", res, err)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	cases := []struct {
		name             string
		header           http.Header
		limit, remaining int
		reset            bool
	}{
		{"account headers", http.Header{"X-Rate-Limit": {"400"}, "X-Rate-Limit-Remaining": {"399"}}, 400, 399, false},
		{"endpoint headers", http.Header{"X-Rate-Limit": {""}, "Ratelimit-Limit": {"100"}, "Ratelimit-Remaining": {"40"}, "Ratelimit-Reset": {"20"}}, 100, 40, true},
		{"both: the tighter binds", http.Header{"X-Rate-Limit": {"400"}, "X-Rate-Limit-Remaining": {"399"}, "Ratelimit-Limit": {"100"}, "Ratelimit-Remaining": {"3"}, "Ratelimit-Reset": {"20"}}, 100, 3, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := zendeskfake.New(t, zendeskfake.Options{})
			f.Answer(0, c.header, "")
			res, err := newReplier(t, f).Send(context.Background(), reply("comment", "Hi", false))
			if err != nil {
				t.Fatal(err)
			}
			rl := res.RateLimit
			if !rl.Known || rl.Limit != c.limit || rl.Remaining != c.remaining || rl.Reset.IsZero() == c.reset {
				t.Errorf("rate limit %+v, want %d/%d reset %v", rl, c.remaining, c.limit, c.reset)
			}
		})
	}
}

func TestSecretsStayOutOfErrors(t *testing.T) {
	f := zendeskfake.New(t, zendeskfake.Options{})
	basic := base64.StdEncoding.EncodeToString([]byte(zendeskfake.DefaultEmail + "/token:" + zendeskfake.DefaultToken))
	f.Answer(http.StatusBadRequest, nil, `{"error":"InvalidToken `+zendeskfake.DefaultToken+`","description":"sent Basic `+basic+`"}`)
	_, err := newReplier(t, f).Send(context.Background(), reply("comment", "Hi", false))
	if err == nil {
		t.Fatal("Send succeeded")
	}
	if strings.Contains(err.Error(), zendeskfake.DefaultToken) || strings.Contains(err.Error(), basic) {
		t.Errorf("error quotes a secret: %v", err)
	}
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error %v: the platform's message should stay, secrets redacted", err)
	}
}

func TestFakeRefusesWrongCredentials(t *testing.T) {
	f := zendeskfake.New(t, zendeskfake.Options{})
	acc := accountFor(f)
	acc.Secret = func(string) ([]byte, error) { return []byte("wrong-token"), nil }
	r, err := zendesk.New().NewReplier(acc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Send(context.Background(), reply("comment", "Hi", false))
	var e *replier.Error
	if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || !strings.Contains(e.Message, "Couldn't authenticate you") {
		t.Fatalf("Send = %v, want Zendesk's 401", err)
	}
	if len(f.Problems()) != 1 {
		t.Errorf("fake problems %q", f.Problems())
	}
}

func TestNewReplierRefusesBadAccounts(t *testing.T) {
	f := zendeskfake.New(t, zendeskfake.Options{})
	cases := []struct {
		name string
		edit func(a *platform.Account)
		want string
	}{
		{"API base URL", func(a *platform.Account) { a.BaseURL += "/api/v2" }, "without /api/v2"},
		{"no email", func(a *platform.Account) { delete(a.Settings.Values, zendesk.SettingEmail) }, "email"},
		{"email with a colon", func(a *platform.Account) { a.Settings.Values[zendesk.SettingEmail] = "a:b@example.com" }, "':'"},
		{"agent id not a number", func(a *platform.Account) { a.Settings.Values[zendesk.SettingAgentID] = "bot" }, "agent_id"},
		{"oauth without its token", func(a *platform.Account) { a.Settings.Values[zendesk.SettingAuth] = zendesk.AuthOAuth }, "oauth_token"},
		{"token with a newline", func(a *platform.Account) {
			a.Secret = func(string) ([]byte, error) { return []byte(zendeskfake.DefaultToken + "\n"), nil }
		}, "whitespace"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := accountFor(f)
			c.edit(a)
			_, err := zendesk.New().NewReplier(a)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("NewReplier = %v, want an error about %q", err, c.want)
			}
			if strings.Contains(err.Error(), zendeskfake.DefaultToken) {
				t.Errorf("error quotes the token: %v", err)
			}
		})
	}
}

func TestSupportsIsTheCapabilityTable(t *testing.T) {
	f := zendeskfake.New(t, zendeskfake.Options{})
	r := newReplier(t, f)
	for _, as := range []string{"comment", "note", "quick_reply", "contact_reply"} {
		for _, target := range []string{event.TargetTicket, event.TargetConversation} {
			want := false
			for _, c := range zendesk.New().Spec().Capabilities {
				want = want || (c.As == as && c.Target == target)
			}
			if got := r.Supports(as, target); got != want {
				t.Errorf("Supports(%s, %s) = %v, the table says %v", as, target, got, want)
			}
		}
	}
	if !r.Supports("note", event.TargetTicket) || r.Kind() != "zendesk" {
		t.Error("a note to a ticket is Zendesk's private note")
	}
}

func TestBodyFormat(t *testing.T) {
	p := zendesk.New()
	if got := p.BodyFormat("comment", nil); got != platform.FormatText {
		t.Errorf("comment.body is plain text, got format %v", got)
	}
	if got := p.BodyFormat("note", map[string]bool{zendesk.FieldHTML: true}); got != platform.FormatHTML {
		t.Errorf("html: true sends html_body, got format %v", got)
	}
}

func TestValidateSettings(t *testing.T) {
	p := zendesk.New()
	withSecret := func(s *platform.Settings, keys ...string) *platform.Settings {
		for _, k := range keys {
			s.Secrets[k] = true
		}
		return s
	}
	cases := []struct {
		name     string
		problems []platform.Problem
		want     []string // paths, in order
	}{
		{"token account", p.ValidateAccount(withSecret(settings("email", "bot@example.com", "agent_id", "1"), "token")), nil},
		{"oauth account", p.ValidateAccount(withSecret(settings("auth", "oauth", "agent_id", "1", "token_user_id", "2"), "oauth_token")), nil},
		{"oauth without the token's user", p.ValidateAccount(withSecret(settings("auth", "oauth", "agent_id", "1"), "oauth_token")), []string{"token_user_id"}},
		{"oauth with an email", p.ValidateAccount(withSecret(settings("auth", "oauth", "agent_id", "1", "token_user_id", "2", "email", "bot@example.com"), "oauth_token")), []string{"email"}},
		{"token user not a number", p.ValidateAccount(withSecret(settings("email", "bot@example.com", "agent_id", "1", "token_user_id", "bot"), "token")), []string{"token_user_id"}},
		{"token account naming its user", p.ValidateAccount(withSecret(settings("email", "bot@example.com", "agent_id", "1", "token_user_id", "2"), "token")), nil},
		{"token without secret or email", p.ValidateAccount(settings("agent_id", "1")), []string{"token", "email"}},
		{"oauth with the API token too", p.ValidateAccount(withSecret(settings("auth", "oauth", "agent_id", "1", "token_user_id", "1"), "oauth_token", "token")), []string{"token"}},
		{"agent id missing", p.ValidateAccount(withSecret(settings("email", "bot@example.com"), "token")), []string{"agent_id"}},
		{"unknown auth", p.ValidateAccount(settings("auth", "basic", "agent_id", "1")), []string{"auth"}},
		{"default skew", p.ValidateSource(settings()), nil},
		{"skew 10m", p.ValidateSource(settings("max_skew", "10m")), nil},
		{"skew 1s", p.ValidateSource(settings("max_skew", "1s")), []string{"max_skew"}},
		{"skew 1 day", p.ValidateSource(settings("max_skew", "24h")), []string{"max_skew"}},
		{"skew not a duration", p.ValidateSource(settings("max_skew", "five")), []string{"max_skew"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, pr := range c.problems {
				got = append(got, strings.Join(pr.Path, "."))
				if pr.Message == "" {
					t.Errorf("problem at %v without a message", pr.Path)
				}
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("problems at %q (%+v), want %q", got, c.problems, c.want)
			}
		})
	}
}
