package zendesk_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
	"github.com/supportops/autoresponder/internal/platform/zendesk"
	"github.com/supportops/autoresponder/internal/platform/zendesk/zendeskfake"
)

// seeds are the reference payloads (when ../shared is there) and the
// bodies this package's tests and docs use.
func seeds(f *testing.F) [][]byte {
	out := [][]byte{
		zendeskfake.RenderTrigger(nil),
		[]byte(zendesk.TriggerBody),
		[]byte(envelope(commentAdded, `{"id":"1","actor_id":"9001"}`, `{"comment":{"body":"x","author":{"id":"9001","is_staff":true}}}`)),
		[]byte(envelope(zendesk.TopicMessagingMessage, `{"id":"1"}`, `{"message":{"body":"x"},"actor":{"type":"system"}}`)),
		[]byte(`{"type":"zen:event-type:ticket.status_changed","id":"e2","subject":"zen:ticket:42"}`),
	}
	dir := filepath.Join(repoRootF(f), "..", "shared", "reference", "zendesk", "webhooks")
	for _, name := range []string{"event_ticket_created.json", "event_ticket_comment_added.json"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			out = append(out, b)
		}
	}
	return out
}

func repoRootF(f *testing.F) string {
	dir, err := os.Getwd()
	if err != nil {
		f.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			f.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// FuzzBuild: any body is an event or a *payload.BadRequestError, never a
// panic, and an event's indexed ids are bounded.
func FuzzBuild(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	p := zendesk.New()
	self := []platform.Identity{{IDs: []string{"9001"}}}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := platform.Parse(p, "zd", &platform.Delivery{Body: body, Now: testNow}, testNow)
		if err != nil {
			var bad *payload.BadRequestError
			if !errors.As(err, &bad) {
				t.Fatalf("Parse error %T %v is not a *payload.BadRequestError", err, err)
			}
			return
		}
		for what, id := range map[string]string{"id": ev.ID, "topic": ev.Topic, "target": ev.Target.ID} {
			if len(id) > event.MaxIDBytes {
				t.Fatalf("%s is %d bytes", what, len(id))
			}
		}
		if ev.Topic == "" || ev.ID == "" {
			t.Fatalf("event without topic or id: %+v", ev)
		}
		switch p.LoopGuard(ev, self) {
		case "", platform.IgnoredOwnReply, platform.IgnoredBotAuthor:
		default:
			t.Fatal("LoopGuard gave an undocumented reason")
		}
	})
}

// FuzzVerify: any headers, body and secret are accepted or refused with a
// *platform.SignatureError, never a panic; what Sign makes is accepted.
func FuzzVerify(f *testing.F) {
	p := zendesk.New()
	for _, s := range seeds(f) {
		h := p.Sign(testSecret, s, testNow, nil)
		f.Add(h.Get(zendesk.HeaderSignature), h.Get(zendesk.HeaderTimestamp), s, testSecret)
	}
	f.Add("", "", []byte{}, []byte{})
	f.Add("=", "1736331127", []byte("x"), []byte("k"))
	f.Fuzz(func(t *testing.T, sig, ts string, body, secret []byte) {
		h := http.Header{}
		h.Set(zendesk.HeaderSignature, sig)
		h.Set(zendesk.HeaderTimestamp, ts)
		d := &platform.Delivery{Header: h, Body: body, Secret: secret, Now: testNow}
		if err := p.Verify(d); err != nil {
			var se *platform.SignatureError
			if !errors.As(err, &se) {
				t.Fatalf("Verify error %T %v is not a *platform.SignatureError", err, err)
			}
		}
		if len(secret) > 0 {
			d.Header = p.Sign(secret, body, testNow.Add(-time.Minute), nil)
			if err := p.Verify(d); err != nil {
				t.Fatalf("Verify refused what Sign made: %v", err)
			}
		}
	})
}
