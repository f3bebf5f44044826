package front_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/front"
)

// A fixed vector, computed independently of this package (Python's hmac),
// so that Sign and Verify cannot agree on a mistake.
const (
	vecSecret  = "front-vector-secret"
	vecBody    = `{"id":"evt_1","type":"inbound"}`
	vecRuleSig = "HUXNsXHDmCd3jSmpL0YgzZRsl+s="
	vecAppTS   = "1718000000123"
	vecAppSig  = "CYx80u3o4c43bSFglhkywNWsxKHR2Zr6J0cpLb2tmp4="
)

var vecNow = time.UnixMilli(1718000000123).Add(30 * time.Second)

func TestVerify(t *testing.T) {
	app := settings("signing", "app", "max_age", "5m")
	rule := settings("signing", "rule")
	appHeader := func(ts, sig string) []string {
		return []string{"X-Front-Request-Timestamp", ts, "X-Front-Signature", sig}
	}
	cases := []struct {
		name   string
		header []string
		body   string
		secret string
		set    *platform.Settings
		now    time.Time
		reason string // "" accepts
	}{
		{"app vector", appHeader(vecAppTS, vecAppSig), vecBody, vecSecret, app, vecNow, ""},
		{"app by default", appHeader(vecAppTS, vecAppSig), vecBody, vecSecret, settings(), vecNow, ""},
		{"rule vector", []string{"X-Front-Signature", vecRuleSig}, vecBody, vecSecret, rule, vecNow, ""},
		{"lower-case header names", []string{"x-front-request-timestamp", vecAppTS, "x-front-signature", vecAppSig}, vecBody, vecSecret, app, vecNow, ""},

		{"empty secret", appHeader(vecAppTS, vecAppSig), vecBody, "", app, vecNow, "no secret"},
		{"unknown signing", appHeader(vecAppTS, vecAppSig), vecBody, vecSecret, settings("signing", "hmac"), vecNow, "neither app nor rule"},
		{"signature missing", []string{"X-Front-Request-Timestamp", vecAppTS}, vecBody, vecSecret, app, vecNow, "X-Front-Signature header missing"},
		{"signature twice", append(appHeader(vecAppTS, vecAppSig), "X-Front-Signature", vecAppSig), vecBody, vecSecret, app, vecNow, "more than once"},
		{"signature not base64", appHeader(vecAppTS, "not*base64!"), vecBody, vecSecret, app, vecNow, "not a base64 digest"},
		{"signature overlong", appHeader(vecAppTS, strings.Repeat("A", 4096)), vecBody, vecSecret, app, vecNow, "not a base64 digest"},
		{"signature unpadded", appHeader(vecAppTS, strings.TrimRight(vecAppSig, "=")), vecBody, vecSecret, app, vecNow, "not a base64 digest"},
		{"sha1 digest on an app source", appHeader(vecAppTS, vecRuleSig), vecBody, vecSecret, app, vecNow, "not a base64 digest"},
		{"rule webhook sent to an app source", []string{"X-Front-Signature", vecRuleSig}, vecBody, vecSecret, app, vecNow, "timestamp"},
		{"app webhook sent to a rule source", appHeader(vecAppTS, vecAppSig), vecBody, vecSecret, rule, vecNow, "not a base64 digest"},
		{"wrong secret", appHeader(vecAppTS, vecAppSig), vecBody, "another-secret", app, vecNow, "does not match"},
		{"tampered body", appHeader(vecAppTS, vecAppSig), vecBody + " ", vecSecret, app, vecNow, "does not match"},
		{"tampered timestamp", appHeader("1718000000124", vecAppSig), vecBody, vecSecret, app, vecNow, "does not match"},
		{"timestamp twice", append(appHeader(vecAppTS, vecAppSig), "X-Front-Request-Timestamp", vecAppTS), vecBody, vecSecret, app, vecNow, "more than once"},
		{"timestamp in seconds is stale", appHeader("1718000000", vecAppSig), vecBody, vecSecret, app, vecNow, "too old"},
		{"timestamp not digits", appHeader("+1718000000123", vecAppSig), vecBody, vecSecret, app, vecNow, "whole number"},
		{"timestamp empty", appHeader("", vecAppSig), vecBody, vecSecret, app, vecNow, "whole number"},
		{"timestamp overlong", appHeader(strings.Repeat("9", 40), vecAppSig), vecBody, vecSecret, app, vecNow, "whole number"},
		{"stale", appHeader(vecAppTS, vecAppSig), vecBody, vecSecret, app, vecNow.Add(6 * time.Minute), "too old"},
		{"from the future", appHeader(vecAppTS, vecAppSig), vecBody, vecSecret, app, vecNow.Add(-7 * time.Minute), "future"},
		{"within a wider max_age", appHeader(vecAppTS, vecAppSig), vecBody, vecSecret, settings("signing", "app", "max_age", "1h"), vecNow.Add(30 * time.Minute), ""},
		{"outside a narrower max_age", appHeader(vecAppTS, vecAppSig), vecBody, vecSecret, settings("signing", "app", "max_age", "10s"), vecNow, "too old"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := front.New().Verify(delivery(header(c.header...), []byte(c.body), c.secret, c.now, c.set))
			if c.reason == "" {
				if err != nil {
					t.Fatalf("Verify refused a genuine delivery: %v", err)
				}
				return
			}
			if !errors.Is(err, platform.ErrBadSignature) {
				t.Fatalf("Verify = %v, want a signature error", err)
			}
			if !strings.Contains(err.Error(), c.reason) {
				t.Errorf("Verify = %q, want the reason to say %q", err, c.reason)
			}
		})
	}
}

func TestSignMatchesTheVectors(t *testing.T) {
	ts, _ := time.Parse(time.RFC3339Nano, "2024-06-10T06:13:20.123Z") // 1718000000123 ms
	h := front.Platform{}.Sign([]byte(vecSecret), []byte(vecBody), ts, nil)
	if h.Get("X-Front-Request-Timestamp") != vecAppTS || h.Get("X-Front-Signature") != vecAppSig {
		t.Errorf("app Sign = %v, want timestamp %s signature %s", h, vecAppTS, vecAppSig)
	}
	h = front.Platform{}.Sign([]byte(vecSecret), []byte(vecBody), ts, &platform.Settings{Values: map[string]string{"signing": front.SigningRule}})
	if h.Get("X-Front-Signature") != vecRuleSig || h.Get("X-Front-Request-Timestamp") != "" {
		t.Errorf("rule Sign = %v, want only signature %s", h, vecRuleSig)
	}
}

func TestChallenge(t *testing.T) {
	p := front.New().(platform.Challenger)
	cases := []struct {
		name    string
		header  []string
		handled bool
	}{
		{"echoed", []string{"X-Front-Challenge", "a1B2c3-d4_e5"}, true},
		{"absent", nil, false},
		{"empty", []string{"X-Front-Challenge", ""}, false},
		{"twice", []string{"X-Front-Challenge", "a", "X-Front-Challenge", "b"}, false},
		{"too long", []string{"X-Front-Challenge", strings.Repeat("x", 257)}, false},
		{"control characters", []string{"X-Front-Challenge", "a\x00b"}, false},
		{"spaces", []string{"X-Front-Challenge", "a b"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answer, ctype, handled := p.Challenge(delivery(header(c.header...), []byte(`{"type":"sync"}`), vecSecret, vecNow, settings()))
			if handled != c.handled {
				t.Fatalf("handled = %v, want %v", handled, c.handled)
			}
			if !handled {
				return
			}
			var got map[string]string
			if err := json.Unmarshal(answer, &got); err != nil || got["challenge"] != c.header[1] || len(got) != 1 {
				t.Errorf("answer %s, want {\"challenge\": %q}", answer, c.header[1])
			}
			if ctype != "application/json" {
				t.Errorf("content type %q, want application/json", ctype)
			}
		})
	}
}
