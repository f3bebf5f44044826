package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/goccy/go-yaml/parser"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// Warning is a problem that does not stop the rules from loading but
// probably does not do what its author meant.
type Warning Error

func (w Warning) String() string {
	e := Error(w)
	return "warning: " + e.Error()
}

// Lint returns warnings about rules that load but are likely wrong.
func (rs *Ruleset) Lint() []Warning {
	pos := newPositioner(rs.File, rs.data)
	file, err := parser.ParseBytes(yamlLineBreaks(rs.data), 0)
	if err != nil {
		return nil
	}
	var out []Warning
	warn := func(at path, rule, format string, args ...any) {
		line, col := pos.nodePos(pos.node(file, at))
		out = append(out, Warning(*pos.at(line, col, rule, format, args...)))
	}
	for _, name := range rs.unusedSnippets {
		warn(path{"snippets", name}, "", "snippet %q is not used by any template", name)
	}
	for _, r := range rs.Rules {
		at := path{"rules", r.Index}
		kinds := rs.sourceKinds(r)
		topics := sortedKeys(r.topics)

		for _, t := range topics {
			if !rs.knownByAny(kinds, t) {
				warn(append(at, "when"), r.Name, "no %s source sends topic %q, so this rule never matches%s",
					strings.Join(kinds, " or "), t, rs.suggestTopic(kinds, t))
			}
		}
		isBotAuthored := func(t string) bool { return rs.topicIs(kinds, t, func(x platform.Topic) bool { return x.BotAuthored }) }
		isReplyTopic := func(t string) bool { return rs.topicIs(kinds, t, func(x platform.Topic) bool { return x.Reply }) }
		if r.AllowBots && (r.topics == nil || slices.ContainsFunc(topics, isBotAuthored)) {
			warn(append(at, "allow_bots"), r.Name, "allow_bots on a rule that sees admin and bot messages: the bot's own replies will reach it; make sure it cannot answer itself")
		}
		if !r.Once && r.Cooldown == 0 {
			replied := slices.ContainsFunc(topics, isReplyTopic)
			if replied || r.topics == nil {
				what := "every reply"
				if r.topics == nil {
					what = "every event, replies included"
				}
				warn(at, r.Name, "fires on %s in a conversation: add cooldown or once so customers are not answered again and again", what)
			}
		}
		for _, w := range rs.eventTargetWarnings(r) {
			warn(append(append(at, "reply"), w.at...), r.Name, "%s", w.msg)
		}
		for _, w := range rs.actionTargetWarnings(r) {
			warn(append(slices.Clone(at), w.at...), r.Name, "%s", w.msg)
		}
		for _, f := range rs.fieldsRead(r) {
			for _, k := range kinds {
				if rs.presence(k, f) == event.Never {
					warn(at, r.Name, "reads %s, which %s events never have", f, k)
					break
				}
			}
		}
		for _, t := range r.templates() {
			for _, part := range t.parts {
				if part.program == nil {
					continue
				}
				field, kind := rs.mayPrintBlank(part.source, kinds)
				if field == "" {
					continue
				}
				line, col := pos.nodePos(pos.node(file, t.at))
				if l, c, ok := pos.scalarOffset(pos.node(file, t.at), runeOffset(t.src, part.offset)); ok {
					line, col = l, c
				}
				out = append(out, Warning(*pos.at(line, col, r.Name,
					"{{ %s }} prints nothing for %s events without %s: give a fallback, e.g. {{ %s ?? \"...\" }}",
					part.source, kind, field, part.source)))
			}
		}
	}
	return out
}

// mayPrintBlank reports the field a placeholder prints that a source kind
// may not send, and that kind; "" when the placeholder is not a plain field
// or has a fallback (??). A missing string field is empty, and a `?.` over
// a missing object gives nil: both print as nothing, mid-sentence ("Your
// ticket number is ."). A plain `.` over a missing object is an error at
// run time instead, which the rule's tests catch.
func (rs *Ruleset) mayPrintBlank(source string, kinds []string) (field, kind string) {
	tree, err := exprparser.Parse(source)
	if err != nil {
		return "", ""
	}
	// The path from the outermost node in; nilSafe: the object is read
	// with ?., so when it is missing the placeholder prints nothing.
	type step struct {
		name    string
		nilSafe bool
	}
	var rev []step
	nilSafe := false
walk:
	for n := tree.Node; ; {
		switch x := n.(type) {
		case *ast.ChainNode:
			n = x.Node
		case *ast.IdentifierNode:
			rev = append(rev, step{x.Value, nilSafe})
			break walk
		case *ast.MemberNode:
			name, ok := x.Property.(*ast.StringNode)
			if !ok {
				return "", ""
			}
			rev = append(rev, step{name.Value, nilSafe})
			nilSafe = x.Optional
			n = x.Node
		default:
			return "", "" // a call, an operator (?? included), a literal
		}
	}
	names := make([]string, len(rev))
	for i, s := range rev {
		names[len(rev)-1-i] = s.name
	}
	for _, k := range kinds {
		for i := range names {
			s := rev[len(rev)-1-i]
			// An object on the way matters only when read with ?.; a
			// plain . over a missing object fails at run time instead.
			if i < len(names)-1 && !s.nilSafe {
				continue
			}
			if p := strings.Join(names[:i+1], "."); rs.presence(k, p) == event.Sometimes {
				return p, k
			}
		}
	}
	return "", ""
}

// sourceKinds are the kinds of source whose events a rule sees.
func (rs *Ruleset) sourceKinds(r *Rule) []string {
	seen := map[string]bool{}
	for name, s := range rs.Sources {
		if r.Source == "" || r.Source == name {
			seen[s.Kind] = true
		}
	}
	return sortedKeys(seen)
}

// presence says whether events of a platform kind carry a field.
func (rs *Ruleset) presence(kind, field string) event.Presence {
	p, ok := rs.reg.Lookup(kind)
	if !ok {
		return event.Sometimes
	}
	return event.PresenceIn(p.Spec().Presence, field)
}

// topicsOf lists the topics a platform kind sends.
func (rs *Ruleset) topicsOf(kind string) []platform.Topic {
	if p, ok := rs.reg.Lookup(kind); ok {
		return p.Spec().Topics
	}
	return nil
}

func (rs *Ruleset) knownByAny(kinds []string, topic string) bool {
	return rs.topicIs(kinds, topic, func(platform.Topic) bool { return true })
}

// topicIs reports whether one of the kinds sends topic and it has the
// property.
func (rs *Ruleset) topicIs(kinds []string, topic string, has func(platform.Topic) bool) bool {
	for _, k := range kinds {
		for _, t := range rs.topicsOf(k) {
			if t.Name == topic && has(t) {
				return true
			}
		}
	}
	return false
}

// suggestTopic offers the closest known topic.
func (rs *Ruleset) suggestTopic(kinds []string, t string) string {
	best, bestD := "", 4
	for _, k := range kinds {
		for _, c := range rs.topicsOf(k) {
			if d := editDistance(strings.ToLower(t), strings.ToLower(c.Name)); d < bestD {
				best, bestD = c.Name, d
			}
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// fieldsRead lists the event fields (dotted paths) a rule's condition and
// templates read.
func (rs *Ruleset) fieldsRead(r *Rule) []string {
	seen := map[string]bool{}
	collect := func(p *vm.Program) {
		if p == nil {
			return
		}
		ast.Find(p.Node(), func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.MemberNode:
				seen[strings.ReplaceAll(x.String(), "?", "")] = true
			case *ast.IdentifierNode:
				seen[x.Value] = true
			}
			return false
		})
	}
	collect(r.When)
	for _, t := range r.templates() {
		for _, part := range t.parts {
			collect(part.program)
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// templates lists every template of a reply.
func (t *ReplyTemplate) templates() []*Template {
	if t == nil {
		return nil
	}
	out := []*Template{t.Body, t.ToID}
	for _, lang := range sortedKeys(t.Bodies) {
		if t.Bodies[lang] != t.Body {
			out = append(out, t.Bodies[lang])
		}
	}
	for _, f := range t.Fields {
		out = append(out, f.Text)
		out = append(out, f.List...)
		for _, k := range sortedKeys(f.Map) {
			out = append(out, f.Map[k])
		}
	}
	return slices.DeleteFunc(out, func(t *Template) bool { return t == nil })
}
