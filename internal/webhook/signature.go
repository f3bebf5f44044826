package webhook

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"

	"github.com/supportops/autoresponder/internal/event"
)

// Signature headers.
const (
	// HeaderIntercomSignature is "sha1=" and 40 lowercase hex digits of the
	// HMAC-SHA1 of the body, keyed by the app's client secret.
	HeaderIntercomSignature = "X-Hub-Signature"
	// HeaderWHMCSSignature is "sha256=" and 64 lowercase hex digits of the
	// HMAC-SHA256 of the body, keyed by the shared secret.
	HeaderWHMCSSignature = "X-Signature"
)

// ErrBadSignature is what every signature failure of Verify matches with
// errors.Is.
var ErrBadSignature = errors.New("bad signature")

// SignatureError says why a signature was refused. Reasons never contain
// the secret or the expected signature.
type SignatureError struct {
	Reason string
}

func (e *SignatureError) Error() string        { return "bad signature: " + e.Reason }
func (e *SignatureError) Is(target error) bool { return target == ErrBadSignature }

// The reasons, allocated once: Verify is on the hot path.
var (
	errNoSecret        = &SignatureError{"no secret configured for the source"}
	errSigMismatch     = &SignatureError{"signature does not match the body"}
	errSigMultiple     = &SignatureError{"more than one signature header"}
	errIntercomMissing = &SignatureError{HeaderIntercomSignature + " header missing"}
	errIntercomFormat  = &SignatureError{HeaderIntercomSignature + ` must be "sha1=" and 40 lowercase hex digits`}
	errWHMCSMissing    = &SignatureError{HeaderWHMCSSignature + " header missing"}
	errWHMCSFormat     = &SignatureError{HeaderWHMCSSignature + ` must be "sha256=" and 64 lowercase hex digits`}
)

type signatureScheme struct {
	header  string
	prefix  string
	newHash func() hash.Hash
	size    int
	missing error
	format  error
}

var (
	intercomScheme = signatureScheme{HeaderIntercomSignature, "sha1=", sha1.New, sha1.Size, errIntercomMissing, errIntercomFormat}
	whmcsScheme    = signatureScheme{HeaderWHMCSSignature, "sha256=", sha256.New, sha256.Size, errWHMCSMissing, errWHMCSFormat}
)

// Verify checks the signature header of a delivery from a source of the
// given kind against the raw body, in constant time. Failures are a
// *SignatureError (errors.Is ErrBadSignature); an unknown kind is a plain
// error.
//
// The header must be exactly one value, the algorithm prefix ("sha1=" for
// Intercom, "sha256=" for WHMCS) followed by the full digest in lowercase
// hex. Uppercase hex is refused: both senders write lowercase, and one
// canonical form leaves nothing to normalize. An empty secret refuses
// everything, as an HMAC keyed by nothing proves nothing.
func Verify(kind string, secret, body []byte, header http.Header) error {
	var s *signatureScheme
	switch kind {
	case event.KindIntercom:
		s = &intercomScheme
	case event.KindWHMCS:
		s = &whmcsScheme
	default:
		return fmt.Errorf("webhook: unknown source kind %q", kind)
	}
	values := header[s.header]
	switch {
	case len(values) == 0 || values[0] == "":
		return s.missing
	case len(values) > 1:
		return errSigMultiple
	}
	v := values[0]
	if len(v) != len(s.prefix)+2*s.size || v[:len(s.prefix)] != s.prefix {
		return s.format
	}
	var want [sha256.Size]byte
	if !decodeLowerHex(want[:s.size], v[len(s.prefix):]) {
		return s.format
	}
	if len(secret) == 0 {
		return errNoSecret
	}
	mac := hmac.New(s.newHash, secret)
	mac.Write(body)
	var sum [sha256.Size]byte
	if !hmac.Equal(mac.Sum(sum[:0]), want[:s.size]) {
		return errSigMismatch
	}
	return nil
}

// decodeLowerHex decodes src, which must be exactly 2*len(dst) lowercase hex
// digits, into dst.
func decodeLowerHex(dst []byte, src string) bool {
	for i := range dst {
		hi, ok1 := lowerHexDigit(src[2*i])
		lo, ok2 := lowerHexDigit(src[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func lowerHexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Sign returns the signature header value a sender of the given kind puts
// on body: "sha1=<hex>" for Intercom, "sha256=<hex>" for WHMCS. It is for
// tests and tools that replay payloads; it returns "" for an unknown kind.
func Sign(kind string, secret, body []byte) string {
	var s *signatureScheme
	switch kind {
	case event.KindIntercom:
		s = &intercomScheme
	case event.KindWHMCS:
		s = &whmcsScheme
	default:
		return ""
	}
	mac := hmac.New(s.newHash, secret)
	mac.Write(body)
	return s.prefix + hex.EncodeToString(mac.Sum(nil))
}

// SignatureHeader names the header that carries the signature for a source
// kind, or "" for an unknown kind.
func SignatureHeader(kind string) string {
	switch kind {
	case event.KindIntercom:
		return HeaderIntercomSignature
	case event.KindWHMCS:
		return HeaderWHMCSSignature
	}
	return ""
}
