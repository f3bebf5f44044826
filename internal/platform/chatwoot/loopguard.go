package chatwoot

import (
	"slices"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// LoopGuard implements platform.Platform. Every message of a conversation
// comes back as message_created, the bot's own included, so the guard
// looks at the message's author:
//
//   - the bot's own agent bot or user (Identity): own_reply, public reply
//     or private note alike;
//   - any other agent bot or Captain assistant: bot_author;
//   - no author at all on an outgoing, activity or template message:
//     Chatwoot itself or an automation rule wrote it: bot_author.
//
// Customers (contact) and human agents (user) pass: rules decide what to
// do with an agent's reply or private note (message.author.type,
// event.private).
func (Platform) LoopGuard(ev *event.Event, self []platform.Identity) string {
	if ev.Message == nil {
		return ""
	}
	a := ev.Message.Author
	if a.Type != "" && a.ID != "" {
		key := senderKey(a.Type, a.ID)
		for _, id := range self {
			if slices.Contains(id.IDs, key) {
				return platform.IgnoredOwnReply
			}
		}
	}
	switch a.Type {
	case SenderAgentBot, SenderAssistant:
		return platform.IgnoredBotAuthor
	case "":
		switch messageType(ev) {
		case "outgoing", "activity", "template":
			return platform.IgnoredBotAuthor
		}
	}
	return ""
}

// messageType is the message_type of the event's message: the item itself
// for message events, the latest of its messages for conversation_created.
func messageType(ev *event.Event) string {
	m := ev.Item
	if _, ok := m["message_type"]; !ok {
		m = latestMessage(m)
	}
	name, _ := messageTypeName(m["message_type"])
	return name
}
