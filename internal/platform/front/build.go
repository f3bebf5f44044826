package front

import (
	"math"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// Author types: Front's own words. A message's author is a teammate or
// nobody; an inbound message without one was written by the contact.
const (
	AuthorTeammate = "teammate"
	AuthorContact  = "contact"
)

// envelope is where the event object sits in a delivery. A rule webhook's
// body is the event itself; an application webhook wraps it as
// {"type": ..., "authorization": {"id": "cmp_..."}, "payload": <event>}.
type envelope struct {
	evt  map[string]any
	path string // prefix of the event's fields in error reasons
}

// unwrap finds the event of a delivery; sync is true for an application
// webhook's validation request, {"type": "sync", ...}, which has none.
func unwrap(root map[string]any) (env envelope, sync bool, err error) {
	if _, wrapped := root["payload"]; wrapped {
		evt, err := payload.RequiredObject(root, "payload", "payload")
		if err != nil {
			return envelope{}, false, err
		}
		return envelope{evt: evt, path: "payload."}, false, nil
	}
	if root["type"] == topicSync {
		if _, hasConv := root["conversation"]; !hasConv {
			return envelope{}, true, nil
		}
	}
	return envelope{evt: root}, false, nil
}

// Build implements platform.Platform. The event id (evt_..., the id Front
// gives the event itself, the same on every retry) is the dedup key; the
// topic is the event's type (inbound, out_reply, comment, ...) whichever
// webhook kind delivered it; the target is the conversation.
func (Platform) Build(ev *event.Event, root map[string]any, _ *platform.Delivery) error {
	env, sync, err := unwrap(root)
	if err != nil {
		return err
	}
	if sync {
		ev.Topic = topicSync
		return nil
	}
	evt, at := env.evt, env.path

	if ev.Topic, err = topic(root, env); err != nil {
		return err
	}
	if ev.ID, err = payload.RequiredID(evt, "id", at+"id"); err != nil {
		return err
	}
	ev.OccurredAt = unixSeconds(evt["emitted_at"])

	conv, err := payload.RequiredObject(evt, "conversation", at+"conversation")
	if err != nil {
		return err
	}
	convID, err := payload.RequiredID(conv, "id", at+"conversation.id")
	if err != nil {
		return err
	}
	ev.Target = event.Target{Type: event.TargetConversation, ID: convID}
	ev.Item = conv
	ev.Ticket = ticket(convID, conv)
	ev.Tags = tagNames(conv["tags"])
	if ev.Contact, err = contact(conv, at+"conversation.recipient"); err != nil {
		return err
	}
	ev.Message = message(evt)
	return nil
}

// topic is the event's own type; an application webhook whose payload is
// a preview without one falls back to the envelope's type.
func topic(root map[string]any, env envelope) (string, error) {
	if env.path != "" {
		if t, ok := env.evt["type"].(string); ok && t != "" {
			return t, payload.BoundedID(t, env.path+"type")
		}
		return payload.RequiredString(root, "type", "type")
	}
	return payload.RequiredString(env.evt, "type", "type")
}

// unixSeconds reads Front's timestamps: seconds since 1970, often with a
// fraction. Anything else is the zero time.
func unixSeconds(v any) time.Time {
	f, ok := v.(float64)
	if !ok || f <= 0 || f > 1e11 || math.IsNaN(f) {
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func ticket(convID string, conv map[string]any) *event.Ticket {
	t := &event.Ticket{
		ID:      convID,
		Subject: payload.Str(conv["subject"]),
		Status:  payload.Str(conv["status"]),
	}
	// With ticketing on, a conversation carries its ticket ids.
	if ids, ok := conv["ticket_ids"].([]any); ok && len(ids) > 0 {
		t.Number = payload.Str(ids[0])
	}
	return t
}

// tagNames lists the conversation's tag names; tags without a name are
// left out.
func tagNames(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	names := make([]string, 0, len(list))
	for _, t := range list {
		if name := payload.Str(payload.Object(t)["name"]); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// contact is the conversation's main recipient: its handle (an email
// address, or a phone number on SMS channels) and the contact id at the
// end of its contact link.
func contact(conv map[string]any, path string) (*event.Contact, error) {
	r := payload.Object(conv["recipient"])
	if r == nil {
		return nil, nil
	}
	c := &event.Contact{ID: contactID(r)}
	if err := payload.BoundedID(c.ID, path+"._links.related.contact"); err != nil {
		return nil, err
	}
	if handle := payload.Str(r["handle"]); strings.Contains(handle, "@") {
		c.Email = handle
	}
	if c.ID == "" && c.Email == "" {
		return nil, nil
	}
	return c, nil
}

// contactID takes crd_62euuy from .../contacts/crd_62euuy.
func contactID(recipient map[string]any) string {
	link := payload.Str(payload.Object(payload.Object(recipient["_links"])["related"])["contact"])
	if i := strings.LastIndex(link, "/contacts/"); i >= 0 {
		return link[i+len("/contacts/"):]
	}
	return ""
}

// message is the event's target when it is a message or a comment.
func message(evt map[string]any) *event.Message {
	target := payload.Object(evt["target"])
	kind := payload.Str(payload.Object(target["_meta"])["type"])
	data := payload.Object(target["data"])
	if data == nil || (kind != "message" && kind != "comment") {
		return nil
	}
	body := payload.Str(data["body"])
	m := &event.Message{ID: payload.Str(data["id"]), HTML: body, Text: event.MessageText(body)}
	switch author := payload.Object(data["author"]); {
	case author != nil:
		m.Author = event.Author{
			Type:  AuthorTeammate,
			ID:    payload.Str(author["id"]),
			Name:  teammateName(author),
			Email: payload.Str(author["email"]),
		}
	case kind == "message" && data["is_inbound"] == true:
		m.Author = event.Author{Type: AuthorContact, Email: fromHandle(data)}
	}
	return m
}

func teammateName(t map[string]any) string {
	name := strings.TrimSpace(payload.Str(t["first_name"]) + " " + payload.Str(t["last_name"]))
	if name == "" {
		name = payload.Str(t["username"])
	}
	return name
}

// fromHandle is the handle of a message's "from" recipient.
func fromHandle(msg map[string]any) string {
	list, _ := msg["recipients"].([]any)
	for _, r := range list {
		o := payload.Object(r)
		if payload.Str(o["role"]) == "from" {
			return payload.Str(o["handle"])
		}
	}
	return ""
}
