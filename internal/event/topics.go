package event

import "slices"

// TopicPing is Intercom's subscription check; it never reaches the rules.
const TopicPing = "ping"

// IntercomTopics lists the Intercom topics a support bot subscribes to.
// Parsing accepts any topic; the list is for linting rules that name one.
var IntercomTopics = []string{
	TopicPing,
	"conversation.user.created",
	"conversation.user.replied",
	"conversation.admin.replied",
	"conversation.admin.noted",
	"conversation.admin.assigned",
	"conversation.admin.closed",
	"conversation.admin.opened",
	"conversation.admin.snoozed",
	"conversation.admin.unsnoozed",
	"conversation.operator.replied",
	"conversation.priority.updated",
	"conversation.rating.added",
	"conversation_part.tag.created",
	"ticket.created",
	"ticket.contact.replied",
	"ticket.admin.replied",
	"ticket.note.created",
	"ticket.state.updated",
	"ticket.admin.assigned",
	"ticket.team.assigned",
	"ticket.attribute.updated",
	"ticket.closed",
	"ticket.rating.provided",
}

// WHMCSHookPoints lists the ticket hook points integrations/whmcs sends.
var WHMCSHookPoints = []string{
	"TicketOpen",
	"TicketOpenAdmin",
	"TicketUserReply",
	"TicketAdminReply",
	"TicketAddNote",
	"TicketStatusChange",
	"TicketClose",
	"TicketPriorityChange",
	"TicketDepartmentChange",
}

// BotAuthoredTopics are the topics the bot's own replies and notes (and
// other admins' and bots') come back as: rules on them risk loops.
var BotAuthoredTopics = []string{
	"conversation.admin.replied", "conversation.admin.noted", "conversation.operator.replied",
	"ticket.admin.replied", "ticket.note.created", "TicketAdminReply", "TicketAddNote",
}

// KnownTopic reports whether a source of kind sends topic.
func KnownTopic(kind, topic string) bool {
	switch kind {
	case KindIntercom:
		return slices.Contains(IntercomTopics, topic)
	case KindWHMCS:
		return slices.Contains(WHMCSHookPoints, topic)
	}
	return false
}
