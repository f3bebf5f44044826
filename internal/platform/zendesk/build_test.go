package zendesk_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
	"github.com/supportops/autoresponder/internal/platform/zendesk"
	"github.com/supportops/autoresponder/internal/platform/zendesk/zendeskfake"
)

func parse(t *testing.T, body string) (*event.Event, error) {
	t.Helper()
	return platform.Parse(zendesk.New(), "zd", &platform.Delivery{Body: []byte(body), Now: testNow}, testNow)
}

func mustParse(t *testing.T, body string) *event.Event {
	t.Helper()
	ev, err := parse(t, body)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return ev
}

// envelope is an event-subscription body of type typ with detail and event
// spliced in as JSON.
func envelope(typ, detail, ev string) string {
	return `{"type":"` + typ + `","id":"evt-1","time":"2025-01-08T14:25:30.123456789Z","subject":"zen:ticket:5158",` +
		`"detail":` + detail + `,"event":` + ev + `}`
}

const commentAdded = "zen:event-type:ticket.comment_added"

func TestBuildRefusesBadBodies(t *testing.T) {
	long := strings.Repeat("9", event.MaxIDBytes+1)
	cases := []struct {
		name, body, reason string
	}{
		{"neither shape", `{"ticket":{"id":1}}`, "type missing"},
		{"type not a string", `{"type":5,"id":"e"}`, "type must be a string"},
		{"type not Zendesk's", `{"type":"ticket.created","id":"e"}`, `type "ticket.created" is not a Zendesk event type`},
		{"no event id", `{"type":"zen:event-type:ticket.created","detail":{"id":"1"}}`, "id missing"},
		{"event id too long", `{"type":"zen:event-type:ticket.created","id":"` + long + `","detail":{"id":"1"}}`, "id is 1025 bytes"},
		{"time not a time", `{"type":"zen:event-type:ticket.created","id":"e","time":"yesterday","detail":{"id":"1"}}`, "time must be an ISO 8601 time"},
		{"no ticket", `{"type":"zen:event-type:ticket.created","id":"e"}`, "detail.id missing"},
		{"detail not an object", `{"type":"zen:event-type:ticket.created","id":"e","detail":[1]}`, "detail must be an object, not an array"},
		{"ticket id not a number", envelope("zen:event-type:ticket.created", `{"id":"abc"}`, `{}`), `detail.id "abc" is not a ticket number`},
		{"ticket id an object", envelope("zen:event-type:ticket.created", `{"id":{}}`, `{}`), "detail.id must be a string or a number"},
		{"status a number", envelope("zen:event-type:ticket.created", `{"id":"1","status":3}`, `{}`), "detail.status must be a string"},
		{"requester an array", envelope("zen:event-type:ticket.created", `{"id":"1","requester_id":[]}`, `{}`), "detail.requester_id must be a string or a number"},
		{"tags a string", envelope("zen:event-type:ticket.created", `{"id":"1","tags":"a b"}`, `{}`), "detail.tags must be an array of strings"},
		{"tag a number", envelope("zen:event-type:ticket.created", `{"id":"1","tags":["a",2]}`, `{}`), "detail.tags[1] must be a string"},
		{"event not an object", envelope(commentAdded, `{"id":"1"}`, `"x"`), "event must be an object"},
		{"comment_added without event", `{"type":"` + commentAdded + `","id":"e","detail":{"id":"1"}}`, "event missing"},
		{"comment missing", envelope(commentAdded, `{"id":"1"}`, `{}`), "event.comment missing"},
		{"comment body missing", envelope(commentAdded, `{"id":"1"}`, `{"comment":{"id":"2"}}`), "event.comment.body missing"},
		{"comment body a number", envelope(commentAdded, `{"id":"1"}`, `{"comment":{"body":1}}`), "event.comment.body must be a string"},
		{"is_public a string", envelope(commentAdded, `{"id":"1"}`, `{"comment":{"body":"x","is_public":"yes"}}`), "event.comment.is_public must be a boolean"},
		{"author a string", envelope(commentAdded, `{"id":"1"}`, `{"comment":{"body":"x","author":"me"}}`), "event.comment.author must be an object"},
		{"author id an array", envelope(commentAdded, `{"id":"1"}`, `{"comment":{"body":"x","author":{"id":[1]}}}`), "event.comment.author.id must be"},
		{"is_staff a string", envelope(commentAdded, `{"id":"1"}`, `{"comment":{"body":"x","author":{"is_staff":"true"}}}`), "event.comment.author.is_staff must be a boolean"},
		{"message missing", envelope(zendesk.TopicMessagingMessage, `{"id":"1"}`, `{"actor":{"type":"agent"}}`), "event.message missing"},
		{"actor type a number", envelope(zendesk.TopicMessagingMessage, `{"id":"1"}`, `{"message":{"body":"hi"},"actor":{"type":1}}`), "event.actor.type must be a string"},
		{"trigger without event", `{"ticket_id":"5158"}`, "event missing"},
		{"trigger event empty", `{"event":"","ticket_id":"5158"}`, "event is empty"},
		{"trigger ticket_id empty", `{"event":"ticket.created","ticket_id":""}`, "ticket_id is empty"},
		{"trigger placeholders unrendered", zendesk.TriggerBody, `ticket_id "{{ticket.id}}" is not a ticket number`},
		{"trigger email a number", `{"event":"ticket.created","ticket_id":"1","requester_email":5}`, "requester_email must be a string"},
		{"trigger tags an array", `{"event":"ticket.created","ticket_id":"1","tags":["a"]}`, "tags must be a string"},
		{"trigger updated_at not a time", `{"event":"ticket.created","ticket_id":"1","updated_at":"soon"}`, "updated_at must be an ISO 8601 time"},
		{"not JSON", `{"type":`, "not JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, c.body)
			var bad *payload.BadRequestError
			if !errors.As(err, &bad) {
				t.Fatalf("Parse = %v, want a *payload.BadRequestError", err)
			}
			if !strings.Contains(bad.Reason, c.reason) {
				t.Errorf("reason %q, want it to name %q", bad.Reason, c.reason)
			}
		})
	}
}

func TestBuildEventSubscription(t *testing.T) {
	ev := mustParse(t, envelope(commentAdded,
		`{"id":5158,"actor_id":"42","requester_id":"7","status":"PENDING","priority":"URGENT","type":"INCIDENT","subject":"Help","tags":[]}`,
		`{"comment":{"id":"99","body":"a < b\nsecond line","is_public":false,"author":{"id":"7","is_staff":false,"name":"Jane"}}}`))
	if ev.ID != "evt-1" {
		t.Errorf("id %q, want the event id evt-1 (the documented dedup key)", ev.ID)
	}
	if want := time.Date(2025, 1, 8, 14, 25, 30, 123456789, time.UTC); !ev.OccurredAt.Equal(want) {
		t.Errorf("occurred_at %v, want %v", ev.OccurredAt, want)
	}
	if ev.Target != (event.Target{Type: event.TargetTicket, ID: "5158"}) {
		t.Errorf("target %+v: a numeric detail.id is the ticket", ev.Target)
	}
	tk := ev.Ticket
	if tk.Status != "pending" || tk.Priority != "urgent" || tk.Type != "incident" || tk.Subject != "Help" || tk.Number != "5158" {
		t.Errorf("ticket %+v: status, priority and type lower case as in the API", tk)
	}
	m := ev.Message
	if m.ID != "99" || m.Author != (event.Author{Type: "end_user", ID: "7", Name: "Jane"}) {
		t.Errorf("message %+v", m)
	}
	if m.Text != "a < b\nsecond line" {
		t.Errorf("text %q: a plain-text comment keeps its characters and lines", m.Text)
	}
	if ev.Item["subject"] != "Help" {
		t.Errorf("item is not the ticket detail: %v", ev.Item)
	}
}

func TestBuildTicketFromSubject(t *testing.T) {
	ev := mustParse(t, `{"type":"zen:event-type:ticket.status_changed","id":"e2","subject":"zen:ticket:42","event":{}}`)
	if ev.Target.ID != "42" || ev.Message != nil {
		t.Errorf("target %+v message %+v: an event without detail takes its ticket from subject", ev.Target, ev.Message)
	}
}

func TestBuildNonTicketEventHasNoTarget(t *testing.T) {
	ev := mustParse(t, `{"type":"zen:event-type:user.created","id":"e3","subject":"zen:user:abc","detail":{"id":"abc"}}`)
	if ev.Target != (event.Target{}) || ev.Ticket != nil {
		t.Errorf("a user event got target %+v ticket %+v", ev.Target, ev.Ticket)
	}
}

func TestBuildTicketCreatedByAgent(t *testing.T) {
	ev := mustParse(t, envelope(zendesk.TopicTicketCreated, `{"id":"1","requester_id":"7","submitter_id":"42","description":"Opened for you"}`, `{}`))
	if ev.Message.Author != (event.Author{Type: "agent", ID: "42"}) {
		t.Errorf("author %+v: a ticket submitted for someone else is an agent's", ev.Message.Author)
	}
}

func TestBuildTrigger(t *testing.T) {
	body := zendeskfake.RenderTrigger(map[string]string{"event": "ticket.updated", "current_user.role": "Agent", "current_user.id": "42", "current_user.name": "Sam", "current_user.email": "sam@example.com"})
	ev := mustParse(t, string(body))
	if ev.Topic != "ticket.updated" || ev.Target.ID != "5158" {
		t.Fatalf("topic %q target %+v", ev.Topic, ev.Target)
	}
	if ev.Message.Author != (event.Author{Type: "agent", ID: "42", Name: "Sam", Email: "sam@example.com"}) {
		t.Errorf("author %+v: the current user is the update's author", ev.Message.Author)
	}
	if ev.Contact == nil || ev.Contact.Name != "Jane Customer" || ev.Contact.ID != "8447388090494" {
		t.Errorf("contact %+v: the requester", ev.Contact)
	}
	if ev.Ticket.Priority != "high" || ev.Ticket.Type != "problem" {
		t.Errorf("ticket %+v", ev.Ticket)
	}
	if want := time.Date(2025, 1, 8, 10, 12, 0, 0, time.UTC); !ev.OccurredAt.Equal(want) {
		t.Errorf("occurred_at %v, want %v (minute precision of the placeholder)", ev.OccurredAt, want)
	}
	if !strings.HasPrefix(ev.ID, "trigger:5158:") || len(ev.ID) > event.MaxIDBytes {
		t.Errorf("id %q", ev.ID)
	}
	if again := mustParse(t, string(body)); again.ID != ev.ID {
		t.Errorf("a retried delivery got id %q, then %q: dedup would miss it", ev.ID, again.ID)
	}
	other := mustParse(t, string(zendeskfake.RenderTrigger(map[string]string{"event": "ticket.updated", "ticket.latest_public_comment": "Still broken"})))
	if other.ID == ev.ID {
		t.Errorf("two different updates share id %q", ev.ID)
	}
}

func TestBuildTriggerMayCarryItsOwnType(t *testing.T) {
	body := strings.Replace(string(zendeskfake.RenderTrigger(nil)), "{\n", `{"type": "web form",`+"\n", 1)
	ev := mustParse(t, body)
	if ev.Topic != "ticket.created" || ev.Item["type"] != "web form" {
		t.Errorf("topic %q item %v: an admin's own type key is kept, the body is still a trigger body", ev.Topic, ev.Item)
	}
}

func TestBuildTriggerRoleWords(t *testing.T) {
	for role, want := range map[string]string{"End-user": "end_user", "end-user": "end_user", "Admin": "agent", "Light agent": "agent", "": ""} {
		ev := mustParse(t, string(zendeskfake.RenderTrigger(map[string]string{"current_user.role": role})))
		if got := ev.Message.Author.Type; got != want {
			t.Errorf("role %q: author type %q, want %q", role, got, want)
		}
	}
}

// TestDocsShipTheTriggerBody holds the recommended body in the docs and
// the one Build reads together.
func TestDocsShipTheTriggerBody(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "platforms", "zendesk.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```json\n"+zendesk.TriggerBody+"\n```") {
		t.Error("docs/platforms/zendesk.md does not ship zendesk.TriggerBody verbatim")
	}
}

func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

func TestLoopGuard(t *testing.T) {
	self := []platform.Identity{zendesk.New().Identity(&platform.Account{Settings: settings(zendesk.SettingAgentID, "9001")})}
	cases := []struct {
		name, body, want string
	}{
		{"the bot's comment", envelope(commentAdded, `{"id":"1"}`, `{"comment":{"body":"x","author":{"id":"9001","is_staff":true}}}`), platform.IgnoredOwnReply},
		{"the bot's note, author id a number", envelope(commentAdded, `{"id":"1"}`, `{"comment":{"body":"x","is_public":false,"author":{"id":9001,"is_staff":true}}}`), platform.IgnoredOwnReply},
		{"a change the bot made", envelope("zen:event-type:ticket.status_changed", `{"id":"1","actor_id":"9001"}`, `{}`), platform.IgnoredOwnReply},
		{"another agent's comment", envelope(commentAdded, `{"id":"1","actor_id":"42"}`, `{"comment":{"body":"x","author":{"id":"42","is_staff":true}}}`), ""},
		{"the customer's comment", envelope(commentAdded, `{"id":"1","actor_id":"7"}`, `{"comment":{"body":"x","author":{"id":"7","is_staff":false}}}`), ""},
		{"a system message", envelope(zendesk.TopicMessagingMessage, `{"id":"1"}`, `{"message":{"body":"x"},"actor":{"type":"system"}}`), platform.IgnoredBotAuthor},
		{"an end user's message", envelope(zendesk.TopicMessagingMessage, `{"id":"1"}`, `{"message":{"body":"x"},"actor":{"type":"end_user","id":"7"}}`), ""},
		{"a trigger fired by the bot's update", string(zendeskfake.RenderTrigger(map[string]string{"event": "ticket.updated", "current_user.id": "9001", "ticket.latest_public_comment": ""})), platform.IgnoredOwnReply},
		{"a trigger fired by the customer", string(zendeskfake.RenderTrigger(nil)), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := zendesk.New().LoopGuard(mustParse(t, c.body), self); got != c.want {
				t.Errorf("LoopGuard = %q, want %q", got, c.want)
			}
		})
	}
}

// Trigger placeholders render as unformatted text (PLATFORMS-NEXT.md §3.1),
// so a customer who writes markup writes words: rules must match them as
// written, and message.html must be that text escaped, never live markup.
func TestBuildTriggerCommentIsText(t *testing.T) {
	const said = `My <b>invoice</b> says 5 < 7 & the total is wrong`
	ev := mustParse(t, string(zendeskfake.RenderTrigger(map[string]string{"ticket.latest_public_comment": said})))
	if ev.Message.Text != said {
		t.Errorf("message.text = %q, want the comment as written, %q", ev.Message.Text, said)
	}
	if strings.Contains(ev.Message.HTML, "<b>") {
		t.Errorf("message.html = %q: the customer's text became markup", ev.Message.HTML)
	}
}
