package zendesk

import (
	"fmt"
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// Assign keys: Zendesk assigns a ticket to an agent (assignee_id) and to a
// group (group_id), either or both.
const (
	AssignAgent = "agent"
	AssignGroup = "group"
)

// actionScope is what a 403 on any ticket change means is missing. With
// an API token the agent's role decides; an OAuth token needs a write
// scope.
const actionScope = "an agent allowed to edit the ticket (API token), or the OAuth scope tickets:write (or write)"

// Priorities and statuses as the REST API spells them (lower case); the
// rules file uses the same words.
var (
	priorities = []string{"low", "normal", "high", "urgent"}
	// "new" is left out: a ticket cannot go back to new.
	statuses = []string{"open", "pending", "hold", "solved", "closed"}
)

var actions = []platform.ActionCapability{
	{Action: platform.ActionTag, Target: event.TargetTicket, Scope: actionScope,
		Doc: "PUT /api/v2/tickets/{id}/tags with {\"tags\": [...]} (Zendesk's Add Tags endpoint), which adds to the ticket's tags and never removes one, so nothing is read first; a tag cannot contain spaces"},
	{Action: platform.ActionAssign, Target: event.TargetTicket, Keys: []string{AssignAgent, AssignGroup}, Scope: actionScope,
		Doc: "PUT /api/v2/tickets/{id}.json with assignee_id (agent: a user id) and/or group_id (group: a group id), both numbers; an agent not in the group is refused by Zendesk"},
	{Action: platform.ActionPriority, Target: event.TargetTicket, Values: priorities, Scope: actionScope,
		Doc: "PUT /api/v2/tickets/{id}.json with priority"},
	{Action: platform.ActionStatus, Target: event.TargetTicket, Values: statuses, Scope: actionScope,
		Doc: "PUT /api/v2/tickets/{id}.json with status; closed is final (Zendesk allows no later change to a closed ticket), and Zendesk may refuse solved without an assignee"},
	{Action: platform.ActionSet, Target: event.TargetTicket, Scope: actionScope,
		Doc: "PUT /api/v2/tickets/{id}.json with custom_fields [{id, value}]: each key is a ticket field's numeric id (Admin Center > Objects and rules > Ticket fields), each value is sent as text (a drop-down takes its option's tag); only the named fields change"},
}

// ValidateAction implements platform.ActionValidator: Zendesk names users,
// groups and ticket fields by number, so a literal that is not one is a
// mistake caught when the rules file loads.
func (Platform) ValidateAction(a *platform.ActionView) []platform.Problem {
	var ps []platform.Problem
	switch a.Action {
	case platform.ActionAssign:
		ps = platform.AssigneeIDProblems(a, "Zendesk", isDigits)
	case platform.ActionSet:
		for _, k := range a.Keys {
			if !isDigits(k) {
				ps = append(ps, platform.Problem{Path: []string{k}, Message: fmt.Sprintf("%q is not a ticket field id: Zendesk names custom fields by number (Admin Center > Objects and rules > Ticket fields)", k)})
			}
		}
	}
	return ps
}

var _ platform.ActionValidator = Platform{}

// badTag says why Zendesk would not keep a tag as given: it splits a tag
// at spaces into several tags.
func badTag(tag string) string {
	if strings.ContainsFunc(tag, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		return fmt.Sprintf("tag %q contains whitespace: Zendesk would split it into several tags", clip(tag))
	}
	return ""
}
