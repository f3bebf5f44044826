package chatwoot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// Build implements platform.Platform. Chatwoot sends the object itself with
// an "event" key added: a message (message_*), a conversation
// (conversation_*), a contact (contact_*) or a contact inbox
// (webwidget_triggered). That object is ev.Item.
//
// ev.ID is the X-Chatwoot-Delivery header, which Chatwoot's retries repeat.
// Deliveries without it (unsigned, from older versions) get a digest of the
// body: the same bytes sent again are the same event.
func (Platform) Build(ev *event.Event, root map[string]any, d *platform.Delivery) error {
	topic, err := payload.RequiredString(root, "event", "event")
	if err != nil {
		return err
	}
	ev.Topic = topic
	if ev.ID, err = deliveryID(d); err != nil {
		return err
	}
	ev.Item = root
	switch {
	case strings.HasPrefix(topic, "message_"):
		err = buildMessageEvent(ev, root)
	case strings.HasPrefix(topic, "conversation_"):
		err = buildConversationEvent(ev, root)
	case strings.HasPrefix(topic, "contact_"):
		ev.Contact = contactOf(root)
	case topic == "webwidget_triggered":
		err = buildWidgetEvent(ev, root)
	default:
		// An event this package does not know: rules still see it
		// through item, without a target.
		ev.Contact = contactOf(payload.Object(root["contact"]))
	}
	if err != nil {
		return err
	}
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = ev.ReceivedAt
	}
	if ev.Contact != nil {
		// once and cooldown claims are keyed by the contact id.
		return payload.BoundedID(ev.Contact.ID, "contact id")
	}
	return nil
}

// deliveryID is the event id: the delivery header, else a body digest.
func deliveryID(d *platform.Delivery) (string, error) {
	values := d.Header.Values(HeaderDelivery)
	if len(values) > 1 {
		return "", payload.BadRequest(HeaderDelivery + " header given more than once")
	}
	if len(values) == 1 && values[0] != "" {
		return values[0], payload.BoundedID(values[0], HeaderDelivery+" header")
	}
	sum := sha256.Sum256(d.Body)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// buildMessageEvent reads message_created and message_updated: the
// message at the top level, its conversation under "conversation".
func buildMessageEvent(ev *event.Event, root map[string]any) error {
	conv, err := payload.RequiredObject(root, "conversation", "conversation")
	if err != nil {
		return err
	}
	if err := readConversation(ev, conv, "conversation."); err != nil {
		return err
	}
	id, err := payload.RequiredID(root, "id", "id")
	if err != nil {
		return err
	}
	content, err := optionalString(root, "content", "content")
	if err != nil {
		return err
	}
	if err := checkMessageFlags(root, ""); err != nil {
		return err
	}
	sender := payload.Object(root["sender"])
	ev.Message = payload.Message(id, content, sender)
	ev.OccurredAt = timeOf(root["created_at"])
	if ev.Contact == nil && payload.Str(sender["type"]) == SenderContact {
		ev.Contact = contactOf(sender)
	}
	return nil
}

// buildConversationEvent reads conversation_*: the conversation at the top
// level. conversation_created also carries the conversation's latest
// message (its first, usually), which becomes ev.Message; other
// conversation events are not about a message.
func buildConversationEvent(ev *event.Event, root map[string]any) error {
	if err := readConversation(ev, root, ""); err != nil {
		return err
	}
	ev.OccurredAt = firstTime(root["updated_at"], root["timestamp"], root["created_at"])
	if ev.Topic != "conversation_created" {
		return nil
	}
	m := latestMessage(root)
	if m == nil {
		return nil
	}
	id, err := payload.RequiredID(m, "id", "messages[].id")
	if err != nil {
		return err
	}
	content, err := optionalString(m, "content", "messages[].content")
	if err != nil {
		return err
	}
	if err := checkMessageFlags(m, "messages[]."); err != nil {
		return err
	}
	ev.Message = payload.Message(id, content, messageSender(m))
	return nil
}

// buildWidgetEvent reads webwidget_triggered: a contact inbox, with the
// visitor's open conversation when there is one.
func buildWidgetEvent(ev *event.Event, root map[string]any) error {
	ev.Contact = contactOf(payload.Object(root["contact"]))
	ev.Language = event.NormalizeLanguage(payload.Str(payload.Object(root["event_info"])["browser_language"]))
	if conv := payload.Object(root["current_conversation"]); conv != nil {
		id, err := conversationID(conv, "current_conversation.")
		if err != nil {
			return err
		}
		ev.Target = event.Target{Type: event.TargetConversation, ID: id}
	}
	return nil
}

// readConversation fills the target, contact, labels and state from a
// conversation object; path prefixes its fields in errors.
func readConversation(ev *event.Event, conv map[string]any, path string) error {
	id, err := conversationID(conv, path)
	if err != nil {
		return err
	}
	ev.Target = event.Target{Type: event.TargetConversation, ID: id}
	ev.Contact = contactOf(payload.Object(payload.Object(conv["meta"])["sender"]))
	// Widget conversations keep the visitor's browser language.
	ev.Language = event.NormalizeLanguage(payload.Str(payload.Object(conv["additional_attributes"])["browser_language"]))
	if ev.Tags, err = labels(conv, path+"labels"); err != nil {
		return err
	}
	// Chatwoot has no tickets; the conversation's state is where rules
	// written for other platforms look for it.
	ev.Ticket = &event.Ticket{
		ID:       id,
		Number:   id,
		Status:   payload.Str(conv["status"]),
		Priority: payload.Str(conv["priority"]),
		Subject:  payload.Str(payload.Object(conv["additional_attributes"])["mail_subject"]),
	}
	return nil
}

// conversationID is the conversation's display id, the number the
// dashboard shows and the API's URLs take. Chatwoot sends it as "id" (the
// database id never appears in webhooks); old documentation and some forks
// call it "display_id", which wins when present.
func conversationID(conv map[string]any, path string) (string, error) {
	key := "id"
	if v, ok := conv["display_id"]; ok && v != nil {
		key = "display_id"
	}
	id, err := payload.RequiredID(conv, key, path+key)
	if err != nil {
		return "", err
	}
	if !isWholeNumber(id) {
		return "", payload.BadRequestf("%s%s must be a whole number, not %q", path, key, id)
	}
	return id, nil
}

// labels reads the conversation's labels (Chatwoot's tags): a list of
// names.
func labels(conv map[string]any, path string) ([]string, error) {
	v, ok := conv["labels"]
	if !ok || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, payload.BadRequestf("%s must be an array, not %s", path, payload.TypeName(v))
	}
	tags := make([]string, 0, len(list))
	for _, l := range list {
		s, ok := l.(string)
		if !ok {
			return nil, payload.BadRequestf("%s must hold strings, not %s", path, payload.TypeName(l))
		}
		tags = append(tags, s)
	}
	return tags, nil
}

// contactOf reads a contact object (meta.sender, a contact event, a
// message's contact sender); nil when there is none.
func contactOf(c map[string]any) *event.Contact {
	if c == nil {
		return nil
	}
	if t := payload.Str(c["type"]); t != "" && t != SenderContact {
		return nil
	}
	id := payload.Str(c["id"])
	if id == "" {
		return nil
	}
	return &event.Contact{
		ID:         id,
		ExternalID: payload.Str(c["identifier"]),
		Email:      payload.Str(c["email"]),
		Name:       payload.Str(c["name"]),
	}
}

// latestMessage is the last of a conversation's "messages" (Chatwoot sends
// the latest public one).
func latestMessage(conv map[string]any) map[string]any {
	list, _ := conv["messages"].([]any)
	if len(list) == 0 {
		return nil
	}
	return payload.Object(list[len(list)-1])
}

// messageSender is the author of a message inside a conversation: its
// "sender" object, or failing that its sender_type and sender_id (the
// model's class name: Contact, User, AgentBot) in Chatwoot's webhook words.
func messageSender(m map[string]any) map[string]any {
	if s := payload.Object(m["sender"]); s != nil {
		return s
	}
	var typ string
	switch payload.Str(m["sender_type"]) {
	case "Contact":
		typ = SenderContact
	case "User":
		typ = SenderUser
	case "AgentBot":
		typ = SenderAgentBot
	default:
		return nil
	}
	return map[string]any{"type": typ, "id": m["sender_id"]}
}

// checkMessageFlags refuses a message_type or private of the wrong type:
// the loop guard reads them.
func checkMessageFlags(m map[string]any, path string) error {
	if v, ok := m["message_type"]; ok && v != nil {
		if _, ok := messageTypeName(v); !ok {
			return payload.BadRequestf("%smessage_type must be a message type name or number, not %s", path, payload.TypeName(v))
		}
	}
	if v, ok := m["private"]; ok && v != nil {
		if _, ok := v.(bool); !ok {
			return payload.BadRequestf("%sprivate must be a boolean, not %s", path, payload.TypeName(v))
		}
	}
	return nil
}

// messageTypeName reads a message_type as its name: Chatwoot sends names at
// the top level of a message event and numbers inside a conversation's
// messages. ok is false for a value that is neither; a name or number this
// package does not know reads as itself or "".
func messageTypeName(v any) (name string, ok bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		switch x {
		case 0:
			return "incoming", true
		case 1:
			return "outgoing", true
		case 2:
			return "activity", true
		case 3:
			return "template", true
		}
		return "", true
	case int64, json.Number:
		return "", true // beyond 2^53: no message type
	}
	return "", false
}

// timeOf reads a timestamp: RFC 3339 or "2006-01-02 15:04:05 UTC" text
// (messages), or unix seconds (conversations). Anything else is the zero
// time: the time an event happened is not worth refusing it for.
func timeOf(v any) time.Time {
	switch x := v.(type) {
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t
			}
		}
	case float64:
		// Up to the year 5138; a float beyond int64 must not be converted.
		if x > 0 && x < 1e11 {
			sec, frac := math.Modf(x)
			return time.Unix(int64(sec), int64(frac*1e9))
		}
	}
	return time.Time{}
}

func firstTime(vs ...any) time.Time {
	for _, v := range vs {
		if t := timeOf(v); !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// optionalString reads a string that may be absent or null ("" then).
func optionalString(m map[string]any, key, path string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", payload.BadRequestf("%s must be a string, not %s", path, payload.TypeName(v))
	}
	return s, nil
}
