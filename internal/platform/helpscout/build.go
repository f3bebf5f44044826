package helpscout

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// Build fills ev from one delivery. The topic is the X-HelpScout-Event
// header; the body is the v2 Conversation object for convo.* events, the
// Customer object for customer.* events and something else for the rest.
//
// Help Scout sends no delivery id, so ev.ID is built from what a retry of
// the same delivery repeats (see the build functions):
// "<topic>:<conversation id>[:<discriminator>]".
func (Platform) Build(ev *event.Event, root map[string]any, d *platform.Delivery) error {
	topic, err := eventName(d.Header)
	if err != nil {
		return err
	}
	ev.Topic = topic
	ev.Item = root
	ev.OccurredAt = ev.ReceivedAt
	switch {
	case topic == TopicTest:
		// The Test button: whatever the body, it only has to be answered.
		ev.ID = TopicTest + ":" + bodyDigest(d.Body)
		return nil
	case strings.HasPrefix(topic, "convo."):
		err = buildConversation(ev, root, d.Body)
	case strings.HasPrefix(topic, "customer."):
		err = buildCustomer(ev, root, d.Body)
	default:
		err = buildOther(ev, root, d.Body)
	}
	if err != nil {
		return err
	}
	if ev.Contact != nil {
		// once and cooldown claims are keyed by the contact id.
		if err := payload.BoundedID(ev.Contact.ID, "the contact id (primaryCustomer.id or createdBy.id)"); err != nil {
			return err
		}
	}
	return payload.BoundedID(ev.ID, "the event id built from "+HeaderEvent+" and id")
}

// eventName reads X-HelpScout-Event: one value, printable, bounded.
func eventName(h http.Header) (string, error) {
	values := h.Values(HeaderEvent)
	switch {
	case len(values) == 0:
		return "", payload.BadRequest(HeaderEvent + " header missing")
	case len(values) > 1:
		return "", payload.BadRequest(HeaderEvent + " header given more than once")
	case values[0] == "":
		return "", payload.BadRequest(HeaderEvent + " header is empty")
	case !utf8.ValidString(values[0]) || strings.ContainsFunc(values[0], isSpaceOrControl):
		return "", payload.BadRequest(HeaderEvent + " header has whitespace, control characters or invalid UTF-8")
	}
	return values[0], payload.BoundedID(values[0], HeaderEvent+" header")
}

// oncePerConversation are the events a conversation has at most one of:
// the conversation id alone identifies them.
var oncePerConversation = map[string]bool{
	TopicCreated: true, TopicDeleted: true, "convo.ai-answers.created": true,
}

// buildConversation reads the v2 Conversation object.
func buildConversation(ev *event.Event, root map[string]any, body []byte) error {
	id, err := payload.RequiredID(root, "id", "id")
	if err != nil {
		return err
	}
	ev.Target = event.Target{Type: targetType, ID: id}
	if ev.Topic == TopicDeleted {
		ev.ID = ev.Topic + ":" + id // the body is {id} and nothing else
		return nil
	}
	ev.Ticket = ticket(id, root)
	ev.Tags = tags(root["tags"])
	ev.Contact = contact(root)

	discriminator := ""
	if pref, ok := messageTopics[ev.Topic]; ok {
		if t := pickThread(threads(root), pref); t != nil {
			ev.Message = threadMessage(t)
			if at, ok := timestamp(t["createdAt"]); ok {
				ev.OccurredAt = at
			}
			// The thread is what the event is about, and a retry
			// names the same one.
			discriminator = ev.Message.ID
		} else {
			ev.Message = previewMessage(root, ev.Topic)
			// Without threads, the count of threads tells two
			// replies to one conversation apart.
			if n := payload.Str(root["threads"]); n != "" && len(n) <= 20 {
				discriminator = "n" + n
			}
		}
	}
	if ev.Topic == TopicCreated {
		if at, ok := timestamp(root["createdAt"]); ok {
			ev.OccurredAt = at
		}
	}
	switch {
	case oncePerConversation[ev.Topic]:
		ev.ID = ev.Topic + ":" + id
	case discriminator != "":
		ev.ID = ev.Topic + ":" + id + ":" + discriminator
	default:
		// A status, tag or assignment change: nothing in the body names
		// the change, so the body itself does (a retry resends it).
		ev.ID = ev.Topic + ":" + id + ":" + bodyDigest(body)
	}
	return nil
}

// buildCustomer reads the v2 Customer object of customer.* events.
func buildCustomer(ev *event.Event, root map[string]any, body []byte) error {
	id, err := payload.RequiredID(root, "id", "id")
	if err != nil {
		return err
	}
	ev.Contact = &event.Contact{ID: id, Name: personName(root), Email: customerEmail(root)}
	if ev.Topic == "customer.updated" {
		ev.ID = ev.Topic + ":" + id + ":" + bodyDigest(body)
	} else {
		ev.ID = ev.Topic + ":" + id
	}
	return nil
}

// buildOther reads events whose bodies the reference does not show
// (ratings, Beacon chats, tags, surveys): the id when there is one, a
// conversation target when the body names one.
func buildOther(ev *event.Event, root map[string]any, body []byte) error {
	id := payload.Str(root["id"])
	if err := payload.BoundedID(id, "id"); err != nil {
		return err
	}
	if cid := payload.Str(root["conversationId"]); isPositiveInt(cid) {
		ev.Target = event.Target{Type: targetType, ID: cid}
	}
	ev.ID = ev.Topic + ":" + id + ":" + bodyDigest(body)
	return nil
}

// ticket reads the conversation's state: Help Scout has no priority.
func ticket(id string, c map[string]any) *event.Ticket {
	t := &event.Ticket{
		ID:      id,
		Number:  payload.Str(c["number"]),
		Subject: payload.Str(c["subject"]),
		Status:  payload.Str(c["status"]), // active, pending, closed, spam
		State:   payload.Str(c["state"]),  // draft, published, deleted
		Type:    payload.Str(c["type"]),   // email, chat, phone
	}
	fields, _ := c["customFields"].([]any)
	for _, f := range fields {
		f := payload.Object(f)
		if f == nil {
			continue
		}
		key := payload.Str(f["name"])
		if key == "" {
			key = payload.Str(f["id"])
		}
		if key == "" {
			continue
		}
		// A dropdown's value is the option id; text is what agents see.
		v := f["value"]
		if text := payload.Str(f["text"]); text != "" {
			v = text
		}
		if t.Attributes == nil {
			t.Attributes = map[string]any{}
		}
		t.Attributes[key] = v
	}
	return t
}

// tags reads the conversation's tags: objects {id, color, tag} in v2,
// plain strings tolerated.
func tags(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		name, ok := e.(string)
		if !ok {
			name = payload.Str(payload.Object(e)["tag"])
		}
		if name != "" {
			out = append(out, name)
		}
	}
	return out
}

// contact is the conversation's primary customer, completed from the
// conversation's creator when that creator is the same customer: a
// conversation with several customers must not get another one's address.
func contact(c map[string]any) *event.Contact {
	var ct *event.Contact
	if p := payload.Object(c["primaryCustomer"]); p != nil {
		ct = personContact(p)
	}
	by := payload.Object(c["createdBy"])
	if payload.Str(by["type"]) != AuthorCustomer {
		return ct
	}
	creator := personContact(by)
	switch {
	case ct == nil:
		return creator
	case ct.ID == "" || ct.ID == creator.ID:
		ct.ID = creator.ID
		ct.Email = cmp.Or(ct.Email, creator.Email)
		ct.Name = cmp.Or(ct.Name, creator.Name)
	}
	return ct
}

func personContact(p map[string]any) *event.Contact {
	return &event.Contact{ID: payload.Str(p["id"]), Email: payload.Str(p["email"]), Name: personName(p)}
}

// personName joins a Person's first and last names (firstName and
// lastName on Customer objects).
func personName(p map[string]any) string {
	first := cmp.Or(payload.Str(p["first"]), payload.Str(p["firstName"]))
	last := cmp.Or(payload.Str(p["last"]), payload.Str(p["lastName"]))
	if name := strings.TrimSpace(first + " " + last); name != "" {
		return name
	}
	return payload.Str(p["name"])
}

// customerEmail is a Customer object's email: "email", or the first of
// its embedded emails.
func customerEmail(c map[string]any) string {
	if e := payload.Str(c["email"]); e != "" {
		return e
	}
	emails, _ := payload.Object(c["_embedded"])["emails"].([]any)
	for _, e := range emails {
		if v := payload.Str(payload.Object(e)["value"]); v != "" {
			return v
		}
	}
	return ""
}

// threadMessage is the message of one thread.
func threadMessage(t map[string]any) *event.Message {
	body, ok := t["body"]
	if !ok {
		body = t["text"]
	}
	by := payload.Object(t["createdBy"])
	m := payload.Message(payload.Str(t["id"]), payload.Str(body), by)
	if name := personName(by); name != "" {
		m.Author.Name = name
	}
	return m
}

// previewMessage stands in for the thread when the body embeds none: the
// conversation's preview (plain text, cut short by Help Scout) written by
// whom the topic says. Only convo.created names the author (the
// conversation's creator).
func previewMessage(c map[string]any, topic string) *event.Message {
	preview := payload.Str(c["preview"])
	escaped := html.EscapeString(preview)
	m := &event.Message{HTML: escaped, Text: event.MessageText(escaped)}
	switch topic {
	case TopicCreated:
		by := payload.Object(c["createdBy"])
		m.Author = event.Author{Type: payload.Str(by["type"]), ID: payload.Str(by["id"]), Name: personName(by), Email: payload.Str(by["email"])}
	case TopicCustomerReply:
		m.Author.Type = AuthorCustomer
	case TopicAgentReply, TopicNote:
		m.Author.Type = AuthorUser
	}
	return m
}

func timestamp(v any) (time.Time, bool) {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// bodyDigest names a body by its content: a retry of a delivery sends the
// same bytes.
func bodyDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:16])
}
