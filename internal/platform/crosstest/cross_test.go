// Package crosstest holds tests over several platforms at once: what one
// platform signs must never pass another platform's Verify.
package crosstest

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/chatwoot"
	"github.com/supportops/autoresponder/internal/platform/freshdesk"
	"github.com/supportops/autoresponder/internal/platform/front"
	"github.com/supportops/autoresponder/internal/platform/helpscout"
	"github.com/supportops/autoresponder/internal/platform/zendesk"
)

// scheme is one way a source verifies deliveries: a platform with the
// source settings that pick its signing scheme.
type scheme struct {
	name     string
	p        platform.Platform
	settings map[string]string
}

// schemes lists every signing scheme of the platforms in internal/platform
// (Front has two, chosen by the source's signing setting).
var schemes = []scheme{
	{"zendesk", zendesk.New(), nil},
	{"freshdesk", freshdesk.New(), nil},
	{"helpscout", helpscout.New(), nil},
	{"front app", front.New(), map[string]string{"signing": front.SigningApp}},
	{"front rule", front.New(), map[string]string{"signing": front.SigningRule}},
	{"chatwoot", chatwoot.New(), nil},
}

func settings(m map[string]string) *platform.Settings {
	s := &platform.Settings{Values: map[string]string{}, Secrets: map[string]bool{}}
	for k, v := range m {
		s.Values[k] = v
	}
	return s
}

// The worst case is an admin who reuses one secret for every source: even
// then a delivery signed for one platform is refused by every other, with
// a SignatureError (answered 401).
func TestSignedForOnePlatformRefusedByEveryOther(t *testing.T) {
	secret := []byte("one-secret-reused-everywhere-0123")
	body := []byte(`{"id":"1","type":"x","conversation":{"id":1}}`)
	now := time.Now()
	for _, signer := range schemes {
		h := signer.p.Sign(secret, body, now, settings(signer.settings))
		own := &platform.Delivery{Header: h.Clone(), Body: body, Secret: secret, Settings: settings(signer.settings), Now: now}
		if err := signer.p.Verify(own); err != nil {
			t.Fatalf("%s refuses its own signature: %v", signer.name, err)
		}
		for _, verifier := range schemes {
			if verifier.name == signer.name {
				continue
			}
			t.Run(signer.name+" to "+verifier.name, func(t *testing.T) {
				d := &platform.Delivery{Header: h.Clone(), Body: body, Secret: secret, Settings: settings(verifier.settings), Now: now}
				err := verifier.p.Verify(d)
				if err == nil {
					t.Fatal("accepted")
				}
				if !errors.Is(err, platform.ErrBadSignature) {
					t.Fatalf("refused with %T %v, want a *platform.SignatureError", err, err)
				}
			})
		}
	}
}

// A sender that piles every platform's headers on one delivery, all signed
// with a secret it does not know, gets nothing through.
func TestAllHeadersWithWrongSecretRefused(t *testing.T) {
	body := []byte(`{"id":"1"}`)
	now := time.Now()
	all := http.Header{}
	for _, s := range schemes {
		for k, v := range s.p.Sign([]byte("attacker-guess"), body, now, settings(s.settings)) {
			all[k] = append(all[k], v...)
		}
	}
	for _, s := range schemes {
		d := &platform.Delivery{Header: all.Clone(), Body: body, Secret: []byte("the-real-secret"), Settings: settings(s.settings), Now: now}
		if err := s.p.Verify(d); !errors.Is(err, platform.ErrBadSignature) {
			t.Errorf("%s: Verify = %v, want a refusal", s.name, err)
		}
	}
}
