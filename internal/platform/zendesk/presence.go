package zendesk

import "github.com/supportops/autoresponder/internal/event"

// presence is what Zendesk events carry, by the names rules use, over both
// shapes Build reads: the event-subscription envelope and the recommended
// trigger body. Always means Build refuses a body without the field, or
// fills it itself.
var presence = map[string]event.Presence{
	"source": event.Always, "kind": event.Always, "topic": event.Always, "id": event.Always,
	"received_at": event.Always,
	// occurred_at: the envelope's time or the trigger's updated_at, both
	// optional.
	"occurred_at": event.Sometimes,
	// target: ticket events and triggers; user and organization events
	// have nothing to reply to.
	"target": event.Sometimes, "target.type": event.Sometimes, "target.id": event.Sometimes,
	// message: comment_added and message_added, a ticket.created with a
	// description, a trigger naming its current user or comment. The
	// trigger body carries no comment id; a description or a trigger has
	// no author when the submitter or current user is not rendered.
	"message": event.Sometimes, "message.id": event.Sometimes, "message.html": event.Sometimes, "message.text": event.Sometimes,
	"message.author": event.Sometimes, "message.author.type": event.Sometimes, "message.author.id": event.Sometimes,
	"message.author.name": event.Sometimes, "message.author.email": event.Sometimes,
	// contact: the requester, by id in events (detail.requester_id) and by
	// whatever the trigger placeholders render. Zendesk's external_id
	// belongs to the ticket (detail.external_id), not to the requester.
	"contact": event.Sometimes, "contact.id": event.Sometimes, "contact.external_id": event.Never,
	"contact.email": event.Sometimes, "contact.name": event.Sometimes,
	// ticket: ticket events and triggers; the number is the ticket id.
	"ticket": event.Sometimes, "ticket.id": event.Always, "ticket.number": event.Always,
	"ticket.subject": event.Sometimes, "ticket.status": event.Sometimes, "ticket.priority": event.Sometimes,
	"ticket.type":  event.Sometimes,
	"ticket.state": event.Never, "ticket.state_label": event.Never, "ticket.attributes": event.Never,
	"ticket.department": event.Never,
	"tags":              event.Sometimes,
	// language: none in the delivery: detected from the message text; "" when too short to tell.
	"language": event.Sometimes,
	// item: the event's detail (which an event may lack), or the whole
	// trigger body.
	"item": event.Sometimes, "event": event.Always,
}
