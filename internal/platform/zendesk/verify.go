package zendesk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
)

// Signature headers (PLATFORMS-NEXT.md §3.1, verified).
const (
	// HeaderSignature is the base64 HMAC-SHA256, keyed by the webhook's
	// signing secret, of the timestamp header immediately followed by the
	// raw body.
	HeaderSignature = "X-Zendesk-Webhook-Signature"
	// HeaderTimestamp is the timestamp the signature covers.
	HeaderTimestamp = "X-Zendesk-Webhook-Signature-Timestamp"
)

var signatureLen = base64.StdEncoding.EncodedLen(sha256.Size)

// maxTimestampLen bounds the timestamp header: RFC 3339 with nanoseconds
// and a zone offset is 35 bytes.
const maxTimestampLen = 40

// The refusals, allocated once: Verify runs before anything is known about
// the sender.
var (
	errSigMissing       = &platform.SignatureError{Reason: HeaderSignature + " header missing"}
	errSigMultiple      = &platform.SignatureError{Reason: "more than one " + HeaderSignature + " header"}
	errSigFormat        = &platform.SignatureError{Reason: HeaderSignature + " must be the base64 of a 32-byte HMAC-SHA256"}
	errTimestampMissing = &platform.SignatureError{Reason: HeaderTimestamp + " header missing"}
	errTimestampMulti   = &platform.SignatureError{Reason: "more than one " + HeaderTimestamp + " header"}
	errTimestampFormat  = &platform.SignatureError{Reason: HeaderTimestamp + " must be an RFC 3339 time or unix seconds"}
	errMismatch         = &platform.SignatureError{Reason: "signature does not match the timestamp and body"}
	errStale            = &platform.SignatureError{Reason: HeaderTimestamp + " is further from now than max_skew allows (a replay or a wrong clock)"}
)

// Verify implements platform.Platform. Each header must be there exactly
// once; the signature is compared in constant time on the raw bytes, and a
// genuine signature with a timestamp outside max_skew is refused as a
// replay.
func (Platform) Verify(d *platform.Delivery) error {
	sig, err := platform.SingleHeader(d.Header, HeaderSignature, errSigMissing, errSigMultiple)
	if err != nil {
		return err
	}
	ts, err := platform.SingleHeader(d.Header, HeaderTimestamp, errTimestampMissing, errTimestampMulti)
	if err != nil {
		return err
	}
	if len(sig) != signatureLen {
		return errSigFormat
	}
	// Decode needs room for what 44 characters could hold (33 bytes: an
	// unpadded string decodes to more than the digest) before it can say
	// the length is wrong.
	var want [sha256.Size + 1]byte
	if n, err := base64.StdEncoding.Strict().Decode(want[:], []byte(sig)); err != nil || n != sha256.Size {
		return errSigFormat
	}
	at, ok := parseTimestamp(ts)
	if !ok {
		return errTimestampFormat
	}
	// A source without a secret refuses everything, but only once the
	// headers are in form: the intake counts it as no_secret (a
	// misconfigured source), an unsigned request as a bad signature.
	if len(d.Secret) == 0 {
		return platform.ErrNoSecret
	}
	var sum [sha256.Size]byte
	if !hmac.Equal(mac(d.Secret, ts, d.Body, sum[:0]), want[:sha256.Size]) {
		return errMismatch
	}
	if skew := d.Now.Sub(at); skew > maxSkew(d.Settings) || -skew > maxSkew(d.Settings) {
		return errStale
	}
	return nil
}

// Sign implements platform.Platform: the headers Zendesk sends, with an
// RFC 3339 timestamp in UTC.
func (Platform) Sign(secret, body []byte, now time.Time, _ *platform.Settings) http.Header {
	ts := now.UTC().Format(time.RFC3339)
	h := http.Header{}
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(mac(secret, ts, body, nil)))
	return h
}

func mac(secret []byte, ts string, body, dst []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write(body)
	return m.Sum(dst)
}

// parseTimestamp reads the timestamp header. Zendesk's documentation shows
// no example value; receivers in the wild parse it both as RFC 3339 and as
// unix seconds, so both are accepted (the signature covers the string as
// sent either way).
func parseTimestamp(ts string) (time.Time, bool) {
	if len(ts) > maxTimestampLen {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
		return t, true
	}
	if isDigits(ts) && len(ts) <= 12 {
		if secs, err := strconv.ParseInt(ts, 10, 64); err == nil {
			return time.Unix(secs, 0), true
		}
	}
	return time.Time{}, false
}

// maxSkew reads the source's max_skew; a value the loader would have
// refused falls back to the default rather than disabling the check.
func maxSkew(s *platform.Settings) time.Duration {
	if d, err := time.ParseDuration(s.Get(SettingMaxSkew)); err == nil && d >= minMaxSkew && d <= maxMaxSkew {
		return d
	}
	return DefaultMaxSkew
}
