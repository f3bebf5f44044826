package chatwoot_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/chatwoot"
	"github.com/supportops/autoresponder/internal/platform/chatwoot/chatwootfake"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// seeds are the example payloads of the contract suite.
func seeds() [][]byte {
	var out [][]byte
	for _, ex := range chatwootfake.Suite().Examples {
		out = append(out, ex.Body)
	}
	return append(out, chatwootfake.Suite().OwnPost.Body)
}

// FuzzBuild: whatever the body and delivery header, Parse gives an event
// or a *payload.BadRequestError, never a panic, and the event's ids are
// bounded.
func FuzzBuild(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s, "")
		f.Add(s, "2b7c4f1e-0d6a-4e3b-9c58-71f0a2d4e6b8")
	}
	p := chatwoot.New()
	f.Fuzz(func(t *testing.T, body []byte, delivery string) {
		h := http.Header{}
		if delivery != "" {
			h.Set(chatwoot.HeaderDelivery, delivery)
		}
		d := &platform.Delivery{Header: h, Body: body, Settings: &platform.Settings{}, Now: received}
		ev, err := platform.Parse(p, "cw", d, received)
		if err != nil {
			var bad *payload.BadRequestError
			if !errors.As(err, &bad) {
				t.Fatalf("error %T %v is not a *payload.BadRequestError", err, err)
			}
			return
		}
		for what, id := range map[string]string{"id": ev.ID, "topic": ev.Topic, "target": ev.Target.ID} {
			if len(id) > event.MaxIDBytes {
				t.Fatalf("%s is %d bytes", what, len(id))
			}
		}
		if ev.ID == "" || ev.Topic == "" {
			t.Fatalf("event without id or topic: %+v", ev)
		}
		if ev.Contact != nil && len(ev.Contact.ID) > event.MaxIDBytes {
			t.Fatalf("contact id is %d bytes", len(ev.Contact.ID))
		}
		if ev.Target.Type != "" && ev.Target.Type != event.TargetConversation {
			t.Fatalf("target type %q", ev.Target.Type)
		}
		p.LoopGuard(ev, []platform.Identity{{IDs: []string{"agent_bot:42"}}})
	})
}

// FuzzVerify: whatever the headers, Verify accepts only what the secret
// signed and refuses everything else with a *platform.SignatureError.
func FuzzVerify(f *testing.F) {
	secret := []byte("fuzz-secret-0123456789")
	at := time.Unix(1772442900, 0)
	p := chatwoot.New()
	for _, s := range seeds() {
		h := p.Sign(secret, s, at, nil)
		f.Add(s, h.Get(chatwoot.HeaderTimestamp), h.Get(chatwoot.HeaderSignature))
	}
	f.Add([]byte(`{}`), "", "")
	f.Add([]byte(`{}`), "1772442900", "sha256=")
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string) {
		h := http.Header{}
		h.Set(chatwoot.HeaderTimestamp, ts)
		h.Set(chatwoot.HeaderSignature, sig)
		err := p.Verify(&platform.Delivery{Header: h, Body: body, Secret: secret, Settings: &platform.Settings{}, Now: at})
		if err != nil {
			var se *platform.SignatureError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *platform.SignatureError", err, err)
			}
			return
		}
		// Accepted: it must be exactly what the secret signs, at a time
		// within the window.
		sec, perr := strconv.ParseInt(ts, 10, 64)
		if perr != nil || at.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
			t.Fatalf("accepted timestamp %q", ts)
		}
		if want := chatwootSignature(secret, ts, body); sig != want {
			t.Fatalf("accepted signature %q for timestamp %q, want %q", sig, ts, want)
		}
	})
}
