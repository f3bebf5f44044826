package all

import (
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/supportops/autoresponder/internal/event"
)

// addSeeds adds the testdata payloads whose names start with prefix, plus a
// few hostile shapes.
func addSeeds(f *testing.F, prefix string) {
	files, err := filepath.Glob(filepath.Join("testdata", prefix+"*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds for %s: %v", prefix, err)
	}
	for _, file := range files {
		f.Add(readFile(f, file))
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `{"data":{"item":null}}`, `{"vars":[]}`,
		strings.Repeat("[", 100), `{"a":"\ud800"}`, "{\"a\":\"\xff\"}",
		`{"type":"notification_event","topic":"ping","id":null}`,
		`{"type":"notification_event","topic":"conversation.user.created","id":"n","created_at":"1e9",` +
			`"data":{"item":{"type":"conversation","id":1,"source":{"body":"<p>x","author":{"type":"user"}}}}}`,
		`{"event":"TicketOpen","id":"x","occurred_at":"2026-01-01T00:00:00Z","vars":{"ticketid":1,"message":"<b>hi</b>"}}`,
	} {
		f.Add([]byte(s))
	}
}

// checkParsed states what holds for every input: a *BadRequestError or an
// event that has what the rest of the bot relies on.
func checkParsed(t *testing.T, kind string, body []byte, ev *event.Event, err error) {
	t.Helper()
	if err != nil {
		var bre *BadRequestError
		if !errors.As(err, &bre) || bre.Reason == "" {
			t.Fatalf("error %v is not a *BadRequestError with a reason", err)
		}
		if ev != nil {
			t.Fatal("event returned with an error")
		}
		return
	}
	if !utf8.Valid(body) {
		t.Fatal("invalid UTF-8 accepted")
	}
	if ev.Topic == "" || ev.Payload == nil || ev.Kind != kind {
		t.Fatalf("incomplete event %+v", ev)
	}
	if ev.ID == "" && !(kind == "intercom" && ev.Topic == TopicPing) {
		t.Fatalf("event without id: %+v", ev)
	}
	if ev.Target.Type != "" && ev.Target.ID == "" {
		t.Fatalf("target without id: %+v", ev.Target)
	}
	if ev.Message != nil && !utf8.ValidString(ev.Message.Text) {
		t.Fatalf("message text is not UTF-8: %q", ev.Message.Text)
	}
	// The event must be storable.
	if _, err := json.Marshal(ev); err != nil {
		t.Fatalf("event does not marshal: %v", err)
	}
}

func FuzzParseIntercom(f *testing.F) {
	addSeeds(f, "intercom_")
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Parse("intercom", "intercom", body, testNow)
		checkParsed(t, "intercom", body, ev, err)
	})
}

func FuzzParseWHMCS(f *testing.F) {
	addSeeds(f, "whmcs_")
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Parse("whmcs", "whmcs", body, testNow)
		checkParsed(t, "whmcs", body, ev, err)
	})
}

func FuzzVerify(f *testing.F) {
	ic := readFile(f, filepath.Join("testdata", "intercom_ping.json"))
	wh := readFile(f, filepath.Join("testdata", "whmcs_TicketClose.json"))
	f.Add([]byte("secret"), ic, Sign("intercom", []byte("secret"), ic))
	f.Add([]byte("secret"), wh, Sign("whmcs", []byte("secret"), wh))
	f.Add([]byte("secret"), ic, "sha1="+strings.Repeat("A", 40))
	f.Add([]byte(""), []byte(""), "")
	f.Add([]byte("k"), []byte("{}"), "sha256=")
	f.Fuzz(func(t *testing.T, secret, body []byte, sig string) {
		for _, kind := range []string{"intercom", "whmcs"} {
			name := SignatureHeader(kind)
			err := Verify(kind, secret, body, http.Header{name: {sig}})
			good := Sign(kind, secret, body)
			if err == nil && (sig != good || len(secret) == 0) {
				t.Fatalf("%s: accepted %q for a body signed %q", kind, sig, good)
			}
			if err != nil && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("%s: error %v is not ErrBadSignature", kind, err)
			}
			wantOK := len(secret) > 0
			if err := Verify(kind, secret, body, http.Header{name: {good}}); (err == nil) != wantOK {
				t.Fatalf("%s: own signature: %v", kind, err)
			}
		}
	})
}

// TestParseWrongTypesEverywhere replaces every value of every testdata
// payload, one at a time, with a value of each JSON type: Parse must answer
// with an event or a *BadRequestError, never panic.
func TestParseWrongTypesEverywhere(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	replacements := []any{nil, "", "1700000000", 12.5, true, []any{}, []any{nil}, map[string]any{}}
	parses := 0
	for _, file := range files {
		kind := "intercom"
		if strings.HasPrefix(filepath.Base(file), "whmcs_") {
			kind = "whmcs"
		}
		var root any
		if err := json.Unmarshal(readFile(t, file), &root); err != nil {
			t.Fatal(err)
		}
		// set replaces the value at a node and returns a function that
		// puts the original back.
		var walk func(v any, set func(any) func())
		walk = func(v any, set func(any) func()) {
			for _, r := range replacements {
				undo := set(r)
				body, err := json.Marshal(root)
				if err != nil {
					t.Fatal(err)
				}
				ev, err := Parse(kind, "src", body, testNow)
				checkParsed(t, kind, body, ev, err)
				parses++
				undo()
			}
			switch x := v.(type) {
			case map[string]any:
				for k, child := range x {
					walk(child, func(r any) func() {
						x[k] = r
						return func() { x[k] = child }
					})
				}
			case []any:
				for i, child := range x {
					walk(child, func(r any) func() {
						x[i] = r
						return func() { x[i] = child }
					})
				}
			}
		}
		if m, ok := root.(map[string]any); ok {
			for k, child := range m {
				walk(child, func(r any) func() {
					m[k] = r
					return func() { m[k] = child }
				})
			}
		}
	}
	t.Logf("%d payloads parsed", parses)
}
