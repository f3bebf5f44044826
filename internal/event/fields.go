package event

import "strings"

// Presence says whether the events of a source kind carry a field.
type Presence int

const (
	// Never: the kind never fills the field; reading it is always empty.
	Never Presence = iota + 1
	// Sometimes: some payloads or topics lack it; it is then empty (a
	// string) or nil (an object).
	Sometimes
	// Always: every event that has the object holding the field has it
	// (message.text is always there when message is).
	Always
)

// FieldPresence is the one table of what each source kind sends, by the
// names rules use. internal/webhook fills events to match it (its tests
// parse every captured payload and compare), and `bot check` warns by it
// about rules reading a field that is never there, or printing one that
// may be missing without a fallback. Every field of Event appears for
// every kind (TestFieldPresenceCoversEvent).
var FieldPresence = map[string]map[string]Presence{
	KindIntercom: {
		"source": Always, "kind": Always, "topic": Always, "id": Always,
		"occurred_at": Always, "received_at": Always,
		"target": Always, "target.type": Always, "target.id": Always,
		// message: the conversation's first message or newest part, or a
		// ticket's part; absent on topics without one.
		"message": Sometimes, "message.id": Always, "message.html": Always, "message.text": Always,
		"message.author": Always, "message.author.type": Always, "message.author.id": Sometimes,
		"message.author.name": Sometimes, "message.author.email": Sometimes,
		// contact: leads often have no name or email.
		"contact": Sometimes, "contact.id": Always, "contact.external_id": Sometimes,
		"contact.email": Sometimes, "contact.name": Sometimes,
		// ticket: ticket topics only; the title is an optional attribute.
		"ticket": Sometimes, "ticket.id": Always, "ticket.number": Always, "ticket.subject": Sometimes,
		"ticket.state": Sometimes, "ticket.state_label": Sometimes, "ticket.type": Sometimes,
		"ticket.attributes": Sometimes,
		"ticket.department": Never, "ticket.priority": Never, "ticket.status": Never,
		"tags": Sometimes, "item": Always, "event": Always,
	},
	KindWHMCS: {
		"source": Always, "kind": Always, "topic": Always, "id": Always,
		"occurred_at": Always, "received_at": Always,
		"target": Always, "target.type": Always, "target.id": Always,
		// message: hook points with a message (vars.message) only; replyid
		// is not sent on TicketOpen.
		"message": Sometimes, "message.id": Sometimes, "message.html": Always, "message.text": Always,
		"message.author": Always, "message.author.type": Sometimes, "message.author.id": Sometimes,
		"message.author.name": Sometimes, "message.author.email": Never,
		// contact: none for guests and on admin hook points; only the id.
		"contact": Sometimes, "contact.id": Always, "contact.external_id": Never,
		"contact.email": Never, "contact.name": Never,
		// ticket: each hook point sends its own subset of the ticket's
		// variables (ticketmask, subject, deptname, priority, status).
		"ticket": Always, "ticket.id": Always, "ticket.number": Sometimes, "ticket.subject": Sometimes,
		"ticket.department": Sometimes, "ticket.priority": Sometimes, "ticket.status": Sometimes,
		"ticket.state": Never, "ticket.state_label": Never, "ticket.type": Never, "ticket.attributes": Never,
		"tags": Never, "item": Never, "event": Always,
	},
}

// FieldPresenceOf says whether events of kind carry field, a dotted path as
// rules write it ("ticket.number", "item.foo", "tags[0]"). Inside a field
// the table does not describe further (item, event, ticket.attributes,
// tags), presence is Sometimes unless the field itself is Never. An
// unknown kind or field is Sometimes.
func FieldPresenceOf(kind, field string) Presence {
	table := FieldPresence[kind]
	if table == nil {
		return Sometimes
	}
	if p, ok := table[field]; ok {
		return p
	}
	for prefix := field; ; {
		i := strings.LastIndexAny(prefix, ".[")
		if i < 0 {
			return Sometimes
		}
		prefix = prefix[:i]
		if p, ok := table[prefix]; ok {
			if p == Never {
				return Never
			}
			return Sometimes
		}
	}
}
