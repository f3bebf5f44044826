package all

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestSign(t *testing.T) {
	// Known answers computed independently of Sign.
	body := []byte(`{"topic":"ping"}`)
	m1 := hmac.New(sha1.New, []byte("s3cret"))
	m1.Write(body)
	m2 := hmac.New(sha256.New, []byte("s3cret"))
	m2.Write(body)
	if got, want := Sign("intercom", []byte("s3cret"), body), "sha1="+hex.EncodeToString(m1.Sum(nil)); got != want {
		t.Errorf("Sign intercom = %q, want %q", got, want)
	}
	if got, want := Sign("whmcs", []byte("s3cret"), body), "sha256="+hex.EncodeToString(m2.Sum(nil)); got != want {
		t.Errorf("Sign whmcs = %q, want %q", got, want)
	}
	if got := Sign("other", []byte("s"), body); got != "" {
		t.Errorf("Sign other = %q", got)
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("client-secret")
	body := []byte(`{"type":"notification_event","id":"notif_1"}`)
	icGood := Sign("intercom", secret, body)
	whGood := Sign("whmcs", secret, body)
	tests := []struct {
		name   string
		kind   string
		secret []byte
		header http.Header
		want   string // "" for success, else the SignatureError reason
	}{
		{"intercom good", "intercom", secret, http.Header{"X-Hub-Signature": {icGood}}, ""},
		{"whmcs good", "whmcs", secret, http.Header{"X-Signature": {whGood}}, ""},
		{"intercom missing", "intercom", secret, http.Header{}, "X-Hub-Signature header missing"},
		{"intercom empty", "intercom", secret, http.Header{"X-Hub-Signature": {""}}, "X-Hub-Signature header missing"},
		{"intercom wrong header", "intercom", secret, http.Header{"X-Signature": {icGood}}, "X-Hub-Signature header missing"},
		{"whmcs missing", "whmcs", secret, http.Header{"X-Hub-Signature": {icGood}}, "X-Signature header missing"},
		{"two headers", "intercom", secret, http.Header{"X-Hub-Signature": {icGood, icGood}}, "more than one signature header"},
		{"short", "intercom", secret, http.Header{"X-Hub-Signature": {icGood[:len(icGood)-2]}}, errIntercomFormat.Reason},
		{"long", "intercom", secret, http.Header{"X-Hub-Signature": {icGood + "00"}}, errIntercomFormat.Reason},
		{"no prefix", "intercom", secret, http.Header{"X-Hub-Signature": {icGood[len("sha1="):]}}, errIntercomFormat.Reason},
		{"uppercase prefix", "intercom", secret, http.Header{"X-Hub-Signature": {"SHA1=" + icGood[5:]}}, errIntercomFormat.Reason},
		{"sha256 on intercom", "intercom", secret, http.Header{"X-Hub-Signature": {whGood}}, errIntercomFormat.Reason},
		{"sha1 on whmcs", "whmcs", secret, http.Header{"X-Signature": {icGood}}, errWHMCSFormat.Reason},
		{"sha1 prefix, sha256 length", "intercom", secret, http.Header{"X-Hub-Signature": {"sha1=" + whGood[7:]}}, errIntercomFormat.Reason},
		{"uppercase hex", "intercom", secret, http.Header{"X-Hub-Signature": {"sha1=" + strings.ToUpper(icGood[5:])}}, errIntercomFormat.Reason},
		{"uppercase hex whmcs", "whmcs", secret, http.Header{"X-Signature": {"sha256=" + strings.ToUpper(whGood[7:])}}, errWHMCSFormat.Reason},
		{"non-hex", "intercom", secret, http.Header{"X-Hub-Signature": {"sha1=" + strings.Repeat("zz", 20)}}, errIntercomFormat.Reason},
		{"spaces", "intercom", secret, http.Header{"X-Hub-Signature": {" " + icGood}}, errIntercomFormat.Reason},
		{"other secret", "intercom", []byte("other"), http.Header{"X-Hub-Signature": {icGood}}, "signature does not match the body"},
		{"other body", "intercom", secret, http.Header{"X-Hub-Signature": {Sign("intercom", secret, []byte("{}"))}}, "signature does not match the body"},
		{"one bit off", "whmcs", secret, http.Header{"X-Signature": {whGood[:len(whGood)-1] + flipHex(whGood[len(whGood)-1])}}, "signature does not match the body"},
		{"no secret", "intercom", nil, http.Header{"X-Hub-Signature": {Sign("intercom", nil, body)}}, "no secret configured for the source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.kind, tt.secret, body, tt.header)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify = %v, want ErrBadSignature", err)
			}
			var se *SignatureError
			if !errors.As(err, &se) || se.Reason != tt.want {
				t.Errorf("Verify = %v, want reason %q", err, tt.want)
			}
			if s := err.Error(); strings.Contains(s, string(secret)) || strings.Contains(s, icGood[5:]) || strings.Contains(s, whGood[7:]) {
				t.Errorf("error %q leaks the secret or the expected signature", s)
			}
		})
	}
	if err := Verify("nosuchkind", secret, body, http.Header{}); err == nil || errors.Is(err, ErrBadSignature) {
		t.Errorf("unknown kind: %v, want a plain error", err)
	}
}

func flipHex(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}
