package zendesk_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/zendesk"
)

var (
	testSecret = []byte("whsec-zendesk-test-secret")
	testBody   = []byte(`{"type":"zen:event-type:ticket.created","id":"e1"}`)
	testNow    = time.Date(2025, 1, 8, 10, 12, 7, 0, time.UTC)
)

// signWith signs body the way Zendesk does, with the timestamp string ts
// as given.
func signWith(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func header(sig, ts string) http.Header {
	h := http.Header{}
	if sig != "" {
		h.Set(zendesk.HeaderSignature, sig)
	}
	if ts != "" {
		h.Set(zendesk.HeaderTimestamp, ts)
	}
	return h
}

func settings(kv ...string) *platform.Settings {
	s := &platform.Settings{Values: map[string]string{}, Secrets: map[string]bool{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Values[kv[i]] = kv[i+1]
	}
	return s
}

func TestVerify(t *testing.T) {
	p := zendesk.New()
	rfc := testNow.Format(time.RFC3339)
	good := signWith(testSecret, rfc, testBody)
	unix := strconv.FormatInt(testNow.Unix(), 10)
	duplicated := func(key, a, b string) http.Header {
		h := header(good, rfc)
		h.Del(key)
		h.Add(key, a)
		h.Add(key, b)
		return h
	}
	cases := []struct {
		name     string
		header   http.Header
		body     []byte
		secret   []byte
		now      time.Time
		settings *platform.Settings
		reason   string // "" accepts
	}{
		{name: "genuine, RFC 3339", header: header(good, rfc)},
		{name: "genuine, unix seconds", header: header(signWith(testSecret, unix, testBody), unix)},
		{name: "genuine, nanoseconds", header: header(signWith(testSecret, "2025-01-08T10:12:07.672717030Z", testBody), "2025-01-08T10:12:07.672717030Z")},
		{name: "genuine, empty body", header: header(signWith(testSecret, rfc, nil), rfc), body: []byte{}},
		{name: "signature missing", header: header("", rfc), reason: zendesk.HeaderSignature + " header missing"},
		{name: "timestamp missing", header: header(good, ""), reason: zendesk.HeaderTimestamp + " header missing"},
		{name: "signature duplicated", header: duplicated(zendesk.HeaderSignature, good, good), reason: "more than one " + zendesk.HeaderSignature},
		{name: "timestamp duplicated", header: duplicated(zendesk.HeaderTimestamp, rfc, rfc), reason: "more than one " + zendesk.HeaderTimestamp},
		{name: "signature not base64", header: header(strings.Repeat("!", 44), rfc), reason: "must be the base64"},
		{name: "signature is hex", header: header(strings.Repeat("ab", 32), rfc), reason: "must be the base64"},
		{name: "signature of SHA-1 length", header: header(base64.StdEncoding.EncodeToString(make([]byte, 20)), rfc), reason: "must be the base64"},
		{name: "signature of 33 bytes (44 characters, no padding)", header: header(strings.Repeat("A", 44), rfc), reason: "must be the base64"},
		{name: "signature without padding", header: header(strings.TrimRight(good, "="), rfc), reason: "must be the base64"},
		{name: "timestamp not a time", header: header(good, "yesterday"), reason: "must be an RFC 3339 time"},
		{name: "timestamp too long", header: header(good, rfc+strings.Repeat("0", 64)), reason: "must be an RFC 3339 time"},
		{name: "empty secret", header: header(good, rfc), secret: []byte{}, reason: "no secret"},
		{name: "wrong secret", header: header(good, rfc), secret: []byte("another"), reason: "does not match"},
		{name: "tampered body", header: header(good, rfc), body: append([]byte(" "), testBody...), reason: "does not match"},
		{name: "timestamp swapped after signing", header: header(good, testNow.Add(time.Second).Format(time.RFC3339)), reason: "does not match"},
		{name: "stale by 6 minutes", header: header(good, rfc), now: testNow.Add(6 * time.Minute), reason: "max_skew"},
		{name: "6 minutes in the future", header: header(good, rfc), now: testNow.Add(-6 * time.Minute), reason: "max_skew"},
		{name: "6 minutes old, max_skew 10m", header: header(good, rfc), now: testNow.Add(6 * time.Minute), settings: settings(zendesk.SettingMaxSkew, "10m")},
		{name: "2 minutes old, max_skew 1m", header: header(good, rfc), now: testNow.Add(2 * time.Minute), settings: settings(zendesk.SettingMaxSkew, "1m"), reason: "max_skew"},
		{name: "max_skew 0 falls back to 5m", header: header(good, rfc), now: testNow.Add(6 * time.Minute), settings: settings(zendesk.SettingMaxSkew, "0s"), reason: "max_skew"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &platform.Delivery{Header: c.header, Body: testBody, Secret: testSecret, Now: testNow, Settings: c.settings}
			if c.body != nil {
				d.Body = c.body
			}
			if c.secret != nil {
				d.Secret = c.secret
			}
			if !c.now.IsZero() {
				d.Now = c.now
			}
			err := p.Verify(d)
			if c.reason == "" {
				if err != nil {
					t.Fatalf("Verify refused a genuine delivery: %v", err)
				}
				return
			}
			var se *platform.SignatureError
			if !errors.As(err, &se) {
				t.Fatalf("Verify = %v, want a *platform.SignatureError", err)
			}
			if !strings.Contains(se.Reason, c.reason) {
				t.Errorf("reason %q, want it to say %q", se.Reason, c.reason)
			}
			if strings.Contains(err.Error(), string(testSecret)) || strings.Contains(err.Error(), good) {
				t.Errorf("error quotes the secret or the signature: %v", err)
			}
		})
	}
}

func TestSignIsWhatZendeskSends(t *testing.T) {
	h := zendesk.New().Sign(testSecret, testBody, testNow.In(time.FixedZone("CET", 3600)), nil)
	if got := h.Get(zendesk.HeaderTimestamp); got != "2025-01-08T10:12:07Z" {
		t.Errorf("timestamp %q, want RFC 3339 in UTC", got)
	}
	if got, want := h.Get(zendesk.HeaderSignature), signWith(testSecret, "2025-01-08T10:12:07Z", testBody); got != want {
		t.Errorf("signature %q, want base64(HMAC-SHA256(timestamp + body)) %q", got, want)
	}
}
