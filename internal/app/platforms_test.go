package app

import (
	"net/http"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/all"
)

// testPlatforms is every platform, as main builds it.
var testPlatforms = all.Registry()

// signHeaders signs body the way the platform of kind does.
func signHeaders(kind, secret string, body []byte) http.Header {
	p, ok := testPlatforms.Lookup(kind)
	if !ok {
		panic("no platform " + kind)
	}
	return p.Sign([]byte(secret), body, time.Now(), nil)
}

// parse turns a delivery of a source of kind into an event, unverified.
func parse(kind, source string, body []byte, at time.Time) (*event.Event, error) {
	p, ok := testPlatforms.Lookup(kind)
	if !ok {
		panic("no platform " + kind)
	}
	return platform.Parse(p, source, &platform.Delivery{Body: body, Now: at}, at)
}
