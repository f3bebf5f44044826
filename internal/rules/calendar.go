package rules

import (
	"fmt"
	"strings"
	"time"
)

// Calendar answers whether a moment falls within business hours.
type Calendar struct {
	Name     string
	loc      *time.Location
	week     [7][]span // by time.Weekday
	holidays map[string]bool
}

// span is [from, to) in minutes since midnight.
type span struct{ from, to int }

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// newCalendar validates a calendar. Errors name the offending key.
func newCalendar(name string, c *CalendarConfig) (*Calendar, error) {
	if c.Timezone == "" {
		return nil, fmt.Errorf("timezone is required")
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return nil, fmt.Errorf("timezone %q: unknown time zone", c.Timezone)
	}
	cal := &Calendar{Name: name, loc: loc, holidays: map[string]bool{}}
	if len(c.Hours) == 0 {
		return nil, fmt.Errorf("hours: at least one day is required")
	}
	for days, hours := range c.Hours {
		ds, err := parseDays(days)
		if err != nil {
			return nil, fmt.Errorf("hours: %w", err)
		}
		spans, err := parseSpans(hours)
		if err != nil {
			return nil, fmt.Errorf("hours.%s: %w", days, err)
		}
		for _, d := range ds {
			if cal.week[d] != nil {
				return nil, fmt.Errorf("hours: %s is given twice", strings.ToLower(d.String()[:3]))
			}
			cal.week[d] = spans
		}
	}
	for _, h := range c.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return nil, fmt.Errorf("holidays: %q is not a YYYY-MM-DD date", h)
		}
		cal.holidays[h] = true
	}
	return cal, nil
}

// parseDays reads "mon", "mon-fri" or "sat,sun".
func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		from, to, isRange := strings.Cut(part, "-")
		a, ok := weekdays[from]
		if !ok {
			return nil, fmt.Errorf("%q is not a day (mon, tue, wed, thu, fri, sat, sun, or a range like mon-fri)", part)
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, ok := weekdays[to]
		if !ok {
			return nil, fmt.Errorf("%q is not a day range like mon-fri", part)
		}
		for d := a; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	return out, nil
}

// parseSpans reads "09:00-17:30" or "09:00-12:00, 13:00-17:00"; "closed"
// means no hours.
func parseSpans(s string) ([]span, error) {
	if strings.EqualFold(strings.TrimSpace(s), "closed") {
		return []span{}, nil
	}
	var out []span
	for _, part := range strings.Split(s, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, fmt.Errorf("%q: want HH:MM-HH:MM", part)
		}
		a, err := parseClock(from)
		if err != nil {
			return nil, err
		}
		b, err := parseClock(to)
		if err != nil {
			return nil, err
		}
		if b <= a {
			return nil, fmt.Errorf("%q: the end must be after the start (split overnight hours over two days)", part)
		}
		out = append(out, span{a, b})
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || len(s) != 5 || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time like 09:00", s)
	}
	return h*60 + m, nil
}

// Open reports whether t is within business hours.
func (c *Calendar) Open(t time.Time) bool {
	t = t.In(c.loc)
	if c.holidays[t.Format(time.DateOnly)] {
		return false
	}
	minute := t.Hour()*60 + t.Minute()
	for _, s := range c.week[t.Weekday()] {
		if minute >= s.from && minute < s.to {
			return true
		}
	}
	return false
}
