package intercom

import (
	"fmt"
	"slices"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// Assignee kinds: Intercom assigns to a teammate (an admin) and/or a team.
const (
	AssignAdmin = "admin"
	AssignTeam  = "team"
)

// Status values, in the rules file's words.
const (
	StatusOpen    = "open"
	StatusClosed  = "closed"
	StatusSnoozed = "snoozed"
)

// Ticket status values that are ticket-state categories (the enum of
// ticket_state.category in 2.16): the replier sets the ticket's state to a
// state of that category (ticket_states.go).
const (
	StatusSubmitted         = "submitted"
	StatusInProgress        = "in_progress"
	StatusWaitingOnCustomer = "waiting_on_customer"
	StatusResolved          = "resolved"
)

// ticketStateCategories are the categories a ticket status may name.
var ticketStateCategories = []string{StatusSubmitted, StatusInProgress, StatusWaitingOnCustomer, StatusResolved}

// The OAuth scopes Intercom names in its 403s ("You do not have the
// required scope (...)"): conversations and tickets are written with
// separate scopes.
const (
	scopeConversations = "write_conversations"
	scopeTickets       = "write_tickets"
)

// minTicketUpdateVersion is the first API version whose PUT /tickets/{id}
// takes the flat admin_id (integer) and assignee_id the replier sends;
// 2.9 to 2.13 nest them in "assignment" and name states differently.
const minTicketUpdateVersion = 14

// actionRows are what Intercom can do to a conversation or a ticket
// (reference PLATFORMS-NEXT.md §1). Priority has no row: API 2.16 cannot
// write it (only the Preview version can).
func actionRows() []platform.ActionCapability {
	conv, ticket := event.TargetConversation, event.TargetTicket
	statuses := []string{StatusOpen, StatusClosed, StatusSnoozed}
	ticketStatuses := append(slices.Clone(statuses), ticketStateCategories...)
	snooze := []string{StatusSnoozed}
	return []platform.ActionCapability{
		{Action: platform.ActionTag, Target: conv, Scope: scopeConversations,
			Doc: "POST /tags (find or create each tag by name) then POST /conversations/{id}/tags per tag, as the bot's admin; attaching only adds, so existing tags stay"},
		{Action: platform.ActionTag, Target: ticket, Scope: scopeTickets,
			Doc: "POST /tags (find or create each tag by name) then POST /tickets/{id}/tags per tag, as the bot's admin; attaching only adds, so existing tags stay"},
		{Action: platform.ActionAssign, Target: conv, Keys: []string{AssignAdmin, AssignTeam}, Scope: scopeConversations,
			Doc: "POST /conversations/{id}/parts, message_type assignment, once per key: admin is a teammate id, team a team id (\"0\" unassigns); a conversation can have both"},
		{Action: platform.ActionAssign, Target: ticket, Keys: []string{AssignAdmin, AssignTeam}, MaxKeys: 1, Scope: scopeTickets,
			Doc: "PUT /tickets/{id} with assignee_id (a teammate or team id; \"0\" unassigns) and the bot's admin_id; one of admin or team per action. Needs api_version 2.14 or later"},
		{Action: platform.ActionStatus, Target: conv, Values: statuses, Until: snooze, Scope: scopeConversations,
			Doc: "POST /conversations/{id}/parts with message_type open, close or snoozed (snoozed_until from until, in unix seconds), as the bot's admin"},
		{Action: platform.ActionStatus, Target: ticket, Values: ticketStatuses, Until: snooze, Scope: scopeTickets,
			Doc: "PUT /tickets/{id} with the bot's admin_id and open true (open), open false (closed) or snoozed_until (snoozed); a ticket-state category (submitted, in_progress, waiting_on_customer, resolved) sends ticket_state_id, the first unarchived state of that category GET /ticket_states lists (cached 10 minutes). Needs api_version 2.14 or later"},
		{Action: platform.ActionSet, Target: conv, Scope: scopeConversations,
			Doc: "PUT /conversations/{id} with custom_attributes (conversation data attributes; values are sent as strings; attributes not named are left as they are). Not on api_version 2.10, which takes only read"},
		{Action: platform.ActionSet, Target: ticket, Scope: scopeTickets,
			Doc: "PUT /tickets/{id} with ticket_attributes (ticket type attributes such as _default_title_; values are sent as strings, a list attribute takes the item's id) and the bot's admin_id. Needs api_version 2.14 or later"},
	}
}

var _ platform.ActionValidator = (*Platform)(nil)

// ValidateAction implements platform.ActionValidator: Intercom's admin and
// team ids are numbers ("0" unassigns), so a name or an email written as
// an assignee is refused when the rules file loads, not at the first send.
func (*Platform) ValidateAction(a *platform.ActionView) []platform.Problem {
	if a.Action != platform.ActionAssign {
		return nil
	}
	var out []platform.Problem
	for _, k := range a.Keys {
		if v, ok := a.Literals[k]; ok && !isDigits(v) {
			out = append(out, platform.Problem{Path: []string{k},
				Message: fmt.Sprintf("assign.%s %q is not an Intercom %s id (a number; \"0\" unassigns)", k, v, k)})
		}
	}
	return out
}

// isDigits reports a non-empty string of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
