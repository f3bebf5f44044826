package zendesk

import (
	"crypto/sha256"
	"encoding/hex"
	"html"
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// TriggerBody is the webhook body an admin gives a trigger or automation's
// "Notify webhook" action (JSON), exactly as docs/platforms/zendesk.md
// ships it; a test holds the two together. "event" is a literal the admin
// sets per trigger ("ticket.created" for a "Ticket is Created" trigger,
// "ticket.updated" for "Ticket is Updated"); the rest are Zendesk
// placeholders, which arrive rendered as unformatted text. current_user
// is who made the update: for the bot's own replies, the user its token
// authenticates as, which the loop guard knows by email or token_user_id.
const TriggerBody = `{
  "event": "ticket.created",
  "ticket_id": "{{ticket.id}}",
  "updated_at": "{{ticket.updated_at_with_timestamp}}",
  "subject": "{{ticket.title}}",
  "status": "{{ticket.status}}",
  "priority": "{{ticket.priority}}",
  "ticket_type": "{{ticket.ticket_type}}",
  "via": "{{ticket.via}}",
  "tags": "{{ticket.tags}}",
  "requester_id": "{{ticket.requester.id}}",
  "requester_name": "{{ticket.requester.name}}",
  "requester_email": "{{ticket.requester.email}}",
  "current_user_id": "{{current_user.id}}",
  "current_user_name": "{{current_user.name}}",
  "current_user_email": "{{current_user.email}}",
  "current_user_role": "{{current_user.role}}",
  "latest_public_comment": "{{ticket.latest_public_comment}}",
  "link": "{{ticket.link}}"
}`

// triggerBody is the recommended body, read.
type triggerBody struct {
	subject, status, priority, kind, via, tags      string
	requesterID, requesterName, requesterEmail      string
	currentUserID, currentUserName, currentUserRole string
	currentUserEmail, latestPublicComment           string
}

// buildTrigger reads the recommended trigger body. event and ticket_id are
// required; every other key is optional (a placeholder Zendesk suppresses
// renders empty) but must be a string when present. Keys beyond the
// recommended ones are kept in the payload for rules (event.<key>).
//
// A trigger body carries no event id. The id is the ticket id and a hash
// of the body: Zendesk resends the same body when it retries, and two
// updates of a ticket differ in at least their time, user or comment.
func buildTrigger(ev *event.Event, root map[string]any, raw []byte) error {
	var err error
	if ev.Topic, err = payload.RequiredString(root, "event", "event"); err != nil {
		return err
	}
	id, err := ticketID(root, "ticket_id", "ticket_id")
	if err != nil {
		return err
	}
	if ev.OccurredAt, err = optTime(root, "updated_at", "updated_at"); err != nil {
		return err
	}
	var b triggerBody
	for _, f := range [...]struct {
		key string
		dst *string
		id  bool
	}{
		{"subject", &b.subject, false}, {"status", &b.status, false}, {"priority", &b.priority, false},
		{"ticket_type", &b.kind, false}, {"via", &b.via, false}, {"tags", &b.tags, false},
		{"requester_id", &b.requesterID, true}, {"requester_name", &b.requesterName, false},
		{"requester_email", &b.requesterEmail, false}, {"current_user_id", &b.currentUserID, true},
		{"current_user_name", &b.currentUserName, false}, {"current_user_email", &b.currentUserEmail, false},
		{"current_user_role", &b.currentUserRole, false},
		{"latest_public_comment", &b.latestPublicComment, false},
	} {
		read := optText
		if f.id {
			read = optID
		}
		if *f.dst, err = read(root, f.key, f.key); err != nil {
			return err
		}
	}

	sum := sha256.Sum256(raw)
	ev.ID = "trigger:" + id + ":" + hex.EncodeToString(sum[:16])
	ev.Target = event.Target{Type: event.TargetTicket, ID: id}
	ev.Ticket = &event.Ticket{
		ID: id, Number: id, Subject: b.subject,
		Status: strings.ToLower(b.status), Priority: strings.ToLower(b.priority), Type: strings.ToLower(b.kind),
	}
	ev.Tags = strings.Fields(b.tags)
	ev.Item = root
	if b.requesterID != "" || b.requesterEmail != "" || b.requesterName != "" {
		ev.Contact = &event.Contact{ID: b.requesterID, Email: b.requesterEmail, Name: b.requesterName}
	}
	// The update's author is the current user; its message is the latest
	// public comment (on "Ticket is Created", the description). The
	// message is there whenever the user is known, so that the loop guard
	// sees the bot's own updates, notes included.
	if b.currentUserID != "" || b.currentUserEmail != "" || b.latestPublicComment != "" {
		// Placeholders render as unformatted text: a "<b>" the customer
		// typed is two words of text, escaped to be HTML.
		escaped := html.EscapeString(b.latestPublicComment)
		ev.Message = &event.Message{
			HTML: escaped, Text: event.MessageText(escaped),
			Author: event.Author{
				ID: b.currentUserID, Name: b.currentUserName, Email: b.currentUserEmail,
				Type: roleType(b.currentUserRole),
			},
		}
	}
	return nil
}

// roleType classifies {{current_user.role}}, whose exact rendering is not
// documented ("End-user", "end-user", "Agent", "Admin", a custom role):
// an end user is "end_user", any other role "agent", as in events.
func roleType(role string) string {
	r := strings.ToLower(strings.TrimSpace(role))
	switch r {
	case "":
		return ""
	case "end-user", "end_user", "end user", "enduser":
		return authorTypeEndUser
	}
	return authorTypeAgent
}
