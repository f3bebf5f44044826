package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr/vm"
	"github.com/google/uuid"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/replier"
)

// Loop-guard reasons: why an event was withheld from rules.
const (
	IgnoredOwnReply  = "own_reply"  // authored by one of the bot's own admins
	IgnoredBotAuthor = "bot_author" // authored by a bot (Fin, workflows)
	IgnoredOperator  = "operator"   // conversation.operator.replied
)

// Evaluation is what the rules made of one event.
type Evaluation struct {
	// Ignored is the loop-guard reason when the event was withheld from
	// rules that do not allow bots; "" otherwise.
	Ignored string
	// Matches are the matching rules in file order, each with its rendered
	// request.
	Matches []Match
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
	Err     error
	Shadow  bool
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
type runner struct{ vm vm.VM }

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
	rs.botAdminIDs = map[string]bool{}
	rs.botAdminNames = map[string]bool{}
	for _, p := range rs.Platforms {
		if p.Config.AdminID != "" {
			rs.botAdminIDs[p.Kind()+"/"+p.Config.AdminID] = true
		}
		if p.Config.AdminName != "" {
			rs.botAdminNames[p.Kind()+"/"+p.Config.AdminName] = true
		}
	}
	for name := range rs.Sources {
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
// written by the bot itself, by another bot, or by Intercom's operator.
func (rs *Ruleset) LoopGuard(ev *event.Event) string {
	if ev.Kind == event.KindIntercom && ev.Topic == "conversation.operator.replied" {
		return IgnoredOperator
	}
	if ev.Message == nil {
		return ""
	}
	a := ev.Message.Author
	if a.Type == "admin" {
		if a.ID != "" && rs.botAdminIDs[ev.Kind+"/"+a.ID] {
			return IgnoredOwnReply
		}
		if a.Name != "" && rs.botAdminNames[ev.Kind+"/"+a.Name] {
			return IgnoredOwnReply
		}
	}
	// Fin creates tickets on a customer's behalf: a bot-authored part on
	// ticket.created is the customer's request, not a bot talking.
	if a.Type == "bot" && ev.Topic != "ticket.created" {
		return IgnoredBotAuthor
	}
	return ""
}

// Evaluate runs the rules on ev in file order and renders the replies of
// those that match.
func (rs *Ruleset) Evaluate(ev *event.Event) Evaluation {
	var out Evaluation
	out.Ignored = rs.LoopGuard(ev)
	run := rs.runners.Get().(*runner)
	defer rs.runners.Put(run)
	for _, r := range rs.candidates(ev) {
		if out.Ignored != "" && !r.AllowBots {
			continue
		}
		ok, err := rs.match(run, r, ev)
		if err != nil {
			out.Errors = append(out.Errors, RuleError{Rule: r, Err: err})
			continue
		}
		if !ok {
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

// quickReplyNamespace derives stable quick-reply uuids from the event and
// rule, so a retried or replayed request carries the same buttons.
var quickReplyNamespace = uuid.MustParse("6f1c1b0e-9a57-4d6b-9a39-2b1f3d0e7c11")

// render builds the request of a matched rule. A render failure is kept in
// the Match: that one job is dead-lettered with the reason.
func (rs *Ruleset) render(run *runner, r *Rule, ev *event.Event) Match {
	m := Match{Rule: r, Platform: rs.PlatformFor(r, ev.Source), Shadow: r.Shadow}
	if m.Platform == nil {
		m.Err = fmt.Errorf("no platform to reply to events of source %q", ev.Source)
		m.Request = &replier.Request{As: r.Reply.As, Target: ev.Target}
		return m
	}
	m.Shadow = m.Shadow || m.Platform.Shadow
	req, err := rs.renderRequest(run, r, m.Platform, ev)
	if err != nil {
		m.Err = err
		// Still key claims on the event's target so the dead letter names it.
		req = &replier.Request{Platform: m.Platform.Name, As: r.Reply.As, Target: ev.Target}
		m.Request = req
		m.TargetKey = targetKey(m.Platform.Name, req.Target)
		m.ClaimKey = m.TargetKey
		return m
	}
	m.Request = req
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

func targetKey(platform string, t event.Target) string {
	return platform + ":" + t.Type + ":" + t.ID
}

func (rs *Ruleset) renderRequest(run *runner, r *Rule, p *Platform, ev *event.Event) (*replier.Request, error) {
	t := r.Reply
	text := func(tpl *Template, field string) (string, error) {
		s, err := tpl.Render(run, ev, formatText)
		if err != nil {
			return "", fmt.Errorf("reply.%s: %w", field, err)
		}
		return s, nil
	}
	req := &replier.Request{
		Platform: p.Name, As: t.As, Target: ev.Target,
		SkipNotifications: t.SkipNotifications, CrossPost: t.CrossPost,
		Markdown: t.Markdown, NoEmail: t.NoEmail, Attachments: t.Attachments,
	}
	var err error
	if req.Body, err = t.Body.Render(run, ev, kinds[p.Kind()].bodyFormat(t.Markdown)); err != nil {
		return nil, fmt.Errorf("reply.body: %w", err)
	}
	if t.ToID != nil {
		id, err := text(t.ToID, "to.id")
		if err != nil {
			return nil, err
		}
		req.Target = event.Target{Type: t.ToType, ID: strings.TrimSpace(id)}
	}
	if req.Target.ID == "" {
		return nil, fmt.Errorf("the reply has no target id (the event names no %s; set reply.to)", req.Target.Type)
	}
	for i, o := range t.Options {
		s, err := text(o, "options")
		if err != nil {
			return nil, err
		}
		req.Options = append(req.Options, replier.Option{
			Text: s,
			UUID: uuid.NewSHA1(quickReplyNamespace, fmt.Appendf(nil, "%s/%s/%s/%d", ev.Source, ev.ID, r.Name, i)).String(),
		})
	}
	for _, u := range t.AttachmentURLs {
		s, err := text(u, "attachment_urls")
		if err != nil {
			return nil, err
		}
		req.AttachmentURLs = append(req.AttachmentURLs, s)
	}
	if t.Contact != nil {
		v, err := text(t.Contact, "contact."+t.ContactField)
		if err != nil {
			return nil, err
		}
		if v == "" {
			return nil, fmt.Errorf("reply.contact.%s rendered empty", t.ContactField)
		}
		req.Contact = &replier.ContactRef{}
		switch t.ContactField {
		case "intercom_user_id":
			req.Contact.IntercomUserID = v
		case "user_id":
			req.Contact.UserID = v
		case "email":
			req.Contact.Email = v
		}
	}
	if len(t.From) > 0 {
		req.From = &replier.Sender{}
		for _, k := range sortedKeys(t.From) {
			v, err := text(t.From[k], "from."+k)
			if err != nil {
				return nil, err
			}
			switch k {
			case "client_id":
				req.From.ClientID = v
			case "contact_id":
				req.From.ContactID = v
			case "name":
				req.From.Name = v
			case "email":
				req.From.Email = v
			case "admin_username":
				req.From.AdminUsername = v
			}
		}
	}
	if len(t.CustomFields) > 0 {
		req.CustomFields = map[string]string{}
		keys := make([]string, 0, len(t.CustomFields))
		for k := range t.CustomFields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, err := text(t.CustomFields[k], "custom_fields."+k)
			if err != nil {
				return nil, err
			}
			req.CustomFields[k] = v
		}
	}
	if t.Status != nil {
		if req.Status, err = text(t.Status, "status"); err != nil {
			return nil, err
		}
	}
	return req, nil
}
