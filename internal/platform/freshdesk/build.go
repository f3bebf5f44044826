package freshdesk

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// RecommendedBody is the JSON the docs tell an admin to paste into the
// automation rule's Trigger Webhook action (Content: Advanced). Build parses
// exactly this shape: the "freshdesk_webhook" wrapper and ticket_* keys are
// those of the widely used Simple/Zulip layout, which the reference
// payloads show; ticket_tags, ticket_latest_public_comment and user_type
// are ours. docs/platforms/freshdesk.md quotes it verbatim (a test checks).
const RecommendedBody = `{"freshdesk_webhook": {
  "triggered_event": "{{triggered_event}}",
  "ticket_id": "{{ticket.id}}",
  "ticket_url": "{{ticket.url}}",
  "ticket_type": "{{ticket.ticket_type}}",
  "ticket_subject": "{{ticket.subject}}",
  "ticket_description": "{{ticket.description}}",
  "ticket_status": "{{ticket.status}}",
  "ticket_priority": "{{ticket.priority}}",
  "ticket_tags": "{{ticket.tags}}",
  "ticket_latest_public_comment": "{{ticket.latest_public_comment}}",
  "requester_name": "{{ticket.requester.name}}",
  "requester_email": "{{ticket.requester.email}}",
  "user_type": "requester"
}}`

// Keys of the webhook object.
const (
	keyWrapper        = "freshdesk_webhook"
	keyEvent          = "triggered_event"
	keyTicketID       = "ticket_id"
	keyType           = "ticket_type"
	keySubject        = "ticket_subject"
	keyDescription    = "ticket_description"
	keyStatus         = "ticket_status"
	keyPriority       = "ticket_priority"
	keyTags           = "ticket_tags"
	keyPublicComment  = "ticket_latest_public_comment"
	keyPrivateComment = "ticket_latest_private_comment"
	keyRequesterID    = "requester_id"
	keyRequesterName  = "requester_name"
	keyRequesterEmail = "requester_email"
	// Who performed the event: written by the admin to match the rule's
	// "event performer" condition (requester, agent or system), with the
	// performer's id or email when the rule can name them.
	keyUserType  = "user_type"
	keyUserID    = "user_id"
	keyUserEmail = "user_email"
)

// Author types (the words of Freshdesk's "event performer" condition).
const (
	AuthorRequester = "requester"
	AuthorAgent     = "agent"
	AuthorSystem    = "system"
)

// Build normalises one automation webhook. Freshdesk sends no delivery id:
// the event id is the SHA-256 of the body, which a retry repeats byte for
// byte, so retries are deduplicated (two different events rendering the
// identical body would be too).
func (Platform) Build(ev *event.Event, root map[string]any, d *platform.Delivery) error {
	w, err := payload.RequiredObject(root, keyWrapper, keyWrapper)
	if err != nil {
		return err
	}
	f := fields{obj: w}
	rawEvent, err := payload.RequiredString(w, keyEvent, path(keyEvent))
	if err != nil {
		return err
	}
	topic, err := topicOf(rawEvent)
	if err != nil {
		return err
	}
	ticketID, err := payload.RequiredID(w, keyTicketID, path(keyTicketID))
	if err != nil {
		return err
	}
	if !isTicketID(ticketID) {
		return payload.BadRequestf("%s must be a ticket number (is the placeholder {{ticket.id}} spelled right?)", path(keyTicketID))
	}

	sum := sha256.Sum256(d.Body)
	ev.ID = "sha256:" + hex.EncodeToString(sum[:])
	ev.Topic = topic
	ev.Target = event.Target{Type: event.TargetTicket, ID: ticketID}
	ev.Ticket = &event.Ticket{
		ID:       ticketID,
		Number:   ticketID,
		Subject:  f.str(keySubject),
		Type:     f.str(keyType),
		Status:   f.str(keyStatus),
		Priority: f.str(keyPriority),
	}
	ev.Tags = splitTags(f.str(keyTags))
	ev.Item = w

	requester := event.Contact{ID: f.str(keyRequesterID), Name: f.str(keyRequesterName), Email: f.str(keyRequesterEmail)}
	if requester != (event.Contact{}) {
		ev.Contact = &requester
	}
	ev.Message = message(topic, &f, requester)
	if f.err != nil {
		return f.err
	}
	return payload.BoundedID(requester.ID, path(keyRequesterID))
}

// message is what the event is about: the description of a new ticket, the
// latest private comment of a private note, else the latest public comment.
// It is nil when the body carries neither a text nor a performer.
func message(topic string, f *fields, requester event.Contact) *event.Message {
	var body string
	switch topic {
	case TopicTicketCreated:
		body = f.str(keyDescription)
	case TopicPrivateNote:
		body = f.str(keyPrivateComment)
	default:
		body = f.str(keyPublicComment)
	}
	author := event.Author{Type: strings.ToLower(f.str(keyUserType)), ID: f.str(keyUserID), Email: f.str(keyUserEmail)}
	if author.Type == "" && topic == TopicTicketCreated {
		author.Type = AuthorRequester // the requester wrote the description
	}
	if author.Type == AuthorRequester {
		author.ID = orElse(author.ID, requester.ID)
		author.Name = requester.Name
		author.Email = orElse(author.Email, requester.Email)
	}
	if body == "" && author == (event.Author{}) {
		return nil
	}
	return &event.Message{HTML: body, Text: event.MessageText(body), Author: author}
}

func orElse(v, fallback string) string {
	if v != "" {
		return v
	}
	return fallback
}

// topicOf reads the event name out of what {{triggered_event}} renders:
// "{ticket_action:created}" is "ticket_action:created", a change such as
// "{status:{from:4,to:6}}" is its key, "status". A body that names its
// event without braces keeps the name as written.
func topicOf(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if inner, ok := strings.CutPrefix(s, "{"); ok {
		if inner, ok = strings.CutSuffix(inner, "}"); ok {
			s = inner
			if key, value, ok := strings.Cut(inner, ":"); ok {
				key, value = strings.TrimSpace(key), strings.TrimSpace(value)
				if strings.HasPrefix(value, "{") || strings.Contains(value, ",") {
					s = key
				} else {
					s = key + ":" + value
				}
			}
		}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", payload.BadRequest(path(keyEvent) + " names no event")
	}
	return s, payload.BoundedID(s, path(keyEvent))
}

// splitTags reads {{ticket.tags}}, a comma-separated list.
func splitTags(s string) []string {
	var tags []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}

func path(key string) string { return keyWrapper + "." + key }

// fields reads the optional keys of the webhook object, keeping the first
// type error: every placeholder renders as a string, so an object or an
// array where a value belongs is an admin's typo worth a 400.
type fields struct {
	obj map[string]any
	err error
}

func (f *fields) str(key string) string {
	s, ok := payload.Scalar(f.obj[key])
	if !ok && f.err == nil {
		f.err = payload.BadRequestf("%s must be a string, not %s", path(key), payload.TypeName(f.obj[key]))
	}
	return s
}

// LoopGuard ignores the bot agent's own events (its id or email named as
// the performer) and events a system automation performed.
func (Platform) LoopGuard(ev *event.Event, self []platform.Identity) string {
	if ev.Message == nil {
		return ""
	}
	// Agents and contacts are users of one id space, so an id match is
	// the bot whatever user_type the rule wrote.
	a := ev.Message.Author
	for _, id := range self {
		for _, v := range id.IDs {
			if a.ID != "" && a.ID == v {
				return platform.IgnoredOwnReply
			}
		}
		for _, v := range id.Names {
			if a.Email != "" && strings.EqualFold(a.Email, v) {
				return platform.IgnoredOwnReply
			}
		}
	}
	if a.Type == AuthorSystem {
		return platform.IgnoredBotAuthor
	}
	return ""
}
