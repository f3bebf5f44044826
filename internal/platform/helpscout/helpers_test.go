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
	"github.com/supportops/autoresponder/internal/replier"
)

var (
	hs     = helpscout.New()
	secret = []byte("webhook-secret")
	now    = time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC)
)

// reference reads a file of ../shared/reference, skipping the test when
// the shared folder is absent (a user's checkout has none).
func reference(t testing.TB, name string) []byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
	b, err := os.ReadFile(filepath.Join(dir, "..", "shared", "reference", name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not found: ../shared is absent", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// delivery is a genuine delivery of body as topic.
func delivery(topic string, body []byte) *platform.Delivery {
	h := hs.Sign(secret, body, now, nil)
	if topic != "" {
		h.Set(helpscout.HeaderEvent, topic)
	}
	return &platform.Delivery{Header: h, Body: body, Secret: secret, Now: now}
}

func parse(t *testing.T, topic string, body []byte) *event.Event {
	t.Helper()
	ev, err := platform.Parse(hs, "hs", delivery(topic, body), now)
	if err != nil {
		t.Fatalf("Parse(%s): %v", topic, err)
	}
	return ev
}

// account is an account of fake f, with the clock clock (nil: time.Now).
func account(f *helpscoutfake.Server, clock func() time.Time) *platform.Account {
	s := &platform.Settings{Values: f.Settings(), Secrets: map[string]bool{helpscout.SettingAppSecret: true}}
	if clock == nil {
		clock = time.Now
	}
	return &platform.Account{
		Name: "support", BaseURL: f.BaseURL(), Settings: s, Timeout: 5 * time.Second, Now: clock,
		Secret: func(key string) ([]byte, error) {
			if v, ok := f.Secrets()[key]; ok {
				return []byte(v), nil
			}
			return nil, errors.New(key + " not configured")
		},
	}
}

func newReplier(t *testing.T, f *helpscoutfake.Server, clock func() time.Time) replier.Replier {
	t.Helper()
	r, err := hs.NewReplier(account(f, clock))
	if err != nil {
		t.Fatalf("NewReplier: %v", err)
	}
	return r
}

func comment(body string) *replier.Request {
	req := &replier.Request{Platform: "support", As: platform.AsComment,
		Target: event.Target{Type: event.TargetConversation, ID: "123"}, Body: body}
	req.Set(helpscout.FieldCustomer, replier.Value{Text: "238604"})
	return req
}

func note(body string) *replier.Request {
	return &replier.Request{Platform: "support", As: platform.AsNote,
		Target: event.Target{Type: event.TargetConversation, ID: "123"}, Body: body}
}

// asError returns err as a *replier.Error, failing the test otherwise.
func asError(t *testing.T, err error) *replier.Error {
	t.Helper()
	var e *replier.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *replier.Error", err)
	}
	return e
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}
