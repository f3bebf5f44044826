package all

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

var testNow = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)

// sharedWebhooks is the folder of real Intercom captures, beside the project
// checkout; tests that use it skip when it is absent.
func sharedWebhooks(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "..", "shared", "reference", "intercom", "webhooks")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference captures not available: %v", err)
	}
	return dir
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// comparable returns the fields of ev a test states in full: everything
// but the raw maps (Item, Payload, Ticket.Attributes).
func comparable(ev *event.Event) event.Event {
	c := *ev
	c.Item, c.Payload, c.Raw = nil, nil, nil
	if c.Ticket != nil {
		tk := *c.Ticket
		tk.Attributes = nil
		c.Ticket = &tk
	}
	return c
}

func checkEvent(t *testing.T, got *event.Event, want event.Event) {
	t.Helper()
	if got.Payload == nil {
		t.Error("Payload is nil")
	}
	if g := comparable(got); !reflect.DeepEqual(g, want) {
		gj, _ := json.MarshalIndent(g, "", "  ")
		wj, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("event differs\n got %s\nwant %s", gj, wj)
	}
}

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

func intercomEvent(topic, id string, occurred int64) event.Event {
	return event.Event{
		Source: "intercom", Kind: "intercom", Topic: topic, ID: id,
		OccurredAt: unix(occurred), ReceivedAt: testNow,
	}
}

func TestParseIntercomCaptures(t *testing.T) {
	dir := sharedWebhooks(t)
	tests := []struct {
		file  string
		want  func() event.Event
		check func(t *testing.T, ev *event.Event)
	}{
		{
			file: "conversation_user_created.json",
			want: func() event.Event {
				e := intercomEvent("conversation.user.created", "notif_3ac27816-d27c-45fd-a65a-bbaf021cf780", 1553290198)
				e.Target = event.Target{Type: "conversation", ID: "21321941764"}
				e.Message = &event.Message{ID: "331494375", HTML: "<p>Hello everyone!</p>", Text: "Hello everyone!",
					Author: event.Author{Type: "user", ID: "5c9553cb27e377f24eed49f7"}}
				e.Contact = &event.Contact{ID: "5c9553cb27e377f24eed49f7", ExternalID: "75067020-1204-495c-8edc-abb7d88bdd43",
					Name: "Rose Poodle from St. John's"}
				return e
			},
		},
		{
			file: "conversation_user_created_ruby_sdk.json",
			want: func() event.Event {
				e := intercomEvent("conversation.user.created", "notif_123456-56465-546546", 1410335293)
				e.Target = event.Target{Type: "conversation", ID: "123456789"}
				e.Message = &event.Message{ID: "321546", HTML: "<p>An important message</p>", Text: "An important message",
					Author: event.Author{Type: "user", ID: "aaaaaaaaaaaaaaaaaaaaaa", Name: "Kill Bill", Email: "bill@bill.bill"}}
				e.Contact = &event.Contact{ID: "540f1de7112d3d1d51001637", Name: "Kill Bill", Email: "bill@bill.bill"}
				return e
			},
		},
		{
			file: "conversation_user_replied.json",
			want: func() event.Event {
				e := intercomEvent("conversation.user.replied", "notif_2c71fff0-65ef-46be-bbfe-dbf637bbff15", 1553291308)
				e.Target = event.Target{Type: "conversation", ID: "21322009097"}
				e.Message = &event.Message{ID: "2824391734",
					HTML:   "<p>Well, I need some help getting access to a developer account.</p>",
					Text:   "Well, I need some help getting access to a developer account.",
					Author: event.Author{Type: "user", ID: "5c9553cb27e377f24eed49f7", Name: "Eeshan Garg", Email: "jerryguitarist@gmail.com"}}
				e.Contact = &event.Contact{ID: "5c9553cb27e377f24eed49f7", ExternalID: "75067020-1204-495c-8edc-abb7d88bdd43",
					Name: "Eeshan Garg", Email: "jerryguitarist@gmail.com"}
				return e
			},
		},
		{
			file: "conversation_user_replied_2x_composed.json",
			want: func() event.Event {
				e := intercomEvent("conversation.user.replied", "notif_00000000-0000-4000-8000-000000000002", 1734537561)
				e.Target = event.Target{Type: "conversation", ID: "524"}
				e.Message = &event.Message{ID: "132", HTML: "<p>Thanks again :)</p>", Text: "Thanks again :)",
					Author: event.Author{Type: "user", ID: "6762f1571bb69f9f2193bbbb", Name: "Joe Bloggs", Email: "joe@bloggs.com"}}
				// The contact reference has ids only; name and email
				// come from the author, who is that contact.
				e.Contact = &event.Contact{ID: "6762f1571bb69f9f2193bbbb", ExternalID: "70", Name: "Joe Bloggs", Email: "joe@bloggs.com"}
				return e
			},
		},
		{
			file: "ping.json",
			want: func() event.Event { return intercomEvent("ping", "", 1553288147) },
			check: func(t *testing.T, ev *event.Event) {
				if ev.Item["message"] != "something something interzen" {
					t.Errorf("ping item = %v", ev.Item)
				}
			},
		},
		{
			file: "ticket_created.json",
			want: func() event.Event {
				e := intercomEvent("ticket.created", "notif_381b4609-2b35-4720-8389-605f220e402a", 1768114251)
				e.Target = event.Target{Type: "ticket", ID: "215472629311235"}
				// Fin created the ticket: no part is a comment.
				e.Contact = &event.Contact{ID: "696346bbaebb5a479d3851a3", ExternalID: "f7c0bc1e-5ee2-46a0-b11a-ea473d1101a5"}
				e.Ticket = &event.Ticket{ID: "215472629311235", Number: "66040342",
					Subject: "Unclear user message 'erf' with pending email response",
					State:   "submitted", StateLabel: "Submitted", Type: "Tickets"}
				return e
			},
			check: func(t *testing.T, ev *event.Event) {
				if len(ev.Ticket.Attributes) != 4 || ev.Ticket.Attributes["_default_title_"] != ev.Ticket.Subject {
					t.Errorf("attributes = %v", ev.Ticket.Attributes)
				}
			},
		},
		{
			file: "ticket_contact_replied.json",
			want: func() event.Event {
				e := intercomEvent("ticket.contact.replied", "notif_9d2bc71d-ac2f-4f2d-9a3c-f4213dd933aa", 1768117507)
				e.Target = event.Target{Type: "ticket", ID: "215472629548109"}
				e.Message = &event.Message{ID: "37404590647", HTML: "<p>asfsf</p>", Text: "asfsf",
					Author: event.Author{Type: "user", ID: "696354ce6b48146fdc536f97", Email: "admin@example.com"}}
				e.Contact = &event.Contact{ID: "696354ce6b48146fdc536f97", ExternalID: "247c49f1-c79e-452d-8afe-b1d38cc0f38a",
					Email: "admin@example.com"}
				e.Ticket = &event.Ticket{ID: "215472629548109", Number: "66044663", Subject: "Unclear customer message received",
					State: "submitted", StateLabel: "Submitted", Type: "Tickets"}
				return e
			},
			check: func(t *testing.T, ev *event.Event) {
				if ev.Item["type"] != "ticket_ticket_part" {
					t.Errorf("item is not the delivered ticket_ticket_part: %v", ev.Item["type"])
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev, err := Parse("intercom", "intercom", readFile(t, filepath.Join(dir, tt.file)), testNow)
			if err != nil {
				t.Fatal(err)
			}
			checkEvent(t, ev, tt.want())
			if tt.check != nil {
				tt.check(t, ev)
			}
		})
	}

	// Every capture in the folder is covered above.
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != len(tests) {
		t.Errorf("%d captures in %s, %d tested", len(files), dir, len(tests))
	}
}

func TestParseIntercomTestdata(t *testing.T) {
	customer := event.Author{Type: "user", ID: "6790a1b2c3d4e5f601234567", Name: "Ada Lovelace", Email: "ada@example.org"}
	admin := event.Author{Type: "admin", ID: "7301245", Name: "Grace Hopper", Email: "grace@support.example.com"}
	tests := []struct {
		file string
		want func() event.Event
	}{
		{
			file: "intercom_conversation_user_created_2x.json",
			want: func() event.Event {
				e := intercomEvent("conversation.user.created", "notif_5b0d3c1e-8f4a-4b7e-9c2d-1a2b3c4d5e01", 1768471200)
				e.Target = event.Target{Type: "conversation", ID: "9100000001"}
				e.Message = &event.Message{ID: "880000001",
					HTML:   "<p>Hi, I&#39;d like a <b>refund</b> for order #1234.</p><p>Thanks!</p>",
					Text:   "Hi, I'd like a refund for order #1234.\nThanks!",
					Author: customer}
				e.Contact = &event.Contact{ID: customer.ID, ExternalID: "cust-42", Name: customer.Name, Email: customer.Email}
				e.Tags = []string{"billing", "vip"}
				return e
			},
		},
		{
			file: "intercom_conversation_admin_replied.json",
			want: func() event.Event {
				e := intercomEvent("conversation.admin.replied", "notif_5b0d3c1e-8f4a-4b7e-9c2d-1a2b3c4d5e02", 1768474800)
				e.Target = event.Target{Type: "conversation", ID: "9100000002"}
				e.Message = &event.Message{ID: "41000005",
					HTML: "<p>We found a misconfigured load balancer in <b>eu-west</b> and fixed it at 09:02 UTC.</p>" +
						"<p>Error rates are back to normal. Please tell us if you still see 502s &mdash; we&#39;ll keep the ticket open for a day.</p>" +
						"<p>Kind regards,<br>Grace</p>",
					Text: "We found a misconfigured load balancer in eu-west and fixed it at 09:02 UTC.\n" +
						"Error rates are back to normal. Please tell us if you still see 502s — we'll keep the ticket open for a day.\n" +
						"Kind regards,\nGrace",
					Author: admin}
				// An admin wrote the message: the contact keeps what
				// its reference says.
				e.Contact = &event.Contact{ID: customer.ID, ExternalID: "cust-42"}
				e.Tags = []string{"outage", "eu-west"}
				return e
			},
		},
		{
			file: "intercom_conversation_admin_noted.json",
			want: func() event.Event {
				e := intercomEvent("conversation.admin.noted", "notif_5b0d3c1e-8f4a-4b7e-9c2d-1a2b3c4d5e03", 1768478400)
				e.Target = event.Target{Type: "conversation", ID: "9100000003"}
				e.Message = &event.Message{ID: "41000010",
					HTML:   "<p>Check with logistics:</p><ol><li>customs &amp; VAT</li><li>delivery time</li></ol>",
					Text:   "Check with logistics:\ncustoms & VAT\ndelivery time",
					Author: admin}
				e.Contact = &event.Contact{ID: "5c9553cb27e377f24eed0003", ExternalID: "lead-77", Email: "visitor@example.net"}
				e.Tags = []string{"shipping"}
				return e
			},
		},
		{
			file: "intercom_conversation_operator_replied.json",
			want: func() event.Event {
				e := intercomEvent("conversation.operator.replied", "notif_5b0d3c1e-8f4a-4b7e-9c2d-1a2b3c4d5e04", 1768482000)
				e.Target = event.Target{Type: "conversation", ID: "9100000004"} // a number in the payload
				e.Message = &event.Message{ID: "41000020",
					HTML:   `<p>You can reset it from <a href="https://example.com/reset">the login page</a>.</p>`,
					Text:   "You can reset it from the login page.",
					Author: event.Author{Type: "bot", ID: "7301999", Name: "Fin", Email: "operator+wsp7k2q9@intercom.io"}}
				e.Contact = &event.Contact{ID: customer.ID}
				return e
			},
		},
		{
			file: "intercom_ticket_admin_replied.json",
			want: func() event.Event {
				e := intercomEvent("ticket.admin.replied", "notif_5b0d3c1e-8f4a-4b7e-9c2d-1a2b3c4d5e05", 1768485600)
				e.Target = event.Target{Type: "ticket", ID: "215472629600001"}
				e.Message = &event.Message{ID: "37500001", HTML: "<p>We reproduced the bug and a fix ships tomorrow.</p>",
					Text: "We reproduced the bug and a fix ships tomorrow.", Author: admin}
				e.Contact = &event.Contact{ID: customer.ID, ExternalID: "cust-42"}
				e.Ticket = &event.Ticket{ID: "215472629600001", Number: "66050001", Subject: "Export to CSV fails",
					State: "waiting_on_customer", StateLabel: "Awaiting your reply", Type: "Bug report"}
				return e
			},
		},
		{
			file: "intercom_ticket_note_created.json",
			want: func() event.Event {
				e := intercomEvent("ticket.note.created", "notif_5b0d3c1e-8f4a-4b7e-9c2d-1a2b3c4d5e06", 1768489200)
				e.Target = event.Target{Type: "ticket", ID: "215472629600002"}
				e.Message = &event.Message{ID: "37500002", HTML: "<p>Customer is on the <i>legacy</i> plan &ndash; check limits.</p>",
					Text: "Customer is on the legacy plan – check limits.", Author: admin}
				e.Contact = &event.Contact{ID: customer.ID, ExternalID: "cust-42"}
				// ticket_state as a plain string, ticket_id as a number.
				e.Ticket = &event.Ticket{ID: "215472629600002", Number: "66050002", Subject: "Rate limit too low",
					State: "in_progress", Type: "Bug report"}
				return e
			},
		},
		{
			file: "intercom_ping.json",
			want: func() event.Event { return intercomEvent("ping", "", 1768400000) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev, err := Parse("intercom", "intercom", readFile(t, filepath.Join("testdata", tt.file)), testNow)
			if err != nil {
				t.Fatal(err)
			}
			checkEvent(t, ev, tt.want())
		})
	}
}

func TestParseIntercomShapes(t *testing.T) {
	parse := func(t *testing.T, body string) *event.Event {
		t.Helper()
		ev, err := Parse("intercom", "ic", []byte(body), testNow)
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	t.Run("ticket.created with a comment", func(t *testing.T) {
		ev := parse(t, `{"type":"notification_event","id":"n1","topic":"ticket.created","created_at":1,"data":{"item":{
			"type":"ticket","id":"t1","ticket_id":"7","ticket_state":"submitted","ticket_type":"Question",
			"ticket_parts":{"ticket_parts":[
				{"id":"p1","part_type":"attribute_collected","author":{"type":"bot"}},
				{"id":"p2","part_type":"comment","body":"<p>first</p>","author":{"type":"user","id":"u1","name":"N","email":"e@x"}},
				{"id":"p3","part_type":"comment","body":"<p>second</p>","author":{"type":"admin","id":"a1"}}]}}}}`)
		if ev.Message == nil || ev.Message.ID != "p2" || ev.Message.Text != "first" {
			t.Fatalf("message = %+v", ev.Message)
		}
		if ev.Ticket.State != "submitted" || ev.Ticket.Type != "Question" || ev.Ticket.Subject != "" {
			t.Errorf("ticket = %+v", ev.Ticket)
		}
		// No contacts: the author is the contact.
		if want := (event.Contact{ID: "u1", Name: "N", Email: "e@x"}); ev.Contact == nil || *ev.Contact != want {
			t.Errorf("contact = %+v", ev.Contact)
		}
	})
	t.Run("other ticket topic has no message", func(t *testing.T) {
		ev := parse(t, `{"type":"notification_event","id":"n1","topic":"ticket.state.updated","data":{"item":{
			"type":"ticket","id":"t1","ticket_parts":{"ticket_parts":[{"id":"p2","part_type":"comment","body":"x"}]}}}}`)
		if ev.Message != nil {
			t.Errorf("message = %+v", ev.Message)
		}
		if !ev.OccurredAt.Equal(testNow) {
			t.Errorf("without created_at, occurred_at = %v, want received_at", ev.OccurredAt)
		}
	})
	t.Run("author of another contact fills nothing", func(t *testing.T) {
		ev := parse(t, `{"type":"notification_event","id":"n1","topic":"conversation.user.replied","data":{"item":{
			"type":"conversation","id":"c1","contacts":{"contacts":[{"id":"u1"},{"id":"u2"}]},
			"conversation_parts":{"conversation_parts":[{"id":"p1","body":"hi","author":{"type":"user","id":"u2","email":"u2@x"}}]}}}}`)
		if want := (event.Contact{ID: "u1"}); *ev.Contact != want {
			t.Errorf("contact = %+v", ev.Contact)
		}
	})
	t.Run("replied topic without parts has no message", func(t *testing.T) {
		ev := parse(t, `{"type":"notification_event","id":"n1","topic":"conversation.admin.closed","data":{"item":{
			"type":"conversation","id":"c1","source":{"id":"s","body":"x"},"conversation_parts":{"conversation_parts":[]}}}}`)
		if ev.Message != nil {
			t.Errorf("message = %+v", ev.Message)
		}
	})
	t.Run("wrong types in optional fields read as empty", func(t *testing.T) {
		ev := parse(t, `{"type":"notification_event","id":"n1","topic":"conversation.user.created","created_at":"1700000000","data":{"item":{
			"type":"conversation","id":12,"source":{"id":[1],"body":{"x":1},"author":"me"},
			"contacts":{"contacts":"none"},"user":[],"tags":{"tags":[{"name":5},"plain",null,{"name":"plain"}]},"tags_added":7}}}`)
		if ev.Target.ID != "12" || ev.Message == nil || ev.Message.HTML != "" || ev.Message.ID != "" || ev.Contact != nil {
			t.Errorf("event = %+v, message %+v", ev, ev.Message)
		}
		if !reflect.DeepEqual(ev.Tags, []string{"5", "plain"}) {
			t.Errorf("tags = %q", ev.Tags)
		}
		if !ev.OccurredAt.Equal(unix(1700000000)) {
			t.Errorf("occurred_at = %v", ev.OccurredAt)
		}
	})
	t.Run("many tags deduplicated", func(t *testing.T) {
		var tags []string
		for i := range 100 {
			tags = append(tags, `{"name":"t`+string(rune('a'+i%40))+`"}`)
		}
		list := strings.Join(tags, ",")
		ev := parse(t, `{"type":"notification_event","id":"n1","topic":"conversation.admin.assigned","data":{"item":{
			"type":"conversation","id":"c","tags":{"tags":[`+list+`]},"tags_added":{"tags":[`+list+`]}}}}`)
		if len(ev.Tags) != 40 || ev.Tags[0] != "ta" || ev.Tags[39] != "t"+string(rune('a'+39)) {
			t.Errorf("tags = %q", ev.Tags)
		}
	})
	t.Run("unknown item type", func(t *testing.T) {
		ev := parse(t, `{"type":"notification_event","id":"n1","topic":"contact.user.created","data":{"item":{"type":"contact","id":"u1"}}}`)
		if ev.Target != (event.Target{}) || ev.Message != nil || ev.Item["id"] != "u1" {
			t.Errorf("event = %+v", ev)
		}
	})
	t.Run("fractional created_at", func(t *testing.T) {
		ev := parse(t, `{"type":"notification_event","id":"n1","topic":"x","created_at":1700000000.5,"data":{"item":{"type":"contact"}}}`)
		if want := time.Unix(1700000000, 5e8).UTC(); !ev.OccurredAt.Equal(want) {
			t.Errorf("occurred_at = %v, want %v", ev.OccurredAt, want)
		}
	})
}

func TestParseWHMCSTestdata(t *testing.T) {
	whmcsEvent := func(hook, id, at string) event.Event {
		ts, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		return event.Event{Source: "whmcs", Kind: "whmcs", Topic: hook, ID: id, OccurredAt: ts, ReceivedAt: testNow}
	}
	tests := []struct {
		hook string
		want func() event.Event
	}{
		{HookTicketOpen, func() event.Event {
			e := whmcsEvent(HookTicketOpen, "TicketOpen-1042", "2026-01-15T10:00:00Z")
			e.Target = event.Target{Type: "ticket", ID: "1042"}
			body := "Hello,\r\n\r\nI was charged twice for invoice #5531.\r\nPlease refund one of them."
			e.Message = &event.Message{HTML: body, Text: "Hello,\n\nI was charged twice for invoice #5531.\nPlease refund one of them.",
				Author: event.Author{Type: "client", ID: "17"}}
			e.Contact = &event.Contact{ID: "17"}
			e.Ticket = &event.Ticket{ID: "1042", Number: "ABC-123456", Subject: "Refund for invoice #5531", Department: "Billing", Priority: "Medium"}
			return e
		}},
		{HookTicketOpenAdmin, func() event.Event {
			e := whmcsEvent(HookTicketOpenAdmin, "TicketOpenAdmin-1043", "2026-01-15T10:05:00Z")
			e.Target = event.Target{Type: "ticket", ID: "1043"}
			e.Message = &event.Message{HTML: "<p>We will migrate your server on <b>Friday</b>.</p>", Text: "We will migrate your server on Friday.",
				Author: event.Author{Type: "admin"}}
			e.Contact = &event.Contact{ID: "18"}
			e.Ticket = &event.Ticket{ID: "1043", Number: "DEF-654321", Subject: "Your server migration", Department: "Support", Priority: "Low"}
			return e
		}},
		{HookTicketUserReply, func() event.Event {
			e := whmcsEvent(HookTicketUserReply, "TicketUserReply-1042-9001", "2026-01-15T10:10:00+01:00")
			e.Target = event.Target{Type: "ticket", ID: "1042"}
			e.Message = &event.Message{ID: "9001", HTML: "Any news? It&#039;s been a day.", Text: "Any news? It's been a day.",
				Author: event.Author{Type: "client", ID: "17"}}
			e.Contact = &event.Contact{ID: "17"}
			e.Ticket = &event.Ticket{ID: "1042", Subject: "Refund for invoice #5531", Department: "Billing", Priority: "Medium", Status: "Customer-Reply"}
			return e
		}},
		{HookTicketAdminReply, func() event.Event {
			e := whmcsEvent(HookTicketAdminReply, "TicketAdminReply-1042-9002", "2026-01-15T10:20:00Z")
			e.Target = event.Target{Type: "ticket", ID: "1042"}
			e.Message = &event.Message{ID: "9002", HTML: "The refund is on its way.", Text: "The refund is on its way.",
				Author: event.Author{Type: "admin", Name: "Grace Hopper"}}
			e.Ticket = &event.Ticket{ID: "1042", Subject: "Refund for invoice #5531", Department: "Billing", Priority: "Medium", Status: "Answered"}
			return e
		}},
		{HookTicketAddNote, func() event.Event {
			e := whmcsEvent(HookTicketAddNote, "TicketAddNote-1042-5f2c9a0d41b7e6c3", "2026-01-15T10:25:00Z")
			e.Target = event.Target{Type: "ticket", ID: "1042"}
			e.Message = &event.Message{HTML: "Refund issued in the gateway, ref R-77.", Text: "Refund issued in the gateway, ref R-77.",
				Author: event.Author{Type: "admin", ID: "3"}}
			e.Ticket = &event.Ticket{ID: "1042"}
			return e
		}},
		{HookTicketStatusChange, func() event.Event {
			e := whmcsEvent(HookTicketStatusChange, "TicketStatusChange-1042-0a9b8c7d6e5f4a3b", "2026-01-15T10:30:00Z")
			e.Target = event.Target{Type: "ticket", ID: "1042"}
			e.Ticket = &event.Ticket{ID: "1042", Status: "Closed"}
			return e
		}},
		{HookTicketClose, func() event.Event {
			e := whmcsEvent(HookTicketClose, "TicketClose-1042-1c2d3e4f5a6b7c8d", "2026-01-15T10:31:00Z")
			e.Target = event.Target{Type: "ticket", ID: "1042"}
			e.Ticket = &event.Ticket{ID: "1042"}
			return e
		}},
		{HookTicketPriorityChange, func() event.Event {
			e := whmcsEvent(HookTicketPriorityChange, "TicketPriorityChange-1043-9e8d7c6b5a4f3e2d", "2026-01-15T10:40:00Z")
			e.Target = event.Target{Type: "ticket", ID: "1043"}
			e.Ticket = &event.Ticket{ID: "1043", Priority: "High"}
			return e
		}},
		{HookTicketDepartmentChange, func() event.Event {
			e := whmcsEvent(HookTicketDepartmentChange, "TicketDepartmentChange-1043-2b3c4d5e6f7a8b9c", "2026-01-15T10:45:00Z")
			e.Target = event.Target{Type: "ticket", ID: "1043"}
			e.Ticket = &event.Ticket{ID: "1043", Department: "Sales"}
			return e
		}},
	}
	if len(tests) != len(topicNames("whmcs")) {
		t.Errorf("%d hook points tested, %d known", len(tests), len(topicNames("whmcs")))
	}
	for _, tt := range tests {
		t.Run(tt.hook, func(t *testing.T) {
			ev, err := Parse("whmcs", "whmcs", readFile(t, filepath.Join("testdata", "whmcs_"+tt.hook+".json")), testNow)
			if err != nil {
				t.Fatal(err)
			}
			checkEvent(t, ev, tt.want())
			if ev.Item != nil {
				t.Errorf("Item = %v, want nil for WHMCS", ev.Item)
			}
		})
	}
}

func TestParseWHMCSShapes(t *testing.T) {
	t.Run("unknown hook point without ticket", func(t *testing.T) {
		ev, err := Parse("whmcs", "w", []byte(`{"event":"ClientAdd","id":"x1","occurred_at":"2026-01-01T00:00:00Z","vars":{"userid":5}}`), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Topic != "ClientAdd" || ev.Target != (event.Target{}) || ev.Ticket != nil || knownTopic("whmcs", ev.Topic) {
			t.Errorf("event = %+v", ev)
		}
	})
	t.Run("guest ticket has no contact", func(t *testing.T) {
		ev, err := Parse("whmcs", "w", []byte(`{"event":"TicketOpen","id":"x1","occurred_at":"2026-01-01T00:00:00Z","vars":{"ticketid":1,"userid":0,"message":null}}`), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Contact != nil || ev.Message != nil {
			t.Errorf("contact = %+v, message = %+v", ev.Contact, ev.Message)
		}
	})
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat(`{"a":`, MaxDepth) + "1" + strings.Repeat("}", MaxDepth)
	tooDeep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	long := strings.Repeat("x", 3000)
	ic := func(fields string) string {
		return `{"type":"notification_event","id":"n1","topic":"conversation.user.replied","created_at":1,` + fields + `}`
	}
	tests := []struct {
		kind, body, want string // want "" means no error
	}{
		{"intercom", "", "body is empty"},
		{"intercom", " \n", "body is empty"},
		{"intercom", "\xff{}", "body is not valid UTF-8"},
		{"intercom", "{\"type\":\"notification_event\",\"topic\":\"\xc3\x28\"}", "body is not valid UTF-8"},
		{"intercom", "{", "not JSON: unexpected end of JSON input"},
		{"intercom", "{} x", "not JSON: invalid character 'x' after top-level value"},
		{"intercom", `[1]`, "body must be a JSON object, not an array"},
		{"intercom", `"x"`, "body must be a JSON object, not a string"},
		{"intercom", `null`, "body must be a JSON object, not null"},
		{"intercom", tooDeep, "JSON is nested deeper than 64 levels"},
		{"intercom", `{"s":"` + strings.Repeat(`[\"`, 100) + `"}`, "type missing"}, // brackets in strings do not count
		{"intercom", deep, "type missing"},
		{"intercom", `{"type":"x"}`, `type must be "notification_event", not "x"`},
		{"intercom", `{"type":null}`, "type missing"},
		{"intercom", `{"type":"notification_event"}`, "topic missing"},
		{"intercom", `{"type":"notification_event","topic":5}`, "topic must be a string, not a number"},
		{"intercom", `{"type":"notification_event","topic":""}`, "topic is empty"},
		{"intercom", `{"type":"notification_event","topic":"conversation.user.created"}`, "id missing"},
		{"intercom", `{"type":"notification_event","topic":"conversation.user.created","id":null}`, "id missing"},
		{"intercom", `{"type":"notification_event","topic":"conversation.user.created","id":5}`, "id must be a string, not a number"},
		{"intercom", `{"type":"notification_event","topic":"conversation.user.created","id":""}`, "id is empty"},
		{"intercom", ic(`"created_at":"abc"`), `created_at must be unix seconds, not "abc"`},
		{"intercom", ic(`"created_at":true`), "created_at must be unix seconds, not a boolean"},
		{"intercom", ic(`"created_at":-5`), "created_at out of range: -5"},
		{"intercom", ic(`"created_at":1e300`), "created_at out of range: 1e+300"},
		{"intercom", ic(`"created_at":1e400`), "not JSON: number 1e400 is out of range"},
		{"intercom", ic(`"x":0`), "data missing"},
		{"intercom", ic(`"data":[]`), "data must be an object, not an array"},
		{"intercom", ic(`"data":{}`), "data.item missing"},
		{"intercom", ic(`"data":{"item":null}`), "data.item is null"},
		{"intercom", ic(`"data":{"item":"x"}`), "data.item must be an object, not a string"},
		{"intercom", ic(`"data":{"item":{}}`), "data.item.type missing"},
		{"intercom", ic(`"data":{"item":{"type":1}}`), "data.item.type must be a string, not a number"},
		{"intercom", ic(`"data":{"item":{"type":"conversation"}}`), "data.item.id missing"},
		{"intercom", ic(`"data":{"item":{"type":"conversation","id":{}}}`), "data.item.id must be a string or a number, not an object"},
		{"intercom", ic(`"data":{"item":{"type":"conversation","id":""}}`), "data.item.id is empty"},
		{"intercom", ic(`"data":{"item":{"type":"ticket","id":true}}`), "data.item.id must be a string or a number, not a boolean"},
		{"intercom", ic(`"data":{"item":{"type":"ticket_ticket_part"}}`), "data.item.ticket missing"},
		{"intercom", ic(`"data":{"item":{"type":"ticket_ticket_part","ticket":{}}}`), "data.item.ticket.id missing"},
		{"intercom", ic(`"data":{"item":{"type":"conversation","id":"c"}}`), ""},
		{"intercom", `{"type":"notification_event","topic":"ping","id":null,"data":{"item":null}}`, ""},
		{"intercom", `{"type":"notification_event","topic":"ping","id":7}`, ""},

		{"whmcs", `{}`, "event missing"},
		{"whmcs", `{"event":["TicketOpen"]}`, "event must be a string, not an array"},
		{"whmcs", `{"event":"TicketOpen"}`, "id missing"},
		{"whmcs", `{"event":"TicketOpen","id":12}`, "id must be a string, not a number"},
		{"whmcs", `{"event":"TicketOpen","id":"a"}`, "occurred_at missing"},
		{"whmcs", `{"event":"TicketOpen","id":"a","occurred_at":"yesterday"}`, `occurred_at must be an RFC 3339 time, not "yesterday"`},
		{"whmcs", `{"event":"TicketOpen","id":"a","occurred_at":"2026-01-01 10:00:00"}`, `occurred_at must be an RFC 3339 time, not "2026-01-01 10:00:00"`},
		{"whmcs", `{"event":"TicketOpen","id":"a","occurred_at":"2026-01-01T10:00:00Z"}`, "vars missing"},
		{"whmcs", `{"event":"TicketOpen","id":"a","occurred_at":"2026-01-01T10:00:00Z","vars":[]}`, "vars must be an object, not an array"},
		{"whmcs", `{"event":"TicketOpen","id":"a","occurred_at":"2026-01-01T10:00:00Z","vars":{}}`, "vars.ticketid missing"},
		{"whmcs", `{"event":"TicketClose","id":"a","occurred_at":"2026-01-01T10:00:00Z","vars":{"ticketid":""}}`, "vars.ticketid missing"},
		{"whmcs", `{"event":"TicketClose","id":"a","occurred_at":"2026-01-01T10:00:00Z","vars":{"ticketid":{}}}`, "vars.ticketid must be a string or a number, not an object"},
		{"whmcs", `{"event":"TicketOpen","id":"a","occurred_at":"2026-01-01T10:00:00Z","vars":{"ticketid":1,"subject":true}}`, "vars.subject must be a string or a number, not a boolean"},
		{"whmcs", `{"event":"TicketOpen","id":"a","occurred_at":"2026-01-01T10:00:00Z","vars":{"ticketid":1,"message":["x"]}}`, "vars.message must be a string, not an array"},
		{"whmcs", `{"event":"TicketClose","id":"a","occurred_at":"2026-01-01T10:00:00Z","vars":{"ticketid":1}}`, ""},

		// Ids the store indexes are bounded (PostgreSQL refuses btree
		// entries over about 2.7 KB: that delivery would fail forever).
		{"intercom", `{"type":"notification_event","topic":"conversation.user.created","id":"` + long + `"}`, "id is 3000 bytes, longer than the 1024 allowed"},
		{"intercom", `{"type":"notification_event","topic":"` + long + `","id":"n1"}`, "topic is 3000 bytes, longer than the 1024 allowed"},
		{"intercom", ic(`"data":{"item":{"type":"conversation","id":"` + long + `"}}`), "data.item.id is 3000 bytes, longer than the 1024 allowed"},
		{"intercom", ic(`"data":{"item":{"type":"ticket_ticket_part","ticket":{"id":"` + long + `"}}}`), "data.item.ticket.id is 3000 bytes, longer than the 1024 allowed"},
		{"intercom", ic(`"data":{"item":{"type":"conversation","id":"c","contacts":{"contacts":[{"id":"` + long + `"}]}}}`), "contact id is 3000 bytes, longer than the 1024 allowed"},
		{"intercom", ic(`"data":{"item":{"type":"conversation","id":"` + long[:1024] + `"}}`), ""},
		{"whmcs", `{"event":"TicketOpen","id":"` + long + `","occurred_at":"2026-01-01T10:00:00Z","vars":{"ticketid":1}}`, "id is 3000 bytes, longer than the 1024 allowed"},
		{"whmcs", `{"event":"` + long + `","id":"a","occurred_at":"2026-01-01T10:00:00Z","vars":{"ticketid":1}}`, "event is 3000 bytes, longer than the 1024 allowed"},
		{"whmcs", `{"event":"TicketOpen","id":"a","occurred_at":"2026-01-01T10:00:00Z","vars":{"ticketid":"` + long + `"}}`, "vars.ticketid is 3000 bytes, longer than the 1024 allowed"},
		{"whmcs", `{"event":"TicketOpen","id":"a","occurred_at":"2026-01-01T10:00:00Z","vars":{"ticketid":1,"userid":"` + long + `"}}`, "vars.userid is 3000 bytes, longer than the 1024 allowed"},
	}
	for _, tt := range tests {
		name := tt.kind + "/" + tt.want
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			ev, err := Parse(tt.kind, "src", []byte(tt.body), testNow)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse(%.80q) = %v, want no error", tt.body, err)
				}
				if ev == nil {
					t.Fatal("nil event without error")
				}
				return
			}
			var bre *BadRequestError
			if !errors.As(err, &bre) {
				t.Fatalf("Parse(%.80q) = %v, %v; want *BadRequestError", tt.body, ev, err)
			}
			if bre.Reason != tt.want {
				t.Errorf("Parse(%.80q) reason\n got %q\nwant %q", tt.body, bre.Reason, tt.want)
			}
			if ev != nil {
				t.Error("event returned with an error")
			}
		})
	}
}

func TestParseUnknownKind(t *testing.T) {
	_, err := Parse("nosuchkind", "z", []byte(`{}`), testNow)
	var bre *BadRequestError
	if err == nil || errors.As(err, &bre) {
		t.Fatalf("err = %v, want a plain error", err)
	}
}

func TestKnownTopics(t *testing.T) {
	for _, tt := range []struct {
		kind, topic string
		want        bool
	}{
		{"intercom", "conversation.user.created", true},
		{"intercom", "ping", true},
		{"intercom", "ticket.rating.provided", true},
		{"intercom", "conversation.user.deleted", false},
		{"intercom", "TicketOpen", false},
		{"whmcs", "TicketDepartmentChange", true},
		{"whmcs", "ticketopen", false},
		{"other", "TicketOpen", false},
	} {
		if got := knownTopic(tt.kind, tt.topic); got != tt.want {
			t.Errorf("knownTopic(%q, %q) = %v", tt.kind, tt.topic, got)
		}
	}
	if len(topicNames("intercom")) != 24 || len(topicNames("whmcs")) != 9 {
		t.Errorf("%d Intercom topics, %d WHMCS hook points", len(topicNames("intercom")), len(topicNames("whmcs")))
	}
}

func TestParseReplacesNUL(t *testing.T) {
	body := []byte(`{"type":"notification_event","id":"notif_nul","topic":"conversation.user.created","created_at":1767225600,
"data":{"type":"notification_event_data","item":{"type":"conversation","id":"c1",
"source":{"type":"conversation","id":"s1","body":"<p>a\u0000b</p>","author":{"type":"user","id":"u1"}},"x\u0000y":"z"}}}`)
	ev, err := Parse("intercom", "intercom", body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if ev.Message.Text != "a\uFFFDb" || strings.ContainsRune(ev.Message.HTML, 0) {
		t.Errorf("message = %q / %q: NUL must become U+FFFD (PostgreSQL cannot store it)", ev.Message.Text, ev.Message.HTML)
	}
	if _, ok := ev.Item["x\uFFFDy"]; !ok {
		t.Errorf("item keys = %v", ev.Item)
	}
}

// Numbers are decoded exactly: an id past 2^53 keeps every digit in the
// target, the ticket and the payload the rules see, and the stored body is
// the body as received.
func TestParseExactNumbers(t *testing.T) {
	body := []byte(`{"event":"TicketOpen","id":"n1","occurred_at":"2026-01-01T10:00:00Z",` +
		`"vars":{"ticketid":9007199254740993,"userid":18446744073709551617,"priority":3,"ratio":0.1}}`)
	ev, err := Parse("whmcs", "whmcs", body, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Target.ID != "9007199254740993" || ev.Ticket.ID != "9007199254740993" {
		t.Errorf("target %q, ticket %q, want 9007199254740993", ev.Target.ID, ev.Ticket.ID)
	}
	if ev.Contact == nil || ev.Contact.ID != "18446744073709551617" {
		t.Errorf("contact = %+v, want id 18446744073709551617", ev.Contact)
	}
	vars := ev.Payload["vars"].(map[string]any)
	for key, want := range map[string]any{
		"ticketid": int64(9007199254740993), "userid": json.Number("18446744073709551617"),
		"priority": 3.0, "ratio": 0.1,
	} {
		if got := vars[key]; got != want {
			t.Errorf("vars.%s = %#v, want %#v", key, got, want)
		}
	}
	if !bytes.Equal(ev.Raw, body) {
		t.Errorf("Raw = %s, want the body as received", ev.Raw)
	}
}
