package helpscout_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/helpscout"
)

// A known HMAC-SHA1 (RFC 2104 style test vector), base64 as Help Scout
// sends it: Sign must produce exactly this, independently of Verify.
func TestSignKnownAnswer(t *testing.T) {
	body := []byte("The quick brown fox jumps over the lazy dog")
	got := hs.Sign([]byte("key"), body, now, nil).Get(helpscout.HeaderSignature)
	raw, _ := hex.DecodeString("de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9")
	if want := base64.StdEncoding.EncodeToString(raw); got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
}

func TestVerifyRefusals(t *testing.T) {
	body := []byte(`{"id": 1}`)
	good := hs.Sign(secret, body, now, nil).Get(helpscout.HeaderSignature)
	raw, _ := base64.StdEncoding.DecodeString(good)
	cases := []struct {
		name   string
		values []string
		secret []byte
		reason string
	}{
		{"no secret configured", []string{good}, nil, "no secret configured for the source"},
		{"no header", nil, secret, "X-HelpScout-Signature header missing"},
		{"header twice", []string{good, good}, secret, "given more than once"},
		{"empty header", []string{""}, secret, "not a base64 HMAC-SHA1"},
		{"hex instead of base64", []string{hex.EncodeToString(raw)}, secret, "not a base64 HMAC-SHA1"},
		{"unpadded base64", []string{strings.TrimRight(good, "=")}, secret, "not a base64 HMAC-SHA1"},
		{"URL-safe alphabet", []string{strings.NewReplacer("+", "-", "/", "_").Replace(good[:27]) + "-"}, secret, "not a base64 HMAC-SHA1"},
		{"a SHA-256 signature", []string{base64.StdEncoding.EncodeToString(make([]byte, 32))}, secret, "not a base64 HMAC-SHA1"},
		{"with a prefix", []string{"sha1=" + good}, secret, "not a base64 HMAC-SHA1"},
		{"another secret", []string{good}, []byte("other"), "does not match the body"},
		{"zero signature", []string{base64.StdEncoding.EncodeToString(make([]byte, 20))}, secret, "does not match the body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range c.values {
				h.Add(helpscout.HeaderSignature, v)
			}
			err := hs.Verify(&platform.Delivery{Header: h, Body: body, Secret: c.secret, Now: now})
			var se *platform.SignatureError
			if !errors.As(err, &se) || !errors.Is(err, platform.ErrBadSignature) {
				t.Fatalf("Verify = %v, want a *platform.SignatureError", err)
			}
			if !strings.Contains(se.Reason, c.reason) {
				t.Errorf("reason %q does not say %q", se.Reason, c.reason)
			}
			if strings.Contains(se.Reason, good) || strings.Contains(se.Reason, string(secret)) {
				t.Errorf("reason %q quotes the signature or the secret", se.Reason)
			}
		})
	}
}

// TestVerifyRefusesWithoutAllocating: Verify runs on every request before
// the sender is known, so its refusals are allocated once, not per call.
func TestVerifyRefusesWithoutAllocating(t *testing.T) {
	body := []byte(`{"id": 1}`)
	good := hs.Sign(secret, body, now, nil).Get(helpscout.HeaderSignature)
	for name, values := range map[string][]string{
		"no header":     nil,
		"header twice":  {good, good},
		"not base64":    {strings.Repeat("*", len(good))},
		"wrong length":  {good + "AAAA"},
		"wrong digest":  {base64.StdEncoding.EncodeToString(make([]byte, 20))},
		"no secret set": {good},
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range values {
				h.Add(helpscout.HeaderSignature, v)
			}
			d := &platform.Delivery{Header: h, Body: body, Secret: secret, Now: now}
			if name == "no secret set" {
				d.Secret = nil
			}
			if name != "wrong digest" { // computing the HMAC allocates (hmac.New)
				if n := testing.AllocsPerRun(100, func() { _ = hs.Verify(d) }); n != 0 {
					t.Errorf("Verify allocates %v times per refusal, want 0", n)
				}
			}
			first, second := hs.Verify(d), hs.Verify(d)
			if first == nil || first != second {
				t.Errorf("Verify = %v then %v, want the same refusal", first, second)
			}
		})
	}
}

// Help Scout signs the body only: a delivery stays valid whatever its
// age, and the signature does not depend on the event header.
func TestVerifyIgnoresTimeAndEvent(t *testing.T) {
	d := delivery(helpscout.TopicCreated, []byte(`{"id": 1}`))
	d.Now = now.AddDate(1, 0, 0)
	d.Header.Set(helpscout.HeaderEvent, helpscout.TopicNote)
	if err := hs.Verify(d); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
