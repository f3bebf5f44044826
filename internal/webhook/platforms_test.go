package webhook

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/all"
	"github.com/supportops/autoresponder/internal/platform/intercom"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
)

// testPlatforms is every platform, as main builds it.
var testPlatforms = all.Registry()

// plat is the platform of kind.
func plat(kind string) platform.Platform {
	p, ok := testPlatforms.Lookup(kind)
	if !ok {
		panic("no platform " + kind)
	}
	return p
}

// Sign is the signature header value of kind on body.
func Sign(kind string, secret, body []byte) string {
	for _, v := range plat(kind).Sign(secret, body, time.Now(), nil) {
		return v[0]
	}
	return ""
}

// Parse normalises a delivery of kind, unverified.
func Parse(kind, source string, body []byte, at time.Time) (*event.Event, error) {
	return platform.Parse(plat(kind), source, &platform.Delivery{Body: body, Now: at}, at)
}

// Verify checks a delivery's signature for kind.
func Verify(kind string, secret, body []byte, header http.Header) error {
	return plat(kind).Verify(&platform.Delivery{Header: header, Body: body, Secret: secret, Now: time.Now()})
}

// testdata holds the payloads of every platform (shared with
// internal/platform/all's tests).
var testdata = filepath.Join("..", "platform", "all", "testdata")

var testNow = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	HeaderIntercomSignature = intercom.HeaderSignature
	HeaderWHMCSSignature    = whmcs.HeaderSignature
)
