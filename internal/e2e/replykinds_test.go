package e2e

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// The contact of every testdata payload (2.x contacts list + author).
const (
	contactID    = "6790a1b2c3d4e5f601234567"
	contactExtID = "cust-42"
	contactEmail = "ada@example.org"
)

// replyCase is one reply kind on one target: the rule, the event that
// fires it and exactly what the platform must receive.
type replyCase struct {
	name   string
	target string // the event's conversation or ticket
	source string // intercom or whmcs
	// event builds the delivery for id and target.
	event func(t *testing.T, id, target string) []byte
	reply string
	// postedTo is the id the reply goes to (default target).
	postedTo string

	// Intercom: the path and the exact JSON body (reply_options apart).
	path    string
	body    map[string]any
	options []string
	// WHMCS: the endpoint, the exact form (customfields apart) and the
	// decoded custom fields.
	endpoint string
	form     map[string]string
	custom   map[string]string
}

func replyCases() []replyCase {
	admin := func(messageType, body string, extra map[string]any) map[string]any {
		m := map[string]any{"type": "admin", "message_type": messageType, "admin_id": BotAdminID, "body": body}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	user := func(key, value, body string, extra map[string]any) map[string]any {
		m := map[string]any{"type": "user", "message_type": "comment", key: value, "body": body}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	skip := map[string]any{"skip_notifications": true}
	return []replyCase{
		{
			name: "intercom-conversation-comment", target: "7100000001", source: "intercom", event: conversationEvent,
			reply: "as: comment\nbody: \"<p>Hi {{ contact.name }}, we got your message.</p>\"",
			path:  "/conversations/7100000001/reply",
			body:  admin("comment", "<p>Hi Ada Lovelace, we got your message.</p>", nil),
		},
		{
			name: "intercom-conversation-note", target: "7100000002", source: "intercom", event: conversationEvent,
			reply: "as: note\nbody: \"<p>{{ contact.email }} is on plan {{ item.custom_attributes.plan }}</p>\"",
			path:  "/conversations/7100000002/reply",
			body:  admin("note", "<p>ada@example.org is on plan pro</p>", nil),
		},
		{
			name: "intercom-conversation-quick-reply", target: "7100000003", source: "intercom", event: conversationEvent,
			reply:   "as: quick_reply\nbody: \"<p>What can we help with?</p>\"\noptions: [\"Billing\", \"Technical problem\", \"{{ contact.name }}'s account\"]",
			path:    "/conversations/7100000003/reply",
			body:    admin("quick_reply", "<p>What can we help with?</p>", nil),
			options: []string{"Billing", "Technical problem", "Ada Lovelace's account"},
		},
		{
			name: "intercom-contact-reply-intercom-user-id", target: "7100000004", source: "intercom", event: conversationEvent,
			reply: "as: contact_reply\nbody: \"<p>Forwarded from email.</p>\"\ncontact:\n  intercom_user_id: \"{{ contact.id }}\"",
			path:  "/conversations/7100000004/reply",
			body:  user("intercom_user_id", contactID, "<p>Forwarded from email.</p>", nil),
		},
		{
			name: "intercom-contact-reply-user-id", target: "7100000005", source: "intercom", event: conversationEvent,
			reply: "as: contact_reply\nbody: \"<p>Forwarded from email.</p>\"\ncontact:\n  user_id: \"{{ contact.external_id }}\"",
			path:  "/conversations/7100000005/reply",
			body:  user("user_id", contactExtID, "<p>Forwarded from email.</p>", nil),
		},
		{
			name: "intercom-contact-reply-email", target: "7100000006", source: "intercom", event: conversationEvent,
			reply: "as: contact_reply\nbody: \"<p>Forwarded from email.</p>\"\ncontact:\n  email: \"{{ contact.email }}\"",
			path:  "/conversations/7100000006/reply",
			body:  user("email", contactEmail, "<p>Forwarded from email.</p>", nil),
		},
		{
			name: "intercom-contact-reply-to-last-conversation", target: "7100000007", source: "intercom", event: conversationEvent,
			reply:    "as: contact_reply\nto: {type: conversation, id: last}\nbody: \"<p>Follow-up.</p>\"\ncontact:\n  email: \"{{ contact.email }}\"",
			postedTo: "last",
			path:     "/conversations/last/reply",
			body:     user("email", contactEmail, "<p>Follow-up.</p>", nil),
		},
		{
			name: "intercom-ticket-comment", target: "215470000000008", source: "intercom", event: ticketEvent,
			reply: "as: comment\nskip_notifications: true\nbody: \"<p>Added to ticket #{{ ticket.number }} ({{ ticket.subject }}).</p>\"",
			path:  "/tickets/215470000000008/reply",
			body:  admin("comment", "<p>Added to ticket #66050001 (Export to CSV fails).</p>", skip),
		},
		{
			name: "intercom-ticket-note", target: "215470000000009", source: "intercom", event: ticketEvent,
			reply: "as: note\nskip_notifications: true\nbody: \"<p>State {{ ticket.state }}, type {{ ticket.type }}.</p>\"",
			path:  "/tickets/215470000000009/reply",
			body:  admin("note", "<p>State in_progress, type Bug report.</p>", skip),
		},
		{
			name: "intercom-ticket-quick-reply", target: "215470000000010", source: "intercom", event: ticketEvent,
			reply:   "as: quick_reply\nskip_notifications: true\nbody: \"<p>Did the fix work?</p>\"\noptions: [\"Yes\", \"No\"]",
			path:    "/tickets/215470000000010/reply",
			body:    admin("quick_reply", "<p>Did the fix work?</p>", skip),
			options: []string{"Yes", "No"},
		},
		{
			name: "intercom-ticket-note-cross-post", target: "215470000000011", source: "intercom", event: ticketEvent,
			reply: "as: note\ncross_post: true\nbody: \"<p>Also on the linked conversations.</p>\"",
			path:  "/tickets/215470000000011/reply",
			body:  admin("note", "<p>Also on the linked conversations.</p>", map[string]any{"cross_post": true}),
		},
		{
			name: "intercom-ticket-contact-reply", target: "215470000000012", source: "intercom", event: ticketEvent,
			reply: "as: contact_reply\nskip_notifications: true\nbody: \"<p>Forwarded from email.</p>\"\ncontact:\n  intercom_user_id: \"{{ contact.id }}\"",
			path:  "/tickets/215470000000012/reply",
			body:  user("intercom_user_id", contactID, "<p>Forwarded from email.</p>", skip),
		},
		{
			name: "whmcs-comment", target: "5013", source: "whmcs", event: whmcsOpenEvent,
			reply: `as: comment
markdown: true
body: "We received **{{ ticket.subject }}** ({{ ticket.department }})."
from:
  contact_id: "5"
  name: Billing Desk
  email: billing@example.com
custom_fields:
  "12": "{{ ticket.number }}"
  "7": auto-acknowledged
status: In Progress
no_email: true`,
			endpoint: "add-ticket-reply",
			form: map[string]string{
				"ticketid": "5013", "message": "We received **Refund for invoice #5531** (Billing).",
				"markdown": "1", "contactid": "5", "name": "Billing Desk", "email": "billing@example.com",
				"status": "In Progress", "noemail": "1",
			},
			custom: map[string]string{"12": "ABC-123456", "7": "auto-acknowledged"},
		},
		{
			name: "whmcs-note", target: "5014", source: "whmcs", event: whmcsOpenEvent,
			reply:    "as: note\nmarkdown: true\nbody: \"Client {{ contact.id }} opened: {{ ticket.subject }}\"",
			endpoint: "add-ticket-note",
			form:     map[string]string{"ticketid": "5014", "message": "Client 17 opened: Refund for invoice #5531", "markdown": "1"},
		},
		{
			name: "shared-conversation-user-replied", target: "7100000015", source: "intercom",
			event: sharedEvent("conversation_user_replied.json", "data.item.id"),
			reply: "as: comment\nbody: \"<p>Thanks {{ contact.name }}!</p>\"",
			path:  "/conversations/7100000015/reply",
			body:  admin("comment", "<p>Thanks Eeshan Garg!</p>", nil),
		},
		{
			name: "shared-ticket-contact-replied", target: "215470000000016", source: "intercom",
			event: sharedEvent("ticket_contact_replied.json", "data.item.ticket.id"),
			reply: "as: note\nbody: \"<p>Customer replied on ticket {{ ticket.number }}.</p>\"",
			path:  "/tickets/215470000000016/reply",
			body:  admin("note", "<p>Customer replied on ticket "+sharedTicketNumber+".</p>", nil),
		},
	}
}

// sharedTicketNumber is ticket_id of shared ticket_contact_replied.json.
const sharedTicketNumber = "66044663"

func testReplyKinds(t *testing.T, f *fakes, bot *Bot) {
	for _, c := range replyCases() {
		t.Run(c.name, func(t *testing.T) {
			f.checkViolations(t)
			id := "notif_e2e-" + c.name
			if c.source == "whmcs" {
				id = "TicketOpen-e2e-" + c.name
			}
			body := c.event(t, id, c.target)
			ans := post(t, bot, c.source, c.source, body, "accepted")
			if ans.Actions != 1 || ans.EventID != id {
				t.Errorf("answer = %+v; want 1 action for event %s", ans, id)
			}
			to := c.postedTo
			if to == "" {
				to = c.target
			}
			WaitFor(t, 10*time.Second, "the reply at the fake", func() bool { return len(f.to(to)) > 0 })
			waitIdle(t, bot)
			got := f.to(to)
			if len(got) != 1 {
				t.Fatalf("%d requests for %s; want exactly 1", len(got), to)
			}
			if c.source == "whmcs" {
				checkWHMCS(t, c, got[0])
			} else {
				checkIntercom(t, c, got[0])
			}
			h := history(t, bot, "event_id="+id)
			if len(h) != 1 || h[0].Outcome != "sent" || h[0].Rule != c.name || h[0].ResponseID != got[0].ResponseID {
				t.Errorf("history = %+v; want one sent record of rule %s with response id %s", h, c.name, got[0].ResponseID)
			}
		})
	}
}

func checkIntercom(t *testing.T, c replyCase, got platformfake.Recorded) {
	t.Helper()
	if got.Path != c.path {
		t.Errorf("path = %s; want %s", got.Path, c.path)
	}
	if got.Header.Get("Authorization") != "Bearer "+IntercomToken || got.Header.Get("Intercom-Version") != "2.14" {
		t.Errorf("headers = %v", got.Header)
	}
	body := map[string]any{}
	for k, v := range got.Body {
		body[k] = v
	}
	opts, hasOpts := body["reply_options"].([]any)
	delete(body, "reply_options")
	if !reflect.DeepEqual(body, c.body) {
		t.Errorf("body = %s\nwant   %s", jsonString(body), jsonString(c.body))
	}
	if c.options == nil {
		if hasOpts {
			t.Errorf("reply_options = %v; want none", opts)
		}
		return
	}
	var texts []string
	seen := map[string]bool{}
	for _, o := range opts {
		m, _ := o.(map[string]any)
		text, _ := m["text"].(string)
		id, _ := m["uuid"].(string)
		texts = append(texts, text)
		if _, err := uuid.Parse(id); err != nil || len(id) != 36 || seen[id] {
			t.Errorf("option %q: uuid %q is not a fresh canonical UUID", text, id)
		}
		seen[id] = true
	}
	if !reflect.DeepEqual(texts, c.options) {
		t.Errorf("option texts = %q; want %q", texts, c.options)
	}
}

func checkWHMCS(t *testing.T, c replyCase, got platformfake.Recorded) {
	t.Helper()
	if got.Endpoint != c.endpoint {
		t.Errorf("endpoint = %s; want %s", got.Endpoint, c.endpoint)
	}
	if got.Header.Get("Authorization") != "Bearer "+WHMCSToken {
		t.Errorf("Authorization = %q", got.Header.Get("Authorization"))
	}
	form := map[string]string{}
	for k, v := range got.Form {
		form[k] = v
	}
	_, hasCustom := form["customfields"]
	delete(form, "customfields")
	if !reflect.DeepEqual(form, c.form) {
		t.Errorf("form = %v\nwant   %v", form, c.form)
	}
	if c.custom == nil {
		if hasCustom {
			t.Errorf("customfields sent: %v; want none", got.CustomFields)
		}
		return
	}
	if !reflect.DeepEqual(got.CustomFields, c.custom) {
		t.Errorf("custom fields = %v; want %v", got.CustomFields, c.custom)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
