package helpscout

import (
	"fmt"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
)

// assignUser is the one kind of assignee Help Scout has: a user.
const assignUser = "user"

// actionStatuses are the statuses PATCH /status takes. "spam" is there for
// triage rules; Help Scout has no priority field (no priority row).
var actionStatuses = []string{"active", "pending", "closed", "spam"}

// actionScope is what a 403 means: Help Scout's API has no scopes; the app
// acts as its user, whose inbox permissions apply.
const actionScope = "an app whose user (user_id) can access the conversation's inbox and change conversations there"

var actionRows = []platform.ActionCapability{
	{Action: platform.ActionTag, Target: targetType, Scope: actionScope,
		Doc: "GET /v2/conversations/{id}, then PUT /v2/conversations/{id}/tags with the union of its tags and the new ones: " +
			"Help Scout removes every tag left out, so the bot reads the tags first and never drops one. " +
			"A tag that does not exist yet is created by Help Scout."},
	{Action: platform.ActionAssign, Target: targetType, Keys: []string{assignUser}, MaxKeys: 1, Scope: actionScope,
		Doc: "PATCH /v2/conversations/{id} with {op: replace, path: /assignTo, value: <user id>}."},
	{Action: platform.ActionStatus, Target: targetType, Values: actionStatuses, Scope: actionScope,
		Doc: "PATCH /v2/conversations/{id} with {op: replace, path: /status, value: <status>}. Help Scout cannot snooze through the API."},
	{Action: platform.ActionSet, Target: targetType, Scope: actionScope,
		Doc: "GET /v2/conversations/{id}, then PUT /v2/conversations/{id}/fields with every custom field it has and the new values merged: " +
			"Help Scout removes every field left out, so the bot reads them first. " +
			"Keys are custom field ids (numbers); a dropdown's value is the option id, a date is YYYY-MM-DD."},
}

// ValidateAction implements platform.ActionValidator: a literal user id
// or custom field id must be a Help Scout id (a positive whole number).
func (Platform) ValidateAction(a *platform.ActionView) []platform.Problem {
	var out []platform.Problem
	switch a.Action {
	case platform.ActionAssign:
		if v, ok := a.Literals[assignUser]; ok && !isPositiveInt(strings.TrimSpace(v)) {
			out = append(out, platform.Problem{Path: []string{assignUser},
				Message: fmt.Sprintf("%q is not a Help Scout user id (a positive whole number)", v)})
		}
	case platform.ActionSet:
		for _, k := range a.Keys {
			if !isPositiveInt(k) {
				out = append(out, platform.Problem{Path: []string{k},
					Message: "Help Scout custom fields are set by id (a positive whole number, from GET /v2/mailboxes/{id}/fields), not by name"})
			}
		}
	}
	return out
}

var _ platform.ActionValidator = Platform{}
