package front_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/front"
	"github.com/supportops/autoresponder/internal/platform/front/frontfake"
)

func TestNewReplierRefusesBadAccounts(t *testing.T) {
	f := frontfake.New(t)
	const token = "secret token"
	cases := []struct {
		name   string
		mutate func(a *platform.Account)
		says   string
	}{
		{"no teammate", func(a *platform.Account) { delete(a.Settings.Values, "teammate_id") }, "teammate_id is required"},
		{"teammate without prefix", func(a *platform.Account) { a.Settings.Values["teammate_id"] = "42" }, "not a Front id of the form tea_"},
		{"bad channel", func(a *platform.Account) { a.Settings.Values["channel_id"] = "inb_1" }, "not a Front id of the form cha_"},
		{"token unreadable", func(a *platform.Account) {
			a.Secret = func(string) ([]byte, error) { return nil, errors.New("file missing") }
		}, "file missing"},
		{"token with a space", func(a *platform.Account) {
			a.Secret = func(string) ([]byte, error) { return []byte(token), nil }
		}, "whitespace"},
		{"base URL with credentials", func(a *platform.Account) { a.BaseURL = "https://u:p@api2.frontapp.com" }, "credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := account(f)
			c.mutate(a)
			_, err := front.New().NewReplier(a)
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("NewReplier = %v, want an error saying %q", err, c.says)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), frontfake.DefaultToken) {
				t.Errorf("error quotes the token: %v", err)
			}
		})
	}
	t.Run("default base URL", func(t *testing.T) {
		a := account(f)
		a.BaseURL = ""
		if _, err := front.New().NewReplier(a); err != nil {
			t.Fatalf("NewReplier without base_url: %v", err)
		}
	})
}

func TestErrorsNeverQuoteTheToken(t *testing.T) {
	f := frontfake.New(t)
	f.Answer(http.StatusUnauthorized, nil, `{"_error":{"status":401,"title":"Unauthorized","message":"token Bearer `+frontfake.DefaultToken+` is revoked"}}`)
	_, err := newReplier(t, f).Send(context.Background(), reply(platform.AsComment, "x"))
	if err == nil || strings.Contains(err.Error(), frontfake.DefaultToken) {
		t.Fatalf("Send = %v, want an error without the token", err)
	}
	if !strings.Contains(err.Error(), "is revoked") {
		t.Errorf("Send = %v, want Front's message", err)
	}
}

func TestRateLimitResetInMilliseconds(t *testing.T) {
	f := frontfake.New(t)
	reset := time.Now().Add(40 * time.Second).Truncate(time.Millisecond)
	f.Answer(0, http.Header{"X-Ratelimit-Reset": {itoa(reset.UnixMilli())}}, "")
	res, err := newReplier(t, f).Send(context.Background(), reply(platform.AsNote, "x"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.RateLimit.Reset.Equal(reset) {
		t.Errorf("reset %v, want %v", res.RateLimit.Reset, reset)
	}
	if !res.RateLimit.Known || res.RateLimit.Limit != frontfake.DefaultLimit {
		t.Errorf("rate limit %+v, want the fake's limit %d", res.RateLimit, frontfake.DefaultLimit)
	}
}

func TestBodyFormat(t *testing.T) {
	p := front.New()
	if got := p.BodyFormat(platform.AsComment, nil); got != platform.FormatHTML {
		t.Errorf("reply body format %v, want HTML (Front's message body)", got)
	}
	if got := p.BodyFormat(platform.AsNote, nil); got != platform.FormatMarkdown {
		t.Errorf("comment body format %v, want Markdown (Front's comment body)", got)
	}
}

func TestValidate(t *testing.T) {
	p := front.New()
	cases := []struct {
		name  string
		check func() []platform.Problem
		path  string // "" wants no problem
	}{
		{"default source", func() []platform.Problem { return p.ValidateSource(settings("signing", "app", "max_age", "5m")) }, ""},
		{"max_age not a duration", func() []platform.Problem { return p.ValidateSource(settings("max_age", "five")) }, "max_age"},
		{"max_age zero", func() []platform.Problem { return p.ValidateSource(settings("max_age", "0s")) }, "max_age"},
		{"max_age of a day", func() []platform.Problem { return p.ValidateSource(settings("max_age", "1d")) }, ""},
		{"max_age over a day", func() []platform.Problem { return p.ValidateSource(settings("max_age", "25h")) }, "max_age"},
		{"account", func() []platform.Problem {
			return p.ValidateAccount(settings("teammate_id", "tea_1", "channel_id", "cha_1"))
		}, ""},
		{"teammate id of an inbox", func() []platform.Problem { return p.ValidateAccount(settings("teammate_id", "inb_1")) }, "teammate_id"},
		{"teammate id with a slash", func() []platform.Problem { return p.ValidateAccount(settings("teammate_id", "tea_1/x")) }, "teammate_id"},
		{"channel id of a teammate", func() []platform.Problem {
			return p.ValidateAccount(settings("teammate_id", "tea_1", "channel_id", "tea_2"))
		}, "channel_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			probs := c.check()
			if c.path == "" {
				if len(probs) != 0 {
					t.Fatalf("problems %+v, want none", probs)
				}
				return
			}
			if len(probs) != 1 || len(probs[0].Path) != 1 || probs[0].Path[0] != c.path {
				t.Fatalf("problems %+v, want one at %s", probs, c.path)
			}
		})
	}
}

func TestSupportsIsTheTable(t *testing.T) {
	r := newReplier(t, frontfake.New(t))
	if r.Kind() != "front" {
		t.Errorf("Kind %q", r.Kind())
	}
	for _, as := range []string{platform.AsComment, platform.AsNote, "quick_reply"} {
		for _, target := range []string{"conversation", "ticket"} {
			want := false
			for _, c := range front.New().Spec().Capabilities {
				want = want || (c.As == as && c.Target == target)
			}
			if got := r.Supports(as, target); got != want {
				t.Errorf("Supports(%s, %s) = %v, the table says %v", as, target, got, want)
			}
		}
	}
}
