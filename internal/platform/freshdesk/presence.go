package freshdesk

import "github.com/supportops/autoresponder/internal/event"

// presence is what Freshdesk events carry, by the names rules use. Every
// event is one automation webhook whose body the admin writes: only
// triggered_event and ticket_id are required, every placeholder may render
// empty.
var presence = map[string]event.Presence{
	"source": event.Always, "kind": event.Always, "topic": event.Always, "id": event.Always,
	"received_at": event.Always,
	// No placeholder of the recommended body is a time: the reference
	// (PLATFORMS-NEXT.md §4.1) names no timestamp placeholder, only that
	// an updated_at may go into a dedup key, so none is guessed at.
	"occurred_at": event.Never,
	"target":      event.Always, "target.type": event.Always, "target.id": event.Always,
	// message: the description, the latest private or public comment, or
	// only the performer the admin named; Freshdesk sends no comment id.
	"message": event.Sometimes, "message.id": event.Never, "message.html": event.Sometimes, "message.text": event.Sometimes,
	"message.author": event.Sometimes, "message.author.type": event.Sometimes, "message.author.id": event.Sometimes,
	"message.author.name": event.Sometimes, "message.author.email": event.Sometimes,
	// contact: the requester, when the body names them.
	"contact": event.Sometimes, "contact.id": event.Sometimes, "contact.external_id": event.Never,
	"contact.email": event.Sometimes, "contact.name": event.Sometimes,
	"ticket": event.Always, "ticket.id": event.Always, "ticket.number": event.Always,
	"ticket.subject": event.Sometimes, "ticket.type": event.Sometimes, "ticket.status": event.Sometimes,
	"ticket.priority": event.Sometimes,
	"ticket.state":    event.Never, "ticket.state_label": event.Never, "ticket.attributes": event.Never,
	"ticket.department": event.Never,
	"tags":              event.Sometimes,
	// language: none in the delivery: detected from the message text; "" when too short to tell.
	"language": event.Sometimes,
	// item: the freshdesk_webhook object.
	"item": event.Always, "event": event.Always,
}
