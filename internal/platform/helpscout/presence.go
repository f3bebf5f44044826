package helpscout

import "github.com/supportops/autoresponder/internal/event"

// presence is what Help Scout events carry, by the names rules use: convo.*
// events carry the Conversation object, customer.* events the Customer
// object, others whatever Help Scout sends (read leniently).
var presence = map[string]event.Presence{
	"source": event.Always, "kind": event.Always, "topic": event.Always, "id": event.Always,
	// occurred_at: the thread's or conversation's time, else the time
	// the delivery arrived.
	"occurred_at": event.Always, "received_at": event.Always,
	// target: convo.* events; customer.* events have none, other events
	// only when they name a conversationId.
	"target": event.Sometimes, "target.type": event.Sometimes, "target.id": event.Sometimes,
	// message: the four message topics, from an embedded thread or, when
	// the body embeds none, the conversation's preview (no id, and an
	// author only as far as the topic tells).
	"message": event.Sometimes, "message.id": event.Sometimes, "message.html": event.Sometimes, "message.text": event.Sometimes,
	"message.author": event.Sometimes, "message.author.type": event.Sometimes, "message.author.id": event.Sometimes,
	"message.author.name": event.Sometimes, "message.author.email": event.Sometimes,
	// contact: the primary customer (or a customer.* event's customer).
	"contact": event.Sometimes, "contact.id": event.Sometimes, "contact.external_id": event.Never,
	"contact.email": event.Sometimes, "contact.name": event.Sometimes,
	// ticket: the conversation of convo.* events (not convo.deleted, whose
	// body is its id alone). Help Scout has no priority and no department;
	// attributes are the custom fields.
	"ticket": event.Sometimes, "ticket.id": event.Always, "ticket.number": event.Sometimes,
	"ticket.subject": event.Sometimes, "ticket.status": event.Sometimes, "ticket.state": event.Sometimes,
	"ticket.type": event.Sometimes, "ticket.attributes": event.Sometimes,
	"ticket.state_label": event.Never, "ticket.priority": event.Never, "ticket.department": event.Never,
	"tags": event.Sometimes, "item": event.Always, "event": event.Always,
	// language: none in the delivery: detected from the message text; "" when too short to tell.
	"language": event.Sometimes,
}
