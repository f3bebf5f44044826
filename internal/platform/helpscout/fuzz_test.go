package helpscout_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/helpscout"
	"github.com/supportops/autoresponder/internal/platform/helpscout/helpscoutfake"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// seeds are the reference payloads (when ../shared is present) and the
// bodies the tests write.
func seeds(f *testing.F) [][]byte {
	out := [][]byte{helpscoutfake.OwnReplyBody, []byte(`{"id": 123}`), []byte(`{}`), []byte(`{"id": 5, "firstName": "V"}`)}
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if parent := filepath.Dir(dir); parent != dir {
			dir = parent
			continue
		}
		return out
	}
	for _, name := range []string{helpscoutfake.FileConversation, helpscoutfake.FileWithThread} {
		if b, err := os.ReadFile(filepath.Join(dir, "..", "shared", "reference", name)); err == nil {
			out = append(out, b)
		}
	}
	return out
}

var fuzzTopics = []string{
	helpscout.TopicCreated, helpscout.TopicCustomerReply, helpscout.TopicAgentReply, helpscout.TopicNote,
	helpscout.TopicDeleted, helpscout.TopicTest, "convo.status", "customer.created", "customer.updated",
	"satisfaction.ratings", "",
}

// FuzzBuild: whatever the body and event header, Parse either builds an
// event with bounded ids or refuses it with a *payload.BadRequestError;
// it never panics, and neither does the loop guard on what it built.
func FuzzBuild(f *testing.F) {
	for _, b := range seeds(f) {
		for _, topic := range fuzzTopics {
			f.Add(b, topic)
		}
	}
	self := []platform.Identity{{IDs: []string{helpscoutfake.UserID}}}
	f.Fuzz(func(t *testing.T, body []byte, topic string) {
		h := http.Header{}
		h.Set(helpscout.HeaderEvent, topic)
		d := &platform.Delivery{Header: h, Body: body, Secret: secret, Now: now}
		ev, err := platform.Parse(hs, "hs", d, now)
		if err != nil {
			var bad *payload.BadRequestError
			if !errors.As(err, &bad) {
				t.Fatalf("Parse error %T %v, want a *payload.BadRequestError", err, err)
			}
			return
		}
		for what, id := range map[string]string{"id": ev.ID, "topic": ev.Topic, "target id": ev.Target.ID} {
			if len(id) > event.MaxIDBytes {
				t.Fatalf("%s is %d bytes", what, len(id))
			}
		}
		if ev.Contact != nil && len(ev.Contact.ID) > event.MaxIDBytes {
			t.Fatalf("contact id is %d bytes", len(ev.Contact.ID))
		}
		if ev.Topic != topic || ev.ID == "" {
			t.Fatalf("event topic %q id %q from header %q", ev.Topic, ev.ID, topic)
		}
		switch hs.LoopGuard(ev, self) {
		case "", platform.IgnoredOwnReply, platform.IgnoredBotAuthor:
		default:
			t.Fatal("LoopGuard gave an unknown reason")
		}
	})
}

// FuzzVerify: Verify accepts exactly the signature Sign makes, and refuses
// everything else with a *platform.SignatureError, never panicking.
func FuzzVerify(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b, hs.Sign(secret, b, now, nil).Get(helpscout.HeaderSignature), secret)
		f.Add(b, "", secret)
		f.Add(b, "sha1=00", []byte{})
	}
	f.Fuzz(func(t *testing.T, body []byte, signature string, key []byte) {
		h := http.Header{}
		h.Set(helpscout.HeaderSignature, signature)
		err := hs.Verify(&platform.Delivery{Header: h, Body: body, Secret: key, Now: time.Now()})
		genuine := len(key) > 0 && signature == hs.Sign(key, body, now, nil).Get(helpscout.HeaderSignature)
		switch {
		case err == nil && !genuine:
			t.Fatalf("Verify accepted signature %q", signature)
		case err != nil && genuine:
			t.Fatalf("Verify refused a genuine signature: %v", err)
		case err != nil && !errors.Is(err, platform.ErrBadSignature):
			t.Fatalf("Verify error %T %v, want a *platform.SignatureError", err, err)
		}
	})
}
