package intercom

import (
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// Build implements platform.Platform: it fills ev from an Intercom
// notification.
func (*Platform) Build(ev *event.Event, root map[string]any, _ *platform.Delivery) error {
	typ, err := payload.RequiredString(root, "type", "type")
	if err != nil {
		return err
	}
	if typ != "notification_event" {
		return payload.BadRequestf("type must be \"notification_event\", not %q", typ)
	}
	if ev.Topic, err = payload.RequiredString(root, "topic", "topic"); err != nil {
		return err
	}
	ping := ev.Topic == TopicPing
	if ping {
		// Intercom sends ping with a null id; take whatever string is there.
		ev.ID, _ = root["id"].(string)
	} else if ev.ID, err = payload.RequiredString(root, "id", "id"); err != nil {
		return err
	}
	if ev.OccurredAt, err = unixTime(root["created_at"], "created_at"); err != nil {
		return err
	}
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = ev.ReceivedAt
	}
	if ping {
		ev.Item = payload.Object(payload.Object(root["data"])["item"])
		return nil
	}

	data, err := payload.RequiredObject(root, "data", "data")
	if err != nil {
		return err
	}
	item, err := payload.RequiredObject(data, "item", "data.item")
	if err != nil {
		return err
	}
	ev.Item = item
	itemType, err := payload.RequiredString(item, "type", "data.item.type")
	if err != nil {
		return err
	}
	switch itemType {
	case "conversation":
		err = buildConversation(ev, item)
	case "ticket":
		err = buildTicket(ev, item)
	case "ticket_ticket_part":
		err = buildTicketPart(ev, item)
	default:
		// Some other object (a contact, a company...): no target, no
		// message. Rules can still read it through item.
		ev.Contact = contact(item)
		if itemType == "contact" { // the language set for the contact, else its browser's
			ev.Language = event.NormalizeLanguage(cmp.Or(payload.Str(item["language_override"]), payload.Str(item["browser_language"])))
		}
	}
	if err != nil {
		return err
	}
	fillContactFromAuthor(ev)
	if ev.Contact != nil {
		// once and cooldown claims are keyed by the contact id.
		return payload.BoundedID(ev.Contact.ID, "contact id")
	}
	return nil
}

func buildConversation(ev *event.Event, item map[string]any) error {
	id, err := payload.RequiredID(item, "id", "data.item.id")
	if err != nil {
		return err
	}
	ev.Target = event.Target{Type: event.TargetConversation, ID: id}
	var m map[string]any
	if strings.HasPrefix(ev.Topic, "conversation.") && strings.HasSuffix(ev.Topic, ".created") {
		// The conversation's first message: "source" in API 2.x,
		// "conversation_message" before.
		if m = payload.Object(item["source"]); m == nil {
			m = payload.Object(item["conversation_message"])
		}
	} else {
		// Replies, notes and every other change: the newest part.
		parts, _ := payload.Object(item["conversation_parts"])["conversation_parts"].([]any)
		if len(parts) > 0 {
			m = payload.Object(parts[len(parts)-1])
		}
	}
	if m != nil {
		ev.Message = payload.Message(payload.Str(m["id"]), payload.Str(m["body"]), payload.Object(m["author"]))
	}
	ev.Contact = contact(item)
	ev.Tags = tags(item)
	return nil
}

func buildTicket(ev *event.Event, item map[string]any) error {
	id, err := payload.RequiredID(item, "id", "data.item.id")
	if err != nil {
		return err
	}
	ev.Target = event.Target{Type: event.TargetTicket, ID: id}
	ev.Ticket = ticketOf(id, item)
	ev.Contact = contact(item)
	ev.Tags = tags(item)
	if ev.Topic == "ticket.created" {
		// Fin often creates the ticket: most parts are bookkeeping by a
		// bot or an admin. The customer's words, if any, are the first
		// comment.
		parts, _ := payload.Object(item["ticket_parts"])["ticket_parts"].([]any)
		for _, p := range parts {
			if p := payload.Object(p); p != nil && payload.Str(p["part_type"]) == "comment" {
				ev.Message = payload.Message(payload.Str(p["id"]), payload.Str(p["body"]), payload.Object(p["author"]))
				break
			}
		}
	}
	return nil
}

func buildTicketPart(ev *event.Event, item map[string]any) error {
	t, err := payload.RequiredObject(item, "ticket", "data.item.ticket")
	if err != nil {
		return err
	}
	id, err := payload.RequiredID(t, "id", "data.item.ticket.id")
	if err != nil {
		return err
	}
	ev.Target = event.Target{Type: event.TargetTicket, ID: id}
	ev.Ticket = ticketOf(id, t)
	ev.Contact = contact(t)
	ev.Tags = tags(t)
	if p := payload.Object(item["ticket_part"]); p != nil {
		ev.Message = payload.Message(payload.Str(p["id"]), payload.Str(p["body"]), payload.Object(p["author"]))
	}
	return nil
}

// ticketOf reads an Intercom ticket object.
func ticketOf(id string, t map[string]any) *event.Ticket {
	attrs := payload.Object(t["ticket_attributes"])
	tk := &event.Ticket{
		ID:         id,
		Number:     payload.Str(t["ticket_id"]),
		Attributes: attrs,
	}
	tk.Subject, _ = attrs["_default_title_"].(string)
	switch s := t["ticket_state"].(type) {
	case map[string]any:
		tk.State = payload.Str(s["category"])
		tk.StateLabel = payload.Str(s["external_label"])
	case string:
		tk.State = s
	}
	switch tt := t["ticket_type"].(type) {
	case map[string]any:
		tk.Type = payload.Str(tt["name"])
	case string:
		tk.Type = tt
	}
	return tk
}

// contact reads the customer of a conversation or ticket: the first of
// "contacts" (API 2.x) or "user" (older versions).
func contact(item map[string]any) *event.Contact {
	list, _ := payload.Object(item["contacts"])["contacts"].([]any)
	if len(list) > 0 {
		if c := payload.Object(list[0]); c != nil {
			return &event.Contact{ID: payload.Str(c["id"]), ExternalID: payload.Str(c["external_id"]), Email: payload.Str(c["email"]), Name: payload.Str(c["name"])}
		}
	}
	if u := payload.Object(item["user"]); u != nil {
		return &event.Contact{ID: payload.Str(u["id"]), ExternalID: payload.Str(u["user_id"]), Email: payload.Str(u["email"]), Name: payload.Str(u["name"])}
	}
	return nil
}

// fillContactFromAuthor completes the contact from the message's author when
// a customer wrote the message: 2.x contact references carry only ids, the
// author carries name and email. The author must be the contact (same id,
// or one of the ids unknown); a conversation with several contacts must not
// get another person's address. With no contact at all, the author becomes
// the contact.
func fillContactFromAuthor(ev *event.Event) {
	if ev.Message == nil {
		return
	}
	a := ev.Message.Author
	switch a.Type {
	case "user", "lead", "contact":
	default:
		return
	}
	c := ev.Contact
	if c == nil {
		ev.Contact = &event.Contact{ID: a.ID, Email: a.Email, Name: a.Name}
		return
	}
	if c.ID != "" && a.ID != "" && c.ID != a.ID {
		return
	}
	if c.Email == "" {
		c.Email = a.Email
	}
	if c.Name == "" {
		c.Name = a.Name
	}
}

// tags collects the names in "tags" and "tags_added", without duplicates,
// in order of appearance.
func tags(item map[string]any) []string {
	var names []string
	var seen map[string]bool // only for long lists
	for _, key := range [...]string{"tags", "tags_added"} {
		list, _ := payload.Object(item[key])["tags"].([]any)
		for _, t := range list {
			var name string
			switch t := t.(type) {
			case map[string]any:
				name = payload.Str(t["name"])
			case string:
				name = t
			}
			if name == "" || contains(names, name, seen) {
				continue
			}
			names = append(names, name)
			if seen != nil {
				seen[name] = true
			} else if len(names) > 16 {
				seen = make(map[string]bool, 2*len(names))
				for _, n := range names {
					seen[n] = true
				}
			}
		}
	}
	return names
}

func contains(list []string, s string, seen map[string]bool) bool {
	if seen != nil {
		return seen[s]
	}
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unixTime reads unix seconds given as a number or a numeric string. A
// missing or null value is the zero time.
func unixTime(v any, path string) (time.Time, error) {
	var f float64
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case float64:
		f = x
	case int64:
		f = float64(x)
	case json.Number: // an integer beyond int64 (exactNumbers): out of range below
		f, _ = strconv.ParseFloat(string(x), 64)
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			f = float64(n)
		} else if n, err := strconv.ParseFloat(x, 64); err == nil {
			f = n
		} else {
			return time.Time{}, payload.BadRequestf("%s must be unix seconds, not %q", path, x)
		}
	default:
		return time.Time{}, payload.BadRequestf("%s must be unix seconds, not %s", path, payload.TypeName(v))
	}
	// Years 1970 to 5138; rejects NaN, infinities and negative times.
	if !(f >= 0 && f < 1e11) {
		return time.Time{}, payload.BadRequestf("%s out of range: %s", path, payload.Str(f))
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}
