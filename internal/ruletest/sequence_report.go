package ruletest

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// compareTimers lists every difference between the expected timers and
// those the sequence started. They pair up by rule, in start order: the
// second expected timer of a rule is its second timer.
func compareTimers(want []*ExpectTimer, got []*TimerRun) []Problem {
	var out []Problem
	byRule := map[string][]*TimerRun{}
	for _, t := range got {
		byRule[t.Rule] = append(byRule[t.Rule], t)
	}
	wanted := map[string]int{}
	for _, e := range want {
		wanted[e.Rule]++
	}
	next := map[string]int{}
	paired := map[*TimerRun]bool{}
	reported := map[string]bool{}
	for _, e := range want {
		k := next[e.Rule]
		next[e.Rule]++
		list := byRule[e.Rule]
		if k >= len(list) {
			if !reported[e.Rule] {
				reported[e.Rule] = true
				out = append(out, Problem{Msg: fmt.Sprintf("rule %s should start %s, but started %s",
					e.Rule, plural(wanted[e.Rule], "timer"), plural(len(list), "timer"))})
			}
			continue
		}
		paired[list[k]] = true
		out = append(out, compareTimer(e, list[k])...)
	}
	for _, t := range got {
		if !paired[t] {
			out = append(out, Problem{Msg: fmt.Sprintf("rule %s started a timer at %s on %s (due %s), but the test does not expect it",
				t.Rule, stamp(t.StartedAt), describeTarget(t.Target), stamp(t.DueAt))})
		}
	}
	if len(out) == 0 && len(want) == len(got) {
		for i := range want {
			if want[i].Rule != got[i].Rule {
				var w, g []string
				for _, e := range want {
					w = append(w, e.Rule)
				}
				for _, t := range got {
					g = append(g, t.Rule)
				}
				out = append(out, Problem{Msg: fmt.Sprintf("the timers started in another order: expected %s; got %s",
					strings.Join(w, ", "), strings.Join(g, ", "))})
				break
			}
		}
	}
	return out
}

// compareTimer checks the fields an expected timer names.
func compareTimer(e *ExpectTimer, t *TimerRun) []Problem {
	what := fmt.Sprintf("timer %s (started %s)", t.Rule, stamp(t.StartedAt))
	var out []Problem
	add := func(format string, args ...any) {
		out = append(out, Problem{Msg: what + ": " + fmt.Sprintf(format, args...)})
	}
	if e.To != nil && (e.To.Type != t.Target.Type || e.To.ID != t.Target.ID) {
		add("to: expected %s %s, got %s", e.To.Type, e.To.ID, describeTarget(t.Target))
	}
	if e.Platform != "" && e.Platform != t.Platform {
		add("platform: expected %s, got %s", e.Platform, t.Platform)
	}
	if e.Shadow != nil && *e.Shadow != t.Shadow {
		add("shadow: expected %v, got %v", *e.Shadow, t.Shadow)
	}
	if !e.startedAt.IsZero() && !e.startedAt.Equal(t.StartedAt) {
		add("started_at: expected %s, got %s", stamp(e.startedAt), stamp(t.StartedAt))
	}
	if !e.due.IsZero() && !e.due.Equal(t.DueAt) {
		add("due: expected %s, got %s", stamp(e.due), stamp(t.DueAt))
	}
	if e.outcome != "" && (e.outcome != t.Outcome || e.outcome != OutcomePending && !e.ended.Equal(t.EndedAt)) {
		add("expected %s, got %s", outcomeText(e.outcome, e.ended), outcomeText(t.Outcome, t.EndedAt))
	}
	if e.outcome == OutcomeFired && t.Outcome == OutcomeFired && t.Fired != nil {
		// to, platform and shadow are the timer's, checked above.
		rendered := e.Expect
		rendered.To, rendered.Platform, rendered.Shadow = nil, "", nil
		out = append(out, compareRendered(what, &rendered, t.Fired)...)
	}
	return out
}

func outcomeText(outcome string, at time.Time) string {
	switch outcome {
	case OutcomeFired:
		return "fired at " + stamp(at)
	case OutcomeCancelled:
		return "cancelled at " + stamp(at)
	case OutcomeRestarted:
		return "restarted at " + stamp(at)
	}
	return "still pending when the clock stopped"
}

// writeSequenceFailure prints a failed sequence test: its timeline (each
// event with what it matched, started and cancelled, each timer that
// fired with what it rendered), the expected timers, and each difference.
func writeSequenceFailure(w io.Writer, r *Result) {
	c := r.Case
	fmt.Fprintf(w, "--- FAIL: %s (%s:%d)\n", c.Name, r.File, r.Line)
	fmt.Fprintln(w, "    timeline:")
	const stampWidth = len("2006-01-02T15:04:05Z")
	pad := strings.Repeat(" ", 6+stampWidth+2+2)
	for _, e := range r.Timeline {
		writeLines(w, "      ", []string{stamp(e.At) + "  " + e.Head})
		for _, l := range e.Lines {
			writeLines(w, pad, []string{l})
		}
	}
	fmt.Fprintln(w, "    expected timers:")
	timers := derefTimers(c.ExpectTimers)
	if len(timers) == 0 {
		fmt.Fprintln(w, "      none")
	}
	for _, e := range timers {
		writeLines(w, "      ", []string{strings.TrimSpace(e.Rule + " " + describeTimer(e))})
		if e.Body != nil {
			writeLines(w, "        ", labelled("body: ", *e.Body))
		}
	}
	writeProblems(w, r.Problems)
}

// describeTimer summarizes what an expected timer checks.
func describeTimer(e *ExpectTimer) string {
	var parts []string
	if !e.startedAt.IsZero() {
		parts = append(parts, "started "+stamp(e.startedAt))
	}
	if !e.due.IsZero() {
		parts = append(parts, "due "+stamp(e.due))
	}
	if e.outcome != "" {
		parts = append(parts, outcomeText(e.outcome, e.ended))
	}
	if d := describeExpect(&e.Expect); d != "" {
		parts = append(parts, d)
	}
	return strings.Join(parts, ", ")
}
