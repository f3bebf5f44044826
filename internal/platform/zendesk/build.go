package zendesk

import (
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// Build implements platform.Platform. Zendesk sends two shapes to a
// webhook: the event-subscription envelope it defines ("type":
// "zen:event-type:...") and, from a trigger or automation, the body the
// admin wrote, which must be the one in docs/platforms/zendesk.md
// ("ticket_id" and "event"). The shape is told by those keys.
func (Platform) Build(ev *event.Event, root map[string]any, d *platform.Delivery) error {
	_, hasType := root["type"]
	_, hasTicketID := root["ticket_id"]
	switch {
	case isSubscription(root) || hasType && !hasTicketID:
		return buildSubscription(ev, root)
	case hasTicketID:
		raw := ev.Raw
		if len(raw) == 0 && d != nil {
			raw = d.Body
		}
		return buildTrigger(ev, root, raw)
	}
	return payload.BadRequest("type missing (an event-subscription webhook) and ticket_id missing (the trigger body of docs/platforms/zendesk.md)")
}

// isSubscription reports whether a body is Zendesk's event-subscription
// envelope. A trigger body may carry a "type" key of the admin's own.
func isSubscription(root map[string]any) bool {
	t, _ := root["type"].(string)
	return strings.HasPrefix(t, eventTypePrefix)
}

// buildSubscription reads the event-subscription envelope: type, id (the
// event id, which Zendesk documents as the dedup key), time, subject
// ("zen:ticket:N"), detail (the ticket) and event (type-specific).
func buildSubscription(ev *event.Event, root map[string]any) error {
	var err error
	if ev.Topic, err = payload.RequiredString(root, "type", "type"); err != nil {
		return err
	}
	if !strings.HasPrefix(ev.Topic, eventTypePrefix) {
		return payload.BadRequestf("type %q is not a Zendesk event type (%s...)", clip(ev.Topic), eventTypePrefix)
	}
	if ev.ID, err = payload.RequiredID(root, "id", "id"); err != nil {
		return err
	}
	if ev.OccurredAt, err = optTime(root, "time", "time"); err != nil {
		return err
	}
	subject, err := optText(root, "subject", "subject")
	if err != nil {
		return err
	}
	detail, err := optObject(root, "detail", "detail")
	if err != nil {
		return err
	}
	body, err := optObject(root, "event", "event")
	if err != nil {
		return err
	}
	ev.Item = detail
	if !strings.HasPrefix(ev.Topic, ticketEventPrefix) && !strings.HasPrefix(ev.Topic, messagingTicketPrefix) {
		// A user or organization event: detail is not a ticket and there
		// is nothing to reply to.
		return nil
	}

	t, err := readDetail(detail, subject)
	if err != nil {
		return err
	}
	ev.Target = event.Target{Type: event.TargetTicket, ID: t.id}
	ev.Ticket = &event.Ticket{ID: t.id, Number: t.id, Subject: t.subject, Status: t.status, Priority: t.priority, Type: t.kind}
	ev.Tags = t.tags
	if t.requesterID != "" {
		ev.Contact = &event.Contact{ID: t.requesterID}
	}

	switch ev.Topic {
	case TopicCommentAdded:
		ev.Message, err = commentMessage(body)
	case TopicMessagingMessage:
		ev.Message, err = messagingMessage(body)
	case TopicTicketCreated:
		ev.Message = t.descriptionMessage()
	}
	return err
}

// ticketDetail is what an event's detail says about its ticket.
type ticketDetail struct {
	id, subject, status, priority, kind string
	requesterID, submitterID, actorID   string
	description                         string
	tags                                []string
}

// readDetail reads the ticket snapshot of a ticket event. Its id is
// detail.id, or the subject's when an event carries no detail. Status,
// priority and type arrive upper case in event payloads and lower case in
// the API and trigger placeholders; they are lower-cased so that one rule
// reads both.
func readDetail(detail map[string]any, subject string) (ticketDetail, error) {
	var t ticketDetail
	var err error
	if detail == nil || detail["id"] == nil {
		id, ok := subjectTicketID(subject)
		if !ok {
			return t, payload.BadRequest("detail.id missing (the ticket of a ticket event), and subject is not zen:ticket:<id>")
		}
		t.id = id
	} else if t.id, err = ticketID(detail, "id", "detail.id"); err != nil {
		return t, err
	}
	for _, f := range [...]struct {
		key string
		dst *string
		id  bool
	}{
		{"subject", &t.subject, false}, {"status", &t.status, false}, {"priority", &t.priority, false},
		{"type", &t.kind, false}, {"description", &t.description, false},
		{"requester_id", &t.requesterID, true}, {"submitter_id", &t.submitterID, true}, {"actor_id", &t.actorID, true},
	} {
		read := optText
		if f.id {
			read = optID
		}
		if *f.dst, err = read(detail, f.key, "detail."+f.key); err != nil {
			return t, err
		}
	}
	t.status, t.priority, t.kind = strings.ToLower(t.status), strings.ToLower(t.priority), strings.ToLower(t.kind)
	t.tags, err = tagList(detail, "tags", "detail.tags")
	return t, err
}

// descriptionMessage is a new ticket's first comment, written by its
// submitter: the requester, or an agent opening it on their behalf.
func (t ticketDetail) descriptionMessage() *event.Message {
	if t.description == "" {
		return nil
	}
	author := event.Author{ID: t.submitterID}
	switch {
	case t.submitterID == "":
	case t.submitterID == t.requesterID:
		author.Type = authorTypeEndUser
	default:
		author.Type = authorTypeAgent
	}
	return &event.Message{HTML: t.description, Text: event.MessageText(t.description), Author: author}
}

// commentMessage reads event.comment of ticket.comment_added: {id, body,
// is_public, author: {id, is_staff, name}}. The author's type is "agent"
// for staff and "end_user" otherwise, the words of Zendesk's messaging
// events.
func commentMessage(body map[string]any) (*event.Message, error) {
	if body == nil {
		return nil, payload.BadRequest("event missing (a comment_added event carries event.comment)")
	}
	c, err := payload.RequiredObject(body, "comment", "event.comment")
	if err != nil {
		return nil, err
	}
	if _, ok := c["body"]; !ok {
		return nil, payload.BadRequest("event.comment.body missing")
	}
	text, err := optText(c, "body", "event.comment.body")
	if err != nil {
		return nil, err
	}
	id, err := optID(c, "id", "event.comment.id")
	if err != nil {
		return nil, err
	}
	if _, _, err := optBool(c, "is_public", "event.comment.is_public"); err != nil {
		return nil, err
	}
	author, err := optObject(c, "author", "event.comment.author")
	if err != nil {
		return nil, err
	}
	a, err := readAuthor(author, "event.comment.author")
	if err != nil {
		return nil, err
	}
	staff, known, err := optBool(author, "is_staff", "event.comment.author.is_staff")
	if err != nil {
		return nil, err
	}
	switch {
	case !known:
	case staff:
		a.Type = authorTypeAgent
	default:
		a.Type = authorTypeEndUser
	}
	return &event.Message{ID: id, HTML: text, Text: event.MessageText(text), Author: a}, nil
}

// messagingMessage reads messaging_ticket.message_added: event.message
// {id, body} and event.actor {type: end_user|agent|trigger|system, id,
// name}. Only the actor types are documented; the rest of the shape is
// read leniently.
func messagingMessage(body map[string]any) (*event.Message, error) {
	if body == nil {
		return nil, payload.BadRequest("event missing (a message_added event carries event.message)")
	}
	msg, err := payload.RequiredObject(body, "message", "event.message")
	if err != nil {
		return nil, err
	}
	text, err := optText(msg, "body", "event.message.body")
	if err != nil {
		return nil, err
	}
	id, err := optID(msg, "id", "event.message.id")
	if err != nil {
		return nil, err
	}
	actor, err := optObject(body, "actor", "event.actor")
	if err != nil {
		return nil, err
	}
	a, err := readAuthor(actor, "event.actor")
	if err != nil {
		return nil, err
	}
	if a.Type, err = optText(actor, "type", "event.actor.type"); err != nil {
		return nil, err
	}
	return &event.Message{ID: id, HTML: text, Text: event.MessageText(text), Author: a}, nil
}

// readAuthor reads id, name and email of a user object (nil: nobody).
func readAuthor(m map[string]any, path string) (event.Author, error) {
	var a event.Author
	var err error
	if a.ID, err = optID(m, "id", path+".id"); err != nil {
		return a, err
	}
	if a.Name, err = optText(m, "name", path+".name"); err != nil {
		return a, err
	}
	a.Email, err = optText(m, "email", path+".email")
	return a, err
}
