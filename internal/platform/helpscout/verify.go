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

// Verify checks X-HelpScout-Signature: base64 of the HMAC-SHA1 of the raw
// body, keyed by the webhook's secret. There is no timestamp to check:
// Help Scout signs the body only.
func (Platform) Verify(d *platform.Delivery) error {
	if len(d.Secret) == 0 {
		return &platform.SignatureError{Reason: "the source has no secret"}
	}
	values := d.Header.Values(HeaderSignature)
	switch {
	case len(values) == 0:
		return &platform.SignatureError{Reason: HeaderSignature + " header missing"}
	case len(values) > 1:
		return &platform.SignatureError{Reason: HeaderSignature + " header given more than once"}
	}
	// Checking the length first keeps the decoding bounded whatever the
	// sender put in the header.
	if len(values[0]) != signatureLen {
		return &platform.SignatureError{Reason: HeaderSignature + " header is not a base64 HMAC-SHA1"}
	}
	got, err := base64.StdEncoding.Strict().DecodeString(values[0])
	if err != nil {
		return &platform.SignatureError{Reason: HeaderSignature + " header is not a base64 HMAC-SHA1"}
	}
	if !hmac.Equal(got, mac(d.Secret, d.Body)) {
		return &platform.SignatureError{Reason: HeaderSignature + " does not match the body"}
	}
	return nil
}

// Sign returns the signature header Help Scout puts on body. The event
// name (X-HelpScout-Event) is not signed; the caller adds it.
func (Platform) Sign(secret, body []byte, _ time.Time, _ *platform.Settings) http.Header {
	h := http.Header{}
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(mac(secret, body)))
	return h
}

func mac(secret, body []byte) []byte {
	m := hmac.New(sha1.New, secret)
	m.Write(body)
	return m.Sum(nil)
}
