package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

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
	// TimerHistory is what became of the timers this event started
	// (fired, cancelled and why, dropped and why), filled by callers
	// with a store: why a timer did not fire.
	TimerHistory []TimerOutcome `json:"timer_history,omitempty"`
}

// TimerOutcome is one recorded end of a timer.
type TimerOutcome struct {
	Rule    string `json:"rule"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	At      string `json:"at"`
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
	Platform string           `json:"platform,omitempty"`
	Request  *replier.Request `json:"request,omitempty"`
	// Steps are the actions that run after Request, in order.
	Steps []*replier.Request `json:"steps,omitempty"`
	// Timer is set when a timed rule matched: the timer it starts (its
	// reply and actions render when it fires; Request previews them as
	// of now).
	Timer *TimerExplanation `json:"timer,omitempty"`
	// Cancel is set for a timed rule with cancel_when: whether this event
	// cancels the rule's pending timer on its target.
	Cancel      *CancelExplanation `json:"cancel,omitempty"`
	RenderError string             `json:"render_error,omitempty"`
	Shadow      bool               `json:"shadow,omitempty"`
	Stops       bool               `json:"stops,omitempty"`
	// Delivery is what the store would do with the match (filled by callers
	// that have a store): "would be sent", "suppressed: cooldown", ...
	Delivery string `json:"delivery,omitempty"`
	// Match is the evaluation result, for callers that go on to check
	// once/cooldown/budgets against a store.
	Match *Match `json:"-"`
}

// TimerExplanation is the timer a timed rule's match starts.
type TimerExplanation struct {
	DueAt     string `json:"due_at"`
	After     string `json:"after"`
	Calendar  string `json:"calendar,omitempty"`
	TargetKey string `json:"target_key"`
	Retrigger string `json:"retrigger"`
	Error     string `json:"error,omitempty"`
}

// CancelExplanation says whether an event matches a timed rule's
// cancel_when. Pending is filled by callers with a store: the timer it
// would cancel, or that there is none.
type CancelExplanation struct {
	Matches   bool     `json:"matches"`
	TargetKey string   `json:"target_key,omitempty"`
	Why       string   `json:"why,omitempty"`
	False     []Clause `json:"false,omitempty"`
	Pending   string   `json:"pending,omitempty"`
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
				re.Request, re.Steps, re.Shadow, re.Stops = m.Request, m.Steps, m.Shadow, r.Stop && !m.Shadow
				if r.Timing != nil {
					re.Timer = rs.explainTimer(r, ev)
				}
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
		if r.Timing != nil && r.Timing.CancelWhen != nil && (r.Source == "" || r.Source == ev.Source) {
			re.Cancel = rs.explainCancel(run, r, ev, out.Ignored)
		}
		out.Rules = append(out.Rules, re)
	}
	return out
}

func (rs *Ruleset) explainTimer(r *Rule, ev *event.Event) *TimerExplanation {
	tx := &TimerExplanation{After: ShortDuration(r.Timing.After), Retrigger: RetriggerKeep}
	if r.Timing.Restart {
		tx.Retrigger = RetriggerRestart
	}
	if r.Timing.Calendar != nil {
		tx.Calendar = r.Timing.Calendar.Name
	}
	tm, err := rs.startTimer(r, ev)
	if err != nil {
		tx.Error = err.Error()
		return tx
	}
	tx.DueAt, tx.TargetKey = tm.DueAt.UTC().Format("2006-01-02T15:04:05Z07:00"), tm.TargetKey
	return tx
}

func (rs *Ruleset) explainCancel(run *runner, r *Rule, ev *event.Event, ignored string) *CancelExplanation {
	cx := &CancelExplanation{}
	if p := rs.PlatformFor(r, ev.Source); p != nil && ev.Target.ID != "" {
		cx.TargetKey = targetKey(p.Name, ev.Target)
	}
	switch {
	case ignored == IgnoredOwnReply:
		cx.Why = "loop guard: " + describeIgnored(ignored) + "; the bot's own events never cancel timers"
		return cx
	case ignored != "" && !r.AllowBots:
		cx.Why = "loop guard: " + describeIgnored(ignored) + " (set allow_bots: true to let such events cancel)"
		return cx
	case cx.TargetKey == "":
		cx.Why = "the event names no conversation or ticket"
		return cx
	}
	v, err := run.run(r.Timing.CancelWhen, ev)
	if err != nil {
		cx.Why = "cancel_when: " + exprMessage(err)
		return cx
	}
	cx.Matches, _ = v.(bool)
	if !cx.Matches {
		cx.False = rs.falseClausesOf(run, r.Timing.CancelWhen, ev)
	}
	return cx
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
	return rs.falseClausesOfSource(run, r.Config.When, ev)
}

// falseClausesOf explains a compiled condition (cancel_when).
func (rs *Ruleset) falseClausesOf(run *runner, prog *vm.Program, ev *event.Event) []Clause {
	return rs.falseClausesOfSource(run, prog.Source().String(), ev)
}

func (rs *Ruleset) falseClausesOfSource(run *runner, src string, ev *event.Event) []Clause {
	tree, err := parser.Parse(src)
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

// ShortDuration writes 4h rather than 4h0m0s, and 90s as 1m30s.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
