package rules

import (
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/supportops/autoresponder/internal/platform"
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
	// self are the identities of the configured accounts, by platform
	// kind (loop guard).
	self map[string][]platform.Identity
	reg  *platform.Registry
	// timed lists, by source, the timed rules with a cancel_when.
	timed map[string][]*Rule
	// detector guesses an event's language from its text; nil when no
	// rule needs a language.
	detector *languageDetector
	// unusedSnippets are snippets no template uses (a lint warning).
	unusedSnippets []string
	// lits skips rules whose words an event lacks; nil when no rule
	// has any (litfilter.go).
	lits *litFilter
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
	// Impl is the platform that sends to the source.
	Impl platform.Platform
	// Settings are the source's platform settings, validated.
	Settings *platform.Settings
}

// Platform is a configured reply account.
type Platform struct {
	Name   string
	Shadow bool
	Config *PlatformConfig
	// Impl is the account's platform; nil for kind log.
	Impl platform.Platform
	// BaseURL is the validated base_url, or the platform's default.
	BaseURL string
	// Settings are the account's platform settings, validated.
	Settings *platform.Settings
	// Secrets say where each secret setting given is read from.
	Secrets map[string]SecretRef
}

// Kind is the platform kind.
func (p *Platform) Kind() string { return p.Config.Kind }

// Rule is a compiled rule.
type Rule struct {
	Name   string
	Index  int // position in the file, 0-based
	Line   int
	Source string // "" = every source
	When   *vm.Program
	// Reply is nil when the rule only acts.
	Reply *ReplyTemplate
	// Actions run after the reply, in order.
	Actions []*ActionTemplate
	// Timing is nil unless the rule is timed (after).
	Timing     *Timing
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
	// lits are the literals the condition requires (nil: none), for the
	// literal filter.
	lits *litRule
	// needsLanguage: the rule reads `language` or has a body per
	// language, so the event's language is detected before it runs.
	needsLanguage bool
	// cancelNeedsLanguage: its cancel_when reads language.
	cancelNeedsLanguage bool
}

// ReplyTemplate is a compiled reply.
type ReplyTemplate struct {
	As          string
	Platform    string    // "" = the source's platform
	Body        *Template // with Bodies: the default language's
	ToType      string    // "" = the event's target
	ToID        *Template // nil = the event's target
	Attachments []replier.Attachment
	// Fields are the platform-specific reply fields the rule sets, by key.
	Fields []*FieldTemplate
	// flags are the boolean fields set true, for Platform.BodyFormat.
	flags map[string]bool
	// Bodies are the bodies per language, by ISO 639-1 code (nil for one
	// body); DefaultLanguage is the one Body is.
	Bodies          map[string]*Template
	DefaultLanguage string
}

// templates lists every template of the rule: its reply's, then its
// actions'.
func (r *Rule) templates() []*Template {
	out := r.Reply.templates()
	for _, a := range r.Actions {
		out = append(out, a.templates()...)
	}
	return out
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
	name := ""
	if r.Reply != nil {
		name = r.Reply.Platform
	}
	if name == "" {
		if s, ok := rs.Sources[source]; ok {
			name = s.Platform
		}
	}
	return rs.Platforms[name]
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
