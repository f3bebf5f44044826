package freshdesk

import (
	"fmt"
	"slices"
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// Assign keys: Freshdesk assigns a ticket to an agent (responder_id) and a
// group (group_id), either or both.
const (
	AssignAgent = "agent"
	AssignGroup = "group"
)

// actionScope is what a 403 on a ticket change means is missing: Freshdesk
// API keys have no scopes, the key's agent has a role.
const actionScope = `an API key whose agent's role may edit ticket properties ("Edit ticket properties")`

// Priorities and statuses: the rules file's words (Freshdesk's labels,
// lower case) and the integers the API takes. Custom statuses have other
// numbers, which differ per account, so they are not offered.
var (
	priorityCodes = []valueCode{{"low", 1}, {"medium", 2}, {"high", 3}, {"urgent", 4}}
	statusCodes   = []valueCode{{"open", 2}, {"pending", 3}, {"resolved", 4}, {"closed", 5}}
)

type valueCode struct {
	word string
	code int
}

func words(vc []valueCode) []string {
	out := make([]string, len(vc))
	for i, v := range vc {
		out[i] = v.word
	}
	return out
}

// codeOf maps a rules-file word to Freshdesk's integer (0: unknown).
func codeOf(vc []valueCode, word string) int {
	if i := slices.IndexFunc(vc, func(v valueCode) bool { return v.word == word }); i >= 0 {
		return vc[i].code
	}
	return 0
}

var actions = []platform.ActionCapability{
	{Action: platform.ActionTag, Target: event.TargetTicket, Scope: actionScope,
		Doc: "reads the ticket first (GET /api/v2/tickets/{id}) and writes the union of its tags and the new ones with PUT /api/v2/tickets/{id} {\"tags\": [...]}, because Freshdesk's tags field replaces the whole list; nothing is written when every tag is already there. A tag added by someone else between the read and the write can be lost"},
	{Action: platform.ActionAssign, Target: event.TargetTicket, Keys: []string{AssignAgent, AssignGroup}, Scope: actionScope,
		Doc: "PUT /api/v2/tickets/{id} with responder_id (agent: the agent's user id) and/or group_id (group: the group id), both numbers"},
	{Action: platform.ActionPriority, Target: event.TargetTicket, Values: words(priorityCodes), Scope: actionScope,
		Doc: "PUT /api/v2/tickets/{id} with priority 1 (low), 2 (medium), 3 (high) or 4 (urgent)"},
	{Action: platform.ActionStatus, Target: event.TargetTicket, Values: words(statusCodes), Scope: actionScope,
		Doc: "PUT /api/v2/tickets/{id} with status 2 (open), 3 (pending), 4 (resolved) or 5 (closed); custom statuses are not offered. Freshdesk refuses to resolve or close a ticket whose fields required for closure are empty. Its webhook names no performer: the bot knows its own changes only where the rule's body names it (user_id), see docs/platforms/freshdesk.md"},
	{Action: platform.ActionSet, Target: event.TargetTicket, Scope: actionScope,
		Doc: "PUT /api/v2/tickets/{id} with custom_fields {\"cf_<name>\": value}: each key is the field's API name (cf_ and the name), each value is sent as text; fields not named are not sent"},
}

// ValidateAction implements platform.ActionValidator: agents and groups
// are numbers, custom fields are named cf_<name>.
func (Platform) ValidateAction(a *platform.ActionView) []platform.Problem {
	var ps []platform.Problem
	switch a.Action {
	case platform.ActionAssign:
		ps = platform.AssigneeIDProblems(a, "Freshdesk", isTicketID)
	case platform.ActionSet:
		for _, k := range a.Keys {
			if !isCustomField(k) {
				ps = append(ps, platform.Problem{Path: []string{k}, Message: fmt.Sprintf("%q is not a custom field's API name: Freshdesk names them cf_ and the field's name (cf_plan)", k)})
			}
		}
	}
	return ps
}

var _ platform.ActionValidator = Platform{}

// isCustomField reports whether name is a custom field's API name: cf_
// followed by letters, digits and underscores.
func isCustomField(name string) bool {
	rest, ok := strings.CutPrefix(name, "cf_")
	if !ok || rest == "" || len(name) > 128 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
