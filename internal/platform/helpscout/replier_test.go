package helpscout_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/helpscout"
	"github.com/supportops/autoresponder/internal/platform/helpscout/helpscoutfake"
	"github.com/supportops/autoresponder/internal/replier"
)

func TestSendBodies(t *testing.T) {
	withAll := comment("<p>Hello &amp; welcome</p>")
	withAll.Set(helpscout.FieldStatus, replier.Value{Text: "pending"})
	withAll.Set(helpscout.FieldDraft, replier.Value{Bool: true})
	closingNote := note("Auto-acknowledged")
	closingNote.Set(helpscout.FieldStatus, replier.Value{Text: "closed"})
	cases := []struct {
		name     string
		req      *replier.Request
		endpoint string
		want     string // the JSON body
	}{
		{"reply", comment("Thanks!"), "reply", `{"customer":{"id":238604},"text":"Thanks!"}`},
		{"reply with every field", withAll, "reply",
			`{"customer":{"id":238604},"draft":true,"status":"pending","text":"<p>Hello &amp; welcome</p>"}`},
		{"note", note("Seen by the bot"), "notes", `{"text":"Seen by the bot"}`},
		{"note with status", closingNote, "notes", `{"status":"closed","text":"Auto-acknowledged"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := helpscoutfake.New(t)
			res, err := newReplier(t, f, nil).Send(context.Background(), c.req)
			if err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			reqs := f.Requests()
			if len(reqs) != 1 || reqs[0].Endpoint != c.endpoint || reqs[0].ConversationID != "123" {
				t.Fatalf("requests %+v, want one %s to conversation 123", reqs, c.endpoint)
			}
			var got strings.Builder
			enc := json.NewEncoder(&got) // sorted keys
			enc.SetEscapeHTML(false)
			enc.Encode(reqs[0].Body)
			if strings.TrimSpace(got.String()) != c.want {
				t.Errorf("body %s, want %s", got.String(), c.want)
			}
			if res.Status != http.StatusCreated || res.ResponseID == "" {
				t.Errorf("result %+v, want 201 with the Resource-ID", res)
			}
			if !res.RateLimit.Known {
				t.Errorf("rate limit %+v not read", res.RateLimit)
			}
		})
	}
}

func TestSendRefusesBeforeSending(t *testing.T) {
	wrongTarget := note("x")
	wrongTarget.Target.Type = event.TargetTicket
	unknownKind := note("x")
	unknownKind.As = "quick_reply"
	traversal := note("x")
	traversal.Target.ID = "../users"
	number := note("x")
	number.Target.ID = "abc"
	empty := note("  \n")
	noCustomer := comment("x")
	noCustomer.Set(helpscout.FieldCustomer, replier.Value{})
	emailCustomer := comment("x")
	emailCustomer.Set(helpscout.FieldCustomer, replier.Value{Text: "bear@acme.com"})
	spam := note("x")
	spam.Set(helpscout.FieldStatus, replier.Value{Text: "spam"})
	cases := []struct {
		name string
		req  *replier.Request
		says string
	}{
		{"ticket target", wrongTarget, `cannot post a "note" to a "ticket"`},
		{"unknown kind", unknownKind, `cannot post a "quick_reply"`},
		{"path in the id", traversal, "path separator"},
		{"id not a number", number, "not a Help Scout id"},
		{"empty body", empty, "body is empty"},
		{"no customer", noCustomer, "not a Help Scout customer id"},
		{"customer as email", emailCustomer, "not a Help Scout customer id"},
		{"status spam", spam, `status "spam" is not one of`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := helpscoutfake.New(t)
			_, err := newReplier(t, f, nil).Send(context.Background(), c.req)
			e := asError(t, err)
			if e.Reason != replier.ReasonInvalidRequest || e.Retry || !strings.Contains(e.Message, c.says) {
				t.Errorf("error %v, want a permanent invalid_request saying %q", e, c.says)
			}
			if f.TokenRequests() != 0 || f.Accepted() != 0 || len(f.Problems()) != 0 {
				t.Errorf("the fake saw %d token and %d thread requests, problems %q: want nothing sent",
					f.TokenRequests(), f.Accepted(), f.Problems())
			}
		})
	}
}

func TestTokenIsCachedAndRefreshed(t *testing.T) {
	t.Run("one token for many sends", func(t *testing.T) {
		f := helpscoutfake.New(t)
		r := newReplier(t, f, nil)
		for range 3 {
			if _, err := r.Send(context.Background(), note("x")); err != nil {
				t.Fatal(err)
			}
		}
		if f.TokenRequests() != 1 {
			t.Errorf("%d token requests, want 1", f.TokenRequests())
		}
	})
	t.Run("refreshed before it expires", func(t *testing.T) {
		f := helpscoutfake.New(t)
		var mu sync.Mutex
		clock := time.Now()
		r := newReplier(t, f, func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
		send := func() {
			t.Helper()
			if _, err := r.Send(context.Background(), note("x")); err != nil {
				t.Fatal(err)
			}
		}
		send()
		mu.Lock()
		clock = clock.Add(helpscoutfake.DefaultTokenLifetime - 6*time.Minute)
		mu.Unlock()
		send()
		if f.TokenRequests() != 1 {
			t.Fatalf("%d token requests after 47h54m, want 1", f.TokenRequests())
		}
		mu.Lock()
		clock = clock.Add(2 * time.Minute) // within 5 minutes of expiry
		mu.Unlock()
		send()
		if f.TokenRequests() != 2 {
			t.Errorf("%d token requests near expiry, want 2", f.TokenRequests())
		}
	})
	t.Run("refreshed once on a 401", func(t *testing.T) {
		f := helpscoutfake.New(t)
		r := newReplier(t, f, nil)
		if _, err := r.Send(context.Background(), note("x")); err != nil {
			t.Fatal(err)
		}
		f.ExpireTokens()
		if _, err := r.Send(context.Background(), comment("y")); err != nil {
			t.Fatalf("Send after the token expired: %v", err)
		}
		if f.TokenRequests() != 2 || f.Accepted() != 2 || len(f.Problems()) != 0 {
			t.Errorf("%d token requests, %d accepted, problems %q: want 2, 2, none", f.TokenRequests(), f.Accepted(), f.Problems())
		}
	})
	t.Run("a 401 with a new token is final", func(t *testing.T) {
		f := helpscoutfake.New(t)
		r := newReplier(t, f, nil)
		if _, err := r.Send(context.Background(), note("x")); err != nil {
			t.Fatal(err)
		}
		f.Answer(http.StatusUnauthorized, nil, f.ErrorBody("Unauthorized"))
		f.Answer(http.StatusUnauthorized, nil, f.ErrorBody("User is not active"))
		_, err := r.Send(context.Background(), note("y"))
		e := asError(t, err)
		if e.Status != http.StatusUnauthorized || e.Retry || !strings.Contains(e.Message, "User is not active") {
			t.Errorf("error %v, want the second 401, permanent", e)
		}
		if f.TokenRequests() != 2 || f.Accepted() != 3 {
			t.Errorf("%d token requests, %d thread requests: want 2 and 3 (one retry only)", f.TokenRequests(), f.Accepted())
		}
	})
	t.Run("concurrent sends share one token", func(t *testing.T) {
		f := helpscoutfake.New(t)
		r := newReplier(t, f, nil)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := r.Send(context.Background(), note("x")); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if f.TokenRequests() != 1 || f.Accepted() != 8 {
			t.Errorf("%d token requests, %d accepted: want 1 and 8", f.TokenRequests(), f.Accepted())
		}
	})
}

func TestTokenEndpointFailures(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		reason replier.Reason
		retry  bool
		says   string
	}{
		{"down", http.StatusServiceUnavailable, `{"message": "Service Unavailable"}`, replier.ReasonServerError, true, "getting an access token: Service Unavailable"},
		{"rate limited", http.StatusTooManyRequests, `{"message": "API rate limit exceeded"}`, replier.ReasonRateLimited, true, "API rate limit exceeded"},
		{"not JSON", http.StatusOK, `<html>login</html>`, replier.ReasonInvalidResponse, false, "not JSON"},
		{"no token", http.StatusOK, `{"token_type": "bearer", "expires_in": 172800}`, replier.ReasonInvalidResponse, false, "access_token is empty"},
		{"token with spaces", http.StatusOK, `{"access_token": "a b", "expires_in": 172800}`, replier.ReasonInvalidResponse, false, "whitespace"},
		{"another token type", http.StatusOK, `{"access_token": "abc", "token_type": "mac"}`, replier.ReasonInvalidResponse, false, "not bearer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := helpscoutfake.New(t)
			f.AnswerToken(c.status, nil, c.body)
			_, err := newReplier(t, f, nil).Send(context.Background(), note("x"))
			e := asError(t, err)
			if e.Reason != c.reason || e.Retry != c.retry || !strings.Contains(e.Message, c.says) {
				t.Errorf("error %v (retry %v), want %s retry=%v saying %q", e, e.Retry, c.reason, c.retry, c.says)
			}
			if f.Accepted() != 0 {
				t.Errorf("a thread request was sent without a token")
			}
		})
	}
	t.Run("wrong credentials", func(t *testing.T) {
		f := helpscoutfake.New(t)
		a := account(f, nil)
		a.Secret = func(string) ([]byte, error) { return []byte("not-the-app-secret"), nil }
		r, err := hs.NewReplier(a)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Send(context.Background(), note("x"))
		e := asError(t, err)
		if e.Status != http.StatusUnauthorized || e.Retry || !strings.Contains(e.Message, "invalid_client: Bad client credentials") {
			t.Errorf("error %v, want a permanent 401 carrying the OAuth error", e)
		}
		if strings.Contains(e.Error(), "not-the-app-secret") {
			t.Errorf("error quotes the secret: %v", e)
		}
		if len(f.Problems()) != 1 {
			t.Errorf("the fake recorded %q, want the refused credentials", f.Problems())
		}
	})
}

func TestPlatformErrors(t *testing.T) {
	validation := `{"logRef": "cb73aad3#12", "message": "Validation error", "_embedded": {"errors": [
		{"path": "text", "message": "may not be empty", "links": []},
		{"path": "customer.id", "message": "no such customer"}]}}`
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		reason replier.Reason
		says   string
		after  time.Duration
	}{
		{"validation", http.StatusBadRequest, nil, validation, replier.ReasonClientError,
			"Validation error; text: may not be empty; customer.id: no such customer", 0},
		{"rate limit, window reset in a header", http.StatusTooManyRequests,
			header("X-RateLimit-Limit-Minute", "400", "X-RateLimit-Remaining-Minute", "0", "X-RateLimit-Retry-After", "31"),
			`{"message": "API rate limit exceeded"}`, replier.ReasonRateLimited, "API rate limit exceeded", 31 * time.Second},
		{"internal error", http.StatusInternalServerError, nil, `{"logRef": "x#1", "message": "Internal error"}`,
			replier.ReasonServerError, "Internal error", 0},
		{"a proxy's page", http.StatusBadGateway, nil, `<html><body>Bad gateway</body></html>`,
			replier.ReasonServerError, "<html><body>Bad gateway</body></html>", 0},
		{"conversation gone", http.StatusNotFound, nil, ``, replier.ReasonClientError, "not found", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := helpscoutfake.New(t)
			f.Answer(c.status, c.header, c.body)
			_, err := newReplier(t, f, nil).Send(context.Background(), comment("x"))
			e := asError(t, err)
			if e.Reason != c.reason || e.Status != c.status || !strings.Contains(e.Message, c.says) {
				t.Errorf("error %v, want %s (%d) saying %q", e, c.reason, c.status, c.says)
			}
			if e.RetryAfter != c.after {
				t.Errorf("RetryAfter %v, want %v", e.RetryAfter, c.after)
			}
			if c.header != nil && (!e.RateLimit.Known || e.RateLimit.Remaining != 0 || e.RateLimit.Limit != 400) {
				t.Errorf("error rate limit %+v, want 0 of 400 left", e.RateLimit)
			}
		})
	}
}

func TestSuccessAnswers(t *testing.T) {
	cases := []struct {
		name   string
		header http.Header
		body   string
		id     string
		bad    bool
	}{
		{"Resource-ID", nil, "", "10001", false},
		{"id in a JSON body instead", header("Resource-ID", ""), `{"id": 555}`, "555", false},
		{"no id at all", header("Resource-ID", ""), "", "", false},
		{"a body that is not JSON", nil, "<html>ok</html>", "", true},
		{"an id with spaces", header("Resource-ID", "1 2"), "", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := helpscoutfake.New(t)
			f.Answer(0, c.header, c.body)
			res, err := newReplier(t, f, nil).Send(context.Background(), note("x"))
			if c.bad {
				e := asError(t, err)
				if e.Reason != replier.ReasonInvalidResponse || e.Retry {
					t.Errorf("error %v, want a permanent invalid_response (the thread may exist)", e)
				}
				return
			}
			if err != nil || res.ResponseID != c.id {
				t.Errorf("Send = %+v, %v; want response id %q", res, err, c.id)
			}
		})
	}
}

// The access token is fetched at run time: it must be kept out of errors
// like the configured secrets.
func TestSecretsStayOutOfErrors(t *testing.T) {
	f := helpscoutfake.New(t)
	r := newReplier(t, f, nil)
	if _, err := r.Send(context.Background(), note("x")); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(f.Requests()[0].Header.Get("Authorization"), "Bearer ")
	f.Answer(http.StatusBadRequest, nil, f.ErrorBody("echo: "+token+" "+helpscoutfake.AppSecret))
	_, err := r.Send(context.Background(), note("x"))
	e := asError(t, err)
	if token == "" || strings.Contains(e.Error(), token) || strings.Contains(e.Error(), helpscoutfake.AppSecret) {
		t.Errorf("error %q quotes the token or the app secret", e.Error())
	}
	if !strings.Contains(e.Message, "echo: [redacted]") {
		t.Errorf("message %q lost the platform's words", e.Message)
	}
}

func TestNewReplierRefusesBadAccounts(t *testing.T) {
	f := helpscoutfake.New(t)
	cases := []struct {
		name   string
		change func(a *platform.Account)
		says   string
	}{
		{"no app id", func(a *platform.Account) { delete(a.Settings.Values, helpscout.SettingAppID) }, "app_id is empty"},
		{"no secret", func(a *platform.Account) {
			a.Secret = func(string) ([]byte, error) { return nil, errors.New("app_secret not configured") }
		}, "app_secret not configured"},
		{"secret with a newline", func(a *platform.Account) {
			a.Secret = func(string) ([]byte, error) { return []byte("s3cret\n"), nil }
		}, "app_secret contains whitespace"},
		{"base URL with credentials", func(a *platform.Account) { a.BaseURL = "https://u:p@api.helpscout.net" }, "must not contain credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := account(f, nil)
			a.Settings.Values = map[string]string{helpscout.SettingAppID: helpscoutfake.AppID, helpscout.SettingUserID: "1"}
			c.change(a)
			_, err := hs.NewReplier(a)
			if err == nil || !strings.Contains(err.Error(), c.says) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("NewReplier error %v, want one saying %q without the secret", err, c.says)
			}
		})
	}
}

func TestSupportsAnswersFromTheTable(t *testing.T) {
	r := newReplier(t, helpscoutfake.New(t), nil)
	if r.Kind() != helpscout.Kind {
		t.Errorf("Kind = %q", r.Kind())
	}
	for _, as := range []string{platform.AsComment, platform.AsNote, "quick_reply"} {
		for _, target := range []string{event.TargetConversation, event.TargetTicket} {
			want := target == event.TargetConversation && as != "quick_reply"
			if got := r.Supports(as, target); got != want {
				t.Errorf("Supports(%s, %s) = %v, want %v", as, target, got, want)
			}
		}
	}
}
