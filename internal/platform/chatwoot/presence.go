package chatwoot

import "github.com/supportops/autoresponder/internal/event"

// presence is what Chatwoot events carry, by the names rules use: message_*
// events carry a message and its conversation, conversation_* events a
// conversation, contact_* events a contact, webwidget_triggered a contact
// inbox.
var presence = map[string]event.Presence{
	"source": event.Always, "kind": event.Always, "topic": event.Always, "id": event.Always,
	// occurred_at: the payload's time, else the time the delivery arrived.
	"occurred_at": event.Always, "received_at": event.Always,
	// target: message and conversation events, and a widget event with an
	// open conversation.
	"target": event.Sometimes, "target.type": event.Sometimes, "target.id": event.Sometimes,
	// message: message events, and conversation_created with a message.
	// The id is required; content may be empty (an attachment), and the
	// sender absent.
	"message": event.Sometimes, "message.id": event.Always, "message.html": event.Sometimes, "message.text": event.Sometimes,
	"message.author": event.Sometimes, "message.author.type": event.Sometimes, "message.author.id": event.Sometimes,
	"message.author.name": event.Sometimes, "message.author.email": event.Sometimes,
	// contact: only a contact with an id is one.
	"contact": event.Sometimes, "contact.id": event.Always, "contact.external_id": event.Sometimes,
	"contact.email": event.Sometimes, "contact.name": event.Sometimes,
	// ticket: the conversation of message and conversation events, its
	// number the display id. Chatwoot has no ticket type or department.
	"ticket": event.Sometimes, "ticket.id": event.Always, "ticket.number": event.Always,
	"ticket.subject": event.Sometimes, "ticket.status": event.Sometimes, "ticket.priority": event.Sometimes,
	"ticket.state": event.Never, "ticket.state_label": event.Never, "ticket.type": event.Never,
	"ticket.attributes": event.Never, "ticket.department": event.Never,
	"tags": event.Sometimes, "item": event.Always, "event": event.Always,
	// language: browser_language of widget conversations, else detected from the message; "" when too short to tell.
	"language": event.Sometimes,
}
