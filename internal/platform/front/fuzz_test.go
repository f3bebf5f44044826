package front_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/front"
	"github.com/supportops/autoresponder/internal/platform/front/frontfake"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// seeds are the reference payloads (when ../shared is there) and the
// fake's own examples.
func seeds(f *testing.F) [][]byte {
	out := [][]byte{frontfake.AppInbound, frontfake.APIReply, frontfake.OwnReply, []byte(vecBody)}
	dir, err := filepath.Abs("../../../../shared/reference/front/webhooks")
	if err != nil {
		f.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzBuild: whatever the body, Parse returns an event or a
// *payload.BadRequestError, and the loop guard does not panic.
func FuzzBuild(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b)
	}
	p := front.New()
	self := []platform.Identity{{IDs: []string{frontfake.DefaultTeammateID}}}
	f.Fuzz(func(t *testing.T, body []byte) {
		d := &platform.Delivery{Header: http.Header{}, Body: body, Secret: []byte("s"), Settings: settings(), Now: time.Now()}
		ev, err := platform.Parse(p, "src", d, time.Now())
		if err != nil {
			var bad *payload.BadRequestError
			if !errors.As(err, &bad) {
				t.Fatalf("Parse error %T %v is not a *payload.BadRequestError", err, err)
			}
			return
		}
		for _, id := range []string{ev.ID, ev.Topic, ev.Target.ID} {
			if len(id) > 1024 {
				t.Fatalf("an id of %d bytes got through", len(id))
			}
		}
		p.LoopGuard(ev, self)
	})
}

// FuzzVerify: whatever the headers and body, Verify accepts or refuses
// with a *platform.SignatureError, and Challenge does not panic.
func FuzzVerify(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b, vecAppSig, vecAppTS, "app", "a1b2")
		f.Add(b, vecRuleSig, "", "rule", "")
	}
	f.Add([]byte(vecBody), vecAppSig, vecAppTS, "app", "x")
	p := front.New()
	f.Fuzz(func(t *testing.T, body []byte, sig, ts, signing, challenge string) {
		h := http.Header{}
		h.Set("X-Front-Signature", sig)
		if ts != "" {
			h.Set("X-Front-Request-Timestamp", ts)
		}
		if challenge != "" {
			h.Set("X-Front-Challenge", challenge)
		}
		d := &platform.Delivery{Header: h, Body: body, Secret: []byte(vecSecret), Settings: settings("signing", signing), Now: vecNow}
		if err := p.Verify(d); err != nil {
			var se *platform.SignatureError
			if !errors.As(err, &se) {
				t.Fatalf("Verify error %T %v is not a *platform.SignatureError", err, err)
			}
		}
		p.(platform.Challenger).Challenge(d)
	})
}
