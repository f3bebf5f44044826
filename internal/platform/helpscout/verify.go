package helpscout

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
)

// Webhook headers.
const (
	HeaderSignature = "X-HelpScout-Signature"
	HeaderEvent     = "X-HelpScout-Event"
)

// signatureLen is the length of a base64 SHA-1 HMAC (20 bytes, padded).
var signatureLen = base64.StdEncoding.EncodedLen(sha1.Size)

// signatureKey is HeaderSignature as net/http stores it ("X-Helpscout-
// Signature"): looking it up by its canonical form spares Verify from
// canonicalising the name on every call.
var signatureKey = http.CanonicalHeaderKey(HeaderSignature)

// The refusals, allocated once: Verify runs on every delivery, before
// anything is known about the sender.
var (
	errSigMissing  = &platform.SignatureError{Reason: HeaderSignature + " header missing"}
	errSigMultiple = &platform.SignatureError{Reason: HeaderSignature + " header given more than once"}
	errSigFormat   = &platform.SignatureError{Reason: HeaderSignature + " header is not a base64 HMAC-SHA1"}
	errMismatch    = &platform.SignatureError{Reason: HeaderSignature + " does not match the body"}
)

// Verify checks X-HelpScout-Signature: base64 of the HMAC-SHA1 of the raw
// body, keyed by the webhook's secret. There is no timestamp to check:
// Help Scout signs the body only.
//
// The header's form is checked before the secret: a source without a
// secret refuses everything with platform.ErrNoSecret, which the intake
// counts as no_secret (a misconfigured source), while an unsigned request
// stays a bad signature.
func (Platform) Verify(d *platform.Delivery) error {
	values := d.Header[signatureKey]
	switch {
	case len(values) == 0:
		return errSigMissing
	case len(values) > 1:
		return errSigMultiple
	}
	// Checking the length first keeps the decoding bounded whatever the
	// sender put in the header. Decode needs room for what 28 characters
	// could hold (21 bytes) before it can say the length is wrong.
	if len(values[0]) != signatureLen {
		return errSigFormat
	}
	var want [sha1.Size + 1]byte
	if n, err := base64.StdEncoding.Strict().Decode(want[:], []byte(values[0])); err != nil || n != sha1.Size {
		return errSigFormat
	}
	if len(d.Secret) == 0 {
		return platform.ErrNoSecret
	}
	var sum [sha1.Size]byte
	if !hmac.Equal(mac(d.Secret, d.Body, sum[:0]), want[:sha1.Size]) {
		return errMismatch
	}
	return nil
}

// Sign returns the signature header Help Scout puts on body. The event
// name (X-HelpScout-Event) is not signed; the caller adds it.
func (Platform) Sign(secret, body []byte, _ time.Time, _ *platform.Settings) http.Header {
	h := http.Header{}
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(mac(secret, body, nil)))
	return h
}

// mac appends the HMAC-SHA1 of body to dst.
func mac(secret, body, dst []byte) []byte {
	m := hmac.New(sha1.New, secret)
	m.Write(body)
	return m.Sum(dst)
}
