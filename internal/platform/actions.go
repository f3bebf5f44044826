package platform

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/replier"
)

// Actions a rule can take on a conversation or ticket besides posting. A
// platform lists the ones it can do in Spec.Actions, one row per action and
// target type; the loader, the replier and the contract suite all read that
// one table.
const (
	ActionTag      = "tag"      // add tags (never removes any)
	ActionAssign   = "assign"   // assign to an agent, team, group...
	ActionPriority = "priority" // set the priority
	ActionStatus   = "status"   // open, close, snooze...
	ActionSet      = "set"      // set custom attributes / fields
)

// ActionNames lists every platform action, in the order the docs show them.
var ActionNames = []string{ActionTag, ActionAssign, ActionPriority, ActionStatus, ActionSet}

// ActionCapability is one thing a platform can do to one target type.
type ActionCapability struct {
	Action string // one of ActionNames
	Target string // event.TargetConversation or event.TargetTicket
	// Values are what priority and status accept, in the rules file's
	// (lower-case) words; the replier maps them to the platform's own.
	Values []string
	// Until lists the status values that need `until` (snooze); `until`
	// on any other value is refused.
	Until []string
	// Keys are who assign can name (admin, team, group, agent, ...), or
	// the field names set accepts (nil: any name the platform's
	// ValidateAction allows).
	Keys []string
	// MaxKeys bounds how many keys one assign may name (0: any of Keys).
	MaxKeys int
	// Scope is the permission or API scope the call needs, named in the
	// dead letter of a 403 ("" when the platform has none to name).
	Scope string
	// Doc is a sentence for the generated reference: which API call it
	// makes, and anything a user must know (tags read first and written
	// as a union, for example).
	Doc string
}

// ActionRow returns the row of an action on a target type.
func (s *Spec) ActionRow(action, target string) (ActionCapability, bool) {
	for _, a := range s.Actions {
		if a.Action == action && a.Target == target {
			return a, true
		}
	}
	return ActionCapability{}, false
}

// ActionsOn lists the actions a platform can do to a target type, for
// error messages ("it can: tag, status").
func (s *Spec) ActionsOn(target string) []string {
	var out []string
	for _, a := range s.Actions {
		if a.Target == target && !slices.Contains(out, a.Action) {
			out = append(out, a.Action)
		}
	}
	return out
}

// CheckAction refuses an action request its row does not allow: what the
// loader refuses, checked again by the replier before it builds a call, so
// a job stored by another release cannot slip through.
func (s *Spec) CheckAction(req *replier.Request) error {
	row, ok := s.ActionRow(req.Action, req.Target.Type)
	if !ok {
		can := s.ActionsOn(req.Target.Type)
		if len(can) == 0 {
			return fmt.Errorf("%s can take no action on a %s", s.Name, req.Target.Type)
		}
		return fmt.Errorf("%s has no %s action for a %s (it has: %s)", s.Name, req.Action, req.Target.Type, strings.Join(can, ", "))
	}
	allowed := actionFields[req.Action]
	for k := range req.Fields {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("%s takes no %s", req.Action, k)
		}
	}
	switch req.Action {
	case ActionTag:
		tags := req.Fields[replier.FieldTags].List
		if len(tags) == 0 {
			return fmt.Errorf("tag needs at least one tag")
		}
		for _, t := range tags {
			if strings.TrimSpace(t) == "" {
				return fmt.Errorf("tag: a tag rendered empty")
			}
		}
	case ActionAssign:
		who := req.Fields[replier.FieldAssignee].Map
		if len(who) == 0 {
			return fmt.Errorf("assign needs one of: %s", strings.Join(row.Keys, ", "))
		}
		if row.MaxKeys > 0 && len(who) > row.MaxKeys {
			return fmt.Errorf("assign on %s takes at most %d of: %s", s.Name, row.MaxKeys, strings.Join(row.Keys, ", "))
		}
		for k, v := range who {
			if !slices.Contains(row.Keys, k) {
				return fmt.Errorf("%s cannot assign a %s to a %s (it can assign: %s)", s.Name, req.Target.Type, k, strings.Join(row.Keys, ", "))
			}
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("assign.%s rendered empty", k)
			}
		}
	case ActionPriority:
		p := req.Fields[replier.FieldPriority].Text
		if !slices.Contains(row.Values, p) {
			return fmt.Errorf("%s priority %q is not one of: %s", s.Name, p, strings.Join(row.Values, ", "))
		}
	case ActionStatus:
		st := req.Fields[replier.FieldStatus].Text
		if !slices.Contains(row.Values, st) {
			return fmt.Errorf("%s status %q is not one of: %s", s.Name, st, strings.Join(row.Values, ", "))
		}
		until, has := req.Fields[replier.FieldUntil]
		switch {
		case slices.Contains(row.Until, st) && !has:
			return fmt.Errorf("status %s needs until", st)
		case !slices.Contains(row.Until, st) && has:
			return fmt.Errorf("status %s takes no until (only %s do)", st, strings.Join(row.Until, ", "))
		case has:
			if _, err := time.Parse(time.RFC3339, until.Text); err != nil {
				return fmt.Errorf("status until %q is not an RFC 3339 time", until.Text)
			}
		}
	case ActionSet:
		set := req.Fields[replier.FieldSet].Map
		if len(set) == 0 {
			return fmt.Errorf("set needs at least one field")
		}
		for k := range set {
			if row.Keys != nil && !slices.Contains(row.Keys, k) {
				return fmt.Errorf("%s cannot set %q on a %s (it can set: %s)", s.Name, k, req.Target.Type, strings.Join(row.Keys, ", "))
			}
		}
	default:
		return fmt.Errorf("unknown action %q", req.Action)
	}
	return nil
}

// actionFields are the request fields each action carries.
var actionFields = map[string][]string{
	ActionTag:      {replier.FieldTags},
	ActionAssign:   {replier.FieldAssignee},
	ActionPriority: {replier.FieldPriority},
	ActionStatus:   {replier.FieldStatus, replier.FieldUntil, replier.FieldUntilIn},
	ActionSet:      {replier.FieldSet},
}

// ActionValidator is implemented by platforms that check an action's
// literal values further when the rules file loads (field names set may
// use, id formats). Values with placeholders are checked when sent.
// A Problem's Path starts at the action's key (["assign", "admin"]) or
// below it (["admin"]).
type ActionValidator interface {
	ValidateAction(a *ActionView) []Problem
}

// ActionView is an action as written, for ActionValidator.
type ActionView struct {
	Action string
	Target string // the target type it acts on
	// Keys are the assign or set keys as written.
	Keys []string
	// Literals are values written without placeholders, by key (assign
	// and set), or under the action's name (priority, status).
	Literals map[string]string
	Account  *Settings
}

// AssigneeIDProblems reports the assign values written as literals that
// isID refuses, for a platform (title) that names agents and groups by
// number: a mistake bot check can catch before any event arrives.
func AssigneeIDProblems(a *ActionView, title string, isID func(string) bool) []Problem {
	var ps []Problem
	for _, k := range a.Keys {
		if v, ok := a.Literals[k]; ok && !isID(v) {
			ps = append(ps, Problem{Path: []string{k}, Message: fmt.Sprintf("%q is not a %s %s id (a number)", v, title, k)})
		}
	}
	return ps
}
