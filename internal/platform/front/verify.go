package front

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
)

// Webhook headers (Go's canonical spelling; Front sends them lower-case).
const (
	HeaderSignature = "X-Front-Signature"
	HeaderTimestamp = "X-Front-Request-Timestamp"
	HeaderChallenge = "X-Front-Challenge"
)

const (
	// maxSignatureLen bounds the header before it is decoded: a base64
	// SHA-256 digest is 44 characters.
	maxSignatureLen = 64
	// maxTimestampDigits bounds X-Front-Request-Timestamp: milliseconds
	// since 1970 have 13 digits until the year 2286.
	maxTimestampDigits = 16
	// maxChallengeLen bounds the echoed challenge; Front sends a short
	// random string.
	maxChallengeLen = 256
)

// The refusals, allocated once: Verify is on the hot path.
var (
	errUnknownSigning   = &platform.SignatureError{Reason: "the source's signing setting is neither app nor rule"}
	errSigMissing       = &platform.SignatureError{Reason: HeaderSignature + " header missing"}
	errSigMultiple      = &platform.SignatureError{Reason: HeaderSignature + " header given more than once"}
	errSigFormat        = &platform.SignatureError{Reason: HeaderSignature + " is not a base64 digest of the expected length"}
	errSigMismatch      = &platform.SignatureError{Reason: "signature does not match the body"}
	errTimestampMissing = &platform.SignatureError{Reason: HeaderTimestamp + " header missing (application webhooks are timestamped; is this a rule webhook? set signing: rule)"}
	errTimestampMulti   = &platform.SignatureError{Reason: HeaderTimestamp + " header given more than once"}
	errTimestampFormat  = &platform.SignatureError{Reason: HeaderTimestamp + " is not a whole number of milliseconds"}
	errTimestampStale   = &platform.SignatureError{Reason: HeaderTimestamp + " is too old (a replay?)"}
	errTimestampFuture  = &platform.SignatureError{Reason: HeaderTimestamp + " is too far in the future"}
)

// Verify implements platform.Platform. The signature header must be given
// exactly once, as the standard base64 of the full digest; an application
// webhook's timestamp must be within the source's max_age of now, either
// way. Everything is checked on the raw body, in constant time.
//
// The headers' form is checked before the secret: a source without a
// secret refuses everything with platform.ErrNoSecret, which the intake
// counts as no_secret (a misconfigured source), while an unsigned request
// stays a bad signature.
func (Platform) Verify(d *platform.Delivery) error {
	signing := signingOf(d.Settings)
	var (
		newHash func() hash.Hash
		size    int
		ts      string
		at      time.Time
	)
	switch signing {
	case SigningApp:
		newHash, size = sha256.New, sha256.Size
		var err error
		if ts, at, err = timestamp(d.Header); err != nil {
			return err
		}
	case SigningRule:
		newHash, size = sha1.New, sha1.Size
	default:
		return errUnknownSigning
	}
	got, err := signature(d.Header, size)
	if err != nil {
		return err
	}
	if len(d.Secret) == 0 {
		return platform.ErrNoSecret
	}
	if signing == SigningApp {
		if err := checkAge(at, d); err != nil {
			return err
		}
	}
	mac := hmac.New(newHash, d.Secret)
	if signing == SigningApp {
		mac.Write([]byte(ts))
		mac.Write([]byte{':'})
	}
	mac.Write(d.Body)
	if !hmac.Equal(mac.Sum(nil), got) {
		return errSigMismatch
	}
	return nil
}

// signingOf reads the source's webhook kind; the loader fills the
// default, an absent value means the same.
func signingOf(s *platform.Settings) string {
	if v := s.Get(settingSigning); v != "" {
		return v
	}
	return SigningApp
}

// maxAgeOf reads the source's replay window. The loader has validated it;
// a value that does not parse falls back to the default rather than to
// no window at all.
func maxAgeOf(s *platform.Settings) time.Duration {
	if d, err := parseDuration(s.Get(settingMaxAge)); err == nil && d > 0 {
		return d
	}
	d, _ := parseDuration(defaultMaxAge)
	return d
}

// parseDuration reads a duration as the rules file writes them: Go's
// form, or a whole number of days ("1d").
func parseDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 365 {
			return 0, fmt.Errorf("%q is not a number of days", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

// signature decodes the one signature header into a digest of size bytes.
func signature(h http.Header, size int) ([]byte, error) {
	vs := h.Values(HeaderSignature)
	switch {
	case len(vs) == 0:
		return nil, errSigMissing
	case len(vs) > 1:
		return nil, errSigMultiple
	}
	v := vs[0]
	if len(v) > maxSignatureLen {
		return nil, errSigFormat
	}
	got, err := base64.StdEncoding.Strict().DecodeString(v)
	if err != nil || len(got) != size {
		return nil, errSigFormat
	}
	return got, nil
}

// timestamp returns the one timestamp header, as written (it is part of
// what is signed), once it is digits only, and the time it says.
func timestamp(h http.Header) (string, time.Time, error) {
	vs := h.Values(HeaderTimestamp)
	switch {
	case len(vs) == 0:
		return "", time.Time{}, errTimestampMissing
	case len(vs) > 1:
		return "", time.Time{}, errTimestampMulti
	}
	ts := vs[0]
	if ts == "" || len(ts) > maxTimestampDigits {
		return "", time.Time{}, errTimestampFormat
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return "", time.Time{}, errTimestampFormat
		}
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", time.Time{}, errTimestampFormat
	}
	return ts, time.UnixMilli(ms), nil
}

// checkAge refuses a timestamp outside the source's max_age of now.
func checkAge(at time.Time, d *platform.Delivery) error {
	maxAge := maxAgeOf(d.Settings)
	switch age := d.Now.Sub(at); {
	case age > maxAge:
		return errTimestampStale
	case age < -maxAge:
		return errTimestampFuture
	}
	return nil
}

// Sign implements platform.Platform: the headers Front puts on body, as
// an application webhook (the default) or, for a source with signing:
// rule, as a rule webhook.
func (Platform) Sign(secret, body []byte, now time.Time, s *platform.Settings) http.Header {
	h := http.Header{}
	if s.Get(settingSigning) == SigningRule {
		mac := hmac.New(sha1.New, secret)
		mac.Write(body)
		h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		return h
	}
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + ":"))
	mac.Write(body)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return h
}

// Challenge implements platform.Challenger. Saving an application webhook
// in Front sends a signed "sync" request carrying X-Front-Challenge; the
// webhook is accepted only if the answer echoes it, which we do as
// {"challenge": "<value>"} (the form of Front's own sample app). The
// header is not covered by the signature, so it is bounded and must be
// printable ASCII; anything else is not handled and reaches Build, where a
// sync is a ping.
func (Platform) Challenge(d *platform.Delivery) ([]byte, string, bool) {
	vs := d.Header.Values(HeaderChallenge)
	if len(vs) != 1 || vs[0] == "" || len(vs[0]) > maxChallengeLen {
		return nil, "", false
	}
	for i := 0; i < len(vs[0]); i++ {
		if c := vs[0][i]; c < 0x21 || c > 0x7e {
			return nil, "", false
		}
	}
	answer, err := json.Marshal(map[string]string{"challenge": vs[0]})
	if err != nil {
		return nil, "", false
	}
	return answer, "application/json", true
}
