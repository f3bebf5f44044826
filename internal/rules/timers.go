package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/supportops/autoresponder/internal/event"
)

// Timed rules: `after` turns a match into a timer that fires later unless a
// later event on the same target matches `cancel_when`.
const (
	// MaxAfter bounds after: a longer wait is almost surely a mistake,
	// and the triggering event is kept with the timer until it fires.
	MaxAfter = 30 * 24 * time.Hour
	// DefaultMaxLate is how late a timer may still fire after downtime.
	DefaultMaxLate = 24 * time.Hour

	RetriggerKeep    = "keep"
	RetriggerRestart = "restart"
)

// Timing is the timer part of a timed rule.
type Timing struct {
	After    time.Duration
	Calendar *Calendar // nil: wall-clock time
	// CancelWhen is nil when nothing cancels the timer.
	CancelWhen *vm.Program
	Restart    bool
	MaxLate    time.Duration
}

// TimerMatch is a timed rule whose `when` matched: a timer to start.
type TimerMatch struct {
	Rule      *Rule
	Platform  *Platform
	Target    event.Target
	TargetKey string
	DueAt     time.Time
	Shadow    bool
}

// TimerCancel is a timed rule whose cancel_when matched this event: its
// pending timer on the event's target, if any, is cancelled.
type TimerCancel struct {
	Rule      *Rule
	TargetKey string
}

// timing compiles after, calendar, cancel_when, retrigger and max_late.
func (c *compiler) timing(rs *Ruleset, at path, r *Rule) *Timing {
	rc := r.Config
	if rc.After == 0 {
		for _, k := range []struct {
			key string
			set bool
		}{
			{"calendar", rc.Calendar != ""}, {"cancel_when", rc.CancelWhen != ""},
			{"retrigger", rc.Retrigger != ""}, {"max_late", rc.MaxLate != 0},
		} {
			if k.set {
				c.errAt(append(at, k.key), r.Name, "%s only applies to a timed rule: add after (e.g. after: 4h)", k.key)
			}
		}
		return nil
	}
	t := &Timing{After: rc.After.Std(), MaxLate: orDefault(rc.MaxLate, DefaultMaxLate)}
	if t.After <= 0 || t.After > MaxAfter {
		c.errAt(append(at, "after"), r.Name, "after must be positive and at most 30d")
	}
	if t.MaxLate <= 0 {
		c.errAt(append(at, "max_late"), r.Name, "max_late must be positive")
	}
	if rc.Calendar != "" {
		cal, ok := rs.Calendars[rc.Calendar]
		if !ok {
			c.errAt(append(at, "calendar"), r.Name, "no calendar named %q in calendars: (%s)", rc.Calendar, orList(sortedKeys(rs.Calendars)))
		}
		t.Calendar = cal
	}
	switch rc.Retrigger {
	case "", RetriggerKeep:
	case RetriggerRestart:
		t.Restart = true
	default:
		c.errAt(append(at, "retrigger"), r.Name, "retrigger must be keep or restart")
	}
	if strings.TrimSpace(rc.CancelWhen) != "" {
		prog, err := c.env.compile(rc.CancelWhen, expr.AsBool())
		if err != nil {
			c.exprError(append(at, "cancel_when"), 0, r.Name, "cancel_when", err)
		} else {
			t.CancelWhen = prog
			c.checkCalendars(append(at, "cancel_when"), r.Name, prog)
		}
	}
	return t
}

// DueAt is when a timer started at start fires: after later in wall-clock
// time, or after that much open time of the calendar.
func (t *Timing) DueAt(start time.Time) (time.Time, error) {
	if t.Calendar == nil {
		return start.Add(t.After), nil
	}
	due, err := t.Calendar.AddOpen(start, t.After)
	if err != nil {
		return time.Time{}, fmt.Errorf("calendar %s: %w", t.Calendar.Name, err)
	}
	return due, nil
}

// startTimer turns a matched timed rule into the timer it starts.
func (rs *Ruleset) startTimer(r *Rule, ev *event.Event) (TimerMatch, error) {
	tm := TimerMatch{Rule: r, Platform: rs.PlatformFor(r, ev.Source), Target: ev.Target, Shadow: r.Shadow}
	if tm.Platform == nil {
		return tm, fmt.Errorf("no platform to act on for events of source %q", ev.Source)
	}
	tm.Shadow = tm.Shadow || tm.Platform.Shadow
	if ev.Target.ID == "" {
		return tm, fmt.Errorf("the event names no %s to wait on", ev.Target.Type)
	}
	tm.TargetKey = targetKey(tm.Platform.Name, ev.Target)
	start := ev.ReceivedAt
	if start.IsZero() {
		start = rs.now()
	}
	due, err := r.Timing.DueAt(start)
	if err != nil {
		return tm, err
	}
	tm.DueAt = due
	return tm, nil
}

// cancels evaluates the cancel_when of every timed rule that sees events of
// ev's source. The bot's own events never cancel: its actions come back as
// events. Events of other bots and automations cancel only the timers of
// rules with allow_bots, as they trigger only those.
func (rs *Ruleset) cancels(run *runner, ev *event.Event, ignored string) ([]TimerCancel, []RuleError) {
	if ignored == IgnoredOwnReply || ev.Target.ID == "" {
		return nil, nil
	}
	var out []TimerCancel
	var errs []RuleError
	langKnown := false
	for _, r := range rs.timed[ev.Source] {
		if ignored != "" && !r.AllowBots {
			continue
		}
		if r.cancelNeedsLanguage && !langKnown {
			ev, langKnown = rs.withLanguage(ev), true
		}
		p := rs.PlatformFor(r, ev.Source)
		if p == nil {
			continue
		}
		v, err := run.run(r.Timing.CancelWhen, ev)
		if err != nil {
			errs = append(errs, RuleError{Rule: r, Err: fmt.Errorf("cancel_when: %s", exprMessage(err))})
			continue
		}
		if b, _ := v.(bool); b {
			out = append(out, TimerCancel{Rule: r, TargetKey: targetKey(p.Name, ev.Target)})
		}
	}
	return out, errs
}

// ExplainCancel says whether ev matches r's cancel_when, for explain.
func (rs *Ruleset) ExplainCancel(r *Rule, ev *event.Event) (bool, error) {
	if r.Timing == nil || r.Timing.CancelWhen == nil {
		return false, nil
	}
	run := rs.runners.Get().(*runner)
	defer rs.runners.Put(run)
	v, err := run.run(r.Timing.CancelWhen, ev)
	if err != nil {
		return false, fmt.Errorf("cancel_when: %s", exprMessage(err))
	}
	b, _ := v.(bool)
	return b, nil
}
