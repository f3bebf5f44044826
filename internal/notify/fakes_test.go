package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/httpapi"
)

// fakeClock is the time both the sender and the fake receiver use.
var fakeClock = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// answer is what a fake says back.
type answer struct {
	status int
	body   string
	header map[string]string
}

// fake is a strict receiver: every request is checked by check, which
// returns the problems it found; a request with problems fails the test
// and is answered 400. Otherwise it answers with reply.
type fake struct {
	t      *testing.T
	check  func(r *http.Request, body []byte) (string, []string)
	reply  answer
	mu     sync.Mutex
	got    []string // what each accepted request carried (text)
	server *httptest.Server
}

func newFake(t *testing.T, reply answer, check func(*http.Request, []byte) (string, []string)) *fake {
	f := &fake{t: t, check: check, reply: reply}
	f.server = httptest.NewServer(f)
	t.Cleanup(f.server.Close)
	return f
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("reading request body: %v", err)
		return
	}
	text, problems := f.check(r, body)
	if len(problems) > 0 {
		f.t.Errorf("fake refused the request: %s", strings.Join(problems, "; "))
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.got = append(f.got, text)
	f.mu.Unlock()
	for k, v := range f.reply.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(f.reply.status)
	io.WriteString(w, f.reply.body)
}

func (f *fake) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

// commonProblems checks what every notifier request carries.
func commonProblems(r *http.Request, path, accept string, body []byte) []string {
	var p []string
	if r.Method != http.MethodPost {
		p = append(p, "method "+r.Method)
	}
	if r.URL.Path != path {
		p = append(p, "path "+r.URL.Path)
	}
	if got := r.Header.Values("Content-Type"); len(got) != 1 || got[0] != "application/json" {
		p = append(p, fmt.Sprintf("content type %q", got))
	}
	if got := r.Header.Get("Accept"); got != accept {
		p = append(p, "accept "+got)
	}
	if got := r.Header.Get("User-Agent"); got != httpapi.UserAgent {
		p = append(p, "user agent "+got)
	}
	if r.ContentLength != int64(len(body)) {
		p = append(p, fmt.Sprintf("content length %d for %d bytes", r.ContentLength, len(body)))
	}
	if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
		p = append(p, "credentials sent")
	}
	return p
}

// strictKeys decodes body as one JSON object and checks it has exactly
// the keys named, each of the JSON type given ("string", "object").
func strictKeys(body []byte, want map[string]string) (map[string]json.RawMessage, []string) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&obj); err != nil {
		return nil, []string{"body is not a JSON object: " + err.Error()}
	}
	if dec.More() {
		return nil, []string{"trailing data after the JSON object"}
	}
	var p []string
	for k := range obj {
		if _, ok := want[k]; !ok {
			p = append(p, "unknown key "+k)
		}
	}
	for k, typ := range want {
		raw, ok := obj[k]
		if !ok {
			p = append(p, "missing key "+k)
			continue
		}
		if got := jsonType(raw); got != typ {
			p = append(p, fmt.Sprintf("key %s is a %s, want a %s", k, got, typ))
		}
	}
	sort.Strings(p)
	return obj, p
}

func jsonType(raw json.RawMessage) string {
	switch t := bytes.TrimSpace(raw); {
	case len(t) == 0:
		return "nothing"
	case t[0] == '"':
		return "string"
	case t[0] == '{':
		return "object"
	case t[0] == '[':
		return "array"
	case string(t) == "null":
		return "null"
	case string(t) == "true" || string(t) == "false":
		return "bool"
	default:
		return "number"
	}
}

const (
	receiverPath   = "/hooks/support"
	receiverSecret = "whsec-0123456789abcdef"
)

// newReceiver is a webhook receiver as docs/notifiers.md tells one to be:
// it verifies the signature with Verify against the shared clock, and the
// JSON body key by key.
func newReceiver(t *testing.T, reply answer) *fake {
	return newFake(t, reply, func(r *http.Request, body []byte) (string, []string) {
		p := commonProblems(r, receiverPath, "application/json", body)
		if err := Verify([]byte(receiverSecret), r.Header, body, fakeClock, time.Minute); err != nil {
			p = append(p, "signature: "+err.Error())
		}
		if got := r.Header.Get(TimestampHeader); got != fmt.Sprint(fakeClock.Unix()) {
			p = append(p, "timestamp "+got)
		}
		obj, kp := strictKeys(body, map[string]string{
			"id": "string", "notifier": "string", "rule": "string", "platform": "string", "target": "object", "text": "string",
		})
		p = append(p, kp...)
		if obj == nil {
			return "", p
		}
		_, tp := strictKeys(obj["target"], map[string]string{"type": "string", "id": "string"})
		p = append(p, tp...)
		var b WebhookBody
		if err := json.Unmarshal(body, &b); err != nil {
			p = append(p, err.Error())
		}
		if b.ID == "" || b.Text == "" || b.Notifier == "" {
			p = append(p, "id, text or notifier empty")
		}
		return fmt.Sprintf("%s|%s|%s|%s|%s/%s|%s", b.ID, b.Notifier, b.Rule, b.Platform, b.Target.Type, b.Target.ID, b.Text), p
	})
}

const slackPath = "/services/T0001AAAA/B0002BBBB/xoxbSecretToken123456"

// newSlack is a strict incoming webhook: the body must be exactly
// {"text": "<non-empty string>"}.
func newSlack(t *testing.T, reply answer) *fake {
	return newFake(t, reply, func(r *http.Request, body []byte) (string, []string) {
		p := commonProblems(r, slackPath, "text/plain", body)
		obj, kp := strictKeys(body, map[string]string{"text": "string"})
		p = append(p, kp...)
		var text string
		if obj != nil {
			if err := json.Unmarshal(obj["text"], &text); err != nil || text == "" {
				p = append(p, "text empty or unreadable")
			}
		}
		return text, p
	})
}
