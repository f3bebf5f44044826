package freshdesk_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/freshdesk"
	"github.com/supportops/autoresponder/internal/platform/freshdesk/freshdeskfake"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

func parse(t *testing.T, body string) (*event.Event, error) {
	t.Helper()
	d := &platform.Delivery{Body: []byte(body), Secret: []byte(testSecret), Now: time.Now()}
	return platform.Parse(freshdesk.New(), "fd", d, time.Now())
}

func TestBuildRecommendedBody(t *testing.T) {
	body := freshdeskfake.NewTicket()
	ev, err := parse(t, string(body))
	if err != nil {
		t.Fatal(err)
	}
	want := event.Ticket{ID: "4242", Number: "4242", Subject: `Invoice "March" is wrong`, Type: "Question", Status: "Open", Priority: "Medium"}
	if ev.Ticket == nil || !reflect.DeepEqual(*ev.Ticket, want) {
		t.Errorf("ticket = %+v, want %+v", ev.Ticket, want)
	}
	if ev.Contact == nil || *ev.Contact != (event.Contact{Name: "Ada Customer", Email: "ada@example.com"}) {
		t.Errorf("contact = %+v", ev.Contact)
	}
	wantAuthor := event.Author{Type: "requester", Name: "Ada Customer", Email: "ada@example.com"}
	if ev.Message == nil || ev.Message.Author != wantAuthor || !strings.HasPrefix(ev.Message.HTML, "<div>") {
		t.Errorf("message = %+v, want the description by %+v", ev.Message, wantAuthor)
	}
	if !strings.HasPrefix(ev.ID, "sha256:") || len(ev.ID) != len("sha256:")+64 {
		t.Errorf("id = %q, want sha256:<hex of the body>", ev.ID)
	}
	if ev.Item["ticket_url"] != "https://yourco.freshdesk.com/helpdesk/tickets/4242" {
		t.Errorf("item = %v, want the webhook object", ev.Item)
	}

	// A retry repeats the body: same id. Another event: another id.
	again, _ := parse(t, string(body))
	other, _ := parse(t, strings.Replace(string(body), "4242", "4243", 1))
	if again.ID != ev.ID || other.ID == ev.ID {
		t.Errorf("ids %q (retry) %q (other), want the retry's equal and the other's different from %q", again.ID, other.ID, ev.ID)
	}
}

func TestTopics(t *testing.T) {
	cases := map[string]string{
		"{ticket_action:created}":                       "ticket_action:created",
		"{note_type:private}":                           "note_type:private",
		" { note_type : public } ":                      "note_type:public",
		"{status:{from:4,to:6}}":                        "status",
		"{priority:{from:1,to:3}}":                      "priority",
		"{status:{from:2,to:3},priority:{from:1,to:2}}": "status",
		"customer_reply":                                "customer_reply",
		"{reply}":                                       "reply",
	}
	for raw, want := range cases {
		ev, err := parse(t, `{"freshdesk_webhook":{"triggered_event":`+quote(raw)+`,"ticket_id":"7"}}`)
		if err != nil {
			t.Errorf("%q: %v", raw, err)
			continue
		}
		if ev.Topic != want {
			t.Errorf("%q: topic %q, want %q", raw, ev.Topic, want)
		}
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func TestBuildRefusesBadBodies(t *testing.T) {
	long := strings.Repeat("x", event.MaxIDBytes+1)
	cases := []struct {
		name, body, field string
	}{
		{"no wrapper", `{"ticket_id":"1","triggered_event":"{ticket_action:created}"}`, "freshdesk_webhook missing"},
		{"wrapper not an object", `{"freshdesk_webhook":"x"}`, "freshdesk_webhook must be an object"},
		{"wrapper null", `{"freshdesk_webhook":null}`, "freshdesk_webhook is null"},
		{"no event", `{"freshdesk_webhook":{"ticket_id":"1"}}`, "freshdesk_webhook.triggered_event missing"},
		{"event a number", `{"freshdesk_webhook":{"ticket_id":"1","triggered_event":5}}`, "freshdesk_webhook.triggered_event must be a string"},
		{"event empty braces", `{"freshdesk_webhook":{"ticket_id":"1","triggered_event":"{ }"}}`, "freshdesk_webhook.triggered_event names no event"},
		{"event too long", `{"freshdesk_webhook":{"ticket_id":"1","triggered_event":"` + long + `"}}`, "freshdesk_webhook.triggered_event is 1025 bytes"},
		{"no ticket id", `{"freshdesk_webhook":{"triggered_event":"{ticket_action:created}"}}`, "freshdesk_webhook.ticket_id missing"},
		{"ticket id empty", `{"freshdesk_webhook":{"triggered_event":"x","ticket_id":""}}`, "freshdesk_webhook.ticket_id is empty"},
		{"ticket id an object", `{"freshdesk_webhook":{"triggered_event":"x","ticket_id":{}}}`, "freshdesk_webhook.ticket_id must be a string or a number"},
		{"placeholder not rendered", `{"freshdesk_webhook":{"triggered_event":"x","ticket_id":"{{ticket.id}}"}}`, "freshdesk_webhook.ticket_id must be a ticket number"},
		{"subject an array", `{"freshdesk_webhook":{"triggered_event":"x","ticket_id":"1","ticket_subject":["a"]}}`, "freshdesk_webhook.ticket_subject must be a string, not an array"},
		{"user id a boolean", `{"freshdesk_webhook":{"triggered_event":"x","ticket_id":"1","user_id":true}}`, "freshdesk_webhook.user_id must be a string, not a boolean"},
		{"requester id too long", `{"freshdesk_webhook":{"triggered_event":"x","ticket_id":"1","requester_id":"` + long + `"}}`, "freshdesk_webhook.requester_id is 1025 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, c.body)
			var bad *payload.BadRequestError
			if !errors.As(err, &bad) {
				t.Fatalf("error %v is not a *payload.BadRequestError", err)
			}
			if !strings.Contains(bad.Reason, c.field) {
				t.Errorf("reason %q, want it to say %q", bad.Reason, c.field)
			}
		})
	}
}

func TestBuildNumericTicketID(t *testing.T) {
	ev, err := parse(t, `{"freshdesk_webhook":{"triggered_event":"{status:{from:2,to:3}}","ticket_id":42,"ticket_tags":""}}`)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Target != (event.Target{Type: "ticket", ID: "42"}) || ev.Message != nil || ev.Tags != nil || ev.Contact != nil {
		t.Errorf("event = %+v", ev)
	}
}

func TestLoopGuard(t *testing.T) {
	p := freshdesk.New()
	self := []platform.Identity{p.Identity(&platform.Account{Settings: &platform.Settings{Values: map[string]string{
		freshdesk.SettingAgentID: "9001", freshdesk.SettingAgentEmail: "Bot@Example.com",
	}}})}
	cases := []struct {
		name, performer, want string
	}{
		{"the bot agent by id", `"user_type":"agent","user_id":"9001"`, platform.IgnoredOwnReply},
		{"the bot agent by email", `"user_type":"Agent","user_email":"bot@example.com"`, platform.IgnoredOwnReply},
		{"the bot's id under any type", `"user_id":"9001"`, platform.IgnoredOwnReply},
		{"another agent", `"user_type":"agent","user_id":"17"`, ""},
		{"system automation", `"user_type":"System"`, platform.IgnoredBotAuthor},
		{"the requester", `"user_type":"requester"`, ""},
		{"nobody named", `"ticket_status":"Open"`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := parse(t, `{"freshdesk_webhook":{"triggered_event":"{note_type:private}","ticket_id":"5","requester_email":"ada@example.com",`+c.performer+`}}`)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.LoopGuard(ev, self); got != c.want {
				t.Errorf("LoopGuard = %q, want %q", got, c.want)
			}
		})
	}
}

func TestSpecAndValidation(t *testing.T) {
	p := freshdesk.New()
	for _, as := range []string{platform.AsComment, platform.AsNote} {
		if got := p.BodyFormat(as, nil); got != platform.FormatHTML {
			t.Errorf("BodyFormat(%s) = %v, want HTML: interpolated values must be escaped", as, got)
		}
	}
	bad := p.ValidateAccount(&platform.Settings{Values: map[string]string{freshdesk.SettingAgentID: "bot", freshdesk.SettingAgentEmail: "bot"}})
	if len(bad) != 2 {
		t.Errorf("ValidateAccount = %+v, want agent_id and agent_email refused", bad)
	}
	if ps := p.ValidateAccount(&platform.Settings{Values: map[string]string{freshdesk.SettingAgentID: "9001"}}); ps != nil {
		t.Errorf("ValidateAccount refused a numeric agent id: %+v", ps)
	}
	if ps := p.ValidateReply(&platform.ReplyView{As: "note", ToType: "ticket", ToID: "abc"}); len(ps) != 1 || !slices.Equal(ps[0].Path, []string{"to", "id"}) {
		t.Errorf("ValidateReply(literal id abc) = %+v, want a problem at to.id", ps)
	}
	for _, id := range []string{"", "12", "{{ event.ticket.id }}"} {
		if ps := p.ValidateReply(&platform.ReplyView{As: "note", ToType: "ticket", ToID: id}); ps != nil {
			t.Errorf("ValidateReply(%q) = %+v", id, ps)
		}
	}
}

// The docs ship the body Build parses, verbatim.
func TestDocsShipTheRecommendedBody(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "platforms", "freshdesk.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), freshdesk.RecommendedBody) {
		t.Error("docs/platforms/freshdesk.md does not contain freshdesk.RecommendedBody verbatim")
	}
}
