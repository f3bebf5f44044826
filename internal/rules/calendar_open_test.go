package rules

import (
	"errors"
	"testing"
	"time"
)

// openTestCalendars are the calendars the business-hours tests run on, all in
// Europe/Berlin (DST: 2026-03-29 02:00 CET → 03:00 CEST, 2026-10-25 03:00
// CEST → 02:00 CET).
func openTestCalendars(t *testing.T) map[string]*Calendar {
	t.Helper()
	configs := map[string]*CalendarConfig{
		// Good Friday and Easter Monday 2026.
		"office": {Timezone: "Europe/Berlin", Hours: map[string]string{"mon-fri": "09:00-17:30"}, Holidays: []string{"2026-04-03", "2026-04-06"}},
		"split":  {Timezone: "Europe/Berlin", Hours: map[string]string{"mon-thu": "09:00-12:00, 13:00-17:00", "fri": "09:00-12:00"}},
		// The wall clock jumps inside this interval on both DST nights.
		"night": {Timezone: "Europe/Berlin", Hours: map[string]string{"sun": "00:00-04:00"}},
		// Opens exactly where spring-forward lands.
		"dawn": {Timezone: "Europe/Berlin", Hours: map[string]string{"sun": "03:00-05:00"}},
		// Out-of-order and overlapping spans must still count each instant once.
		"messy":  {Timezone: "Europe/Berlin", Hours: map[string]string{"mon": "13:00-15:00, 09:00-12:00, 11:00-14:00"}},
		"closed": {Timezone: "Europe/Berlin", Hours: map[string]string{"mon-sun": "closed"}},
		"rare":   {Timezone: "UTC", Hours: map[string]string{"mon": "09:00-10:00"}},
	}
	cals := map[string]*Calendar{}
	for name, cfg := range configs {
		cal, err := newCalendar(name, cfg)
		if err != nil {
			t.Fatalf("calendar %s: %v", name, err)
		}
		cals[name] = cal
	}
	return cals
}

func mustInstant(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestAddOpen(t *testing.T) {
	cals := openTestCalendars(t)
	cases := []struct {
		name, cal, start string
		d                time.Duration
		want             string
	}{
		{"issue example: Friday 16:00 + 4h", "office", "2026-03-06T16:00:00+01:00", 4 * time.Hour, "2026-03-09T11:30:00+01:00"},
		{"Good Friday and Easter Monday skipped", "office", "2026-04-02T16:00:00+02:00", 4 * time.Hour, "2026-04-07T11:30:00+02:00"},
		{"start before opening", "office", "2026-03-09T07:00:00+01:00", time.Hour, "2026-03-09T10:00:00+01:00"},
		{"start at opening, whole day", "office", "2026-03-09T09:00:00+01:00", 8*time.Hour + 30*time.Minute, "2026-03-09T17:30:00+01:00"},
		{"ends exactly at closing: that instant, not next morning", "office", "2026-03-09T16:00:00+01:00", 90 * time.Minute, "2026-03-09T17:30:00+01:00"},
		{"start at closing", "office", "2026-03-09T17:30:00+01:00", time.Minute, "2026-03-10T09:01:00+01:00"},
		{"start on a Saturday", "office", "2026-03-07T12:00:00+01:00", 30 * time.Minute, "2026-03-09T09:30:00+01:00"},
		{"a whole week", "office", "2026-03-09T09:00:00+01:00", 5*(8*time.Hour+30*time.Minute) + time.Minute, "2026-03-16T09:01:00+01:00"},
		{"zero duration outside hours stays put", "office", "2026-03-07T12:00:00+01:00", 0, "2026-03-07T12:00:00+01:00"},
		{"zero duration inside hours", "office", "2026-03-09T10:00:00+01:00", 0, "2026-03-09T10:00:00+01:00"},
		{"weekend of spring-forward: still 4 open hours", "office", "2026-03-27T16:00:00+01:00", 4 * time.Hour, "2026-03-30T11:30:00+02:00"},
		{"weekend of fall-back: still 4 open hours", "office", "2026-10-23T16:00:00+02:00", 4 * time.Hour, "2026-10-26T11:30:00+01:00"},
		{"start in UTC, answer in the calendar's zone", "office", "2026-03-06T15:00:00Z", 4 * time.Hour, "2026-03-09T11:30:00+01:00"},

		{"across lunch", "split", "2026-03-09T11:00:00+01:00", 2 * time.Hour, "2026-03-09T14:00:00+01:00"},
		{"start in the lunch break", "split", "2026-03-09T12:30:00+01:00", 30 * time.Minute, "2026-03-09T13:30:00+01:00"},
		{"ends at the morning's close", "split", "2026-03-09T11:00:00+01:00", time.Hour, "2026-03-09T12:00:00+01:00"},
		{"short Friday into Monday", "split", "2026-03-13T11:00:00+01:00", 2 * time.Hour, "2026-03-16T10:00:00+01:00"},

		// Spring-forward: 00:00-04:00 is 3h of real time; 02:xx never happens.
		{"spring-forward: lands after the jump", "night", "2026-03-28T12:00:00+01:00", 150 * time.Minute, "2026-03-29T03:30:00+02:00"},
		{"spring-forward: the night holds 3h", "night", "2026-03-28T12:00:00+01:00", 3 * time.Hour, "2026-03-29T04:00:00+02:00"},
		{"spring-forward: 3h1m spills to next Sunday", "night", "2026-03-28T12:00:00+01:00", 3*time.Hour + time.Minute, "2026-04-05T00:01:00+02:00"},
		{"spring-forward: opening at the jump loses nothing", "dawn", "2026-03-28T12:00:00+01:00", 2 * time.Hour, "2026-03-29T05:00:00+02:00"},
		{"fall-back: 03:00-05:00 is after the repeat", "dawn", "2026-10-24T12:00:00+02:00", 2 * time.Hour, "2026-10-25T05:00:00+01:00"},
		// Fall-back: 00:00-04:00 is 5h of real time; 02:xx happens twice.
		{"fall-back: first 02:30", "night", "2026-10-24T12:00:00+02:00", 150 * time.Minute, "2026-10-25T02:30:00+02:00"},
		{"fall-back: second 02:30", "night", "2026-10-24T12:00:00+02:00", 210 * time.Minute, "2026-10-25T02:30:00+01:00"},
		{"fall-back: the night holds 5h", "night", "2026-10-24T12:00:00+02:00", 5 * time.Hour, "2026-10-25T04:00:00+01:00"},
		{"fall-back: 5h1m spills to next Sunday", "night", "2026-10-24T12:00:00+02:00", 5*time.Hour + time.Minute, "2026-11-01T00:01:00+01:00"},
		{"fall-back: start in the repeated hour", "night", "2026-10-25T02:30:00+01:00", time.Hour, "2026-10-25T03:30:00+01:00"},

		{"overlapping spans count once", "messy", "2026-03-09T08:00:00+01:00", 5*time.Hour + 30*time.Minute, "2026-03-09T14:30:00+01:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cal, start, want := cals[tc.cal], mustInstant(t, tc.start), mustInstant(t, tc.want)
			got, err := cal.AddOpen(start, tc.d)
			if err != nil {
				t.Fatalf("AddOpen(%s, %v): %v", tc.start, tc.d, err)
			}
			if !got.Equal(want) {
				t.Fatalf("AddOpen(%s, %v) = %s, want %s", tc.start, tc.d, got.Format(time.RFC3339), tc.want)
			}
			if got.Location() != cal.loc {
				t.Errorf("result in %v, want the calendar's zone %v", got.Location(), cal.loc)
			}
			if tc.d == 0 {
				return
			}
			// AddOpen, OpenBetween and Open must agree on what is open.
			if between := cal.OpenBetween(start, got); between != tc.d {
				t.Errorf("OpenBetween(%s, %s) = %v, want %v", tc.start, tc.want, between, tc.d)
			}
			if !cal.Open(got.Add(-time.Nanosecond)) {
				t.Errorf("the instant before %s is closed; the last counted moment must be open", tc.want)
			}
		})
	}
}

func TestAddOpenRefuses(t *testing.T) {
	cals := openTestCalendars(t)
	start := mustInstant(t, "2026-03-09T09:00:00+01:00")
	cases := []struct {
		name, cal string
		d         time.Duration
		sentinel  bool // the error must be ErrNoOpenTime
	}{
		{"no open hours at all", "closed", time.Minute, true},
		{"more than 400 days of open time", "rare", 100 * time.Hour, true},
		{"negative duration", "office", -time.Minute, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cals[tc.cal].AddOpen(start, tc.d)
			if err == nil {
				t.Fatalf("AddOpen(%v) = %s; want an error", tc.d, got)
			}
			if errors.Is(err, ErrNoOpenTime) != tc.sentinel {
				t.Errorf("errors.Is(%v, ErrNoOpenTime) = %v, want %v", err, !tc.sentinel, tc.sentinel)
			}
		})
	}
	// The bound is exact: 58 Mondays (the last on day 399) lie within 400
	// days of start, a 59th does not.
	if got, err := cals["rare"].AddOpen(start, 58*time.Hour); err != nil || !got.Equal(mustInstant(t, "2027-04-12T10:00:00Z")) {
		t.Errorf("58h on a one-hour-a-week calendar = %s, %v; want 2027-04-12T10:00:00Z", got, err)
	}
	if _, err := cals["rare"].AddOpen(start, 59*time.Hour); !errors.Is(err, ErrNoOpenTime) {
		t.Errorf("59h on a one-hour-a-week calendar: %v; want ErrNoOpenTime", err)
	}
}

func TestOpenBetween(t *testing.T) {
	cals := openTestCalendars(t)
	cases := []struct {
		name, cal, a, b string
		want            time.Duration
	}{
		{"issue example", "office", "2026-03-06T16:00:00+01:00", "2026-03-09T11:30:00+01:00", 4 * time.Hour},
		{"Easter week: four days off", "office", "2026-03-30T00:00:00+02:00", "2026-04-13T00:00:00+02:00", 8 * (8*time.Hour + 30*time.Minute)},
		{"spring-forward night is 3h", "night", "2026-03-28T00:00:00+01:00", "2026-03-30T00:00:00+02:00", 3 * time.Hour},
		{"fall-back night is 5h", "night", "2026-10-24T00:00:00+02:00", "2026-10-26T00:00:00+01:00", 5 * time.Hour},
		{"inside one interval", "office", "2026-03-09T10:00:00+01:00", "2026-03-09T10:20:00+01:00", 20 * time.Minute},
		{"b before a", "office", "2026-03-09T11:00:00+01:00", "2026-03-09T10:00:00+01:00", 0},
		{"no open hours", "closed", "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := cals[tc.cal].OpenBetween(mustInstant(t, tc.a), mustInstant(t, tc.b)); got != tc.want {
				t.Errorf("OpenBetween(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}
