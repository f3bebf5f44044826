package chatwoot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/hexsig"
)

// Webhook headers (Chatwoot 4.11.2 and later, when the webhook has a
// secret).
const (
	// HeaderSignature is "sha256=" and the lowercase hex HMAC-SHA256 of
	// "<timestamp>.<raw body>", keyed by the webhook's secret.
	HeaderSignature = "X-Chatwoot-Signature"
	// HeaderTimestamp is the unix time in seconds the delivery was signed.
	HeaderTimestamp = "X-Chatwoot-Timestamp"
	// HeaderDelivery is a UUID made when the delivery is queued; Sidekiq's
	// retries send it again, so it is the event id.
	HeaderDelivery = "X-Chatwoot-Delivery"
)

const signaturePrefix = "sha256="

// maxTimestampDigits bounds the timestamp header: unix seconds have 10
// digits until 2286, and a longer run cannot be a genuine clock.
const maxTimestampDigits = 12

// The refusals, allocated once: Verify runs on every delivery.
var (
	errSignatureMissing  = &platform.SignatureError{Reason: HeaderSignature + " header missing"}
	errSignatureMultiple = &platform.SignatureError{Reason: HeaderSignature + " header given more than once"}
	errSignatureFormat   = &platform.SignatureError{Reason: HeaderSignature + ` must be "sha256=" and 64 lowercase hex digits`}
	errTimestampMissing  = &platform.SignatureError{Reason: HeaderTimestamp + " header missing"}
	errTimestampMultiple = &platform.SignatureError{Reason: HeaderTimestamp + " header given more than once"}
	errTimestampFormat   = &platform.SignatureError{Reason: HeaderTimestamp + " must be unix seconds"}
	errTimestampStale    = &platform.SignatureError{Reason: HeaderTimestamp + " is outside the allowed window (replayed, or the clocks differ)"}
	errMismatch          = &platform.SignatureError{Reason: "signature does not match the timestamp and body"}
)

// Verify implements platform.Platform. Unsigned deliveries (Chatwoot
// before 4.11.2, or a webhook without a secret) are refused here; a source
// that must take them sets insecure_skip_verify.
func (Platform) Verify(d *platform.Delivery) error {
	sig, err := platform.SingleHeader(d.Header, HeaderSignature, errSignatureMissing, errSignatureMultiple)
	if err != nil {
		return err
	}
	ts, err := platform.SingleHeader(d.Header, HeaderTimestamp, errTimestampMissing, errTimestampMultiple)
	if err != nil {
		return err
	}
	var want [sha256.Size]byte
	if len(sig) != len(signaturePrefix)+2*sha256.Size || sig[:len(signaturePrefix)] != signaturePrefix ||
		!hexsig.DecodeLower(want[:], sig[len(signaturePrefix):]) {
		return errSignatureFormat
	}
	signedAt, ok := parseUnixSeconds(ts)
	if !ok {
		return errTimestampFormat
	}
	// A source without a secret refuses everything, but only once the
	// headers are in form: the intake counts it as no_secret (a
	// misconfigured source), an unsigned request as a bad signature.
	if len(d.Secret) == 0 {
		return platform.ErrNoSecret
	}
	window, err := tolerance(d.Settings.Get(settingTolerance))
	if err != nil {
		window = defaultTolerance // not set (the loader has refused anything else)
	}
	if age := d.Now.Sub(signedAt); age > window || age < -window {
		return errTimestampStale
	}
	var sum [sha256.Size]byte
	if !hmac.Equal(mac(d.Secret, ts, d.Body, sum[:0]), want[:]) {
		return errMismatch
	}
	return nil
}

// mac appends the HMAC-SHA256 of "<ts>.<body>" to dst.
func mac(secret []byte, ts string, body, dst []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(dst)
}

// parseUnixSeconds reads a timestamp of plain decimal digits.
func parseUnixSeconds(s string) (time.Time, bool) {
	if len(s) > maxTimestampDigits {
		return time.Time{}, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// Sign implements platform.Platform: the three headers Chatwoot sends. The
// delivery id is derived from the timestamp and body rather than random, so
// that signing the same body at the same second is the same delivery (as a
// Chatwoot retry is).
func (Platform) Sign(secret, body []byte, now time.Time, _ *platform.Settings) http.Header {
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{}
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, signaturePrefix+hex.EncodeToString(mac(secret, ts, body, nil)))
	h.Set(HeaderDelivery, deliveryUUID(ts, body))
	return h
}

// deliveryUUID formats a digest of ts and body as a version 4 UUID.
func deliveryUUID(ts string, body []byte) string {
	d := sha256.New()
	d.Write([]byte(ts))
	d.Write([]byte{'.'})
	d.Write(body)
	var u [16]byte
	copy(u[:], d.Sum(nil))
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u[:])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}
