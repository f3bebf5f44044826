package whmcs

// Actions on tickets. Only WHMCS's own External API (api: whmcs) changes a
// ticket: UpdateTicket sets status, priority, department, flag (the admin
// a ticket is assigned to) and custom fields (PLATFORMS-NEXT.md §2.2). The
// reseller API (api: keliweb) documents add-ticket-reply and
// add-ticket-note only (PLATFORMS.md), so an api: keliweb account takes no
// action; neither API has a ticket tag call, so there is no tag row.
//
// Spec.Actions is one table for the platform, so it lists what api: whmcs
// can do; AccountSpec and ValidateAction narrow it to the account's API.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// stockActionUpdate is the External API action every ticket action calls.
const stockActionUpdate = "UpdateTicket"

// Assignee kinds of assign, in the words of WHMCS's admin area.
const (
	AssignAdmin      = "admin"      // UpdateTicket flag: the admin id the ticket is flagged to
	AssignDepartment = "department" // UpdateTicket deptid: the department id
)

// stockWord pairs a rules-file word with WHMCS's own spelling.
type stockWord struct{ word, whmcs string }

// stockStatusWords are the ticket statuses of a fresh installation
// (GetSupportStatuses), lower-cased for the rules file. A custom status
// is not listed: a reply's status field takes any name.
var stockStatusWords = []stockWord{
	{"open", "Open"}, {"answered", "Answered"}, {"customer-reply", "Customer-Reply"},
	{"on hold", "On Hold"}, {"in progress", "In Progress"}, {"closed", "Closed"},
}

// stockPriorityWords are the only priorities UpdateTicket accepts.
var stockPriorityWords = []stockWord{{"low", "Low"}, {"medium", "Medium"}, {"high", "High"}}

func words(ws []stockWord) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.word
	}
	return out
}

// whmcsWord is WHMCS's spelling of a rules-file word ("" when unknown).
func whmcsWord(ws []stockWord, word string) string {
	for _, w := range ws {
		if w.word == word {
			return w.whmcs
		}
	}
	return ""
}

// stockScope is what a 403 or "Invalid Permissions" on an action means is
// missing.
const stockScope = "UpdateTicket allowed in the API credential's API role (Manage API Credentials > API Roles)"

// stockActions are the rows of api: whmcs, all on tickets, one
// UpdateTicket call each.
func stockActions() []platform.ActionCapability {
	ticket := event.TargetTicket
	const only = " api: whmcs only (the reseller API of api: keliweb has no ticket update)."
	return []platform.ActionCapability{
		{Action: platform.ActionAssign, Target: ticket, Keys: []string{AssignAdmin, AssignDepartment}, Scope: stockScope,
			Doc: "UpdateTicket with flag (admin: the admin id the ticket is flagged to) and/or deptid (department: the department id); both are numeric ids." + only},
		{Action: platform.ActionPriority, Target: ticket, Values: words(stockPriorityWords), Scope: stockScope,
			Doc: "UpdateTicket with priority Low, Medium or High." + only},
		{Action: platform.ActionStatus, Target: ticket, Values: words(stockStatusWords), Scope: stockScope,
			Doc: "UpdateTicket with status, a fresh installation's statuses in lower case (on hold is On Hold); for a custom status, use a reply's status field." + only},
		{Action: platform.ActionSet, Target: ticket, Scope: stockScope,
			Doc: "UpdateTicket with customfields (base64 of a serialized array); keys are custom field ids (Support > Custom Fields), other fields keep their values." + only},
	}
}

// AccountSpec is the Spec as an account of api sees it: the platform's
// table for api: whmcs, and the same without actions for api: keliweb
// (the default), whose reseller API documents no ticket update.
func (p *Platform) AccountSpec(api string) *platform.Spec {
	if api == APIStock {
		return p.spec
	}
	return keliwebSpec(p.spec)
}

func keliwebSpec(s *platform.Spec) *platform.Spec {
	k := *s
	k.Actions = nil
	return &k
}

var _ platform.ActionValidator = (*Platform)(nil)

// ValidateAction implements platform.ActionValidator: an api: keliweb
// account takes no action at all, and UpdateTicket takes numeric ids only
// (admin, department, custom field). Paths start at the action's key.
func (p *Platform) ValidateAction(a *platform.ActionView) []platform.Problem {
	if a.Account.Get(settingAPI) != APIStock {
		return []platform.Problem{{Path: []string{a.Action}, Message: keliwebNoAction(a.Action)}}
	}
	var ps []platform.Problem
	switch a.Action {
	case platform.ActionAssign:
		for _, k := range a.Keys {
			if v, ok := a.Literals[k]; ok && !isDigits(v) {
				ps = append(ps, platform.Problem{Path: []string{a.Action, k},
					Message: fmt.Sprintf("assign.%s %q is not a WHMCS %s id (a whole number)", k, v, k)})
			}
		}
	case platform.ActionSet:
		for _, k := range a.Keys {
			if !stockIsCustomFieldID(k) {
				ps = append(ps, platform.Problem{Path: []string{a.Action, k},
					Message: fmt.Sprintf("set key %q is not a custom field id (a whole number, as in Setup > Support > Custom Fields); UpdateTicket takes ids only", k)})
			}
		}
	}
	return ps
}

// keliwebNoAction says why an api: keliweb account cannot act, and what
// can.
func keliwebNoAction(action string) string {
	var can []string
	for _, r := range stockActions() {
		if !slices.Contains(can, r.Action) {
			can = append(can, r.Action)
		}
	}
	return fmt.Sprintf("whmcs with api: keliweb has no %s action: the reseller API documents only add-ticket-reply and add-ticket-note; WHMCS's own External API (api: whmcs) can: %s",
		action, strings.Join(can, ", "))
}
