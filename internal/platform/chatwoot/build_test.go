package chatwoot_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/chatwoot"
	"github.com/supportops/autoresponder/internal/platform/chatwoot/chatwootfake"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

var received = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func parse(t *testing.T, body string, h http.Header) (*event.Event, error) {
	t.Helper()
	if h == nil {
		h = http.Header{}
	}
	d := &platform.Delivery{Header: h, Body: []byte(body), Settings: &platform.Settings{}, Now: received}
	return platform.Parse(chatwoot.New(), "chatwoot", d, received)
}

func mustParse(t *testing.T, body string, h http.Header) *event.Event {
	t.Helper()
	ev, err := parse(t, body, h)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return ev
}

func TestBuildRefusesBrokenBodies(t *testing.T) {
	conv := `"conversation":{"id":84}`
	cases := []struct {
		name   string
		body   string
		header http.Header
		reason string
	}{
		{"no event", `{"id":1}`, nil, "event missing"},
		{"event not a string", `{"event":5}`, nil, "event must be a string"},
		{"event empty", `{"event":""}`, nil, "event is empty"},
		{"message without conversation", `{"event":"message_created","id":1}`, nil, "conversation missing"},
		{"conversation null", `{"event":"message_created","id":1,"conversation":null}`, nil, "conversation is null"},
		{"conversation not an object", `{"event":"message_created","id":1,"conversation":"84"}`, nil, "conversation must be an object"},
		{"conversation without id", `{"event":"message_created","id":1,"conversation":{}}`, nil, "conversation.id missing"},
		{"conversation id not a number", `{"event":"message_created","id":1,"conversation":{"id":"abc"}}`, nil, `conversation.id must be a whole number, not "abc"`},
		{"conversation id a path", `{"event":"message_created","id":1,"conversation":{"id":"84/../1"}}`, nil, "conversation.id must be a whole number"},
		{"conversation id a fraction", `{"event":"message_created","id":1,"conversation":{"id":8.5}}`, nil, "conversation.id must be a whole number"},
		{"conversation display_id bad", `{"event":"message_created","id":1,"conversation":{"id":84,"display_id":true}}`, nil, "conversation.display_id must be a string or a number"},
		{"message without id", `{"event":"message_created",` + conv + `}`, nil, "id missing"},
		{"message id an object", `{"event":"message_created","id":{},` + conv + `}`, nil, "id must be a string or a number"},
		{"content a number", `{"event":"message_created","id":1,"content":5,` + conv + `}`, nil, "content must be a string"},
		{"message_type a boolean", `{"event":"message_created","id":1,"message_type":true,` + conv + `}`, nil, "message_type must be"},
		{"private a string", `{"event":"message_created","id":1,"private":"false",` + conv + `}`, nil, "private must be a boolean"},
		{"labels not a list", `{"event":"message_created","id":1,"conversation":{"id":84,"labels":"vip"}}`, nil, "conversation.labels must be an array"},
		{"label not a string", `{"event":"message_created","id":1,"conversation":{"id":84,"labels":[1]}}`, nil, "conversation.labels must hold strings"},
		{"conversation event without id", `{"event":"conversation_created","status":"open"}`, nil, "id missing"},
		{"conversation labels not a list", `{"event":"conversation_updated","id":84,"labels":{}}`, nil, "labels must be an array"},
		{"first message without id", `{"event":"conversation_created","id":84,"messages":[{"content":"hi"}]}`, nil, "messages[].id missing"},
		{"first message content a list", `{"event":"conversation_created","id":84,"messages":[{"id":1,"content":[]}]}`, nil, "messages[].content must be a string"},
		{"first message private a number", `{"event":"conversation_created","id":84,"messages":[{"id":1,"private":0}]}`, nil, "messages[].private must be a boolean"},
		{"widget conversation without id", `{"event":"webwidget_triggered","current_conversation":{}}`, nil, "current_conversation.id missing"},
		{"two delivery headers", `{"event":"contact_created","id":1}`, http.Header{chatwoot.HeaderDelivery: {"a", "b"}}, "X-Chatwoot-Delivery header given more than once"},
		{"delivery header too long", `{"event":"contact_created","id":1}`, http.Header{chatwoot.HeaderDelivery: {strings.Repeat("x", event.MaxIDBytes+1)}}, "X-Chatwoot-Delivery header is"},
		{"contact id too long", `{"event":"contact_created","id":"` + strings.Repeat("7", event.MaxIDBytes+1) + `"}`, nil, "contact id is"},
		{"conversation id too long", `{"event":"conversation_created","id":"` + strings.Repeat("7", event.MaxIDBytes+1) + `"}`, nil, "id is"},
		{"not an object", `[1,2]`, nil, "must be a JSON object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, c.body, c.header)
			var bad *payload.BadRequestError
			if !errors.As(err, &bad) {
				t.Fatalf("error %v is not a *payload.BadRequestError", err)
			}
			if !strings.Contains(bad.Reason, c.reason) {
				t.Errorf("reason %q, want it to name %q", bad.Reason, c.reason)
			}
		})
	}
}

func TestBuildMessageCreated(t *testing.T) {
	h := http.Header{chatwoot.HeaderDelivery: {"0f8e6d2a-1b3c-4d5e-8f90-a1b2c3d4e5f6"}}
	ev := mustParse(t, chatwootfake.MessageCreated, h)
	if ev.ID != "0f8e6d2a-1b3c-4d5e-8f90-a1b2c3d4e5f6" {
		t.Errorf("id = %q, want the delivery header", ev.ID)
	}
	if want := time.Date(2026, 3, 2, 9, 14, 27, 0, time.UTC); !ev.OccurredAt.Equal(want) {
		t.Errorf("occurred_at = %v, want %v", ev.OccurredAt, want)
	}
	wantMsg := event.Message{
		ID: "5012", HTML: "Hello, my invoice INV-2291 shows the wrong VAT number.",
		Text:   "Hello, my invoice INV-2291 shows the wrong VAT number.",
		Author: event.Author{Type: "contact", ID: "311", Name: "Maria Lopez"},
	}
	if ev.Message == nil || *ev.Message != wantMsg {
		t.Errorf("message = %+v, want %+v", ev.Message, wantMsg)
	}
	wantContact := event.Contact{ID: "311", ExternalID: "cust-88410", Email: "maria.lopez@example.org", Name: "Maria Lopez"}
	if ev.Contact == nil || *ev.Contact != wantContact {
		t.Errorf("contact = %+v, want %+v", ev.Contact, wantContact)
	}
	if ev.Ticket == nil || ev.Ticket.ID != "84" || ev.Ticket.Status != "open" || ev.Ticket.Priority != "" {
		t.Errorf("ticket = %+v, want the conversation's id 84 and status open", ev.Ticket)
	}
	if ev.Item["inbox"] == nil || ev.Item["message_type"] != "incoming" {
		t.Errorf("item is not the message: %v", ev.Item)
	}
}

func TestBuildConversationEvents(t *testing.T) {
	created := mustParse(t, chatwootfake.ConversationCreated, nil)
	if created.Ticket.Subject != "Refund for order 55120" || created.Ticket.Priority != "medium" {
		t.Errorf("ticket = %+v, want the mail subject and priority medium", created.Ticket)
	}
	if created.Message == nil || created.Message.ID != "5230" || created.Message.Author != (event.Author{Type: "contact", ID: "377"}) {
		t.Errorf("message = %+v, want the first message, by contact 377", created.Message)
	}
	if want := time.Unix(1772550131, 880000000); created.OccurredAt.Sub(want).Abs() > time.Millisecond {
		t.Errorf("occurred_at = %v, want updated_at %v", created.OccurredAt, want)
	}

	changed := mustParse(t, chatwootfake.ConversationStatusChanged, nil)
	if changed.Message != nil {
		t.Errorf("a status change carries message %+v; the latest message did not cause it", changed.Message)
	}
	if changed.Contact == nil || changed.Contact.ID != "311" {
		t.Errorf("contact = %+v, want the conversation's contact 311", changed.Contact)
	}
}

func TestBuildEventsWithoutConversation(t *testing.T) {
	for _, body := range []string{chatwootfake.ContactCreated, chatwootfake.WebwidgetTriggered, `{"event":"something_new","contact":{"id":3,"type":"contact"}}`} {
		ev := mustParse(t, body, nil)
		if ev.Target != (event.Target{}) || ev.Message != nil {
			t.Errorf("%s: target %+v message %+v, want none", ev.Topic, ev.Target, ev.Message)
		}
		if ev.Contact == nil || ev.Contact.ID == "" {
			t.Errorf("%s: no contact", ev.Topic)
		}
		if !ev.OccurredAt.Equal(received) {
			t.Errorf("%s: occurred_at = %v, want the time received", ev.Topic, ev.OccurredAt)
		}
	}
	ev := mustParse(t, `{"event":"webwidget_triggered","contact":{"id":3},"current_conversation":{"id":12}}`, nil)
	if ev.Target != (event.Target{Type: event.TargetConversation, ID: "12"}) {
		t.Errorf("target = %+v, want the visitor's open conversation 12", ev.Target)
	}
}

// Without X-Chatwoot-Delivery (unsigned deliveries from older Chatwoot),
// the id is a digest of the body: the same bytes are the same event.
func TestBuildIDWithoutDeliveryHeader(t *testing.T) {
	a := mustParse(t, chatwootfake.MessageCreated, nil)
	b := mustParse(t, chatwootfake.MessageCreated, http.Header{chatwoot.HeaderDelivery: {""}})
	c := mustParse(t, chatwootfake.ConversationCreated, nil)
	if !strings.HasPrefix(a.ID, "sha256:") || a.ID != b.ID {
		t.Errorf("ids %q and %q: want the same body digest", a.ID, b.ID)
	}
	if a.ID == c.ID {
		t.Error("two bodies got the same id")
	}
}

func TestBuildPrefersDisplayID(t *testing.T) {
	ev := mustParse(t, `{"event":"message_created","id":9,"conversation":{"id":3933509,"display_id":30270}}`, nil)
	if ev.Target.ID != "30270" {
		t.Errorf("target id = %q, want the display id 30270", ev.Target.ID)
	}
}

// TestBuildLanguage: a widget conversation keeps the visitor's browser
// language, which becomes the event's language (rules prefer it to
// detecting one from the text).
func TestBuildLanguage(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"message in a widget conversation", strings.Replace(chatwootfake.MessageCreated, `"referer":`, `"browser_language": "pt-BR", "referer":`, 1), "pt"},
		{"conversation created", strings.Replace(chatwootfake.ConversationCreated, `"additional_attributes": {`, `"additional_attributes": {"browser_language": "de", `, 1), "de"},
		{"widget opened", chatwootfake.WebwidgetTriggered, "en"}, // browser_language en-GB
		{"no browser language (email inbox)", chatwootfake.ConversationCreated, ""},
		{"not a language", strings.Replace(chatwootfake.MessageCreated, `"referer":`, `"browser_language": "xx-YY", "referer":`, 1), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.body == chatwootfake.MessageCreated || (tc.want != "" && !strings.Contains(tc.body, "browser_language")) {
				t.Fatal("the example was not changed: the test would prove nothing")
			}
			if ev := mustParse(t, tc.body, nil); ev.Language != tc.want {
				t.Errorf("language = %q, want %q", ev.Language, tc.want)
			}
		})
	}
}
