// Package event defines the normalized event every source is turned into.
// It is the contract between the platforms' parsers (internal/platform),
// which fill it, and the rules (internal/rules): the `expr` tags are the
// names rule authors write.
package event

import (
	"net/http"
	"time"
)

// Kinds of target.
const (
	TargetConversation = "conversation"
	TargetTicket       = "ticket"
)

// Event is one webhook delivery, normalized. Every source fills the same
// shape; fields a payload does not carry stay empty (pointers stay nil).
type Event struct {
	Source     string    `expr:"source" json:"source"`
	Kind       string    `expr:"kind" json:"kind"`
	Topic      string    `expr:"topic" json:"topic"`
	ID         string    `expr:"id" json:"id"`
	OccurredAt time.Time `expr:"occurred_at" json:"occurred_at"`
	ReceivedAt time.Time `expr:"received_at" json:"received_at"`

	// Target is where a reply goes by default.
	Target Target `expr:"target" json:"target"`
	// Message is the message that caused the event; nil when there is none.
	Message *Message `expr:"message" json:"message"`
	Contact *Contact `expr:"contact" json:"contact"`
	Ticket  *Ticket  `expr:"ticket" json:"ticket"`
	Tags    []string `expr:"tags" json:"tags"`
	// Language is the customer's language as the platform reports it (the
	// contact's or conversation's locale), an ISO 639-1 code; "" when the
	// delivery carries none. Rules that read `language` or have a body per
	// language see it, or the language detected from the message text.
	Language string `expr:"language" json:"language"`

	// Item is the platform's own object the event is about, as parsed
	// JSON (nil when the platform sends none); Payload is the whole
	// delivery as parsed JSON.
	Item    map[string]any `expr:"item" json:"-"`
	Payload map[string]any `expr:"event" json:"-"`
	// Raw is the delivery's body as received, what the store keeps:
	// re-encoding Payload would reorder keys and lose number text. It
	// shares the intake's read buffer, which is reused once the request
	// is answered: copy it to keep it longer.
	Raw []byte `expr:"-" json:"-"`
	// Headers are the delivery headers the platform builds the event from
	// (its Spec.EventHeaders), copied from the request: the store keeps
	// them with Raw, so that a kept delivery parses again to this event.
	// Nil when the platform reads none.
	Headers http.Header `expr:"-" json:"-"`
}

// MaxIDBytes bounds every id, topic and key that the store indexes: event
// and target ids, topics, contact ids and the claim and target keys built
// from them. PostgreSQL refuses a btree entry over about 2.7 KB, so a
// longer value would fail the same way on every retry.
const MaxIDBytes = 1024

// Target names the conversation or ticket a reply is posted to.
type Target struct {
	Type string `expr:"type" json:"type"`
	ID   string `expr:"id" json:"id"`
}

// Message is one message in a conversation or ticket.
type Message struct {
	ID     string `expr:"id" json:"id"`
	HTML   string `expr:"html" json:"html"`
	Text   string `expr:"text" json:"text"`
	Author Author `expr:"author" json:"author"`
}

// Author wrote a message. Type is the platform's own word (user, lead,
// contact, client, admin, bot...).
type Author struct {
	Type  string `expr:"type" json:"type"`
	ID    string `expr:"id" json:"id"`
	Name  string `expr:"name" json:"name"`
	Email string `expr:"email" json:"email"`
}

// Contact is the customer the event is about.
type Contact struct {
	ID         string `expr:"id" json:"id"`
	ExternalID string `expr:"external_id" json:"external_id"`
	Email      string `expr:"email" json:"email"`
	Name       string `expr:"name" json:"name"`
}

// Ticket carries ticket state for ticket events. Each platform fills what
// it has (its Spec's Presence table says which).
type Ticket struct {
	ID         string         `expr:"id" json:"id"`
	Number     string         `expr:"number" json:"number"`
	Subject    string         `expr:"subject" json:"subject"`
	State      string         `expr:"state" json:"state"`
	StateLabel string         `expr:"state_label" json:"state_label"`
	Type       string         `expr:"type" json:"type"`
	Attributes map[string]any `expr:"attributes" json:"attributes"`
	Department string         `expr:"department" json:"department"`
	Priority   string         `expr:"priority" json:"priority"`
	Status     string         `expr:"status" json:"status"`
}
