package ruletest

import (
	"fmt"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/replier"
	"github.com/supportops/autoresponder/internal/rules"
)

// Result is the outcome of one test.
type Result struct {
	Case *Case
	// File and Line locate the test (its name).
	File string
	Line int
	// Ignored is the loop guard's reason when the event was withheld from
	// ordinary rules.
	Ignored string
	Actual  []Actual
	// Problems are why the test failed; empty when it passed.
	Problems []Problem

	// A sequence test's results: each event's, every timer started, what
	// happened moment by moment, and when the clock stopped.
	Steps    []*StepResult
	Timers   []*TimerRun
	Timeline []Entry
	Until    time.Time
}

// StepResult is what the rules made of one event of a sequence.
type StepResult struct {
	Step    *Step
	Ignored string
	Actual  []Actual
}

// Passed reports whether the test passed.
func (r *Result) Passed() bool { return len(r.Problems) == 0 }

// Actual is one match the rules produced, as a test sees it.
type Actual struct {
	Rule     string
	As       string
	Platform string
	Target   event.Target
	Body     string
	Options  []string
	Shadow   bool
	// NoMessage: the rule posts nothing, it only acts.
	NoMessage bool
	// Actions are the rendered action steps, in order.
	Actions []*replier.Request
	// RenderError is why the reply could not be rendered ("" when it was).
	RenderError string
}

// Problem is one reason a test failed, with lines that explain it.
type Problem struct {
	Msg    string
	Detail []string
}

// Run runs the tests whose names keep says yes to (nil: all), in file order.
func (s *Suite) Run(keep func(name string) bool) []*Result {
	var out []*Result
	for _, c := range s.Cases {
		if keep != nil && !keep(c.Name) {
			continue
		}
		out = append(out, s.runCase(c))
	}
	return out
}

func (s *Suite) runCase(c *Case) *Result {
	if c.Sequence != nil {
		return s.runSequence(c)
	}
	res := &Result{Case: c, File: c.file, Line: c.line}
	rs, err := s.rulesAt(c.at)
	if err != nil {
		res.Problems = append(res.Problems, Problem{Msg: fmt.Sprintf("cannot compile the rules with the clock at %s: %v", c.at.Format(time.RFC3339), err)})
		return res
	}
	eval := rs.Evaluate(c.event)
	res.Ignored = eval.Ignored
	for _, m := range eval.Matches {
		res.Actual = append(res.Actual, actualOf(m))
	}
	res.Problems = compare(derefExpect(c.Expect), res.Actual, eval.Errors, func() rules.Explanation { return rs.Explain(c.event) })
	return res
}

// actualOf is a match as a test sees it.
func actualOf(m rules.Match) Actual {
	a := Actual{Rule: m.Rule.Name, Shadow: m.Shadow, NoMessage: m.NoMessage, Actions: actionSteps(m)}
	if m.Rule.Reply != nil {
		a.As = m.Rule.Reply.As
	}
	if m.Platform != nil {
		a.Platform = m.Platform.Name
	}
	if m.Request != nil {
		a.Target = m.Request.Target
		if !m.NoMessage {
			a.As, a.Body = m.Request.As, m.Request.Body
			a.Options = m.Request.List("options")
		}
	}
	if m.Err != nil {
		a.RenderError = m.Err.Error()
	}
	return a
}

// rulesAt compiles the rules with the clock fixed at t (once per distinct t).
func (s *Suite) rulesAt(t time.Time) (*rules.Ruleset, error) {
	if rs, ok := s.byClock[t]; ok {
		return rs, nil
	}
	rs, err := s.rules.WithClock(fixedClock(t))
	if err != nil {
		return nil, err
	}
	s.byClock[t] = rs
	return rs, nil
}

// compare lists every difference between the expected and actual matches.
// Rule names are unique and a rule matches an event at most once, so
// matches pair up by name; the order is checked separately.
func compare(expect []*Expect, actual []Actual, condErrs []rules.RuleError, explain func() rules.Explanation) []Problem {
	out := evalProblems(actual, condErrs)
	got := map[string]*Actual{}
	for i := range actual {
		got[actual[i].Rule] = &actual[i]
	}
	want := map[string]bool{}
	var ex *rules.Explanation
	for _, e := range expect {
		want[e.Rule] = true
		a, ok := got[e.Rule]
		if !ok {
			if ex == nil {
				v := explain()
				ex = &v
			}
			out = append(out, Problem{Msg: fmt.Sprintf("rule %s should match, but did not", e.Rule), Detail: whyNot(ex, e.Rule)})
			continue
		}
		out = append(out, compareMatch(e, a)...)
	}
	for _, a := range actual {
		if !want[a.Rule] {
			out = append(out, Problem{Msg: fmt.Sprintf("rule %s matched, but the test does not expect it", a.Rule)})
		}
	}
	if len(out) == 0 && !sameOrder(expect, actual) {
		var w, g []string
		for _, e := range expect {
			w = append(w, e.Rule)
		}
		for _, a := range actual {
			g = append(g, a.Rule)
		}
		out = append(out, Problem{Msg: fmt.Sprintf("the rules matched in another order (matches follow the rules file): expected %s; got %s",
			strings.Join(w, ", "), strings.Join(g, ", "))})
	}
	return out
}

// evalProblems are the failures whatever a test expects: a condition that
// cannot be evaluated, a reply that cannot be rendered.
func evalProblems(actual []Actual, condErrs []rules.RuleError) []Problem {
	var out []Problem
	for _, e := range condErrs {
		out = append(out, Problem{Msg: fmt.Sprintf("rule %s: the condition failed to evaluate (the bot counts this as no match and logs a warning): %v", e.Rule.Name, e.Err)})
	}
	for _, a := range actual {
		if a.RenderError != "" {
			out = append(out, Problem{Msg: fmt.Sprintf("rule %s matched, but its reply cannot be rendered (the bot would dead-letter it): %s", a.Rule, a.RenderError)})
		}
	}
	return out
}

func sameOrder(expect []*Expect, actual []Actual) bool {
	if len(expect) != len(actual) {
		return false
	}
	for i := range expect {
		if expect[i].Rule != actual[i].Rule {
			return false
		}
	}
	return true
}

// compareMatch checks the fields an expectation names.
func compareMatch(e *Expect, a *Actual) []Problem {
	return compareRendered("rule "+a.Rule, e, a)
}

// compareRendered checks the fields an expectation names; what names the
// match (a rule, a timer) starts each message.
func compareRendered(what string, e *Expect, a *Actual) []Problem {
	var out []Problem
	add := func(format string, args ...any) {
		out = append(out, Problem{Msg: what + ": " + fmt.Sprintf(format, args...)})
	}
	if a.NoMessage {
		for _, k := range []struct {
			key string
			set bool
		}{{"as", e.As != ""}, {"body", e.Body != nil}, {"body_contains", e.BodyContains != nil}, {"options", e.Options != nil}} {
			if k.set {
				add("%s: the rule posts no message (it only acts)", k.key)
			}
		}
	}
	if e.As != "" && e.As != a.As && !a.NoMessage {
		add("as: expected %s, got %s", e.As, a.As)
	}
	if e.Platform != "" && e.Platform != a.Platform {
		add("platform: expected %s, got %s", e.Platform, a.Platform)
	}
	if e.To != nil && (e.To.Type != a.Target.Type || e.To.ID != a.Target.ID) {
		add("to: expected %s %s, got %s %s", e.To.Type, e.To.ID, a.Target.Type, a.Target.ID)
	}
	if e.Options != nil && !a.NoMessage && !equalStrings(*e.Options, a.Options) {
		add("options: expected %s, got %s", quoteList(*e.Options), quoteList(a.Options))
	}
	if e.Shadow != nil && *e.Shadow != a.Shadow {
		if *e.Shadow {
			add("expected a shadow match (logged, never sent), but it is live")
		} else {
			add("expected a live match, but it is in shadow mode (logged, never sent)")
		}
	}
	if a.RenderError != "" {
		return out // the body is not there to compare; the render error is reported
	}
	if e.Actions != nil {
		out = append(out, compareActions(what, *e.Actions, a.Actions)...)
	}
	if a.NoMessage {
		return out
	}
	if e.Body != nil && strings.TrimRight(*e.Body, "\n") != strings.TrimRight(a.Body, "\n") {
		out = append(out, Problem{
			Msg:    what + ": the body differs",
			Detail: bodyDiff(*e.Body, a.Body),
		})
	}
	for _, s := range e.BodyContains {
		if !strings.Contains(a.Body, s) {
			out = append(out, Problem{
				Msg:    fmt.Sprintf("%s: the body does not contain %q", what, s),
				Detail: labelled("body: ", a.Body),
			})
		}
	}
	return out
}

// whyNot explains, from the rule-by-rule explanation, why a rule did not
// match.
func whyNot(ex *rules.Explanation, rule string) []string {
	for _, r := range ex.Rules {
		if r.Rule != rule {
			continue
		}
		switch r.Verdict {
		case rules.VerdictSkipped, rules.VerdictError:
			return []string{r.Why}
		case rules.VerdictMatched:
			return []string{"its condition is true on this event, yet evaluation did not reach it (the topic prefilter skipped it): please report this as a bug"}
		}
		var lines []string
		for _, c := range r.False {
			if c.Error != "" {
				lines = append(lines, fmt.Sprintf("failed: %s: %s", c.Expr, c.Error))
			} else {
				lines = append(lines, "false: "+c.Expr)
			}
			for _, v := range c.Values {
				lines = append(lines, fmt.Sprintf("    %s = %s", v.Name, show(v.Value)))
			}
		}
		if len(lines) == 0 {
			lines = []string{"its condition is false"}
		}
		return lines
	}
	return nil
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// labelled prints a possibly multi-line text after a label, continuation
// lines aligned under the first.
func labelled(label, text string) []string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	out := make([]string, len(lines))
	pad := strings.Repeat(" ", len(label))
	for i, l := range lines {
		if i == 0 {
			out[i] = label + l
		} else {
			out[i] = pad + l
		}
	}
	return out
}

// bodyDiff shows both bodies and where they first differ, which matters
// when the difference is a blank line or trailing space.
func bodyDiff(want, got string) []string {
	out := append(labelled("expected: ", want), labelled("got:      ", got)...)
	w := strings.Split(strings.TrimRight(want, "\n"), "\n")
	g := strings.Split(strings.TrimRight(got, "\n"), "\n")
	if len(w) == 1 && len(g) == 1 {
		return out // one line each: the difference is plain to see
	}
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl || i >= len(w) || i >= len(g) {
			wantLine, gotLine := fmt.Sprintf("%q", wl), fmt.Sprintf("%q", gl)
			if i >= len(w) {
				wantLine = "nothing"
			}
			if i >= len(g) {
				gotLine = "nothing"
			}
			return append(out, fmt.Sprintf("first difference, line %d: expected %s, got %s", i+1, wantLine, gotLine))
		}
	}
	return out
}
