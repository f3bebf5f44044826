package ruletest

import (
	"fmt"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/rules"
)

// TimerRun is one timer of a sequence test, from its start to its end.
type TimerRun struct {
	Rule      string
	Target    event.Target
	Platform  string
	Shadow    bool
	StartedAt time.Time
	DueAt     time.Time
	// Outcome is OutcomePending, OutcomeFired, OutcomeCancelled or
	// OutcomeRestarted; EndedAt when it ended (not for pending).
	Outcome string
	EndedAt time.Time
	// Fired is what the rule rendered when the timer fired.
	Fired *Actual

	key   string // rule and target: one pending timer each
	seq   int    // start order, to fire timers due at once in that order
	event *event.Event
}

// Entry is one moment of a sequence's timeline, for the report.
type Entry struct {
	At    time.Time
	Head  string
	Lines []string
}

// simulation runs a sequence test: events in time order, and between
// them the timers that fall due, each rendered with the clock at its due
// time. Nothing sleeps: the clock jumps from one moment to the next.
type simulation struct {
	suite   *Suite
	res     *Result
	pending map[string]*TimerRun
}

// runSequence runs a sequence test and compares what happened with what
// it expects.
func (s *Suite) runSequence(c *Case) *Result {
	res := &Result{Case: c, File: c.file, Line: c.line}
	sim := &simulation{suite: s, res: res, pending: map[string]*TimerRun{}}
	for i, st := range c.Sequence {
		// A timer due at the very moment of an event fires first: it
		// was due, and the bot fires due timers as they fall due.
		sim.fireDue(st.at)
		sim.step(i, st)
	}
	res.Until = c.until
	if res.Until.IsZero() {
		res.Until = c.Sequence[len(c.Sequence)-1].at
		for _, t := range sim.pending {
			if t.DueAt.After(res.Until) {
				res.Until = t.DueAt
			}
		}
	}
	sim.fireDue(res.Until)
	head := "the clock stops (until)"
	if c.until.IsZero() {
		head = "the clock stops (no timer is pending)"
	}
	var left []string
	for _, t := range res.Timers {
		if t.Outcome == OutcomePending {
			left = append(left, fmt.Sprintf("%s on %s is still pending, due %s", t.Rule, describeTarget(t.Target), stamp(t.DueAt)))
		}
	}
	res.Timeline = append(res.Timeline, Entry{At: res.Until, Head: head, Lines: left})
	res.Problems = append(res.Problems, compareTimers(derefTimers(c.ExpectTimers), res.Timers)...)
	return res
}

// step evaluates one event with the clock at its time: its matches are
// immediate, its cancels end pending timers and its timers start.
func (sim *simulation) step(i int, st *Step) {
	res := sim.res
	prefix := fmt.Sprintf("event %d (%s): ", i+1, stamp(st.at))
	entry := Entry{At: st.at, Head: fmt.Sprintf("event %d: %s (source %s, topic %s)", i+1, st.what, st.event.Source, st.event.Topic)}
	defer func() { res.Timeline = append(res.Timeline, entry) }()
	rs, err := sim.suite.rulesAt(st.at)
	if err != nil {
		res.Problems = append(res.Problems, Problem{Msg: prefix + fmt.Sprintf("cannot compile the rules with the clock at %s: %v", stamp(st.at), err)})
		return
	}
	eval := rs.Evaluate(st.event)
	sr := &StepResult{Step: st, Ignored: eval.Ignored}
	res.Steps = append(res.Steps, sr)
	if eval.Ignored != "" {
		entry.Lines = append(entry.Lines, "loop guard: "+describeIgnored(eval.Ignored)+" (only allow_bots rules see it, and it cancels no timer)")
	}
	for _, m := range eval.Matches {
		a := actualOf(m)
		sr.Actual = append(sr.Actual, a)
		entry.Lines = append(entry.Lines, "matched "+a.Rule+": "+describeActual(a))
	}
	var problems []Problem
	if st.Expect != nil {
		explain := func() rules.Explanation { return rs.Explain(st.event) }
		problems = compare(derefExpect(st.Expect), sr.Actual, eval.Errors, explain)
	} else {
		problems = evalProblems(sr.Actual, eval.Errors)
	}
	for _, p := range problems {
		p.Msg = prefix + p.Msg
		res.Problems = append(res.Problems, p)
	}
	// Cancels first, as at intake: an event that both cancels a rule's
	// timer and starts one starts it afresh.
	for _, cn := range eval.Cancels {
		key := cn.Rule.Name + "\x00" + cn.TargetKey
		t := sim.pending[key]
		if t == nil {
			entry.Lines = append(entry.Lines, fmt.Sprintf("cancel_when of %s matched: no timer of it is pending on %s", cn.Rule.Name, describeTarget(st.event.Target)))
			continue
		}
		sim.end(t, OutcomeCancelled, st.at)
		entry.Lines = append(entry.Lines, fmt.Sprintf("cancelled %s on %s (cancel_when; it was due %s)", t.Rule, describeTarget(t.Target), stamp(t.DueAt)))
	}
	for _, tm := range eval.Timers {
		key := tm.Rule.Name + "\x00" + tm.TargetKey
		if old := sim.pending[key]; old != nil {
			if !tm.Rule.Timing.Restart {
				entry.Lines = append(entry.Lines, fmt.Sprintf("%s is already pending on %s: kept, still due %s (retrigger: keep)", old.Rule, describeTarget(old.Target), stamp(old.DueAt)))
				continue
			}
			sim.end(old, OutcomeRestarted, st.at)
			entry.Lines = append(entry.Lines, fmt.Sprintf("restarted %s on %s (retrigger: restart; it was due %s)", old.Rule, describeTarget(old.Target), stamp(old.DueAt)))
		}
		t := &TimerRun{
			Rule: tm.Rule.Name, Target: tm.Target, Platform: tm.Platform.Name, Shadow: tm.Shadow,
			StartedAt: st.at, DueAt: tm.DueAt, Outcome: OutcomePending,
			key: key, seq: len(res.Timers), event: st.event,
		}
		sim.pending[key] = t
		res.Timers = append(res.Timers, t)
		line := fmt.Sprintf("started %s on %s, due %s", t.Rule, describeTarget(t.Target), stamp(t.DueAt))
		if t.Shadow {
			line += " [shadow]"
		}
		entry.Lines = append(entry.Lines, line)
	}
}

// fireDue fires, in due order, every pending timer due at or before t.
func (sim *simulation) fireDue(t time.Time) {
	for {
		var next *TimerRun
		for _, p := range sim.pending {
			if p.DueAt.After(t) {
				continue
			}
			if next == nil || p.DueAt.Before(next.DueAt) || p.DueAt.Equal(next.DueAt) && p.seq < next.seq {
				next = p
			}
		}
		if next == nil {
			return
		}
		sim.fire(next)
	}
}

// fire renders a due timer's rule against the event that started it,
// with the clock at the due time, as the bot's firer does.
func (sim *simulation) fire(t *TimerRun) {
	sim.end(t, OutcomeFired, t.DueAt)
	entry := Entry{At: t.DueAt, Head: fmt.Sprintf("%s fired on %s", t.Rule, describeTarget(t.Target))}
	defer func() { sim.res.Timeline = append(sim.res.Timeline, entry) }()
	prefix := fmt.Sprintf("timer %s (started %s): ", t.Rule, stamp(t.StartedAt))
	rs, err := sim.suite.rulesAt(t.DueAt)
	if err != nil {
		sim.res.Problems = append(sim.res.Problems, Problem{Msg: prefix + fmt.Sprintf("cannot compile the rules with the clock at %s: %v", stamp(t.DueAt), err)})
		return
	}
	var rule *rules.Rule
	for _, r := range rs.Rules {
		if r.Name == t.Rule {
			rule = r
		}
	}
	if rule == nil { // the same file at another clock: cannot happen, but never panic
		sim.res.Problems = append(sim.res.Problems, Problem{Msg: prefix + "its rule is missing from the rules compiled at its due time"})
		return
	}
	a := actualOf(rs.Render(rule, t.event))
	t.Fired = &a
	entry.Lines = append(entry.Lines, describeActual(a))
	entry.Lines = append(entry.Lines, renderedLines(a)...)
	if a.RenderError != "" {
		sim.res.Problems = append(sim.res.Problems, Problem{Msg: prefix + fmt.Sprintf("it fired, but its reply cannot be rendered (the bot would dead-letter it): %s", a.RenderError)})
	}
}

// end records how a pending timer ended.
func (sim *simulation) end(t *TimerRun, outcome string, at time.Time) {
	t.Outcome, t.EndedAt = outcome, at
	delete(sim.pending, t.key)
}

func describeTarget(t event.Target) string { return t.Type + " " + t.ID }

// stamp prints a time of the simulated clock, in UTC.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
