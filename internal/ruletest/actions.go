package ruletest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
	"github.com/supportops/autoresponder/internal/rules"
)

// ExpectAction is one expected action of a match, written like the rules
// file's action: one of tag, assign, priority, status, set or notify.
// Keys left out are not checked.
type ExpectAction struct {
	Tag      stringList        `yaml:"tag"`
	Assign   map[string]string `yaml:"assign"`
	Priority string            `yaml:"priority"`
	Status   string            `yaml:"status"`
	// Until is when a status (snoozed) ends, RFC 3339: the clock plus the
	// rule's until.
	Until string            `yaml:"until"`
	Set   map[string]string `yaml:"set"`
	// Notify is the notifier's name; Text and TextContains check what it
	// is sent.
	Notify       string     `yaml:"notify"`
	Text         *string    `yaml:"text"`
	TextContains stringList `yaml:"text_contains"`

	kind  string
	until time.Time
}

// expectActionKeys are the keys naming an action, in the order messages
// list them.
var expectActionKeys = []string{"tag", "assign", "priority", "status", "set", "notify"}

// checkAction checks an expected action as the loader reads it: exactly
// one action, and the keys that go with it.
func (s *Suite) checkAction(pos *rules.Positioner, at []any, label string, a *ExpectAction) {
	if a == nil {
		pos.ErrAt(at, "%sactions: an entry is empty", label)
		return
	}
	var set []string
	for _, k := range []struct {
		key string
		set bool
	}{
		{"tag", a.Tag != nil}, {"assign", a.Assign != nil}, {"priority", a.Priority != ""},
		{"status", a.Status != ""}, {"set", a.Set != nil}, {"notify", a.Notify != ""},
	} {
		if k.set {
			set = append(set, k.key)
		}
	}
	switch len(set) {
	case 0:
		pos.ErrAt(at, "%sactions: an entry needs one of: %s", label, strings.Join(expectActionKeys, ", "))
		return
	case 1:
		a.kind = set[0] // the keys are the action names
	default:
		pos.ErrAt(at, "%sactions: an entry is one action, this one has %s: write each as its own list item", label, strings.Join(set, " and "))
		return
	}
	if a.Tag != nil && len(a.Tag) == 0 {
		pos.ErrAt(appendPath(at, "tag"), "%sactions: tag needs at least one tag", label)
	}
	if a.Until != "" {
		if a.kind != platform.ActionStatus {
			pos.ErrAt(appendPath(at, "until"), "%sactions: until only goes with status", label)
		} else if t, err := time.Parse(time.RFC3339, a.Until); err != nil {
			pos.ErrAt(appendPath(at, "until"), "%sactions: until: want the RFC 3339 time the status ends, like 2026-03-02T12:00:00Z, not %q", label, a.Until)
		} else {
			a.until = t
		}
	}
	if a.kind != replier.ActionNotify {
		if a.Text != nil {
			pos.ErrAt(appendPath(at, "text"), "%sactions: text only goes with notify", label)
		}
		if a.TextContains != nil {
			pos.ErrAt(appendPath(at, "text_contains"), "%sactions: text_contains only goes with notify", label)
		}
		return
	}
	if a.Text != nil && len(a.TextContains) > 0 {
		pos.ErrAt(appendPath(at, "text_contains"), "%sactions: give text or text_contains, not both", label)
	}
	if _, ok := s.rules.Config.Notifiers[a.Notify]; !ok {
		pos.ErrAt(appendPath(at, "notify"), "%sactions: no notifier named %q in %s", label, a.Notify, s.RulesFile)
	}
}

// compareActions checks the rendered action steps against the expected
// ones: the same actions in the same order, each with what it names.
func compareActions(what string, want []*ExpectAction, got []*replier.Request) []Problem {
	var out []Problem
	add := func(format string, args ...any) {
		out = append(out, Problem{Msg: what + ": " + fmt.Sprintf(format, args...)})
	}
	kinds := func() (w, g []string) {
		for _, a := range want {
			w = append(w, a.kind)
		}
		for _, r := range got {
			g = append(g, r.Action)
		}
		return w, g
	}
	if w, g := kinds(); !slices.Equal(w, g) {
		add("actions: expected %s, got %s", listOrNone(w), listOrNone(g))
		return out
	}
	for i, a := range want {
		r := got[i]
		n := i + 1
		switch a.kind {
		case platform.ActionTag:
			if tags := r.List(replier.FieldTags); !slices.Equal(a.Tag, tags) {
				add("action %d (tag): expected %s, got %s", n, quoteList(a.Tag), quoteList(tags))
			}
		case platform.ActionAssign:
			if m := r.Map(replier.FieldAssignee); !maps.Equal(a.Assign, m) {
				add("action %d (assign): expected %s, got %s", n, showMap(a.Assign), showMap(m))
			}
		case platform.ActionSet:
			if m := r.Map(replier.FieldSet); !maps.Equal(a.Set, m) {
				add("action %d (set): expected %s, got %s", n, showMap(a.Set), showMap(m))
			}
		case platform.ActionPriority:
			if v := r.Text(replier.FieldPriority); v != a.Priority {
				add("action %d (priority): expected %s, got %s", n, a.Priority, v)
			}
		case platform.ActionStatus:
			if v := r.Text(replier.FieldStatus); v != a.Status {
				add("action %d (status): expected %s, got %s", n, a.Status, v)
			}
			if !a.until.IsZero() {
				got, err := time.Parse(time.RFC3339, r.Text(replier.FieldUntil))
				if err != nil || !got.Equal(a.until) {
					add("action %d (status): until: expected %s, got %s", n, a.Until, orNone(r.Text(replier.FieldUntil)))
				}
			}
		case replier.ActionNotify:
			if to := strings.TrimPrefix(r.Platform, replier.NotifierPrefix); to != a.Notify {
				add("action %d (notify): expected notifier %s, got %s", n, a.Notify, to)
			}
			text := r.Text(replier.FieldText)
			if a.Text != nil && strings.TrimRight(*a.Text, "\n") != strings.TrimRight(text, "\n") {
				out = append(out, Problem{Msg: fmt.Sprintf("%s: action %d (notify): the text differs", what, n), Detail: bodyDiff(*a.Text, text)})
			}
			for _, s := range a.TextContains {
				if !strings.Contains(text, s) {
					out = append(out, Problem{Msg: fmt.Sprintf("%s: action %d (notify): the text does not contain %q", what, n, s), Detail: labelled("text: ", text)})
				}
			}
		}
	}
	return out
}

// describeAction prints a rendered action step on one line.
func describeAction(r *replier.Request) string {
	switch r.Action {
	case platform.ActionTag:
		return "tag " + quoteList(r.List(replier.FieldTags))
	case platform.ActionAssign:
		return "assign " + showMap(r.Map(replier.FieldAssignee))
	case platform.ActionSet:
		return "set " + showMap(r.Map(replier.FieldSet))
	case platform.ActionPriority:
		return "priority " + r.Text(replier.FieldPriority)
	case platform.ActionStatus:
		s := "status " + r.Text(replier.FieldStatus)
		if u := r.Text(replier.FieldUntil); u != "" {
			s += " until " + u
		}
		return s
	case replier.ActionNotify:
		return fmt.Sprintf("notify %s: %q", strings.TrimPrefix(r.Platform, replier.NotifierPrefix), r.Text(replier.FieldText))
	}
	return r.Action
}

// actionSteps are a match's action requests: its Steps, and its first
// request too when the rule posts no message.
func actionSteps(m rules.Match) []*replier.Request {
	if m.Err != nil {
		return nil
	}
	if m.NoMessage && m.Request != nil {
		return append([]*replier.Request{m.Request}, m.Steps...)
	}
	return m.Steps
}

func derefActions(a *[]*ExpectAction) []*ExpectAction {
	if a == nil {
		return nil
	}
	return *a
}

func showMap(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %q", k, m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
