package freshdesk_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/freshdesk"
)

const testSecret = "s3cret-for-the-freshdesk-source"

func TestVerify(t *testing.T) {
	p := freshdesk.New()
	basic := freshdesk.BasicAuth("anyone", testSecret)
	cases := []struct {
		name   string
		header http.Header
		secret string
		reason string // "" accepts
	}{
		{"basic, any user name", http.Header{"Authorization": {basic}}, testSecret, ""},
		{"basic scheme in lower case", http.Header{"Authorization": {"basic " + strings.TrimPrefix(basic, "Basic ")}}, testSecret, ""},
		{"basic, empty user name", http.Header{"Authorization": {freshdesk.BasicAuth("", testSecret)}}, testSecret, ""},
		{"token header", http.Header{"X-Autoresponder-Token": {testSecret}}, testSecret, ""},
		{"both, both right", http.Header{"Authorization": {basic}, "X-Autoresponder-Token": {testSecret}}, testSecret, ""},

		{"empty secret", http.Header{"Authorization": {freshdesk.BasicAuth("u", "")}}, "", "no secret configured"},
		{"no credentials", http.Header{}, testSecret, "neither an Authorization"},
		{"two Authorization headers", http.Header{"Authorization": {basic, basic}}, testSecret, "more than one Authorization"},
		{"two token headers", http.Header{"X-Autoresponder-Token": {testSecret, testSecret}}, testSecret, "more than one X-Autoresponder-Token"},
		{"bearer", http.Header{"Authorization": {"Bearer " + testSecret}}, testSecret, "not HTTP Basic"},
		{"basic without credentials", http.Header{"Authorization": {"Basic"}}, testSecret, "not HTTP Basic"},
		{"basic, not base64", http.Header{"Authorization": {"Basic %%%"}}, testSecret, "not base64 of user:password"},
		{"basic, no colon", http.Header{"Authorization": {"Basic c2VjcmV0"}}, testSecret, "not base64 of user:password"},
		{"basic, secret as user name", http.Header{"Authorization": {freshdesk.BasicAuth(testSecret, "X")}}, testSecret, "password does not match"},
		{"basic, wrong password", http.Header{"Authorization": {freshdesk.BasicAuth("u", testSecret+"x")}}, testSecret, "password does not match"},
		{"basic, secret's prefix", http.Header{"Authorization": {freshdesk.BasicAuth("u", testSecret[:5])}}, testSecret, "password does not match"},
		{"basic too long", http.Header{"Authorization": {"Basic " + strings.Repeat("A", 5000)}}, testSecret, "too long"},
		{"token empty", http.Header{"X-Autoresponder-Token": {""}}, testSecret, "header is empty"},
		{"token wrong", http.Header{"X-Autoresponder-Token": {"guess"}}, testSecret, "does not match"},
		{"token too long", http.Header{"X-Autoresponder-Token": {strings.Repeat("a", 5000)}}, testSecret, "too long"},
		{"right basic, wrong token", http.Header{"Authorization": {basic}, "X-Autoresponder-Token": {"guess"}}, testSecret, "X-Autoresponder-Token does not match"},
		{"wrong basic, right token", http.Header{"Authorization": {freshdesk.BasicAuth("u", "guess")}, "X-Autoresponder-Token": {testSecret}}, testSecret, "password does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := p.Verify(&platform.Delivery{Header: c.header, Body: []byte(`{}`), Secret: []byte(c.secret), Now: time.Now()})
			if c.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var se *platform.SignatureError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *platform.SignatureError", err)
			}
			if !strings.Contains(se.Reason, c.reason) {
				t.Errorf("reason %q, want it to say %q", se.Reason, c.reason)
			}
			if c.secret != "" && strings.Contains(err.Error(), c.secret) {
				t.Errorf("error quotes the secret: %v", err)
			}
		})
	}
}

func TestSignIsWhatVerifyAccepts(t *testing.T) {
	p := freshdesk.New()
	h := p.Sign([]byte(testSecret), nil, time.Time{}, nil)
	if got := h.Get("Authorization"); !strings.HasPrefix(got, "Basic ") {
		t.Fatalf("Sign sent Authorization %q, want HTTP Basic as Freshdesk sends it", got)
	}
	if err := p.Verify(&platform.Delivery{Header: h, Body: []byte(`{"any":"body"}`), Secret: []byte(testSecret)}); err != nil {
		t.Fatalf("Verify refused Sign's header: %v", err)
	}
}
