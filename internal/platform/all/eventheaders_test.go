package all

import (
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
)

// TestKeptDeliveryParsesAgain: what the store keeps of a delivery (the
// body and the headers of Spec.EventHeaders) parses to the same event as
// the whole signed request did. A platform whose Build reads a header it
// does not declare fails here: its stored events would explain as
// something else, or not at all.
func TestKeptDeliveryParsesAgain(t *testing.T) {
	for _, p := range registry.All() {
		name := p.Spec().Name
		t.Run(name, func(t *testing.T) {
			mk, ok := suites[name]
			if !ok {
				t.Fatalf("%s has no contract suite in this test's list", name)
			}
			s := mk()
			parsed := 0
			for i, ex := range s.Examples {
				label := filepath.Base(ex.File)
				if ex.File == "" {
					label = ex.Want.Topic
				}
				t.Run(fmt.Sprintf("%d %s", i, label), func(t *testing.T) {
					now := time.Date(2026, 1, 7, 12, 0, 0, 0, time.UTC)
					d := s.Deliver(ex.Load(t), ex.Header, now)
					first, err := platform.Parse(p, "src", d, now)
					if err != nil {
						t.Fatalf("Parse of the signed delivery: %v", err)
					}
					parsed++
					for k := range first.Headers {
						if !slices.ContainsFunc(p.Spec().EventHeaders, func(n string) bool { return http.CanonicalHeaderKey(n) == k }) {
							t.Errorf("kept header %s is not in Spec.EventHeaders", k)
						}
					}
					again, err := platform.Parse(p, "src", &platform.Delivery{Header: first.Headers, Body: first.Raw, Settings: d.Settings, Now: now}, now)
					if err != nil {
						t.Fatalf("the kept body and headers %v no longer parse: %v", first.Headers, err)
					}
					if !reflect.DeepEqual(first, again) {
						t.Errorf("the kept delivery parses to another event:\nsigned: %+v\nkept:   %+v", first, again)
					}
				})
			}
			if parsed == 0 {
				t.Skip("no example parsed: ../shared is absent and the suite ships no bodies")
			}
		})
	}
}
