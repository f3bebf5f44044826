// Package hexsig checks the commonest webhook signature form: one header
// holding a prefix ("sha1=", "sha256=") and the lowercase hex HMAC of the
// raw body. Platforms that sign this way describe their header with a
// Scheme and embed it, which gives them Verify and Sign; the checks run in
// constant time and never quote the secret or the expected signature.
// DecodeLower serves platforms whose signatures cover more than the body.
package hexsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
)

// errMultiple is shared by every scheme: a delivery carries one signature.
var errMultiple = &platform.SignatureError{Reason: "more than one signature header"}

// Scheme is one platform's signature header. Build it with New: the
// refusals are allocated once, since Verify is on the hot path.
type Scheme struct {
	header  string
	prefix  string
	newHash func() hash.Hash
	size    int
	missing error
	format  error
}

// New describes a header that carries prefix and the hex digest of
// newHash (at most SHA-256 sized).
func New(header, prefix string, newHash func() hash.Hash, description string) *Scheme {
	size := newHash().Size()
	if size > sha256.Size {
		panic("hexsig: digests longer than SHA-256 are not supported")
	}
	return &Scheme{
		header: header, prefix: prefix, newHash: newHash, size: size,
		missing: &platform.SignatureError{Reason: header + " header missing"},
		format:  &platform.SignatureError{Reason: header + " must be " + description},
	}
}

// Header names the signature header.
func (s *Scheme) Header() string { return s.header }

// Verify implements platform.Platform's Verify for a platform that signs
// the body alone: the header must be exactly one value, the prefix
// followed by the full digest in lowercase hex (one canonical form leaves
// nothing to normalise). An empty secret refuses everything
// (platform.ErrNoSecret), as an HMAC keyed by nothing proves nothing; it
// is checked after the header's form, so that a request without any
// signature still reads as unsigned.
func (s *Scheme) Verify(d *platform.Delivery) error {
	v, err := platform.SingleHeader(d.Header, s.header, s.missing, errMultiple)
	if err != nil {
		return err
	}
	if len(v) != len(s.prefix)+2*s.size || v[:len(s.prefix)] != s.prefix {
		return s.format
	}
	var want [sha256.Size]byte
	if !DecodeLower(want[:s.size], v[len(s.prefix):]) {
		return s.format
	}
	if len(d.Secret) == 0 {
		return platform.ErrNoSecret
	}
	mac := hmac.New(s.newHash, d.Secret)
	mac.Write(d.Body)
	var sum [sha256.Size]byte
	if !hmac.Equal(mac.Sum(sum[:0]), want[:s.size]) {
		return errMismatch
	}
	return nil
}

var errMismatch = &platform.SignatureError{Reason: "signature does not match the body"}

// Sign implements platform.Platform's Sign: the header a genuine sender
// puts on body (the time and settings play no part).
func (s *Scheme) Sign(secret, body []byte, _ time.Time, _ *platform.Settings) http.Header {
	mac := hmac.New(s.newHash, secret)
	mac.Write(body)
	h := http.Header{}
	h.Set(s.header, s.prefix+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// DecodeLower decodes src, which must be exactly 2*len(dst) lowercase hex
// digits, into dst; anything else (upper case included) is false.
func DecodeLower(dst []byte, src string) bool {
	if len(src) != 2*len(dst) {
		return false
	}
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
