package e2e

import (
	"time"

	"github.com/supportops/autoresponder/internal/platform/all"
)

// signature is the signature header value a sender of kind puts on body.
func signature(kind string, secret, body []byte) string {
	p, ok := all.Registry().Lookup(kind)
	if !ok {
		panic("e2e: no platform " + kind)
	}
	for _, v := range p.Sign(secret, body, time.Now(), nil) {
		return v[0]
	}
	return ""
}

// signatureHeader names the header that carries kind's signature.
func signatureHeader(kind string) string {
	p, ok := all.Registry().Lookup(kind)
	if !ok {
		panic("e2e: no platform " + kind)
	}
	for k := range p.Sign([]byte("x"), nil, time.Now(), nil) {
		return k
	}
	return ""
}
