package rules

import (
	"fmt"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/replier"
)

// Explanation says, rule by rule, what the rules make of an event and why.
type Explanation struct {
	Source  string            `json:"source"`
	Topic   string            `json:"topic"`
	EventID string            `json:"event_id"`
	Ignored string            `json:"ignored,omitempty"`
	Rules   []RuleExplanation `json:"rules"`
}

// RuleExplanation is one rule's verdict.
type RuleExplanation struct {
	Rule string `json:"rule"`
	Line int    `json:"line"`
	// Verdict is matched, no_match, error, or skipped.
	Verdict string `json:"verdict"`
	// Why explains a skip or an error.
	Why string `json:"why,omitempty"`
	// False lists the parts of `when` that were false, innermost first,
	// with the values they saw.
	False []Clause `json:"false,omitempty"`
	// For a match: the request that would be sent.
	Platform    string           `json:"platform,omitempty"`
	Request     *replier.Request `json:"request,omitempty"`
	RenderError string           `json:"render_error,omitempty"`
	Shadow      bool             `json:"shadow,omitempty"`
	Stops       bool             `json:"stops,omitempty"`
	// Delivery is what the store would do with the match (filled by callers
	// that have a store): "would be sent", "suppressed: cooldown", ...
	Delivery string `json:"delivery,omitempty"`
	// Match is the evaluation result, for callers that go on to check
	// once/cooldown/budgets against a store.
	Match *Match `json:"-"`
}

// Clause is a part of a condition with its value and the values of the
// fields it reads.
type Clause struct {
	Expr   string       `json:"expr"`
	Value  any          `json:"value"`
	Error  string       `json:"error,omitempty"`
	Values []NamedValue `json:"values,omitempty"`
}

// NamedValue is a field the clause read and what it held.
type NamedValue struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// Verdicts.
const (
	VerdictMatched = "matched"
	VerdictNoMatch = "no_match"
	VerdictError   = "error"
	VerdictSkipped = "skipped"
)

// Explain evaluates every rule on ev, not only those the prefilter picks,
// and explains each verdict.
func (rs *Ruleset) Explain(ev *event.Event) Explanation {
	out := Explanation{Source: ev.Source, Topic: ev.Topic, EventID: ev.ID, Ignored: rs.LoopGuard(ev)}
	run := rs.runners.Get().(*runner)
	defer rs.runners.Put(run)
	stopped := ""
	langKnown := false
	for _, r := range rs.Rules {
		re := RuleExplanation{Rule: r.Name, Line: r.Line}
		if r.needsLanguage && !langKnown {
			ev, langKnown = rs.withLanguage(ev), true
		}
		switch {
		case stopped != "":
			re.Verdict, re.Why = VerdictSkipped, fmt.Sprintf("rule %s matched earlier and has stop: true", stopped)
		case r.Source != "" && r.Source != ev.Source:
			re.Verdict, re.Why = VerdictSkipped, fmt.Sprintf("only for source %s", r.Source)
		case out.Ignored != "" && !r.AllowBots:
			re.Verdict, re.Why = VerdictSkipped, "loop guard: "+describeIgnored(out.Ignored)+" (set allow_bots: true to see such events)"
		default:
			ok, err := rs.match(run, r, ev)
			switch {
			case err != nil:
				re.Verdict, re.Why = VerdictError, err.Error()
			case ok:
				re.Verdict = VerdictMatched
				m := rs.render(run, r, ev)
				re.Match = &m
				re.Request, re.Shadow, re.Stops = m.Request, m.Shadow, r.Stop && !m.Shadow
				if m.Platform != nil {
					re.Platform = m.Platform.Name
				}
				if m.Err != nil {
					re.RenderError = m.Err.Error()
				}
				if re.Stops {
					stopped = r.Name
				}
			default:
				re.Verdict = VerdictNoMatch
				re.False = rs.falseClauses(run, r, ev)
			}
		}
		out.Rules = append(out.Rules, re)
	}
	return out
}

func describeIgnored(reason string) string {
	switch reason {
	case IgnoredOwnReply:
		return "written by the bot's own admin"
	case IgnoredBotAuthor:
		return "written by a bot"
	case IgnoredOperator:
		return "a reply of the platform's own assistant"
	}
	return reason
}

// falseClauses walks the condition as written and reports the parts that
// made it false.
func (rs *Ruleset) falseClauses(run *runner, r *Rule, ev *event.Event) []Clause {
	tree, err := parser.Parse(r.Config.When)
	if err != nil {
		return nil
	}
	env := exprEnv(rs.Calendars, rs.now)
	return explainNode(tree.Node, env, run, ev)
}

// explainNode returns the false parts under n: for `a && b` the first false
// side, for `a || b` both sides, for `!a` the clause itself; for anything
// else the clause with the values of the fields it reads.
func explainNode(n ast.Node, env *exprEnvironment, run *runner, ev *event.Event) []Clause {
	switch x := n.(type) {
	case *ast.BinaryNode:
		switch x.Operator {
		case "&&", "and":
			if c := evalClause(x.Left, env, run, ev); c.Value != true {
				return explainNode(x.Left, env, run, ev)
			}
			return explainNode(x.Right, env, run, ev)
		case "||", "or":
			return append(explainNode(x.Left, env, run, ev), explainNode(x.Right, env, run, ev)...)
		}
	}
	c := evalClause(n, env, run, ev)
	if c.Value == true {
		return nil
	}
	return []Clause{c}
}

// evalClause evaluates one sub-expression and the fields it reads.
func evalClause(n ast.Node, env *exprEnvironment, run *runner, ev *event.Event) Clause {
	c := Clause{Expr: n.String()}
	p, err := env.compile(c.Expr)
	if err != nil {
		c.Error = exprMessage(err)
		return c
	}
	v, err := run.run(p, ev)
	if err != nil {
		c.Error = stripExprPosition(exprMessage(err))
		return c
	}
	c.Value = v
	var names []string
	seen := map[string]bool{}
	ast.Find(n, func(sub ast.Node) bool {
		var name string
		switch s := sub.(type) {
		case *ast.MemberNode:
			name = s.String()
		case *ast.IdentifierNode:
			name = s.Value
		default:
			return false
		}
		if !seen[name] && !isFunction(name) {
			seen[name] = true
			names = append(names, name)
		}
		return false
	})
	for _, name := range names {
		if readsDeeper(name, names) {
			continue // "message" adds nothing next to "message.text"
		}
		fp, err := env.compile(name)
		if err != nil {
			continue
		}
		fv, err := run.run(fp, ev)
		if err != nil {
			c.Values = append(c.Values, NamedValue{Name: name, Value: "error: " + stripExprPosition(exprMessage(err))})
			continue
		}
		c.Values = append(c.Values, NamedValue{Name: name, Value: summarize(fv)})
	}
	return c
}

// readsDeeper reports whether another name reads a field of name.
func readsDeeper(name string, names []string) bool {
	for _, o := range names {
		if len(o) > len(name) && o[:len(name)] == name && (o[len(name)] == '.' || o[len(name)] == '[' || o[len(name)] == '?') {
			return true
		}
	}
	return false
}

func isFunction(name string) bool {
	for _, f := range Functions {
		if f == name {
			return true
		}
	}
	return false
}

// summarize keeps explanations readable: long strings and big objects are
// cut.
func summarize(v any) any {
	switch x := v.(type) {
	case string:
		if len(x) > 300 {
			return x[:300] + "…"
		}
	case map[string]any:
		if len(x) > 20 {
			return fmt.Sprintf("<object with %d keys>", len(x))
		}
	case []any:
		if len(x) > 20 {
			return fmt.Sprintf("<list of %d items>", len(x))
		}
	}
	return v
}
