package front

import "github.com/supportops/autoresponder/internal/event"

// presence is what Front events carry, by the names rules use. Every event
// but an application webhook's validation request (a ping) names its
// conversation, which Build requires.
var presence = map[string]event.Presence{
	"source": event.Always, "kind": event.Always, "topic": event.Always, "id": event.Always,
	"received_at": event.Always,
	// occurred_at: emitted_at, when it is a plausible time.
	"occurred_at": event.Sometimes,
	"target":      event.Always, "target.type": event.Always, "target.id": event.Always,
	// message: events whose target is a message or a comment. An outbound
	// message sent through the API has no author.
	"message": event.Sometimes, "message.id": event.Sometimes, "message.html": event.Sometimes, "message.text": event.Sometimes,
	"message.author": event.Sometimes, "message.author.type": event.Sometimes, "message.author.id": event.Sometimes,
	"message.author.name": event.Sometimes, "message.author.email": event.Sometimes,
	// contact: the conversation's recipient, by its contact link and its
	// handle when that is an email address; Front's recipient has no name.
	"contact": event.Sometimes, "contact.id": event.Sometimes, "contact.email": event.Sometimes,
	"contact.external_id": event.Never, "contact.name": event.Never,
	// ticket: the conversation; its number is the first ticket id, with
	// ticketing on.
	"ticket": event.Always, "ticket.id": event.Always, "ticket.number": event.Sometimes,
	"ticket.subject": event.Sometimes, "ticket.status": event.Sometimes,
	"ticket.state": event.Never, "ticket.state_label": event.Never, "ticket.type": event.Never,
	"ticket.attributes": event.Never, "ticket.department": event.Never, "ticket.priority": event.Never,
	"tags": event.Sometimes,
	// language: none in the delivery: detected from the message text; "" when too short to tell.
	"language": event.Sometimes,
	// item: the conversation.
	"item": event.Always, "event": event.Always,
}
