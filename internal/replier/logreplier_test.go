package replier

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

func TestLogWritesOneLinePerRequest(t *testing.T) {
	var buf bytes.Buffer
	l := NewLog("dry", &buf)
	l.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	reqs := []Request{
		{Platform: "intercom", As: "quick_reply", Target: conv("1"), Fields: map[string]Value{"options": {List: []string{"Yes"}}, "option_uuids": {List: []string{uuidYes}}}},
		{Platform: "whmcs", As: AsNote, Target: ticket("2"), Body: "<b>x</b>", Fields: map[string]Value{"markdown": {Bool: true}}, Attachments: []Attachment{{Name: "a.txt", ContentType: "text/plain", Data: []byte("abc")}}},
		{Platform: "intercom", As: "contact_reply", Target: conv("last"), Body: "hi", Fields: map[string]Value{"contact": {Map: map[string]string{"email": "a@b.c"}}}},
	}
	for i := range reqs {
		res, err := l.Send(ctx(t), &reqs[i])
		if err != nil || !strings.HasPrefix(res.ResponseID, "dry-run-") {
			t.Fatalf("Send: %+v, %v", res, err)
		}
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(reqs) {
		t.Fatalf("%d lines: %q", len(lines), buf.String())
	}
	var second map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if second["replier"] != "dry" || second["dry_run"] != true || second["platform"] != "whmcs" || second["as"] != "note" ||
		second["body"] != "<b>x</b>" || second["markdown"] != true || second["time"] != "2026-01-02T03:04:05Z" {
		t.Errorf("line %s", lines[1])
	}
	atts, _ := second["attachments"].([]any)
	if len(atts) != 1 || atts[0].(map[string]any)["bytes"] != 3.0 || strings.Contains(lines[1], "YWJj") {
		t.Errorf("attachments should be summarised, not dumped: %s", lines[1])
	}
	if !strings.Contains(lines[0], `"options":["Yes"]`) || !strings.Contains(lines[0], uuidYes) || !strings.Contains(lines[2], `"contact":{"email":"a@b.c"}`) {
		t.Errorf("lines %q", lines)
	}
}

// TestLogPrintsActions: an action request (no reply kind) is printed
// with its action and fields, as a dry run and a log platform need.
func TestLogPrintsActions(t *testing.T) {
	var buf bytes.Buffer
	l := NewLog("dry", &buf)
	reqs := []Request{
		{Platform: "intercom", Action: "tag", Target: conv("1"), Fields: map[string]Value{FieldTags: {List: []string{"refund"}}}},
		{Platform: NotifierPrefix + "crm", Action: ActionNotify, Target: ticket("2"), Fields: map[string]Value{FieldText: {Text: "hi"}}},
	}
	for i := range reqs {
		if _, err := l.Send(ctx(t), &reqs[i]); err != nil {
			t.Fatalf("Send %+v: %v", reqs[i], err)
		}
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"action":"tag"`) || !strings.Contains(lines[0], `"tags":["refund"]`) ||
		!strings.Contains(lines[1], `"action":"notify"`) || !strings.Contains(lines[1], `"text":"hi"`) {
		t.Errorf("lines %q", lines)
	}
}

func TestLogRejectsUnknown(t *testing.T) {
	l := NewLog("", &bytes.Buffer{})
	for _, req := range []*Request{nil, {As: "", Target: conv("1")}, {As: AsNote, Target: event.Target{Type: "email", ID: "1"}}, {As: AsComment, Target: conv("")}, {Action: "tag", Target: event.Target{Type: "email", ID: "1"}}} {
		_, err := l.Send(ctx(t), req)
		if e := AsError(err); err == nil || e.Reason != ReasonInvalidRequest {
			t.Errorf("%+v: %v", req, err)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestLogWriteFailure(t *testing.T) {
	_, err := NewLog("", failingWriter{}).Send(ctx(t), &Request{As: AsNote, Target: ticket("1"), Body: "x"})
	wantError(t, err, ReasonNetwork, true)
}

func TestLogConcurrentLinesDoNotInterleave(t *testing.T) {
	var buf bytes.Buffer
	l := NewLog("", &buf)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := l.Send(ctx(t), &Request{As: AsComment, Target: conv("1"), Body: strings.Repeat("z", 5000)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if !json.Valid([]byte(line)) {
			t.Fatalf("interleaved line")
		}
	}
}
