package freshdesk_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/freshdesk"
	"github.com/supportops/autoresponder/internal/platform/freshdesk/freshdeskfake"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// referenceBodies are the reference payloads (none when ../shared is
// absent) and the recommended body as rendered.
func referenceBodies(f *testing.F) [][]byte {
	bodies := [][]byte{freshdeskfake.NewTicket(), []byte(freshdesk.RecommendedBody)}
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "..", "shared", "reference", "freshdesk", "webhooks", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	return bodies
}

func FuzzBuild(f *testing.F) {
	for _, b := range referenceBodies(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"freshdesk_webhook":{"triggered_event":"{status:{from:4,to:6}}","ticket_id":12345678901234567890}}`))
	f.Add([]byte(`{"freshdesk_webhook":{"triggered_event":"{}","ticket_id":"1","user_id":[]}}`))
	p := freshdesk.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		d := &platform.Delivery{Body: body, Secret: []byte(testSecret), Now: time.Now()}
		ev, err := platform.Parse(p, "fd", d, time.Now())
		if err != nil {
			var bad *payload.BadRequestError
			if !errors.As(err, &bad) {
				t.Fatalf("error %T %v is not a *payload.BadRequestError", err, err)
			}
			return
		}
		if ev.Target.Type != event.TargetTicket || ev.Target.ID == "" || ev.Topic == "" || ev.ID == "" {
			t.Fatalf("accepted event lacks target, topic or id: %+v", ev)
		}
		for _, id := range []string{ev.ID, ev.Topic, ev.Target.ID} {
			if len(id) > event.MaxIDBytes {
				t.Fatalf("id of %d bytes passed", len(id))
			}
		}
		if ev.Contact != nil && len(ev.Contact.ID) > event.MaxIDBytes {
			t.Fatalf("contact id of %d bytes passed", len(ev.Contact.ID))
		}
		p.LoopGuard(ev, []platform.Identity{{IDs: []string{"1"}, Names: []string{"bot@example.com"}}})
	})
}

func FuzzVerify(f *testing.F) {
	basic := freshdesk.BasicAuth("freshdesk", testSecret)
	for _, b := range referenceBodies(f) {
		f.Add(basic, "", testSecret, b)
		f.Add("", testSecret, testSecret, b)
	}
	f.Add("Basic "+base64.StdEncoding.EncodeToString([]byte("no-colon")), "", testSecret, []byte(`{}`))
	f.Add("bAsIc ", "x", "", []byte(nil))
	p := freshdesk.New()
	f.Fuzz(func(t *testing.T, auth, token, secret string, body []byte) {
		h := http.Header{}
		if auth != "" {
			h.Set("Authorization", auth)
		}
		if token != "" {
			h.Set("X-Autoresponder-Token", token)
		}
		err := p.Verify(&platform.Delivery{Header: h, Body: body, Secret: []byte(secret), Now: time.Now()})
		if err != nil {
			var se *platform.SignatureError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *platform.SignatureError", err, err)
			}
			if secret != "" && len(secret) > 3 && strings.Contains(se.Reason, secret) {
				t.Fatalf("reason quotes the secret: %q", se.Reason)
			}
			return
		}
		// Accepted: the secret is set and every credential given is it.
		if secret == "" || (auth == "" && token == "") {
			t.Fatalf("accepted without a secret or credentials (auth %q token %q)", auth, token)
		}
		if token != "" && token != secret {
			t.Fatalf("accepted token %q for another secret", token)
		}
		if auth != "" && !strings.HasSuffix(decodeBasic(auth), ":"+secret) {
			t.Fatalf("accepted Authorization %q for another secret", auth)
		}
	})
}

func decodeBasic(v string) string {
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(v[len("basic "):]))
	return string(raw)
}
