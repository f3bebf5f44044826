package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

const timedHeader = header + `  - name: nudge
    source: intercom
    when: topic == "conversation.user.created"
    after: 4h
    calendar: support-eu
    cancel_when: topic in ["conversation.admin.replied", "conversation.admin.closed"]
    reply: {as: note, body: "Unanswered for 4 working hours."}
calendars:
  support-eu:
    timezone: Europe/Berlin
    hours: {mon-fri: "09:00-17:30"}
    holidays: ["2026-12-25"]
`

func TestTimedRuleKeysAreChecked(t *testing.T) {
	rule := func(extra string) string {
		return header + `  - name: a
    source: intercom
    when: topic == "conversation.user.created"
    reply: {as: note, body: hi}
` + extra
	}
	for _, tc := range []struct{ name, src, want string }{
		{"after over 30 days", rule("    after: 31d\n"), `after must be positive and at most 30d`},
		{"cancel_when without after", rule("    cancel_when: \"true\"\n"), `cancel_when only applies to a timed rule: add after`},
		{"calendar without after", rule("    calendar: x\n"), `calendar only applies to a timed rule`},
		{"unknown calendar", rule("    after: 1h\n    calendar: nope\n"), `no calendar named "nope" in calendars:`},
		{"retrigger typo", rule("    after: 1h\n    retrigger: again\n"), `retrigger must be keep or restart`},
		{"cancel_when is type-checked", rule("    after: 1h\n    cancel_when: topic == 1\n"), `rules.yaml:24:24: rule "a": cancel_when: invalid operation`},
		{"cancel_when misspelled field", rule("    after: 1h\n    cancel_when: mesage.text == \"x\"\n"), `cancel_when`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.src), "rules.yaml", Options{Platforms: testRegistry})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error:\n%v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestBusinessHoursDueTimes: the dates the issue names, holidays and the
// change to and from summer time, counted on the rule's calendar.
func TestBusinessHoursDueTimes(t *testing.T) {
	rs := mustLoad(t, timedHeader)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	timing := rs.Rules[0].Timing
	for _, tc := range []struct {
		name      string
		start     time.Time
		after     time.Duration
		wantLocal string
	}{
		{"friday 16:00 + 4h is monday 11:30", time.Date(2026, 11, 27, 16, 0, 0, 0, berlin), 4 * time.Hour, "2026-11-30 11:30"},
		{"before opening starts at 09:00", time.Date(2026, 12, 1, 7, 0, 0, 0, berlin), 4 * time.Hour, "2026-12-01 13:00"},
		{"a holiday is skipped", time.Date(2026, 12, 24, 16, 0, 0, 0, berlin), 4 * time.Hour, "2026-12-28 11:30"},
		{"over the change to summer time", time.Date(2026, 3, 27, 16, 0, 0, 0, berlin), 4 * time.Hour, "2026-03-30 11:30"},
		{"over the change to winter time", time.Date(2026, 10, 23, 16, 0, 0, 0, berlin), 4 * time.Hour, "2026-10-26 11:30"},
		{"a whole week of open hours", time.Date(2026, 11, 30, 9, 0, 0, 0, berlin), 42*time.Hour + 30*time.Minute, "2026-12-04 17:30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm := *timing
			tm.After = tc.after
			due, err := tm.DueAt(tc.start)
			if err != nil {
				t.Fatal(err)
			}
			if got := due.In(berlin).Format("2006-01-02 15:04"); got != tc.wantLocal {
				t.Fatalf("due %s, want %s", got, tc.wantLocal)
			}
		})
	}
	// Wall-clock timers ignore calendars: 4h is 4h, DST or not.
	plain := Timing{After: 4 * time.Hour}
	start := time.Date(2026, 3, 29, 0, 30, 0, 0, berlin)
	if due, _ := plain.DueAt(start); due.Sub(start) != 4*time.Hour {
		t.Fatalf("wall-clock timer waited %s", due.Sub(start))
	}
}

func TestTimedRulesStartAndCancelTimers(t *testing.T) {
	rs := mustLoad(t, timedHeader)
	at := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) // Friday 16:00 in Berlin
	ev := func(topic string) *event.Event {
		return &event.Event{Source: "intercom", Kind: "intercom", Topic: topic, ID: topic, ReceivedAt: at,
			Target: event.Target{Type: event.TargetConversation, ID: "42"}}
	}
	start := rs.Evaluate(ev("conversation.user.created"))
	if len(start.Matches) != 0 || len(start.Timers) != 1 || len(start.Cancels) != 0 {
		t.Fatalf("a timed rule's match starts a timer and posts nothing now: %+v", start)
	}
	tm := start.Timers[0]
	if tm.TargetKey != "intercom:conversation:42" || !tm.DueAt.Equal(time.Date(2026, 11, 30, 10, 30, 0, 0, time.UTC)) {
		t.Fatalf("timer %s due %s", tm.TargetKey, tm.DueAt)
	}
	for topic, cancels := range map[string]bool{
		"conversation.admin.replied": true, "conversation.admin.closed": true, "conversation.user.replied": false,
	} {
		got := rs.Evaluate(ev(topic))
		if (len(got.Cancels) == 1) != cancels {
			t.Errorf("%s: cancels %+v, want cancel %v", topic, got.Cancels, cancels)
		}
		if cancels && got.Cancels[0].TargetKey != tm.TargetKey {
			t.Errorf("%s cancels %s, the timer is on %s", topic, got.Cancels[0].TargetKey, tm.TargetKey)
		}
	}
	// An event with no target cannot cancel anything.
	noTarget := ev("conversation.admin.replied")
	noTarget.Target = event.Target{}
	if got := rs.Evaluate(noTarget); len(got.Cancels) != 0 {
		t.Fatalf("an event without a target cancelled %+v", got.Cancels)
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		4 * time.Hour: "4h", 90 * time.Second: "1m30s", 30 * time.Second: "30s",
		time.Hour + 30*time.Minute: "1h30m", 720 * time.Hour: "720h",
	} {
		if got := ShortDuration(d); got != want {
			t.Errorf("ShortDuration(%v) = %q; want %q", d, got, want)
		}
	}
}
