package rules

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/replier"
)

// Modes and per values.
const (
	ModeLive   = "live"
	ModeShadow = "shadow"

	PerTarget  = "target"
	PerContact = "contact"
)

// Ruleset is a compiled rules file: everything the bot runs on. It is
// immutable once built, so a reload swaps it whole.
type Ruleset struct {
	Config    *Config
	File      string
	Hash      uint64
	Settings  Limits
	Sources   map[string]*Source
	Platforms map[string]*Platform
	Calendars map[string]*Calendar
	Rules     []*Rule

	clock func() time.Time
	// runners pools VMs: a VM is reused between evaluations but not shared.
	runners sync.Pool
	data    []byte
	opts    Options
	index   map[string]*sourceIndex
	// botAdmins are the platforms' own admin ids and names (loop guard).
	botAdminIDs   map[string]bool
	botAdminNames map[string]bool
}

// Limits are the Settings with defaults applied.
type Limits struct {
	DedupWindow      time.Duration
	HistoryRetention time.Duration
	TargetMaxPerHour int
	RuleMaxPerHour   int
	PauseAfter       int
	PauseFor         time.Duration
	MaxAttempts      int
	MaxAge           time.Duration
	BackoffInitial   time.Duration
	BackoffMax       time.Duration
	Timeout          time.Duration
	MaxRateLimitWait time.Duration
}

// Source is a configured webhook endpoint.
type Source struct {
	Name     string
	Kind     string
	Platform string // default platform for replies; "" when none
	Config   *SourceConfig
}

// Platform is a configured reply account.
type Platform struct {
	Name   string
	Shadow bool
	Config *PlatformConfig
}

// Kind is the platform kind.
func (p *Platform) Kind() string { return p.Config.Kind }

// Rule is a compiled rule.
type Rule struct {
	Name       string
	Index      int // position in the file, 0-based
	Line       int
	Source     string // "" = every source
	When       *vm.Program
	Reply      *ReplyTemplate
	Once       bool
	Cooldown   time.Duration
	Per        string
	Stop       bool
	MaxPerHour int
	AllowBots  bool
	Shadow     bool
	Config     *RuleConfig

	// topics the condition requires (nil: any topic), for the prefilter.
	topics map[string]bool
}

// ReplyTemplate is a compiled reply.
type ReplyTemplate struct {
	As             string
	Platform       string // "" = the source's platform
	Body           *Template
	ToType         string    // "" = the event's target
	ToID           *Template // nil = the event's target
	Options        []*Template
	AttachmentURLs []*Template
	Attachments    []replier.Attachment

	SkipNotifications bool
	CrossPost         bool
	ContactField      string // intercom_user_id | user_id | email
	Contact           *Template

	Markdown     bool
	From         map[string]*Template // client_id, contact_id, name, email, admin_username
	CustomFields map[string]*Template
	Status       *Template
	NoEmail      bool
}

// WithClock compiles the same file again with another clock (explaining a
// stored event as of when it arrived, or a test case's `at`).
func (rs *Ruleset) WithClock(clock func() time.Time) (*Ruleset, error) {
	opts := rs.opts
	opts.Clock = clock
	return Load(rs.data, rs.File, opts)
}

// now is the clock used by expressions.
func (rs *Ruleset) now() time.Time { return rs.clock() }

// PlatformFor returns the platform a rule's reply to an event of source goes to.
func (rs *Ruleset) PlatformFor(r *Rule, source string) *Platform {
	name := r.Reply.Platform
	if name == "" {
		if s, ok := rs.Sources[source]; ok {
			name = s.Platform
		}
	}
	return rs.Platforms[name]
}

// kindSupport says which reply kinds and fields a platform kind takes.
type kindSupport struct {
	as      map[string]bool
	targets map[string]bool
	fields  map[string]bool
	html    bool // bodies are HTML: escape interpolated values
}

// bodyFormat is how the platform reads a reply body: HTML, or Markdown
// when the reply says markdown (WHMCS), else plain text.
func (ks kindSupport) bodyFormat(markdown bool) bodyFormat {
	switch {
	case ks.html:
		return formatHTML
	case markdown:
		return formatMarkdown
	}
	return formatText
}

// kinds adds to each platform kind's replier.Capability the reply fields it
// takes and whether its bodies are HTML.
var kinds = map[string]kindSupport{
	event.KindIntercom: support(event.KindIntercom, true,
		"options", "attachment_urls", "attachments", "skip_notifications", "cross_post", "contact"),
	event.KindWHMCS: support(event.KindWHMCS, false,
		"attachments", "markdown", "from", "custom_fields", "status", "no_email"),
	replier.KindLog: support(replier.KindLog, true,
		"options", "attachment_urls", "attachments", "skip_notifications", "cross_post", "contact",
		"markdown", "from", "custom_fields", "status", "no_email"),
}

func support(kind string, html bool, fields ...string) kindSupport {
	c, _ := replier.CapabilityOf(kind)
	return kindSupport{as: set(c.As...), targets: set(c.Targets...), fields: set(fields...), html: html}
}

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, i := range items {
		m[i] = true
	}
	return m
}

// sourceTargets are the target types events of a source kind carry.
var sourceTargets = map[string][]string{
	event.KindIntercom: {event.TargetConversation, event.TargetTicket},
	event.KindWHMCS:    {event.TargetTicket},
}

func (c *compiler) reply(rs *Ruleset, at path, r *Rule) *ReplyTemplate {
	rc := r.Config.Reply
	name := r.Name
	t := &ReplyTemplate{
		As: rc.As, Platform: rc.Platform, SkipNotifications: rc.SkipNotifications, CrossPost: rc.CrossPost,
		Markdown: rc.Markdown, NoEmail: rc.NoEmail,
	}
	if rc.As == "" {
		c.errAt(at, name, "reply.as is required (comment, note, quick_reply or contact_reply)")
		return t
	}
	if !kinds[replier.KindLog].as[rc.As] {
		c.errAt(append(at, "as"), name, "reply.as %q is not a reply kind (comment, note, quick_reply or contact_reply)", rc.As)
		return t
	}
	// The platforms this rule can post to, and the target types it may see.
	type candidate struct {
		platform *Platform
		source   string // "" when the platform is named by the rule
	}
	var cands []candidate
	if rc.Platform != "" {
		p, ok := rs.Platforms[rc.Platform]
		if !ok {
			c.errAt(append(at, "platform"), name, "unknown platform %q", rc.Platform)
			return t
		}
		cands = append(cands, candidate{platform: p})
	} else {
		for _, sn := range sortedKeys(rs.Sources) {
			if r.Source != "" && sn != r.Source {
				continue
			}
			s := rs.Sources[sn]
			p, ok := rs.Platforms[s.Platform]
			if !ok {
				c.errAt(at, name, "source %q has no platform to reply to: add a platform named %q, set sources.%s.platform, or set reply.platform", sn, sn, sn)
				continue
			}
			cands = append(cands, candidate{platform: p, source: sn})
		}
	}
	used := usedFields(&rc)
	for _, cand := range cands {
		kind := cand.platform.Kind()
		ks, ok := kinds[kind]
		if !ok {
			continue // unknown kind: already reported on the platform
		}
		if !ks.as[rc.As] {
			c.errAt(append(at, "as"), name, "platform %q (%s) cannot post as %q (it takes %s)", cand.platform.Name, kind, rc.As, strings.Join(sortedKeys(ks.as), ", "))
			continue
		}
		for _, f := range used {
			if !ks.fields[f] {
				c.errAt(append(at, f), name, "platform %q (%s) does not take reply.%s", cand.platform.Name, kind, f)
			}
		}
		if rc.To == nil {
			// Replies go to the event's own target, which must be one the
			// platform can post to.
			srcs := []string{cand.source}
			if cand.source == "" {
				srcs = nil
				for _, sn := range sortedKeys(rs.Sources) {
					if r.Source == "" || sn == r.Source {
						srcs = append(srcs, sn)
					}
				}
			}
			for _, sn := range srcs {
				s := rs.Sources[sn]
				if s == nil || kind == replier.KindLog {
					continue
				}
				if s.Kind != kind {
					c.errAt(at, name, "events from source %q (%s) cannot be answered on platform %q (%s) without reply.to", sn, s.Kind, cand.platform.Name, kind)
				}
			}
		} else if rc.To.Type != "" && !ks.targets[rc.To.Type] {
			c.errAt(append(at, "to", "type"), name, "platform %q (%s) cannot post to a %s", cand.platform.Name, kind, rc.To.Type)
		}
	}

	switch rc.As {
	case replier.AsComment, replier.AsNote, replier.AsContactReply:
		if strings.TrimSpace(rc.Body) == "" {
			c.errAt(at, name, "reply.body is required for %s", rc.As)
		}
	case replier.AsQuickReply:
		if len(rc.Options) == 0 {
			c.errAt(at, name, "reply.options is required for quick_reply")
		}
	}
	if len(rc.Options) > 0 && rc.As != replier.AsQuickReply {
		c.errAt(append(at, "options"), name, "reply.options only applies to quick_reply")
	}
	if rc.CrossPost && rc.As != replier.AsNote {
		c.errAt(append(at, "cross_post"), name, "cross_post only applies to notes")
	}
	if len(rc.AttachmentURLs) > 10 {
		c.errAt(append(at, "attachment_urls"), name, "at most 10 attachment_urls")
	}
	if len(rc.Attachments) > 10 {
		c.errAt(append(at, "attachments"), name, "at most 10 attachments")
	}
	if rc.As == replier.AsContactReply {
		n := 0
		if rc.Contact != nil {
			for _, v := range []string{rc.Contact.IntercomUserID, rc.Contact.UserID, rc.Contact.Email} {
				if v != "" {
					n++
				}
			}
		}
		if n != 1 {
			c.errAt(append(at, "contact"), name, "contact_reply needs reply.contact with exactly one of intercom_user_id, user_id, email")
		}
	} else if rc.Contact != nil {
		c.errAt(append(at, "contact"), name, "reply.contact only applies to contact_reply")
	}

	t.Body = c.template(append(at, "body"), name, "reply.body", rc.Body)
	if rc.To != nil {
		switch rc.To.Type {
		case event.TargetConversation, event.TargetTicket:
		default:
			c.errAt(append(at, "to", "type"), name, "reply.to.type must be conversation or ticket")
		}
		if strings.TrimSpace(rc.To.ID) == "" {
			c.errAt(append(at, "to"), name, "reply.to.id is required")
		}
		if rc.To.ID == "last" && (rc.As != replier.AsContactReply || rc.To.Type != event.TargetConversation) {
			c.errAt(append(at, "to", "id"), name, `reply.to.id "last" only works for a contact_reply to a conversation`)
		}
		t.ToType = rc.To.Type
		t.ToID = c.template(append(at, "to", "id"), name, "reply.to.id", rc.To.ID)
	}
	for i, o := range rc.Options {
		t.Options = append(t.Options, c.template(append(at, "options", i), name, "reply.options", o))
	}
	for i, u := range rc.AttachmentURLs {
		t.AttachmentURLs = append(t.AttachmentURLs, c.template(append(at, "attachment_urls", i), name, "reply.attachment_urls", u))
	}
	t.Attachments = c.attachments(append(at, "attachments"), name, rc.Attachments)
	if rc.Contact != nil {
		for _, f := range []struct{ key, val string }{
			{"intercom_user_id", rc.Contact.IntercomUserID}, {"user_id", rc.Contact.UserID}, {"email", rc.Contact.Email},
		} {
			if f.val != "" {
				t.ContactField = f.key
				t.Contact = c.template(append(at, "contact", f.key), name, "reply.contact."+f.key, f.val)
			}
		}
	}
	if rc.From != nil {
		t.From = map[string]*Template{}
		for _, f := range []struct{ key, val string }{
			{"client_id", rc.From.ClientID}, {"contact_id", rc.From.ContactID}, {"name", rc.From.Name},
			{"email", rc.From.Email}, {"admin_username", rc.From.AdminUsername},
		} {
			if f.val != "" {
				t.From[f.key] = c.template(append(at, "from", f.key), name, "reply.from."+f.key, f.val)
			}
		}
	}
	if len(rc.CustomFields) > 0 {
		t.CustomFields = map[string]*Template{}
		for _, k := range sortedKeys(rc.CustomFields) {
			t.CustomFields[k] = c.template(append(at, "custom_fields", k), name, "reply.custom_fields", rc.CustomFields[k])
		}
	}
	if rc.Status != "" {
		t.Status = c.template(append(at, "status"), name, "reply.status", rc.Status)
	}
	return t
}

// usedFields lists the platform-specific reply fields a rule sets.
func usedFields(rc *ReplyConfig) []string {
	var f []string
	add := func(on bool, name string) {
		if on {
			f = append(f, name)
		}
	}
	add(len(rc.Options) > 0, "options")
	add(len(rc.AttachmentURLs) > 0, "attachment_urls")
	add(len(rc.Attachments) > 0, "attachments")
	add(rc.SkipNotifications, "skip_notifications")
	add(rc.CrossPost, "cross_post")
	add(rc.Contact != nil, "contact")
	add(rc.Markdown, "markdown")
	add(rc.From != nil, "from")
	add(len(rc.CustomFields) > 0, "custom_fields")
	add(rc.Status != "", "status")
	add(rc.NoEmail, "no_email")
	return f
}

// checkBaseURL accepts absolute http(s) URLs without query or fragment.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("base_url %q must be an absolute http(s) URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("base_url %q must not have credentials, a query or a fragment", s)
	}
	return nil
}

// checkCalendars reports in_hours/outside_hours calls naming a calendar that
// does not exist (the names are string literals in practice).
func (c *compiler) checkCalendars(at path, rule string, prog *vm.Program) {
	ast.Find(prog.Node(), func(n ast.Node) bool {
		call, ok := n.(*ast.CallNode)
		if !ok {
			return false
		}
		id, ok := call.Callee.(*ast.IdentifierNode)
		if !ok || (id.Value != "in_hours" && id.Value != "outside_hours") || len(call.Arguments) != 1 {
			return false
		}
		if s, ok := call.Arguments[0].(*ast.StringNode); ok {
			if _, known := c.cfg.Calendars[s.Value]; !known {
				c.errAt(at, rule, "%s(%q): no calendar named %q in calendars:", id.Value, s.Value, s.Value)
			}
		}
		return false
	})
}

// topicsOf returns the topics a condition requires, when its top level is a
// conjunction containing `topic == "x"` or `topic in [...]`; nil otherwise.
func topicsOf(prog *vm.Program) map[string]bool {
	return requiredTopics(prog.Node())
}

func requiredTopics(n ast.Node) map[string]bool {
	switch x := n.(type) {
	case *ast.BinaryNode:
		switch x.Operator {
		case "&&", "and":
			l, r := requiredTopics(x.Left), requiredTopics(x.Right)
			switch {
			case l == nil:
				return r
			case r == nil:
				return l
			default: // both constrain: the intersection
				out := map[string]bool{}
				for t := range l {
					if r[t] {
						out[t] = true
					}
				}
				return out
			}
		case "||", "or":
			l, r := requiredTopics(x.Left), requiredTopics(x.Right)
			if l == nil || r == nil {
				return nil
			}
			out := map[string]bool{}
			for t := range l {
				out[t] = true
			}
			for t := range r {
				out[t] = true
			}
			return out
		case "==":
			if isTopic(x.Left) {
				if s, ok := x.Right.(*ast.StringNode); ok {
					return map[string]bool{s.Value: true}
				}
			}
			if isTopic(x.Right) {
				if s, ok := x.Left.(*ast.StringNode); ok {
					return map[string]bool{s.Value: true}
				}
			}
		case "in":
			if isTopic(x.Left) {
				// The optimizer turns a literal string array into a set.
				if cn, ok := x.Right.(*ast.ConstantNode); ok {
					if m, ok := cn.Value.(map[string]struct{}); ok {
						out := make(map[string]bool, len(m))
						for t := range m {
							out[t] = true
						}
						return out
					}
				}
				if arr, ok := x.Right.(*ast.ArrayNode); ok {
					out := map[string]bool{}
					for _, e := range arr.Nodes {
						s, ok := e.(*ast.StringNode)
						if !ok {
							return nil
						}
						out[s.Value] = true
					}
					return out
				}
			}
		}
	}
	return nil
}

func isTopic(n ast.Node) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == "topic"
}
