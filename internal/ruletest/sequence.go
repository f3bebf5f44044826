package ruletest

import (
	"fmt"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/rules"
)

// A sequence test feeds several events to the rules on a simulated clock
// and checks the timers of timed rules (after:) from start to end:
//
//	- name: nudge fires when nobody answers
//	  sequence:
//	    - {at: 2026-03-06T15:00:00Z, source: support, event: testdata/created.json}
//	    - {at: 2026-03-09T09:00:00Z, source: support, event: testdata/admin_replied.json}
//	  until: 2026-03-10T00:00:00Z      # optional: default, until no timer is pending
//	  expect_timers:                   # every timer started, in order; [] for none
//	    - rule: nudge-unanswered
//	      started_at: 2026-03-06T15:00:00Z
//	      due: 2026-03-09T10:30:00Z
//	      cancelled_at: 2026-03-09T09:00:00Z   # or fired_at, restarted_at, pending: true
//
// A timer that fires is checked like an expect item (as, body,
// body_contains, options, actions...). No wall-clock time passes: a timer
// four business hours away fires as soon as the events before it are done.

// Timer outcomes.
const (
	OutcomePending   = "pending"   // still waiting when the clock stopped
	OutcomeFired     = "fired"     // it was due and rendered its rule
	OutcomeCancelled = "cancelled" // an event matched the rule's cancel_when
	OutcomeRestarted = "restarted" // an event started it again (retrigger: restart)
)

// ExpectTimer is one expected timer. Fields left out are not checked;
// the rendered fields (as, body, body_contains, options, actions) need
// fired_at.
type ExpectTimer struct {
	// Expect holds the rule, its target (to), platform and shadow, and
	// what it posts and does when it fires.
	Expect `yaml:",inline"`
	// StartedAt is when the event that started the timer arrived.
	StartedAt string `yaml:"started_at"`
	// Due is when the timer is due.
	Due string `yaml:"due"`
	// One of FiredAt, CancelledAt, RestartedAt or Pending says how the
	// timer ended.
	FiredAt     string `yaml:"fired_at"`
	CancelledAt string `yaml:"cancelled_at"`
	RestartedAt string `yaml:"restarted_at"`
	Pending     *bool  `yaml:"pending"`

	startedAt, due time.Time
	outcome        string // "" = not checked
	ended          time.Time
}

// loadSequence checks a sequence test and reads its events.
func (s *Suite) loadSequence(pos *rules.Positioner, at []any, dir, label string, c *Case) {
	for _, k := range []struct {
		key string
		set bool
	}{
		{"source", c.Source != ""}, {"event", c.Event != ""}, {"payload", c.Payload != nil},
		{"headers", c.Headers != nil}, {"at", c.At != ""}, {"expect", c.Expect != nil},
	} {
		if k.set {
			pos.ErrAt(appendPath(at, k.key), "%s%s belongs to each event of the sequence, not beside sequence:", label, k.key)
		}
	}
	if len(c.Sequence) == 0 {
		pos.ErrAt(appendPath(at, "sequence"), "%ssequence is empty: list the events, each with at", label)
	}
	var last time.Time
	lastN := 0
	for i, st := range c.Sequence {
		sat := appendPath(at, "sequence", i)
		stepLabel := fmt.Sprintf("%sevent %d: ", label, i+1)
		if st == nil {
			pos.ErrAt(sat, "%sthe entry is empty", stepLabel)
			continue
		}
		s.loadStep(pos, sat, dir, stepLabel, st, true)
		t, err := time.Parse(time.RFC3339, st.At)
		if err != nil {
			continue // reported by loadStep
		}
		if t.Before(last) {
			pos.ErrAt(appendPath(sat, "at"), "%sat %s is before event %d (%s): list the events in time order",
				stepLabel, st.At, lastN, last.UTC().Format(time.RFC3339))
			continue
		}
		last, lastN = t, i+1
	}
	if c.Until != "" {
		if t, ok := parseTime(pos, appendPath(at, "until"), label, "until", c.Until); ok {
			if t.Before(last) {
				pos.ErrAt(appendPath(at, "until"), "%suntil %s is before the last event (%s): the clock runs on after the events", label, c.Until, last.UTC().Format(time.RFC3339))
			}
			c.until = t
		}
	}
	if c.ExpectTimers == nil {
		pos.ErrAt(at, "%sexpect_timers is required in a sequence test (write `expect_timers: []` when no timer may start)", label)
		return
	}
	for i, e := range *c.ExpectTimers {
		s.checkTimer(pos, appendPath(at, "expect_timers", i), label, e)
	}
}

// checkTimer checks an expected timer and parses its times.
func (s *Suite) checkTimer(pos *rules.Positioner, at []any, label string, e *ExpectTimer) {
	if e == nil {
		pos.ErrAt(at, "%sexpect_timers: an entry is empty", label)
		return
	}
	if r := s.checkRule(pos, at, label, "expect_timers", e.Rule); r != nil && r.Timing == nil {
		pos.ErrAt(appendPath(at, "rule"), "%srule %q is not timed (it has no after): its matches are immediate; check them with expect on the event", label, e.Rule)
	}
	s.checkRendered(pos, at, label, "expect_timers", &e.Expect)
	e.startedAt, _ = parseTime(pos, appendPath(at, "started_at"), label, "started_at", e.StartedAt)
	e.due, _ = parseTime(pos, appendPath(at, "due"), label, "due", e.Due)
	var ends []string
	for _, k := range []struct{ key, value, outcome string }{
		{"fired_at", e.FiredAt, OutcomeFired}, {"cancelled_at", e.CancelledAt, OutcomeCancelled}, {"restarted_at", e.RestartedAt, OutcomeRestarted},
	} {
		if k.value == "" {
			continue
		}
		ends = append(ends, k.key)
		e.outcome = k.outcome
		e.ended, _ = parseTime(pos, appendPath(at, k.key), label, k.key, k.value)
	}
	if e.Pending != nil {
		ends = append(ends, "pending")
		e.outcome = OutcomePending
		if !*e.Pending {
			pos.ErrAt(appendPath(at, "pending"), "%sexpect_timers: pending: false says nothing: give fired_at, cancelled_at or restarted_at", label)
		}
	}
	if len(ends) > 1 {
		pos.ErrAt(appendPath(at, ends[1]), "%sexpect_timers: a timer ends one way: give one of %s", label, strings.Join(ends, ", "))
	}
	if e.outcome != OutcomeFired {
		for _, k := range []struct {
			key string
			set bool
		}{
			{"as", e.As != ""}, {"body", e.Body != nil}, {"body_contains", e.BodyContains != nil},
			{"options", e.Options != nil}, {"actions", e.Actions != nil},
		} {
			if k.set {
				pos.ErrAt(appendPath(at, k.key), "%sexpect_timers: %s is what the timer posts when it fires: add fired_at", label, k.key)
				break
			}
		}
	}
}

// parseTime parses an RFC 3339 time of the test file ("" is the zero time).
func parseTime(pos *rules.Positioner, at []any, label, key, value string) (time.Time, bool) {
	if value == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		pos.ErrAt(at, "%s%s: want an RFC 3339 time like 2026-03-02T10:00:00Z, not %q", label, key, value)
		return time.Time{}, false
	}
	return t, true
}

func derefTimers(e *[]*ExpectTimer) []*ExpectTimer {
	if e == nil {
		return nil
	}
	return *e
}
