package chatwoot

import (
	"fmt"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// Who assign can name: a Chatwoot agent (a user id) or a team.
const (
	assignAgent = "agent"
	assignTeam  = "team"
)

// Status and priority values, Chatwoot's own words (PLATFORMS-NEXT.md §7.2).
var (
	statusValues   = []string{"open", "pending", "resolved", "snoozed"}
	priorityValues = []string{"none", "low", "medium", "high", "urgent"}
)

// actionRows are what the bot can do to a conversation. Chatwoot's
// webhooks name no actor for conversation changes, so the bot's own actions
// cannot be told from an agent's (see docs/platforms/chatwoot.md).
func actionRows() []platform.ActionCapability {
	const conv = event.TargetConversation
	const manage = "an access token (user or agent bot) allowed to manage the conversation's inbox"
	return []platform.ActionCapability{
		{Action: platform.ActionTag, Target: conv,
			Scope: "an access token allowed to change the conversation's labels (a user's token; Chatwoot versions before agent-bot label access refuse a bot's token)",
			Doc: "GET …/conversations/{id}/labels, then POST …/labels with the union of the current and the new labels: " +
				"Chatwoot replaces the whole label list, so the bot reads it first and never drops a label. " +
				"Labels must exist in the account (Settings > Labels): Chatwoot drops unknown ones, and the bot then fails the action naming them."},
		{Action: platform.ActionAssign, Target: conv, Keys: []string{assignAgent, assignTeam}, Scope: manage,
			Doc: "POST …/conversations/{id}/assignments with assignee_id (agent: a user id) or team_id; " +
				"with both, the team is assigned first and the agent second, as Chatwoot ignores team_id next to assignee_id."},
		{Action: platform.ActionPriority, Target: conv, Values: priorityValues, Scope: manage,
			Doc: "POST …/conversations/{id}/toggle_priority with priority (none clears it)."},
		{Action: platform.ActionStatus, Target: conv, Values: statusValues, Until: []string{"snoozed"}, Scope: manage,
			Doc: "POST …/conversations/{id}/toggle_status with status; snoozed sends snoozed_until in unix seconds. " +
				"A bot-handled (pending) conversation set open by an agent-bot token is handed over to the agents."},
		{Action: platform.ActionSet, Target: conv, Scope: manage,
			Doc: "GET …/conversations/{id}, then POST …/custom_attributes with the current attributes and the new values merged: " +
				"Chatwoot replaces the whole custom_attributes hash, so the bot reads it first and never drops an attribute. " +
				"Values are sent as text."},
	}
}

// ValidateAction implements platform.ActionValidator: agent and team ids
// written literally must be Chatwoot ids (whole numbers).
func (Platform) ValidateAction(a *platform.ActionView) []platform.Problem {
	if a.Action != platform.ActionAssign {
		return nil
	}
	var out []platform.Problem
	for _, k := range []string{assignAgent, assignTeam} {
		if v, ok := a.Literals[k]; ok && !isWholeNumber(v) {
			out = append(out, platform.Problem{Path: []string{k},
				Message: fmt.Sprintf("%q is not a Chatwoot %s id (a whole number)", v, k)})
		}
	}
	return out
}
