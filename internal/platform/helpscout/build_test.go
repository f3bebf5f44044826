package helpscout_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/helpscout"
	"github.com/supportops/autoresponder/internal/platform/helpscout/helpscoutfake"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

func TestBuildRefusesBadDeliveries(t *testing.T) {
	long := strings.Repeat("9", event.MaxIDBytes+1)
	cases := []struct {
		name   string
		topic  []string // X-HelpScout-Event values
		body   string
		reason string // a substring of the 400's reason
	}{
		{"no event header", nil, `{"id": 1}`, "X-HelpScout-Event header missing"},
		{"event header twice", []string{"convo.created", "convo.created"}, `{"id": 1}`, "X-HelpScout-Event header given more than once"},
		{"empty event header", []string{""}, `{"id": 1}`, "X-HelpScout-Event header is empty"},
		{"event header with a space", []string{"convo created"}, `{"id": 1}`, "X-HelpScout-Event header has whitespace"},
		{"event header too long", []string{strings.Repeat("x", event.MaxIDBytes+1)}, `{"id": 1}`, "X-HelpScout-Event header is 1025 bytes"},
		{"conversation without id", []string{"convo.created"}, `{"number": 5}`, "id missing"},
		{"conversation id null", []string{"convo.created"}, `{"id": null}`, "id missing"},
		{"conversation id an object", []string{"convo.customer.reply.created"}, `{"id": {"x": 1}}`, "id must be a string or a number, not an object"},
		{"conversation id empty", []string{"convo.note.created"}, `{"id": ""}`, "id is empty"},
		{"conversation id too long", []string{"convo.status"}, `{"id": "` + long + `"}`, "id is 1025 bytes"},
		{"deleted conversation without id", []string{"convo.deleted"}, `{}`, "id missing"},
		{"customer without id", []string{"customer.created"}, `{"firstName": "Vernon"}`, "id missing"},
		{"other event with a long id", []string{"tag.created"}, `{"id": "` + long + `"}`, "id is 1025 bytes"},
		{"primary customer id too long", []string{"convo.created"}, `{"id": 1, "primaryCustomer": {"id": "` + long + `"}}`, "(primaryCustomer.id or createdBy.id) is 1025 bytes"},
		{"not an object", []string{"convo.created"}, `[1, 2]`, "body must be a JSON object"},
		{"not JSON", []string{"convo.created"}, `{"id": 1`, "not JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := delivery("", []byte(c.body))
			for _, v := range c.topic {
				d.Header.Add(helpscout.HeaderEvent, v)
			}
			_, err := platform.Parse(hs, "hs", d, now)
			var bad *payload.BadRequestError
			if !errors.As(err, &bad) {
				t.Fatalf("Parse error = %v, want a *payload.BadRequestError", err)
			}
			if !strings.Contains(bad.Reason, c.reason) {
				t.Errorf("reason %q does not say %q", bad.Reason, c.reason)
			}
		})
	}
}

func TestBuildReadsTheThreadTheEventIsAbout(t *testing.T) {
	cases := []struct {
		topic    string
		threadID string
		author   event.Author
		text     string
		at       time.Time
	}{
		{helpscout.TopicAgentReply, "902",
			event.Author{Type: "user", ID: helpscoutfake.UserID, Name: "Support Bot", Email: "bot@example.com"},
			"Thanks for writing in", time.Date(2024, 5, 2, 10, 0, 5, 0, time.UTC)},
		{helpscout.TopicCustomerReply, "901",
			event.Author{Type: "customer", ID: "12", Email: "bear@acme.com"},
			"Where is my order?", time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC)},
		// The conversation's first words, not the bot's answer to them.
		{helpscout.TopicCreated, "901",
			event.Author{Type: "customer", ID: "12", Email: "bear@acme.com"},
			"Where is my order?", time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.topic, func(t *testing.T) {
			ev := parse(t, c.topic, helpscoutfake.OwnReplyBody)
			if ev.Message == nil {
				t.Fatal("no message")
			}
			if ev.Message.ID != c.threadID || ev.Message.Author != c.author || ev.Message.Text != c.text {
				t.Errorf("message = %+v, want thread %s by %+v saying %q", ev.Message, c.threadID, c.author, c.text)
			}
			if !ev.OccurredAt.Equal(c.at) {
				t.Errorf("occurred_at = %v, want %v", ev.OccurredAt, c.at)
			}
			want := event.Contact{ID: "12", Email: "bear@acme.com", Name: "Vernon Bear"}
			if ev.Contact == nil || *ev.Contact != want {
				t.Errorf("contact = %+v, want %+v", ev.Contact, want)
			}
			if ev.Ticket == nil || ev.Ticket.Number != "77" || ev.Ticket.Subject != "Order status" || ev.Ticket.Status != "active" {
				t.Errorf("ticket = %+v", ev.Ticket)
			}
		})
	}
}

func TestBuildReadsTheReferenceConversation(t *testing.T) {
	ev := parse(t, helpscout.TopicCreated, reference(t, helpscoutfake.FileConversation))
	if ev.ID != "convo.created:123" {
		t.Errorf("id = %q, want convo.created:123", ev.ID)
	}
	if want := time.Date(2017, 4, 21, 14, 39, 56, 0, time.UTC); !ev.OccurredAt.Equal(want) {
		t.Errorf("occurred_at = %v, want the conversation's createdAt %v", ev.OccurredAt, want)
	}
	tk := ev.Ticket
	if tk.ID != "123" || tk.Number != "15473" || tk.Subject != "Need Help" || tk.State != "published" || tk.Type != "email" {
		t.Errorf("ticket = %+v", tk)
	}
	if got := tk.Attributes["Account Type"]; got != "33077" {
		t.Errorf(`ticket.attributes["Account Type"] = %v, want "33077"`, got)
	}
	// The creator (customer 12) is not the primary customer (238604): its
	// address must not be given to another person.
	if want := (event.Contact{ID: "238604"}); *ev.Contact != want {
		t.Errorf("contact = %+v, want %+v", ev.Contact, want)
	}
	m := ev.Message
	if m.HTML != "I&#39;m having a hard time resolving this" || m.Author.Email != "bear@acme.com" {
		t.Errorf("message = %+v: want the escaped preview by the creator", m)
	}
	if ev.Item["mailboxId"] == nil {
		t.Error("item is not the conversation object")
	}
}

// Help Scout sends no delivery id: the event id must be the same for a
// retried delivery and differ between two events.
func TestBuildEventIDs(t *testing.T) {
	conv := reference(t, helpscoutfake.FileConversation)
	moreThreads := []byte(strings.Replace(string(conv), `"threads": 2`, `"threads": 3`, 1))
	changed := []byte(strings.Replace(string(conv), `"status": "closed"`, `"status": "active"`, 1))
	cases := []struct {
		name  string
		topic string
		body  []byte
		want  string
	}{
		{"created: the conversation", helpscout.TopicCreated, conv, "convo.created:123"},
		{"reply with a thread: the thread", helpscout.TopicAgentReply, helpscoutfake.OwnReplyBody, "convo.agent.reply.created:321:902"},
		{"reply without threads: the thread count", helpscout.TopicCustomerReply, conv, "convo.customer.reply.created:123:n2"},
		{"the next reply", helpscout.TopicCustomerReply, moreThreads, "convo.customer.reply.created:123:n3"},
		{"deleted", helpscout.TopicDeleted, []byte(`{"id": 123}`), "convo.deleted:123"},
		{"customer created", "customer.created", []byte(`{"id": 5, "firstName": "Vernon"}`), "customer.created:5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := parse(t, c.topic, c.body).ID; got != c.want {
				t.Errorf("id = %q, want %q", got, c.want)
			}
		})
	}
	t.Run("a status change is named by its body", func(t *testing.T) {
		a, again, b := parse(t, "convo.status", conv), parse(t, "convo.status", conv), parse(t, "convo.status", changed)
		if a.ID != again.ID || a.ID == b.ID || !strings.HasPrefix(a.ID, "convo.status:123:") {
			t.Errorf("ids %q, %q (retry), %q (another change)", a.ID, again.ID, b.ID)
		}
	})
}

func TestBuildOtherEvents(t *testing.T) {
	t.Run("customer", func(t *testing.T) {
		ev := parse(t, "customer.updated", []byte(`{"id": 5, "firstName": "Vernon", "lastName": "Bear",
			"_embedded": {"emails": [{"id": 1, "value": "bear@acme.com", "type": "work"}]}}`))
		want := event.Contact{ID: "5", Name: "Vernon Bear", Email: "bear@acme.com"}
		if ev.Contact == nil || *ev.Contact != want || ev.Target != (event.Target{}) {
			t.Errorf("contact %+v target %+v, want %+v and no target", ev.Contact, ev.Target, want)
		}
	})
	t.Run("rating of a conversation", func(t *testing.T) {
		ev := parse(t, "satisfaction.ratings", []byte(`{"id": 7, "conversationId": 123, "rating": "great"}`))
		if want := (event.Target{Type: "conversation", ID: "123"}); ev.Target != want {
			t.Errorf("target = %+v, want %+v", ev.Target, want)
		}
	})
	t.Run("test button", func(t *testing.T) {
		ev := parse(t, helpscout.TopicTest, []byte(`{}`))
		if !platform.IsPing(hs, ev) || ev.Message != nil || ev.Target != (event.Target{}) {
			t.Errorf("event %+v is not a bare ping", ev)
		}
	})
}
