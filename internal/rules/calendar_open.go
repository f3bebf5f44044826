package rules

import (
	"errors"
	"fmt"
	"time"
)

// maxOpenSearch bounds how far AddOpen looks ahead: a timer due more than
// this far away is a configuration mistake, and a calendar whose only open
// days are all holidays must not loop.
const maxOpenSearch = 400 * 24 * time.Hour

// ErrNoOpenTime says the wanted open time does not fit within the search
// bound (or the calendar has no open hours at all).
var ErrNoOpenTime = errors.New("not enough open time")

// AddOpen returns the instant at which d of open time has elapsed after
// start, counting only instants where Open would answer true. Open hours are
// wall-clock in the calendar's zone, so a DST change shortens or lengthens
// only the interval it falls in: "00:00-04:00" lasts 3h on the spring-forward
// night and 5h on the fall-back night, while "09:00-17:30" stays 8.5h.
//
// A zero d returns start itself: nothing is left to wait for, even outside
// hours. An end that lands exactly on closing time is that closing instant,
// not the next opening. The result is in the calendar's zone.
func (c *Calendar) AddOpen(start time.Time, d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, fmt.Errorf("calendar %q: negative duration %v", c.Name, d)
	}
	if d == 0 {
		return start.In(c.loc), nil
	}
	if !c.hasHours() {
		return time.Time{}, fmt.Errorf("calendar %q has no open hours: %w", c.Name, ErrNoOpenTime)
	}
	limit := start.Add(maxOpenSearch)
	cursor, left := start, d
	for {
		from, to, ok := c.nextOpen(cursor, limit)
		if !ok {
			return time.Time{}, fmt.Errorf("calendar %q: %v of open time does not fit within %d days of %s: %w",
				c.Name, d, maxOpenSearch/(24*time.Hour), start.In(c.loc).Format(time.RFC3339), ErrNoOpenTime)
		}
		stretch := to.Sub(from)
		if left <= stretch {
			return from.Add(left).In(c.loc), nil
		}
		left -= stretch
		cursor = to
	}
}

// OpenBetween returns how much open time lies in [a, b); zero if b is not
// after a. It counts the same instants as AddOpen, so
// OpenBetween(a, AddOpen(a, d)) == d.
func (c *Calendar) OpenBetween(a, b time.Time) time.Duration {
	var total time.Duration
	for cursor := a; cursor.Before(b); {
		from, to, ok := c.nextOpen(cursor, b)
		if !ok {
			break
		}
		if to.After(b) {
			to = b
		}
		total += to.Sub(from)
		cursor = to
	}
	return total
}

func (c *Calendar) hasHours() bool {
	for _, spans := range c.week {
		if len(spans) > 0 {
			return true
		}
	}
	return false
}

// nextOpen finds the first stretch of open time [from, to) with from >= t
// and from < limit. A stretch never crosses a zone transition, so callers
// may see adjacent stretches; they simply continue from to.
//
// Why segments: between two transitions of the zone the UTC offset is fixed,
// so the wall clock is the instant plus that offset. Within one segment we
// can do the arithmetic on "wall time as if it were UTC" and subtract the
// offset to get instants back. Wall times skipped by spring-forward belong to
// no segment (so they are never open); wall times repeated by fall-back
// belong to two segments (so they are open twice), exactly like Open.
func (c *Calendar) nextOpen(t, limit time.Time) (from, to time.Time, ok bool) {
	for t.Before(limit) {
		local := t.In(c.loc)
		_, offset := local.Zone()
		shift := time.Duration(offset) * time.Second
		_, segEnd := local.ZoneBounds()
		if segEnd.IsZero() || segEnd.After(limit) {
			segEnd = limit // the zone runs on past the limit (or forever)
		}
		wallStart, wallEnd := t.UTC().Add(shift), segEnd.UTC().Add(shift)
		for day := wallStart.Truncate(24 * time.Hour); day.Before(wallEnd); day = day.AddDate(0, 0, 1) {
			if f, e, found := c.firstSpan(day, wallStart, wallEnd); found {
				return f.Add(-shift), e.Add(-shift), true
			}
		}
		t = segEnd
	}
	return time.Time{}, time.Time{}, false
}

// firstSpan returns the earliest open span of the wall-clock day (a UTC
// midnight standing for a local date), clipped to [lo, hi). Spans are
// compared after clipping so unordered or overlapping spans still come out in
// time order.
func (c *Calendar) firstSpan(day, lo, hi time.Time) (from, to time.Time, ok bool) {
	if c.holidays[day.Format(time.DateOnly)] {
		return time.Time{}, time.Time{}, false
	}
	for _, s := range c.week[day.Weekday()] {
		f := maxTime(day.Add(time.Duration(s.from)*time.Minute), lo)
		e := minTime(day.Add(time.Duration(s.to)*time.Minute), hi)
		if !f.Before(e) {
			continue
		}
		if !ok || f.Before(from) {
			from, to, ok = f, e, true
		}
	}
	return from, to, ok
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
