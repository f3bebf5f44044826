package front

import (
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// assignTeammate is the one kind of assignee Front has.
const assignTeammate = "teammate"

// statusValues are what PATCH /conversations/{id} takes as status, less
// "deleted" (a rule should not trash conversations). Snoozing goes through
// the reminders endpoint, whose fields are not documented in the
// reference: not offered.
var statusValues = []string{"open", "archived", "spam"}

// writeScope is the Core API scope of the conversation endpoints.
const writeScope = "an API token with the conversations:write scope"

var actionRows = []platform.ActionCapability{
	{Action: platform.ActionTag, Target: event.TargetConversation,
		Scope: writeScope + " and read access to the company's tags",
		Doc: "GET /tags (every page) to find each tag's id by name, then POST /conversations/{id}/tags with tag_ids, " +
			"which adds tags and keeps the others, so nothing is read first. " +
			"The tags must exist in Front: a name Front does not have fails the action, naming it."},
	{Action: platform.ActionAssign, Target: event.TargetConversation, Keys: []string{assignTeammate}, MaxKeys: 1, Scope: writeScope,
		Doc: "PUT /conversations/{id}/assignee with assignee_id: a teammate id (tea_...) or alt:email:<address>."},
	{Action: platform.ActionStatus, Target: event.TargetConversation, Values: statusValues, Scope: writeScope,
		Doc: "PATCH /conversations/{id} with status. Snoozing is not offered: the reminders endpoint's fields are not documented."},
	{Action: platform.ActionSet, Target: event.TargetConversation, Scope: writeScope,
		Doc: "GET /conversations/{id}, then PATCH /conversations/{id} with custom_fields: every field the conversation has, " +
			"the new values merged in, because Front erases the fields a PATCH leaves out. Keys are custom field names."},
}

// ValidateAction implements platform.ActionValidator: a teammate written
// literally must be a teammate id or an email alias.
func (Platform) ValidateAction(a *platform.ActionView) []platform.Problem {
	if a.Action != platform.ActionAssign {
		return nil
	}
	if v, ok := a.Literals[assignTeammate]; ok {
		if p := checkTeammate(v); p != "" {
			return []platform.Problem{problem(assignTeammate, "%s", p)}
		}
	}
	return nil
}

// checkTeammate says what is wrong with an assignee ("" when nothing is):
// a tea_ id, or Front's resource alias alt:email:<address>.
func checkTeammate(v string) string {
	if email, ok := strings.CutPrefix(v, "alt:email:"); ok {
		if !strings.Contains(email, "@") || strings.ContainsFunc(email, func(r rune) bool { return r <= ' ' || r == '/' }) {
			return "alt:email: takes the teammate's email address"
		}
		return ""
	}
	return checkID(v, "tea_")
}

var _ platform.ActionValidator = Platform{}
