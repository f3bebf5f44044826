package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
)

// maxActions bounds a rule's actions: each is a job and a platform call.
const maxActions = 10

// maxUntil bounds a snooze: longer is almost surely a typo.
const maxUntil = 365 * 24 * time.Hour

// ActionTemplate is one compiled action of a rule.
type ActionTemplate struct {
	// Action is a platform action (platform.ActionTag, ...) or
	// replier.ActionNotify.
	Action string
	// Notifier is the notifier a notify action sends to.
	Notifier string
	List     []*Template          // tag
	Map      map[string]*Template // assign, set
	Value    *Template            // priority, status, notify's text
	Until    time.Duration        // status
}

// actionKeys are the keys of an action, in the order error messages list them.
var actionKeys = []string{"tag", "assign", "priority", "status", "set", "notify"}

// kindOf returns which one action ac is, or "" with an error message.
func (ac *ActionConfig) kindOf() (string, string) {
	var set []string
	if ac.Tag != nil {
		set = append(set, "tag")
	}
	if ac.Assign != nil {
		set = append(set, "assign")
	}
	if ac.Priority != "" {
		set = append(set, "priority")
	}
	if ac.Status != "" {
		set = append(set, "status")
	}
	if ac.Set != nil {
		set = append(set, "set")
	}
	if ac.Notify != nil {
		set = append(set, "notify")
	}
	switch len(set) {
	case 1:
		return set[0], ""
	case 0:
		return "", "an action needs one of: " + strings.Join(actionKeys, ", ")
	}
	return "", fmt.Sprintf("an action does one thing, this one has %s: write each as its own list item", strings.Join(set, " and "))
}

// actions compiles a rule's actions and checks each against the platforms
// the rule acts on: one table (Spec.Actions) decides, as for replies.
func (c *compiler) actions(rs *Ruleset, at path, r *Rule) []*ActionTemplate {
	list := r.Config.Actions
	if len(list) > maxActions {
		c.errAt(at, r.Name, "at most %d actions per rule", maxActions)
	}
	var out []*ActionTemplate
	for i := range list {
		ac := &list[i]
		aat := append(slices.Clone(at), i)
		kind, msg := ac.kindOf()
		if kind == "" {
			c.errAt(aat, r.Name, "%s", msg)
			continue
		}
		if ac.Until != 0 && kind != "status" {
			c.errAt(append(aat, "until"), r.Name, "until only applies to status")
		}
		if t := c.action(rs, aat, r, kind, ac); t != nil {
			out = append(out, t)
		}
	}
	return out
}

func (c *compiler) action(rs *Ruleset, at path, r *Rule, kind string, ac *ActionConfig) *ActionTemplate {
	name := r.Name
	kat := append(slices.Clone(at), kind)
	t := &ActionTemplate{Action: kind}
	switch kind {
	case "notify":
		t.Action = replier.ActionNotify
		n := ac.Notify
		if n.To == "" {
			c.errAt(kat, name, "notify.to is required: the name of a notifier (%s)", orList(sortedKeys(c.cfg.Notifiers)))
		} else if _, ok := c.cfg.Notifiers[n.To]; !ok {
			c.errAt(append(kat, "to"), name, "no notifier named %q in notifiers: (%s)", n.To, orList(sortedKeys(c.cfg.Notifiers)))
		}
		if strings.TrimSpace(n.Text) == "" {
			c.errAt(kat, name, "notify.text is required")
		}
		t.Notifier = n.To
		t.Value = c.template(append(kat, "text"), name, "notify.text", n.Text)
		return t
	case "tag":
		if len(ac.Tag) == 0 {
			c.errAt(kat, name, "tag needs at least one tag")
		}
		for j, s := range ac.Tag {
			if strings.TrimSpace(s) == "" {
				c.errAt(append(kat, j), name, "a tag must not be empty")
				continue
			}
			t.List = append(t.List, c.template(append(kat, j), name, "tag", s))
		}
	case "assign", "set":
		m := ac.Assign
		if kind == "set" {
			m = ac.Set
		}
		if len(m) == 0 {
			c.errAt(kat, name, "%s needs at least one key", kind)
		}
		t.Map = map[string]*Template{}
		for _, k := range sortedKeys(m) {
			if strings.TrimSpace(m[k]) == "" && kind == "assign" {
				c.errAt(append(kat, k), name, "assign.%s needs an id", k)
				continue
			}
			t.Map[k] = c.template(append(kat, k), name, kind+"."+k, m[k])
		}
	case "priority":
		t.Value = c.template(kat, name, "priority", ac.Priority)
	case "status":
		t.Value = c.template(kat, name, "status", ac.Status)
		t.Until = ac.Until.Std()
		if t.Until < 0 || t.Until > maxUntil {
			c.errAt(append(at, "until"), name, "until must be positive and at most 365d")
		}
	}
	for _, p := range c.actionPlatforms(rs, r) {
		c.checkAction(at, name, p, t)
	}
	return t
}

// actionPlatforms are the accounts a rule's actions may act on, with the
// target types of the events that reach it.
func (c *compiler) actionPlatforms(rs *Ruleset, r *Rule) []*Platform {
	var out []*Platform
	for _, sn := range sortedKeys(rs.Sources) {
		if r.Source != "" && sn != r.Source {
			continue
		}
		if p := rs.PlatformFor(r, sn); p != nil && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// checkAction refuses an action the platform cannot do on any target type
// its events carry, or a literal value or key its rows do not take.
func (c *compiler) checkAction(at path, rule string, p *Platform, t *ActionTemplate) {
	if p.Impl == nil { // kind log prints whatever it is given
		return
	}
	spec := p.Impl.Spec()
	var rows []platform.ActionCapability
	for _, target := range spec.Targets {
		if row, ok := spec.ActionRow(t.Action, target); ok {
			rows = append(rows, row)
		}
	}
	kat := append(slices.Clone(at), t.Action)
	if len(rows) == 0 {
		var can []string
		for _, target := range spec.Targets {
			for _, a := range spec.ActionsOn(target) {
				if !slices.Contains(can, a) {
					can = append(can, a)
				}
			}
		}
		if len(can) == 0 {
			c.errOnce(kat, rule, "platform %q (%s) can take no actions", p.Name, spec.Name)
		} else {
			c.errOnce(kat, rule, "platform %q (%s) has no %s action (it has: %s)", p.Name, spec.Name, t.Action, strings.Join(can, ", "))
		}
		return
	}
	union := func(get func(platform.ActionCapability) []string) []string {
		var out []string
		for _, r := range rows {
			for _, v := range get(r) {
				if !slices.Contains(out, v) {
					out = append(out, v)
				}
			}
		}
		return out
	}
	view := &platform.ActionView{Action: t.Action, Account: p.Settings, Literals: map[string]string{}}
	switch t.Action {
	case platform.ActionPriority, platform.ActionStatus:
		values := union(func(r platform.ActionCapability) []string { return r.Values })
		if v, ok := t.Value.static(); ok {
			if !slices.Contains(values, v) {
				c.errOnce(kat, rule, "platform %q (%s) has no %s %q (it has: %s)", p.Name, spec.Name, t.Action, v, strings.Join(values, ", "))
				return
			}
			view.Literals[t.Action] = v
			if t.Action == platform.ActionStatus {
				needs := slices.ContainsFunc(rows, func(r platform.ActionCapability) bool { return slices.Contains(r.Until, v) })
				switch {
				case needs && t.Until == 0:
					c.errOnce(kat, rule, "status %s needs until (how long, e.g. until: 2h)", v)
				case !needs && t.Until != 0:
					c.errOnce(append(slices.Clone(at), "until"), rule, "status %s takes no until on platform %q (%s)", v, p.Name, spec.Name)
				}
			}
		}
	case platform.ActionAssign, platform.ActionSet:
		keys := union(func(r platform.ActionCapability) []string { return r.Keys })
		anyKey := t.Action == platform.ActionSet && slices.ContainsFunc(rows, func(r platform.ActionCapability) bool { return r.Keys == nil })
		for _, k := range sortedKeys(t.Map) {
			view.Keys = append(view.Keys, k)
			if v, ok := t.Map[k].static(); ok {
				view.Literals[k] = v
			}
			if !anyKey && !slices.Contains(keys, k) {
				c.errOnce(append(slices.Clone(kat), k), rule, "platform %q (%s) cannot %s %q (it takes: %s)", p.Name, spec.Name, t.Action, k, strings.Join(keys, ", "))
			}
		}
		if t.Action == platform.ActionAssign {
			for _, r := range rows {
				if r.MaxKeys > 0 && len(t.Map) > r.MaxKeys {
					c.errOnce(kat, rule, "platform %q (%s) assigns to at most %d of: %s", p.Name, spec.Name, r.MaxKeys, strings.Join(r.Keys, ", "))
					break
				}
			}
		}
	}
	if v, ok := p.Impl.(platform.ActionValidator); ok {
		for _, target := range spec.Targets {
			if _, has := spec.ActionRow(t.Action, target); !has {
				continue
			}
			view.Target = target
			for _, pr := range v.ValidateAction(view) {
				where := slices.Clone(at)
				if len(pr.Path) == 0 || pr.Path[0] != t.Action {
					where = append(where, t.Action) // a path relative to the action's value
				}
				for _, k := range pr.Path {
					where = append(where, k)
				}
				c.errOnce(where, rule, "%s", pr.Message)
			}
		}
	}
}

// renderActions renders a rule's actions into requests, in order.
func (rs *Ruleset) renderActions(run *runner, r *Rule, p *Platform, ev *event.Event) ([]*replier.Request, error) {
	out := make([]*replier.Request, 0, len(r.Actions))
	for i, t := range r.Actions {
		req := &replier.Request{V: replier.RequestVersion, Action: t.Action, Target: ev.Target}
		if p != nil {
			req.Platform = p.Name
		}
		where := fmt.Sprintf("actions[%d].%s", i, t.Action)
		text := func(tpl *Template) (string, error) {
			s, err := tpl.Render(run, ev, formatText)
			if err != nil {
				return "", fmt.Errorf("%s: %w", where, err)
			}
			return strings.TrimSpace(s), nil
		}
		switch t.Action {
		case replier.ActionNotify:
			req.Platform = replier.NotifierPrefix + t.Notifier
			// Customer text must not ping a Slack channel or disguise a
			// link; the rule's own literal text may (<@U123>).
			f := formatText
			if n := rs.Config.Notifiers[t.Notifier]; n != nil && n.Kind == NotifierSlack {
				f = formatSlack
			}
			s, err := t.Value.Render(run, ev, f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			if strings.TrimSpace(s) == "" {
				return nil, fmt.Errorf("%s: the text rendered empty", where)
			}
			req.Set(replier.FieldText, replier.Value{Text: s})
			// What a receiver needs to tell notifications apart: the id is
			// the same on every retry, so it can drop duplicates.
			req.Set("id", replier.Value{Text: fmt.Sprintf("%s/%s/%s/%d", ev.Source, ev.ID, r.Name, i)})
			req.Set("rule", replier.Value{Text: r.Name})
			if p != nil {
				req.Set("platform", replier.Value{Text: p.Name})
			}
		case platform.ActionTag:
			v := replier.Value{List: make([]string, 0, len(t.List))}
			for _, tpl := range t.List {
				s, err := text(tpl)
				if err != nil {
					return nil, err
				}
				if s != "" && !slices.Contains(v.List, s) {
					v.List = append(v.List, s)
				}
			}
			if len(v.List) == 0 {
				return nil, fmt.Errorf("%s: every tag rendered empty", where)
			}
			req.Set(replier.FieldTags, v)
		case platform.ActionAssign, platform.ActionSet:
			v := replier.Value{Map: make(map[string]string, len(t.Map))}
			for _, k := range sortedKeys(t.Map) {
				s, err := text(t.Map[k])
				if err != nil {
					return nil, err
				}
				if s == "" && t.Action == platform.ActionAssign {
					return nil, fmt.Errorf("%s.%s rendered empty", where, k)
				}
				v.Map[k] = s
			}
			key := replier.FieldAssignee
			if t.Action == platform.ActionSet {
				key = replier.FieldSet
			}
			req.Set(key, v)
		case platform.ActionPriority, platform.ActionStatus:
			s, err := text(t.Value)
			if err != nil {
				return nil, err
			}
			req.Set(t.Action, replier.Value{Text: strings.ToLower(s)})
			if t.Until > 0 {
				req.Set(replier.FieldUntil, replier.Value{Text: rs.now().Add(t.Until).UTC().Format(time.RFC3339)})
				req.Set(replier.FieldUntilIn, replier.Value{Text: t.Until.String()})
			}
		}
		if err := rs.checkRendered(p, req); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		out = append(out, req)
	}
	return out, nil
}

// checkRendered applies the platform's table to an action whose values
// were templates: a value the platform refuses is a render error (a dead
// letter now), not a call that fails the same way on every retry.
func (rs *Ruleset) checkRendered(p *Platform, req *replier.Request) error {
	if req.Action == replier.ActionNotify || p == nil || p.Impl == nil || req.Target.ID == "" {
		return nil
	}
	return p.Impl.Spec().CheckAction(req)
}

// templates lists an action's templates.
func (t *ActionTemplate) templates() []*Template {
	out := append([]*Template{t.Value}, t.List...)
	for _, k := range sortedKeys(t.Map) {
		out = append(out, t.Map[k])
	}
	return slices.DeleteFunc(out, func(t *Template) bool { return t == nil })
}
