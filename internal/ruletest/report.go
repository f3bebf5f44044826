package ruletest

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/rules"
)

// Write prints the failed tests (and with verbose the passed ones too) in
// the form a rule author reads: where the test is, what it fed the rules,
// what it expected, what it got, and each difference.
func Write(w io.Writer, results []*Result, verbose bool) {
	for _, r := range results {
		if r.Passed() {
			if verbose {
				fmt.Fprintf(w, "--- PASS: %s (%s:%d)\n", r.Case.Name, r.File, r.Line)
			}
			continue
		}
		writeFailure(w, r)
	}
}

func writeFailure(w io.Writer, r *Result) {
	c := r.Case
	if c.Sequence != nil {
		writeSequenceFailure(w, r)
		return
	}
	fmt.Fprintf(w, "--- FAIL: %s (%s:%d)\n", c.Name, r.File, r.Line)
	fmt.Fprintf(w, "    event:    %s (source %s, topic %s, at %s)\n", c.what, c.event.Source, c.event.Topic, c.at.Format(time.RFC3339))
	fmt.Fprintln(w, "    expected:")
	exp := derefExpect(c.Expect)
	if len(exp) == 0 {
		fmt.Fprintln(w, "      no match")
	}
	width := nameWidth(exp, r.Actual)
	pad := strings.Repeat(" ", 6+width+1)
	for _, e := range exp {
		writeLines(w, "      ", []string{fmt.Sprintf("%-*s %s", width, e.Rule, describeExpect(e))})
		if e.Body != nil {
			writeLines(w, pad, labelled("body: ", *e.Body))
		}
	}
	fmt.Fprintln(w, "    got:")
	if len(r.Actual) == 0 {
		line := "      no match"
		if r.Ignored != "" {
			line += " (loop guard: " + describeIgnored(r.Ignored) + "; only rules with allow_bots: true see it)"
		}
		fmt.Fprintln(w, line)
	}
	for _, a := range r.Actual {
		writeLines(w, "      ", []string{fmt.Sprintf("%-*s %s", width, a.Rule, describeActual(a))})
		writeLines(w, pad, renderedLines(a))
	}
	writeProblems(w, r.Problems)
}

func writeProblems(w io.Writer, problems []Problem) {
	fmt.Fprintln(w, "    differences:")
	for _, p := range problems {
		fmt.Fprintf(w, "      - %s\n", p.Msg)
		writeLines(w, "          ", p.Detail)
	}
	fmt.Fprintln(w)
}

// renderedLines are what a match posts and does, under its summary line.
func renderedLines(a Actual) []string {
	if a.RenderError != "" {
		return nil
	}
	var out []string
	if a.Body != "" {
		out = append(out, labelled("body: ", a.Body)...)
	}
	if len(a.Options) > 0 {
		out = append(out, "options: "+quoteList(a.Options))
	}
	for i, act := range a.Actions {
		label := "         "
		if i == 0 {
			label = "actions: "
		}
		out = append(out, label+describeAction(act))
	}
	return out
}

// writeLines prints lines after a prefix, without trailing spaces.
func writeLines(w io.Writer, prefix string, lines []string) {
	for _, l := range lines {
		fmt.Fprintln(w, strings.TrimRight(prefix+l, " \t"))
	}
}

func nameWidth(exp []*Expect, act []Actual) int {
	n := 0
	for _, e := range exp {
		n = max(n, len(e.Rule))
	}
	for _, a := range act {
		n = max(n, len(a.Rule))
	}
	return n
}

// describeExpect summarizes what an expectation checks.
func describeExpect(e *Expect) string {
	var parts []string
	if e.As != "" {
		parts = append(parts, e.As)
	}
	if e.To != nil {
		parts = append(parts, "to "+e.To.Type+" "+e.To.ID)
	}
	if e.Platform != "" {
		parts = append(parts, "on "+e.Platform)
	}
	if e.Shadow != nil {
		if *e.Shadow {
			parts = append(parts, "[shadow]")
		} else {
			parts = append(parts, "[live]")
		}
	}
	for _, s := range e.BodyContains {
		parts = append(parts, fmt.Sprintf("body contains %q", s))
	}
	if e.Options != nil {
		parts = append(parts, "options "+quoteList(*e.Options))
	}
	if e.Actions != nil {
		var kinds []string
		for _, a := range *e.Actions {
			kinds = append(kinds, a.kind)
		}
		parts = append(parts, "actions: "+listOrNone(kinds))
	}
	return strings.Join(parts, ", ")
}

// describeActual summarizes a match: how, where and whether it is sent.
func describeActual(a Actual) string {
	as := a.As
	if a.NoMessage {
		as = "actions"
	}
	s := fmt.Sprintf("%s to %s %s on %s", as, a.Target.Type, a.Target.ID, a.Platform)
	if a.NoMessage {
		s += " (no message)"
	}
	if a.Shadow {
		s += " [shadow: logged, never sent]"
	}
	if a.RenderError != "" {
		s += " [cannot render: " + a.RenderError + "]"
	}
	return s
}

func describeIgnored(reason string) string {
	switch reason {
	case rules.IgnoredOwnReply:
		return "written by the bot's own admin"
	case rules.IgnoredBotAuthor:
		return "written by a bot"
	case rules.IgnoredOperator:
		return "an operator (Fin) reply"
	}
	return reason
}

// show prints a value as JSON, without escaping <, > and & (bodies are HTML).
func show(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Summary is the last line of a run: "ok  3 tests" or "FAIL 1 of 3 tests",
// with the number of test files that could not be loaded, if any.
func Summary(total, failed, broken int) string {
	if failed == 0 && broken == 0 {
		return "ok  " + plural(total, "test")
	}
	s := fmt.Sprintf("FAIL %d of %s", failed, plural(total, "test"))
	if broken > 0 {
		s += fmt.Sprintf("; %s could not be loaded", plural(broken, "test file"))
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
