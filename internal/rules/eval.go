package rules

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/vm"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
)

// Loop-guard reasons: why an event was withheld from rules (see
// platform.IgnoredReasons).
const (
	IgnoredOwnReply  = platform.IgnoredOwnReply  // authored by the bot's own account
	IgnoredBotAuthor = platform.IgnoredBotAuthor // authored by another bot or an automation
	IgnoredOperator  = platform.IgnoredOperator  // the platform's own assistant
)

// Evaluation is what the rules made of one event.
type Evaluation struct {
	// Ignored is the loop-guard reason when the event was withheld from
	// rules that do not allow bots; "" otherwise.
	Ignored string
	// Matches are the matching rules in file order, each with its rendered
	// request.
	Matches []Match
	// Timers are timed rules whose when matched: timers to start (they
	// render when they fire, not now).
	Timers []TimerMatch
	// Cancels are the pending timers this event cancels (cancel_when).
	Cancels []TimerCancel
	// Errors are conditions that failed to evaluate (counted as no match).
	Errors []RuleError
}

// Match is one rule that matched, with the reply it renders.
type Match struct {
	Rule     *Rule
	Platform *Platform
	// Request is the rendered reply. When rendering failed (Err) it only
	// names the platform, kind and target, for the dead letter.
	Request *replier.Request
	// Steps are the rule's actions after Request, in order.
	Steps []*replier.Request
	// NoMessage: the rule posts nothing, it only acts.
	NoMessage bool
	Err       error
	Shadow    bool
	// ClaimKey identifies what once/cooldown count by (target or contact).
	ClaimKey string
	// TargetKey identifies the conversation or ticket, for the per-target budget.
	TargetKey string
}

// RuleError is a condition that failed at run time.
type RuleError struct {
	Rule *Rule
	Err  error
}

// runner evaluates programs with a reusable VM; runners are pooled because a
// VM is not safe for concurrent use.
type runner struct {
	vm   vm.VM
	lits litScratch
}

func (r *runner) run(p *vm.Program, ev *event.Event) (any, error) {
	return r.vm.Run(p, ev)
}

// sourceIndex lists, for one source, the rules to try per topic, in file
// order: rules whose condition names topics only appear under those topics.
type sourceIndex struct {
	byTopic  map[string][]*Rule
	anyTopic []*Rule
}

func (rs *Ruleset) buildIndex() {
	rs.index = map[string]*sourceIndex{}
	rs.self = map[string][]platform.Identity{}
	for _, name := range sortedKeys(rs.Platforms) {
		p := rs.Platforms[name]
		if p.Impl == nil {
			continue
		}
		id := p.Impl.Identity(&platform.Account{Name: p.Name, BaseURL: p.BaseURL, Settings: p.Settings})
		rs.self[p.Kind()] = append(rs.self[p.Kind()], id)
	}
	rs.timed = map[string][]*Rule{}
	for name := range rs.Sources {
		for _, r := range rs.Rules {
			if r.Timing != nil && r.Timing.CancelWhen != nil && (r.Source == "" || r.Source == name) {
				rs.timed[name] = append(rs.timed[name], r)
			}
		}
		idx := &sourceIndex{byTopic: map[string][]*Rule{}}
		topics := map[string]bool{}
		var rules []*Rule
		for _, r := range rs.Rules {
			if r.Source == "" || r.Source == name {
				rules = append(rules, r)
				for t := range r.topics {
					topics[t] = true
				}
			}
		}
		for _, r := range rules {
			if r.topics == nil {
				idx.anyTopic = append(idx.anyTopic, r)
			}
		}
		for t := range topics {
			for _, r := range rules {
				if r.topics == nil || r.topics[t] {
					idx.byTopic[t] = append(idx.byTopic[t], r)
				}
			}
		}
		rs.index[name] = idx
	}
}

// candidates returns the rules that may match an event, in file order.
func (rs *Ruleset) candidates(ev *event.Event) []*Rule {
	idx := rs.index[ev.Source]
	if idx == nil {
		return nil
	}
	if rules, ok := idx.byTopic[ev.Topic]; ok {
		return rules
	}
	return idx.anyTopic
}

// LoopGuard says why an event must not trigger ordinary rules: it was
// written by the bot itself, by another bot, or by the platform's own
// assistant. The event's platform decides, knowing the bot's accounts.
func (rs *Ruleset) LoopGuard(ev *event.Event) string {
	p, ok := rs.reg.Lookup(ev.Kind)
	if !ok {
		return ""
	}
	return p.LoopGuard(ev, rs.self[ev.Kind])
}

// Evaluate runs the rules on ev in file order and renders the replies of
// those that match.
func (rs *Ruleset) Evaluate(ev *event.Event) Evaluation {
	var out Evaluation
	out.Ignored = rs.LoopGuard(ev)
	run := rs.runners.Get().(*runner)
	defer rs.runners.Put(run)
	out.Cancels, out.Errors = rs.cancels(run, ev, out.Ignored)
	langKnown := false
	if rs.lits != nil {
		rs.lits.begin(run)
	}
	for _, r := range rs.candidates(ev) {
		if out.Ignored != "" && !r.AllowBots {
			continue
		}
		if r.lits != nil && rs.lits != nil && !rs.lits.admits(run, r.lits, ev) {
			continue // a word the condition needs is not in the event
		}
		if r.needsLanguage && !langKnown { // detected once, and only for rules that use it
			ev, langKnown = rs.withLanguage(ev), true
		}
		ok, err := rs.match(run, r, ev)
		if err != nil {
			out.Errors = append(out.Errors, RuleError{Rule: r, Err: err})
			continue
		}
		if !ok {
			continue
		}
		if r.Timing != nil {
			tm, err := rs.startTimer(r, ev)
			if err != nil {
				out.Errors = append(out.Errors, RuleError{Rule: r, Err: fmt.Errorf("after: %w", err)})
				continue
			}
			out.Timers = append(out.Timers, tm)
			if r.Stop && !tm.Shadow {
				break
			}
			continue
		}
		m := rs.render(run, r, ev)
		out.Matches = append(out.Matches, m)
		// A rule on trial (shadow) must not change what live rules do.
		if r.Stop && !m.Shadow {
			break
		}
	}
	return out
}

func (rs *Ruleset) match(run *runner, r *Rule, ev *event.Event) (bool, error) {
	v, err := run.run(r.When, ev)
	if err != nil {
		return false, fmt.Errorf("when: %s", exprMessage(err))
	}
	b, _ := v.(bool)
	return b, nil
}

// Render renders a matched rule against ev with the ruleset's clock: what
// a timer does when it fires.
func (rs *Ruleset) Render(r *Rule, ev *event.Event) Match {
	run := rs.runners.Get().(*runner)
	defer rs.runners.Put(run)
	if r.needsLanguage {
		ev = rs.withLanguage(ev)
	}
	return rs.render(run, r, ev)
}

// render builds the requests of a matched rule: its reply, then its
// actions. A render failure is kept in the Match: the rule's job is
// dead-lettered with the reason.
func (rs *Ruleset) render(run *runner, r *Rule, ev *event.Event) Match {
	m := Match{Rule: r, Platform: rs.PlatformFor(r, ev.Source), Shadow: r.Shadow, NoMessage: r.Reply == nil}
	first := &replier.Request{Target: ev.Target}
	if r.Reply != nil {
		first.As = r.Reply.As
	} else if len(r.Actions) > 0 {
		first.Action = r.Actions[0].Action
	}
	if m.Platform == nil {
		m.Err = fmt.Errorf("no platform to reply to events of source %q", ev.Source)
		m.Request = first
		return m
	}
	m.Shadow = m.Shadow || m.Platform.Shadow
	steps, err := rs.renderSteps(run, r, m.Platform, ev)
	if err != nil {
		m.Err = err
		// Still key claims on the event's target so the dead letter names it.
		first.Platform = m.Platform.Name
		m.Request = first
		m.TargetKey = targetKey(m.Platform.Name, first.Target)
		m.ClaimKey = m.TargetKey
		return m
	}
	req := steps[0]
	m.Request, m.Steps = req, steps[1:]
	m.TargetKey = targetKey(m.Platform.Name, req.Target)
	m.ClaimKey = m.TargetKey
	if r.Per == PerContact && ev.Contact != nil {
		switch {
		case ev.Contact.ID != "":
			m.ClaimKey = "contact:" + ev.Source + ":" + ev.Contact.ID
		case ev.Contact.Email != "":
			m.ClaimKey = "contact-email:" + ev.Source + ":" + strings.ToLower(ev.Contact.Email)
		}
	}
	return m
}

// renderSteps renders the reply (when the rule has one) and the actions.
func (rs *Ruleset) renderSteps(run *runner, r *Rule, p *Platform, ev *event.Event) ([]*replier.Request, error) {
	var steps []*replier.Request
	if r.Reply != nil {
		req, err := rs.renderRequest(run, r, p, ev)
		if err != nil {
			return nil, err
		}
		steps = append(steps, req)
	}
	acts, err := rs.renderActions(run, r, p, ev)
	if err != nil {
		return nil, err
	}
	if len(steps)+len(acts) == 0 {
		return nil, fmt.Errorf("the rule has neither a reply nor actions")
	}
	return append(steps, acts...), nil
}

func targetKey(platform string, t event.Target) string {
	return platform + ":" + t.Type + ":" + t.ID
}

func (rs *Ruleset) renderRequest(run *runner, r *Rule, p *Platform, ev *event.Event) (*replier.Request, error) {
	t := r.Reply
	req := &replier.Request{
		V: replier.RequestVersion, Platform: p.Name, As: t.As, Target: ev.Target, Attachments: t.Attachments,
	}
	format := formatHTML // a log prints what any platform would get
	if p.Impl != nil {
		format = bodyFormatOf(p.Impl.BodyFormat(t.As, t.flags))
	}
	var err error
	if req.Body, err = t.bodyFor(ev.Language).Render(run, ev, format); err != nil {
		return nil, fmt.Errorf("reply.body: %w", err)
	}
	if t.ToID != nil {
		id, err := renderText(run, ev, t.ToID, "to.id")
		if err != nil {
			return nil, err
		}
		req.Target = event.Target{Type: t.ToType, ID: strings.TrimSpace(id)}
	}
	if req.Target.ID == "" {
		return nil, fmt.Errorf("the reply has no target id (the event names no %s; set reply.to)", req.Target.Type)
	}
	for _, f := range t.Fields {
		v, err := f.render(run, ev)
		if err != nil {
			return nil, err
		}
		req.Set(f.Key, v)
	}
	if p.Impl != nil {
		p.Impl.Prepare(req, ev.Source+"/"+ev.ID+"/"+r.Name)
	}
	return req, nil
}

// renderText renders a template of a reply field as text.
func renderText(run *runner, ev *event.Event, tpl *Template, field string) (string, error) {
	s, err := tpl.Render(run, ev, formatText)
	if err != nil {
		return "", fmt.Errorf("reply.%s: %w", field, err)
	}
	return s, nil
}

// render renders a field's templates as text.
func (f *FieldTemplate) render(run *runner, ev *event.Event) (replier.Value, error) {
	var v replier.Value
	var err error
	switch f.Type {
	case platform.FieldBool:
		v.Bool = f.Bool
	case platform.FieldText:
		v.Text, err = renderText(run, ev, f.Text, f.Key)
	case platform.FieldTextList:
		v.List = make([]string, len(f.List))
		for i, tpl := range f.List {
			if v.List[i], err = renderText(run, ev, tpl, f.Key); err != nil {
				return v, err
			}
		}
	case platform.FieldTextMap, platform.FieldObject:
		v.Map = make(map[string]string, len(f.Map))
		for _, k := range sortedKeys(f.Map) {
			s, err := renderText(run, ev, f.Map[k], f.Key+"."+k)
			if err != nil {
				return v, err
			}
			if f.required && s == "" {
				return v, fmt.Errorf("reply.%s.%s rendered empty", f.Key, k)
			}
			v.Map[k] = s
		}
	}
	return v, err
}

// bodyFormatOf maps a platform's body format to the escaping of
// interpolated values.
func bodyFormatOf(f platform.Format) bodyFormat {
	switch f {
	case platform.FormatHTML:
		return formatHTML
	case platform.FormatMarkdown:
		return formatMarkdown
	}
	return formatText
}
