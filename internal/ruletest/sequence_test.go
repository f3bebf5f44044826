package ruletest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// timedRules has a four-business-hour rule on a Berlin calendar (Mon-Fri
// 09:00-17:30, Christmas off) that teammates' replies and notes cancel,
// two wall-clock rules that differ only in retrigger, and an immediate
// rule.
const timedRules = `
sources:
  intercom: {kind: intercom, secret_env: INTERCOM_SECRET}
platforms:
  intercom: {kind: intercom, base_url: "https://api.intercom.io", token_env: INTERCOM_TOKEN, admin_id: "814860"}
calendars:
  office: {timezone: Europe/Berlin, hours: {mon-fri: "09:00-17:30"}, holidays: ["2026-12-25"]}
rules:
  - name: nudge
    source: intercom
    when: topic == "conversation.user.created"
    after: 4h
    calendar: office
    cancel_when: topic in ["conversation.admin.replied", "conversation.admin.noted"]
    reply: {as: note, body: "Unanswered. Office open now: {{ in_hours('office') }}."}
  - name: remind-keep
    source: intercom
    when: topic == "conversation.user.replied"
    after: 2h
    cancel_when: topic == "conversation.admin.replied"
    reply: {as: note, body: "keep"}
  - name: remind-restart
    source: intercom
    when: topic == "conversation.user.replied"
    after: 2h
    retrigger: restart
    cancel_when: topic == "conversation.admin.replied"
    reply: {as: note, body: "restart"}
  - name: thanks
    source: intercom
    when: topic == "conversation.user.replied"
    reply: {as: comment, body: "Thanks, {{ contact?.name ?? 'there' }}!"}
`

// conversation builds an Intercom delivery on conversation 123 whose
// newest part is by author (JSON) — or, for a new conversation, whose
// first message is.
func conversation(topic, id, author string) string {
	part := fmt.Sprintf(`{"id": "p-%s", "body": "<p>Hello?</p>", "author": %s}`, id, author)
	item := `"conversation_parts": {"conversation_parts": [` + part + `]}`
	if topic == "conversation.user.created" {
		item = `"source": ` + part
	}
	return fmt.Sprintf(`{"type": "notification_event", "id": %q, "topic": %q, "created_at": 1767780000,
  "data": {"type": "notification_event_data", "item": {"type": "conversation", "id": "123", %s}}}`, id, topic, item)
}

const (
	customer = `{"type": "user", "id": "u1", "name": "Ada"}`
	teammate = `{"type": "admin", "id": "7301245", "name": "Grace"}`
	ownAdmin = `{"type": "admin", "id": "814860", "name": "Support Bot"}`
)

// writeTimedSuite writes timedRules, the test file and the events the
// sequences use.
func writeTimedSuite(t *testing.T, testYAML string) string {
	t.Helper()
	path := writeSuite(t, timedRules, testYAML)
	dir := filepath.Dir(path)
	for name, body := range map[string]string{
		"created.json":       conversation("conversation.user.created", "n1", customer),
		"user_replied.json":  conversation("conversation.user.replied", "n2", customer),
		"answer.json":        conversation("conversation.admin.replied", "n3", teammate),
		"teammate_note.json": conversation("conversation.admin.noted", "n4", teammate),
		"own_note.json":      conversation("conversation.admin.noted", "n5", ownAdmin),
	} {
		if err := os.WriteFile(filepath.Join(dir, "events", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// summary prints a timer as the simulation ran it.
func summary(r *TimerRun) string {
	s := fmt.Sprintf("%s started %s due %s %s", r.Rule, stamp(r.StartedAt), stamp(r.DueAt), r.Outcome)
	if r.Outcome != OutcomePending {
		s += " " + stamp(r.EndedAt)
	}
	return s
}

// TestSequences runs sequences on the simulated clock. Each case's test
// file states its timers, and must pass; the timers are also compared
// here, so a comparison that let everything through would not go unseen.
func TestSequences(t *testing.T) {
	tests := []struct {
		name     string
		sequence string // the test's YAML after its name
		want     []string
	}{
		{
			name: "four business hours from Friday 16:00 is Monday 11:30, rendered with Monday's clock",
			sequence: `
    sequence:
      - {at: 2026-11-27T15:00:00Z, source: intercom, event: events/created.json, expect: []}
    expect_timers:
      - {rule: nudge, started_at: 2026-11-27T15:00:00Z, due: 2026-11-30T10:30:00Z, fired_at: 2026-11-30T10:30:00Z,
         as: note, to: {type: conversation, id: "123"}, body: "Unanswered. Office open now: true."}`,
			want: []string{"nudge started 2026-11-27T15:00:00Z due 2026-11-30T10:30:00Z fired 2026-11-30T10:30:00Z"},
		},
		{
			name: "a Saturday event waits for Monday: open hours only",
			sequence: `
    sequence:
      - {at: 2026-11-28T12:00:00Z, source: intercom, event: events/created.json}
    expect_timers:
      - {rule: nudge, due: 2026-11-30T12:00:00Z, fired_at: 2026-11-30T12:00:00Z, body_contains: "open now: true"}`,
			want: []string{"nudge started 2026-11-28T12:00:00Z due 2026-11-30T12:00:00Z fired 2026-11-30T12:00:00Z"},
		},
		{
			name: "a holiday does not count",
			sequence: `
    sequence:
      - {at: 2026-12-24T15:00:00Z, source: intercom, event: events/created.json}
    expect_timers:
      - {rule: nudge, due: 2026-12-28T10:30:00Z, fired_at: 2026-12-28T10:30:00Z}`,
			want: []string{"nudge started 2026-12-24T15:00:00Z due 2026-12-28T10:30:00Z fired 2026-12-28T10:30:00Z"},
		},
		{
			name: "over the change to summer time (29 March): Monday 11:30 is 09:30 UTC",
			sequence: `
    sequence:
      - {at: 2026-03-27T15:00:00Z, source: intercom, event: events/created.json}
    expect_timers:
      - {rule: nudge, due: 2026-03-30T09:30:00Z, fired_at: 2026-03-30T09:30:00Z}`,
			want: []string{"nudge started 2026-03-27T15:00:00Z due 2026-03-30T09:30:00Z fired 2026-03-30T09:30:00Z"},
		},
		{
			name: "over the change to winter time (25 October): Friday 16:00 is 14:00 UTC, Monday 11:30 is 10:30 UTC",
			sequence: `
    sequence:
      - {at: 2026-10-23T14:00:00Z, source: intercom, event: events/created.json}
    expect_timers:
      - {rule: nudge, due: 2026-10-26T10:30:00Z, fired_at: 2026-10-26T10:30:00Z}`,
			want: []string{"nudge started 2026-10-23T14:00:00Z due 2026-10-26T10:30:00Z fired 2026-10-26T10:30:00Z"},
		},
		{
			name: "a teammate's answer before the due time cancels",
			sequence: `
    sequence:
      - {at: 2026-03-02T09:00:00Z, source: intercom, event: events/created.json}
      - {at: 2026-03-02T11:00:00Z, source: intercom, event: events/answer.json, expect: []}
    expect_timers:
      - {rule: nudge, due: 2026-03-02T13:00:00Z, cancelled_at: 2026-03-02T11:00:00Z}`,
			want: []string{"nudge started 2026-03-02T09:00:00Z due 2026-03-02T13:00:00Z cancelled 2026-03-02T11:00:00Z"},
		},
		{
			name: "an answer after the due time is too late: the timer fired",
			sequence: `
    sequence:
      - {at: 2026-03-02T09:00:00Z, source: intercom, event: events/created.json}
      - {at: 2026-03-02T14:00:00Z, source: intercom, event: events/answer.json}
    expect_timers:
      - {rule: nudge, fired_at: 2026-03-02T13:00:00Z}`,
			want: []string{"nudge started 2026-03-02T09:00:00Z due 2026-03-02T13:00:00Z fired 2026-03-02T13:00:00Z"},
		},
		{
			name: "an answer at the very due time is too late as well",
			sequence: `
    sequence:
      - {at: 2026-03-02T09:00:00Z, source: intercom, event: events/created.json}
      - {at: 2026-03-02T13:00:00Z, source: intercom, event: events/answer.json}
    expect_timers:
      - {rule: nudge, fired_at: 2026-03-02T13:00:00Z}`,
			want: []string{"nudge started 2026-03-02T09:00:00Z due 2026-03-02T13:00:00Z fired 2026-03-02T13:00:00Z"},
		},
		{
			name: "a teammate's note cancels",
			sequence: `
    sequence:
      - {at: 2026-03-02T09:00:00Z, source: intercom, event: events/created.json}
      - {at: 2026-03-02T10:00:00Z, source: intercom, event: events/teammate_note.json}
    expect_timers:
      - {rule: nudge, cancelled_at: 2026-03-02T10:00:00Z}`,
			want: []string{"nudge started 2026-03-02T09:00:00Z due 2026-03-02T13:00:00Z cancelled 2026-03-02T10:00:00Z"},
		},
		{
			name: "the bot's own note is withheld by the loop guard and cancels nothing",
			sequence: `
    sequence:
      - {at: 2026-03-02T09:00:00Z, source: intercom, event: events/created.json}
      - {at: 2026-03-02T10:00:00Z, source: intercom, event: events/own_note.json, expect: []}
    expect_timers:
      - {rule: nudge, fired_at: 2026-03-02T13:00:00Z}`,
			want: []string{"nudge started 2026-03-02T09:00:00Z due 2026-03-02T13:00:00Z fired 2026-03-02T13:00:00Z"},
		},
		{
			name: "retrigger keep keeps the first due time; restart starts the clock again",
			sequence: `
    sequence:
      - {at: 2026-03-02T10:00:00Z, source: intercom, event: events/user_replied.json}
      - {at: 2026-03-02T11:00:00Z, source: intercom, event: events/user_replied.json}
    expect_timers:
      - {rule: remind-keep, started_at: 2026-03-02T10:00:00Z, due: 2026-03-02T12:00:00Z, fired_at: 2026-03-02T12:00:00Z, body: keep}
      - {rule: remind-restart, started_at: 2026-03-02T10:00:00Z, restarted_at: 2026-03-02T11:00:00Z}
      - {rule: remind-restart, started_at: 2026-03-02T11:00:00Z, due: 2026-03-02T13:00:00Z, fired_at: 2026-03-02T13:00:00Z, body: restart}`,
			want: []string{
				"remind-keep started 2026-03-02T10:00:00Z due 2026-03-02T12:00:00Z fired 2026-03-02T12:00:00Z",
				"remind-restart started 2026-03-02T10:00:00Z due 2026-03-02T12:00:00Z restarted 2026-03-02T11:00:00Z",
				"remind-restart started 2026-03-02T11:00:00Z due 2026-03-02T13:00:00Z fired 2026-03-02T13:00:00Z",
			},
		},
		{
			name: "a timer fired and a new trigger starts a new one",
			sequence: `
    sequence:
      - {at: 2026-03-02T10:00:00Z, source: intercom, event: events/user_replied.json}
      - {at: 2026-03-02T15:00:00Z, source: intercom, event: events/user_replied.json}
    until: 2026-03-02T16:00:00Z
    expect_timers:
      - {rule: remind-keep, fired_at: 2026-03-02T12:00:00Z}
      - {rule: remind-restart, fired_at: 2026-03-02T12:00:00Z}
      - {rule: remind-keep, started_at: 2026-03-02T15:00:00Z, pending: true}
      - {rule: remind-restart, started_at: 2026-03-02T15:00:00Z, pending: true}`,
			want: []string{
				"remind-keep started 2026-03-02T10:00:00Z due 2026-03-02T12:00:00Z fired 2026-03-02T12:00:00Z",
				"remind-restart started 2026-03-02T10:00:00Z due 2026-03-02T12:00:00Z fired 2026-03-02T12:00:00Z",
				"remind-keep started 2026-03-02T15:00:00Z due 2026-03-02T17:00:00Z pending",
				"remind-restart started 2026-03-02T15:00:00Z due 2026-03-02T17:00:00Z pending",
			},
		},
		{
			name: "nothing starts a timer",
			sequence: `
    sequence:
      - {at: 2026-03-02T09:00:00Z, source: intercom, event: events/answer.json}
    expect_timers: []`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTimedSuite(t, "rules: rules.yaml\ntests:\n  - name: seq"+tt.sequence+"\n")
			results, report := runSuite(t, path)
			if len(results) != 1 {
				t.Fatalf("ran %d tests, want 1", len(results))
			}
			if !results[0].Passed() {
				t.Errorf("the sequence test failed:\n%s", report)
			}
			var got []string
			for _, r := range results[0].Timers {
				got = append(got, summary(r))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("timers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestSequenceFailureReport: what a rule author reads when a sequence
// test fails: the timeline, the expected timers and each difference.
func TestSequenceFailureReport(t *testing.T) {
	tests := []struct {
		name     string
		testYAML string
		want     string
	}{
		{
			name: "fired instead of cancelled, wrong due time and body",
			testYAML: `rules: rules.yaml
tests:
  - name: nudge
    sequence:
      - {at: 2026-03-02T09:00:00Z, source: intercom, event: events/created.json}
      - {at: 2026-03-02T10:00:00Z, source: intercom, event: events/own_note.json}
    expect_timers:
      - {rule: nudge, due: 2026-03-02T12:00:00Z, cancelled_at: 2026-03-02T10:00:00Z}
`,
			want: `--- FAIL: nudge (rules_test.yaml:3)
    timeline:
      2026-03-02T09:00:00Z  event 1: events/created.json (source intercom, topic conversation.user.created)
                              started nudge on conversation 123, due 2026-03-02T13:00:00Z
      2026-03-02T10:00:00Z  event 2: events/own_note.json (source intercom, topic conversation.admin.noted)
                              loop guard: written by the bot's own admin (only allow_bots rules see it, and it cancels no timer)
      2026-03-02T13:00:00Z  nudge fired on conversation 123
                              note to conversation 123 on intercom
                              body: Unanswered. Office open now: true.
      2026-03-02T13:00:00Z  the clock stops (no timer is pending)
    expected timers:
      nudge due 2026-03-02T12:00:00Z, cancelled at 2026-03-02T10:00:00Z
    differences:
      - timer nudge (started 2026-03-02T09:00:00Z): due: expected 2026-03-02T12:00:00Z, got 2026-03-02T13:00:00Z
      - timer nudge (started 2026-03-02T09:00:00Z): expected cancelled at 2026-03-02T10:00:00Z, got fired at 2026-03-02T13:00:00Z

`,
		},
		{
			name: "a missing timer, an unexpected one and a step expectation",
			testYAML: `rules: rules.yaml
tests:
  - name: replies
    sequence:
      - {at: 2026-03-02T10:00:00Z, source: intercom, event: events/user_replied.json}
      - at: 2026-03-02T11:00:00Z
        source: intercom
        event: events/answer.json
        expect: [{rule: thanks}]
    until: 2026-03-02T11:30:00Z
    expect_timers:
      - {rule: remind-keep, fired_at: 2026-03-02T12:00:00Z, body: keep}
      - {rule: nudge}
`,
			want: `--- FAIL: replies (rules_test.yaml:3)
    timeline:
      2026-03-02T10:00:00Z  event 1: events/user_replied.json (source intercom, topic conversation.user.replied)
                              matched thanks: comment to conversation 123 on intercom
                              started remind-keep on conversation 123, due 2026-03-02T12:00:00Z
                              started remind-restart on conversation 123, due 2026-03-02T12:00:00Z
      2026-03-02T11:00:00Z  event 2: events/answer.json (source intercom, topic conversation.admin.replied)
                              cancel_when of nudge matched: no timer of it is pending on conversation 123
                              cancelled remind-keep on conversation 123 (cancel_when; it was due 2026-03-02T12:00:00Z)
                              cancelled remind-restart on conversation 123 (cancel_when; it was due 2026-03-02T12:00:00Z)
      2026-03-02T11:30:00Z  the clock stops (until)
    expected timers:
      remind-keep fired at 2026-03-02T12:00:00Z
        body: keep
      nudge
    differences:
      - event 2 (2026-03-02T11:00:00Z): rule thanks should match, but did not
          false: topic == "conversation.user.replied"
              topic = "conversation.admin.replied"
      - timer remind-keep (started 2026-03-02T10:00:00Z): expected fired at 2026-03-02T12:00:00Z, got cancelled at 2026-03-02T11:00:00Z
      - rule nudge should start 1 timer, but started 0 timers
      - rule remind-restart started a timer at 2026-03-02T10:00:00Z on conversation 123 (due 2026-03-02T12:00:00Z), but the test does not expect it

`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTimedSuite(t, tt.testYAML)
			s, err := LoadFile(path, testRegistry)
			if err != nil {
				t.Fatalf("LoadFile: %v", err)
			}
			results := s.Run(nil)
			var b strings.Builder
			Write(&b, results, false)
			got := strings.ReplaceAll(b.String(), filepath.Dir(path)+string(filepath.Separator), "")
			if got != tt.want {
				t.Errorf("report:\n%s\nwant:\n%s", got, tt.want)
			}
			if results[0].Passed() {
				t.Error("the test passed")
			}
		})
	}
}

// TestSequenceLoadErrors: mistakes in a sequence test are reported with
// their position, like every other mistake in a test file.
func TestSequenceLoadErrors(t *testing.T) {
	const head = "rules: rules.yaml\ntests:\n  - name: s\n"
	tests := []struct {
		name     string
		testYAML string
		want     []string
	}{
		{
			name: "misspelled key of an event",
			testYAML: head + `    sequence:
      - {at: 2026-03-02T09:00:00Z, source: intercom, evnt: events/created.json}
    expect_timers: []
`,
			want: []string{`rules_test.yaml:5:54: unknown field "evnt"
    5 |       - {at: 2026-03-02T09:00:00Z, source: intercom, evnt: events/created.json}
                                                             ^`},
		},
		{
			name: "misspelled key of an expected timer",
			testYAML: head + `    sequence:
      - {at: 2026-03-02T09:00:00Z, source: intercom, event: events/created.json}
    expect_timers:
      - rule: nudge
        fired: 2026-03-02T13:00:00Z
`,
			want: []string{`rules_test.yaml:8:9: unknown field "fired"
    8 |         fired: 2026-03-02T13:00:00Z
                ^`},
		},
		{
			name: "misspelled key of the test",
			testYAML: head + `    sequence:
      - {at: 2026-03-02T09:00:00Z, source: intercom, event: events/created.json}
    expect_timer: []
`,
			want: []string{`rules_test.yaml:6:5: unknown field "expect_timer"
    6 |     expect_timer: []
            ^`},
		},
		{
			name: "several problems at once",
			testYAML: head + `    source: intercom
    sequence:
      - {at: 2026-03-02T09:00:00Z, source: intercom, event: events/created.json, expect: [{rule: nudge}]}
      - {source: intercom, event: events/answer.json}
      - {at: 2026-03-02T08:00:00Z, source: intercom, event: events/answer.json}
    until: 2026-03-01T00:00:00Z
    expect_timers:
      - {rule: remind, fired_at: soon}
      - {rule: nudge, cancelled_at: 2026-03-02T10:00:00Z, pending: true}
      - {rule: nudge, body: hi}
`,
			want: []string{
				`rules_test.yaml:4:13: test "s": source belongs to each event of the sequence, not beside sequence:
    4 |     source: intercom
                    ^`,
				`rules_test.yaml:6:98: test "s": event 1: rule "nudge" is timed (after): it starts a timer rather than matching at once; check it under expect_timers of a sequence test
    6 |       - {at: 2026-03-02T09:00:00Z, source: intercom, event: events/created.json, expect: [{rule: nudge}]}
                                                                                                         ^`,
				`rules_test.yaml:7:9: test "s": event 2: at is required: when the event arrives on the simulated clock
    7 |       - {source: intercom, event: events/answer.json}
                ^`,
				`rules_test.yaml:8:14: test "s": event 3: at 2026-03-02T08:00:00Z is before event 1 (2026-03-02T09:00:00Z): list the events in time order
    8 |       - {at: 2026-03-02T08:00:00Z, source: intercom, event: events/answer.json}
                     ^`,
				`rules_test.yaml:9:12: test "s": until 2026-03-01T00:00:00Z is before the last event (2026-03-02T09:00:00Z): the clock runs on after the events
    9 |     until: 2026-03-01T00:00:00Z
                   ^`,
				`rules_test.yaml:11:16: test "s": no rule named "remind" in rules.yaml
   11 |       - {rule: remind, fired_at: soon}
                       ^`,
				`rules_test.yaml:11:34: test "s": fired_at: want an RFC 3339 time like 2026-03-02T10:00:00Z, not "soon"
   11 |       - {rule: remind, fired_at: soon}
                                         ^`,
				`rules_test.yaml:12:68: test "s": expect_timers: a timer ends one way: give one of cancelled_at, pending
   12 |       - {rule: nudge, cancelled_at: 2026-03-02T10:00:00Z, pending: true}
                                                                           ^`,
				`rules_test.yaml:13:29: test "s": expect_timers: body is what the timer posts when it fires: add fired_at
   13 |       - {rule: nudge, body: hi}
                                    ^`,
			},
		},
		{
			name: "a sequence needs expect_timers, an untimed rule is no timer",
			testYAML: head + `    sequence:
      - {at: 2026-03-02T09:00:00Z, source: intercom, event: events/created.json}
  - name: t
    sequence: []
    expect_timers: [{rule: thanks}]
  - name: u
    source: intercom
    event: events/created.json
    expect: []
    until: 2026-03-03T00:00:00Z
`,
			want: []string{
				`rules_test.yaml:3:5: test "s": expect_timers is required in a sequence test (write ` + "`expect_timers: []`" + ` when no timer may start)
    3 |   - name: s
            ^`,
				`rules_test.yaml:7:15: test "t": sequence is empty: list the events, each with at
    7 |     sequence: []
                      ^`,
				`rules_test.yaml:8:28: test "t": rule "thanks" is not timed (it has no after): its matches are immediate; check them with expect on the event
    8 |     expect_timers: [{rule: thanks}]
                                   ^`,
				`rules_test.yaml:13:12: test "u": until only applies to a sequence test (events with times, under sequence:)
   13 |     until: 2026-03-03T00:00:00Z
                   ^`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTimedSuite(t, tt.testYAML)
			_, err := LoadFile(path, testRegistry)
			if err == nil {
				t.Fatal("LoadFile accepted a broken test file")
			}
			dir := filepath.Dir(path) + string(filepath.Separator)
			var got []string
			for _, e := range errorsOf(t, err) {
				got = append(got, strings.ReplaceAll(e, dir, ""))
			}
			if strings.Join(got, "\n\n") != strings.Join(tt.want, "\n\n") {
				t.Errorf("errors:\n%s\n\nwant:\n%s", strings.Join(got, "\n\n"), strings.Join(tt.want, "\n\n"))
			}
		})
	}
}
