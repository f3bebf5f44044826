package chatwoot_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/chatwoot"
)

var (
	testSecret = []byte("whsec-chatwoot-test-0123")
	testBody   = []byte(`{"event":"message_created","id":1}`)
	testNow    = time.Unix(1772442900, 0)
)

// chatwootSignature computes the header the way Chatwoot documents it,
// independently of the package.
func chatwootSignature(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "." + string(body)))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func signedHeader(ts string, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set(chatwoot.HeaderTimestamp, ts)
	}
	if sig != "" {
		h.Set(chatwoot.HeaderSignature, sig)
	}
	return h
}

func verify(h http.Header, body, secret []byte, now time.Time, settings map[string]string) error {
	s := &platform.Settings{Values: settings}
	return chatwoot.New().Verify(&platform.Delivery{Header: h, Body: body, Secret: secret, Settings: s, Now: now})
}

func TestSignMatchesChatwootScheme(t *testing.T) {
	h := chatwoot.New().Sign(testSecret, testBody, testNow, nil)
	ts := strconv.FormatInt(testNow.Unix(), 10)
	if got := h.Get(chatwoot.HeaderTimestamp); got != ts {
		t.Errorf("timestamp = %q, want %q", got, ts)
	}
	if got, want := h.Get(chatwoot.HeaderSignature), chatwootSignature(testSecret, ts, testBody); got != want {
		t.Errorf("signature = %q, want %q", got, want)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	d := h.Get(chatwoot.HeaderDelivery)
	if !uuid.MatchString(d) {
		t.Errorf("delivery %q is not a version 4 UUID", d)
	}
	if again := chatwoot.New().Sign(testSecret, testBody, testNow, nil).Get(chatwoot.HeaderDelivery); again != d {
		t.Errorf("signing the same body at the same second gave delivery %q, then %q", d, again)
	}
	if other := chatwoot.New().Sign(testSecret, []byte(`{}`), testNow, nil).Get(chatwoot.HeaderDelivery); other == d {
		t.Error("two bodies got the same delivery id")
	}
}

func TestVerifyRefusals(t *testing.T) {
	ts := strconv.FormatInt(testNow.Unix(), 10)
	good := chatwootSignature(testSecret, ts, testBody)
	cases := []struct {
		name   string
		header http.Header
		secret []byte
		now    time.Time
		set    map[string]string
		reason string // "" accepts
	}{
		{"genuine", signedHeader(ts, good), testSecret, testNow, nil, ""},
		{"within a custom window", signedHeader(ts, good), testSecret, testNow.Add(9 * time.Minute), map[string]string{"timestamp_tolerance": "10m"}, ""},
		{"at the edge of the default window", signedHeader(ts, good), testSecret, testNow.Add(5 * time.Minute), nil, ""},
		{"just past the default window", signedHeader(ts, good), testSecret, testNow.Add(5*time.Minute + time.Second), nil, "outside the allowed window"},
		{"past a custom window", signedHeader(ts, good), testSecret, testNow.Add(2 * time.Minute), map[string]string{"timestamp_tolerance": "1m"}, "outside the allowed window"},
		{"from the future", signedHeader(ts, good), testSecret, testNow.Add(-6 * time.Minute), nil, "outside the allowed window"},
		{"no signature", signedHeader(ts, ""), testSecret, testNow, nil, "X-Chatwoot-Signature header missing"},
		{"empty signature", http.Header{chatwoot.HeaderTimestamp: {ts}, chatwoot.HeaderSignature: {""}}, testSecret, testNow, nil, "X-Chatwoot-Signature header missing"},
		{"two signatures", http.Header{chatwoot.HeaderTimestamp: {ts}, chatwoot.HeaderSignature: {good, good}}, testSecret, testNow, nil, "more than once"},
		{"no timestamp", signedHeader("", good), testSecret, testNow, nil, "X-Chatwoot-Timestamp header missing"},
		{"two timestamps", http.Header{chatwoot.HeaderTimestamp: {ts, ts}, chatwoot.HeaderSignature: {good}}, testSecret, testNow, nil, "X-Chatwoot-Timestamp header given more than once"},
		{"timestamp in milliseconds", signedHeader(ts+"000", chatwootSignature(testSecret, ts+"000", testBody)), testSecret, testNow, nil, "must be unix seconds"},
		{"timestamp not a number", signedHeader("soon", good), testSecret, testNow, nil, "must be unix seconds"},
		{"negative timestamp", signedHeader("-"+ts, good), testSecret, testNow, nil, "must be unix seconds"},
		{"timestamp too long", signedHeader(strings.Repeat("9", 40), good), testSecret, testNow, nil, "must be unix seconds"},
		{"no prefix", signedHeader(ts, strings.TrimPrefix(good, "sha256=")), testSecret, testNow, nil, `must be "sha256="`},
		{"sha1 prefix", signedHeader(ts, "sha1="+strings.TrimPrefix(good, "sha256=")), testSecret, testNow, nil, `must be "sha256="`},
		{"uppercase hex", signedHeader(ts, "sha256="+strings.ToUpper(strings.TrimPrefix(good, "sha256="))), testSecret, testNow, nil, "lowercase hex"},
		{"truncated", signedHeader(ts, good[:len(good)-2]), testSecret, testNow, nil, "64 lowercase hex"},
		{"not hex", signedHeader(ts, good[:len(good)-1]+"z"), testSecret, testNow, nil, "64 lowercase hex"},
		{"empty secret", signedHeader(ts, good), nil, testNow, nil, "no secret configured"},
		{"wrong secret", signedHeader(ts, good), []byte("another secret"), testNow, nil, "does not match"},
		{"body only (no timestamp in the MAC)", signedHeader(ts, hmacHex(testSecret, testBody)), testSecret, testNow, nil, "does not match"},
		{"timestamp swapped", signedHeader(strconv.FormatInt(testNow.Unix()+1, 10), good), testSecret, testNow, nil, "does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := verify(c.header, testBody, c.secret, c.now, c.set)
			if c.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want a refusal saying %q", c.reason)
			}
			var se *platform.SignatureError
			if !errors.As(err, &se) || !errors.Is(err, platform.ErrBadSignature) {
				t.Fatalf("error %v is not a *platform.SignatureError", err)
			}
			if !strings.Contains(se.Reason, c.reason) {
				t.Errorf("reason %q, want it to say %q", se.Reason, c.reason)
			}
			if strings.Contains(err.Error(), string(testSecret)) || strings.Contains(err.Error(), good[7:]) {
				t.Errorf("error quotes the secret or the signature: %v", err)
			}
		})
	}
}

func hmacHex(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
