package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// The webhook notifier's signature headers.
const (
	TimestampHeader = "X-Autoresponder-Timestamp"
	SignatureHeader = "X-Autoresponder-Signature"
	signaturePrefix = "sha256="
)

// Sign is the signature header's value for body sent at timestamp (unix
// seconds): "sha256=" and the lowercase hex HMAC-SHA256, keyed by secret,
// of "<timestamp>.<body>". Signing the timestamp with the body means a
// captured request cannot be replayed later with a fresh timestamp.
func Sign(secret []byte, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// Verification failures. They never quote the secret or the expected
// signature.
var (
	ErrNoSecret          = errors.New("no secret configured: refusing every request")
	ErrMissingHeader     = errors.New("signature or timestamp header missing")
	ErrMultipleHeaders   = errors.New("more than one signature or timestamp header")
	ErrBadTimestamp      = errors.New("timestamp is not unix seconds")
	ErrStaleTimestamp    = errors.New("timestamp too far from now")
	ErrBadSignatureForm  = errors.New("signature must be sha256= and 64 lowercase hex digits")
	ErrSignatureMismatch = errors.New("signature does not match")
)

// Verify checks a webhook notification as a receiver gets it: exactly one
// timestamp and one signature header, the timestamp within maxSkew of now
// (either way), and the signature over "<timestamp>.<body>" in constant
// time. body must be the raw bytes received, before any JSON decoding.
// It uses only the standard library, so a receiver written in Go can copy
// it as it is.
func Verify(secret []byte, header http.Header, body []byte, now time.Time, maxSkew time.Duration) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	tsValues, sigValues := header.Values(TimestampHeader), header.Values(SignatureHeader)
	if len(tsValues) == 0 || len(sigValues) == 0 {
		return ErrMissingHeader
	}
	if len(tsValues) > 1 || len(sigValues) > 1 {
		return ErrMultipleHeaders
	}
	ts, sig := tsValues[0], sigValues[0]

	// Digits only: ParseInt would also take "+17" or "-5".
	if len(ts) == 0 || len(ts) > 12 {
		return ErrBadTimestamp
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return ErrBadTimestamp
		}
	}
	seconds, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if skew := now.Sub(time.Unix(seconds, 0)); skew > maxSkew || skew < -maxSkew {
		return fmt.Errorf("%w: %v off (at most %v)", ErrStaleTimestamp, skew.Round(time.Second), maxSkew)
	}

	if len(sig) != len(signaturePrefix)+2*sha256.Size || sig[:len(signaturePrefix)] != signaturePrefix {
		return ErrBadSignatureForm
	}
	hexDigits := sig[len(signaturePrefix):]
	for i := 0; i < len(hexDigits); i++ {
		if c := hexDigits[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return ErrBadSignatureForm
		}
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(secret, seconds, body))) {
		return ErrSignatureMismatch
	}
	return nil
}
