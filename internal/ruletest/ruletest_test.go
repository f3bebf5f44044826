package ruletest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/rules"
)

// testRules is a small rules file: one calendar-dependent pair of rules, a
// rule whose reply cannot be rendered for conversations, and a shadow rule.
const testRules = `
sources:
  intercom: {kind: intercom, secret_env: INTERCOM_SECRET}
  whmcs: {kind: whmcs, secret_env: WHMCS_SECRET}
platforms:
  intercom: {kind: intercom, base_url: "https://api.intercom.io", token_env: INTERCOM_TOKEN, admin_id: "814860"}
  whmcs: {kind: whmcs, base_url: "https://billing.example.com/api", token_env: WHMCS_TOKEN, admin_name: Support Bot}
calendars:
  office: {timezone: UTC, hours: {mon-fri: "09:00-17:00"}}
rules:
  - name: greet
    source: intercom
    when: topic == "conversation.user.created" && in_hours("office")
    reply: {as: comment, body: "<p>Hi {{ contact?.name ?? 'there' }}!</p>"}
  - name: night
    source: intercom
    when: topic == "conversation.user.created" && outside_hours("office")
    reply: {as: note, body: "after hours"}
  - name: ticket-ack
    source: whmcs
    when: topic == "TicketOpen"
    mode: shadow
    reply: {as: note, body: "Ticket {{ ticket.number }} is in."}
`

// created is a minimal Intercom conversation.user.created delivery.
const created = `{
  "type": "notification_event", "id": "notif_1", "topic": "conversation.user.created", "created_at": 1767780000,
  "data": {"type": "notification_event_data", "item": {
    "type": "conversation", "id": "123",
    "source": {"id": "9", "body": "<p>Hello?</p>", "author": {"type": "user", "id": "u1", "name": "Ada"}}}}
}`

// ownReply is the bot's own admin replying: the loop guard withholds it.
const ownReply = `{
  "type": "notification_event", "id": "notif_2", "topic": "conversation.admin.replied", "created_at": 1767780000,
  "data": {"type": "notification_event_data", "item": {
    "type": "conversation", "id": "123",
    "conversation_parts": {"conversation_parts": [
      {"id": "10", "body": "<p>Done</p>", "author": {"type": "admin", "id": "814860", "name": "Bot"}}]}}}
}`

// writeSuite writes the rules, the given test file and two event files into
// a fresh directory and returns the test file's path.
func writeSuite(t *testing.T, rulesYAML, testYAML string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"rules.yaml":               rulesYAML,
		"rules_test.yaml":          testYAML,
		"events/created.json":      created,
		"events/own_reply.json":    ownReply,
		"events/not_an_event.json": `{"type": "notification_event", "topic": "conversation.user.created"}`,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "rules_test.yaml")
}

// runSuite loads and runs a test file and returns the results and the
// report a user reads.
func runSuite(t *testing.T, path string) ([]*Result, string) {
	t.Helper()
	s, err := LoadFile(path, testRegistry)
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	results := s.Run(nil)
	var b strings.Builder
	Write(&b, results, false)
	return results, b.String()
}

func TestPassingFile(t *testing.T) {
	path := writeSuite(t, testRules, `
rules: rules.yaml
tests:
  - name: greeting in office hours
    source: intercom
    event: events/created.json
    at: 2026-01-07T10:00:00Z
    expect:
      - rule: greet
        as: comment
        to: {type: conversation, id: "123"}
        platform: intercom
        body: "<p>Hi Ada!</p>"
  - name: note after hours
    source: intercom
    event: events/created.json
    at: 2026-01-07T20:00:00Z
    expect:
      - {rule: night, as: note, body_contains: [after, hours]}
  - name: default clock is a working day at noon
    source: intercom
    event: events/created.json
    expect: [{rule: greet}]
  - name: shadow rule on an inline payload
    source: whmcs
    payload:
      event: TicketOpen
      id: TicketOpen-1
      occurred_at: "2026-01-07T10:00:00Z"
      vars: {ticketid: 7, ticketmask: ABC-7, userid: 3, message: Hi}
    expect:
      - {rule: ticket-ack, shadow: true, body: "Ticket ABC-7 is in."}
  - name: loop guard
    source: intercom
    event: events/own_reply.json
    expect: []
`)
	results, report := runSuite(t, path)
	if len(results) != 5 {
		t.Fatalf("ran %d tests, want 5", len(results))
	}
	for _, r := range results {
		if !r.Passed() {
			t.Errorf("%s failed:\n%s", r.Case.Name, report)
		}
	}
	if report != "" {
		t.Errorf("report of a passing run = %q, want nothing (only -v lists passes)", report)
	}
	if got := Summary(5, 0, 0); got != "ok  5 tests" {
		t.Errorf("Summary = %q", got)
	}
}

func TestFailingFileReport(t *testing.T) {
	tests := []struct {
		name     string
		testYAML string
		want     string
	}{
		{
			name: "wrong body, missing rule explained",
			testYAML: `
rules: rules.yaml
tests:
  - name: greeting
    source: intercom
    event: events/created.json
    at: 2026-01-07T20:00:00Z
    expect:
      - rule: greet
        body: "<p>Hi Ada!</p>"
      - rule: night
        as: comment
        body_contains: office
`,
			want: `--- FAIL: greeting (rules_test.yaml:4)
    event:    events/created.json (source intercom, topic conversation.user.created, at 2026-01-07T20:00:00Z)
    expected:
      greet
            body: <p>Hi Ada!</p>
      night comment, body contains "office"
    got:
      night note to conversation 123 on intercom
            body: after hours
    differences:
      - rule greet should match, but did not
          false: in_hours("office")
      - rule night: as: expected comment, got note
      - rule night: the body does not contain "office"
          body: after hours

`,
		},
		{
			name: "unexpected shadow match and loop guard",
			testYAML: `
rules: rules.yaml
tests:
  - name: shadow
    source: whmcs
    payload: {event: TicketOpen, id: T-1, occurred_at: "2026-01-07T10:00:00Z", vars: {ticketid: 7, ticketmask: ABC-7}}
    expect: []
  - name: own reply
    source: intercom
    event: events/own_reply.json
    expect: [{rule: greet}]
`,
			want: `--- FAIL: shadow (rules_test.yaml:4)
    event:    inline payload (source whmcs, topic TicketOpen, at 2026-01-07T12:00:00Z)
    expected:
      no match
    got:
      ticket-ack note to ticket 7 on whmcs [shadow: logged, never sent]
                 body: Ticket ABC-7 is in.
    differences:
      - rule ticket-ack matched, but the test does not expect it

--- FAIL: own reply (rules_test.yaml:8)
    event:    events/own_reply.json (source intercom, topic conversation.admin.replied, at 2026-01-07T12:00:00Z)
    expected:
      greet
    got:
      no match (loop guard: written by the bot's own admin; only rules with allow_bots: true see it)
    differences:
      - rule greet should match, but did not
          loop guard: written by the bot's own admin (set allow_bots: true to see such events)

`,
		},
		{
			name: "multi-line body and order",
			testYAML: `
rules: rules.yaml
tests:
  - name: exact body
    source: whmcs
    payload: {event: TicketOpen, id: T-1, occurred_at: "2026-01-07T10:00:00Z", vars: {ticketid: 7, ticketmask: ABC-7}}
    expect:
      - rule: ticket-ack
        shadow: false
        body: |
          Ticket ABC-7
          is in.
`,
			want: `--- FAIL: exact body (rules_test.yaml:4)
    event:    inline payload (source whmcs, topic TicketOpen, at 2026-01-07T12:00:00Z)
    expected:
      ticket-ack [live]
                 body: Ticket ABC-7
                       is in.
    got:
      ticket-ack note to ticket 7 on whmcs [shadow: logged, never sent]
                 body: Ticket ABC-7 is in.
    differences:
      - rule ticket-ack: expected a live match, but it is in shadow mode (logged, never sent)
      - rule ticket-ack: the body differs
          expected: Ticket ABC-7
                    is in.
          got:      Ticket ABC-7 is in.
          first difference, line 1: expected "Ticket ABC-7", got "Ticket ABC-7 is in."

`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeSuite(t, testRules, tt.testYAML)
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
			failed := 0
			for _, r := range results {
				if !r.Passed() {
					failed++
				}
			}
			if failed == 0 {
				t.Error("no test failed")
			}
		})
	}
}

func TestOrderIsChecked(t *testing.T) {
	rulesYAML := testRules + `
  - name: also-greet
    source: intercom
    when: topic == "conversation.user.created"
    reply: {as: note, body: "x"}
`
	path := writeSuite(t, rulesYAML, `
rules: rules.yaml
tests:
  - name: order
    source: intercom
    event: events/created.json
    expect: [{rule: also-greet}, {rule: greet}]
`)
	results, report := runSuite(t, path)
	want := "the rules matched in another order (matches follow the rules file): expected also-greet, greet; got greet, also-greet"
	if results[0].Passed() || !strings.Contains(report, want) {
		t.Errorf("report:\n%s\nwant it to say %q", report, want)
	}
}

func TestRenderAndConditionErrorsFail(t *testing.T) {
	rulesYAML := testRules + `
  - name: wrong-field
    source: intercom
    when: topic == "conversation.user.created"
    reply: {as: note, body: "Ticket {{ ticket.number }}"}
  - name: bad-condition
    source: intercom
    when: topic == "conversation.user.created" && message.author.name matches ticket.subject
    reply: {as: note, body: "x"}
`
	path := writeSuite(t, rulesYAML, `
rules: rules.yaml
tests:
  - name: errors
    source: intercom
    event: events/created.json
    expect: [{rule: greet}, {rule: wrong-field}]
`)
	results, report := runSuite(t, path)
	if results[0].Passed() {
		t.Fatalf("a render error and a condition error passed:\n%s", report)
	}
	for _, want := range []string{
		"rule bad-condition: the condition failed to evaluate (the bot counts this as no match and logs a warning): when: ",
		"rule wrong-field matched, but its reply cannot be rendered (the bot would dead-letter it): reply.body: ",
		"[cannot render: reply.body: ",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report does not say %q:\n%s", want, report)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		rules    string
		testYAML string
		want     []string // each error as printed, the temp dir removed
	}{
		{
			name: "unknown key",
			testYAML: `rules: rules.yaml
tests:
  - name: typo
    source: intercom
    event: events/created.json
    expects: []
`,
			want: []string{`rules_test.yaml:6:5: unknown field "expects"
    6 |     expects: []
            ^`},
		},
		{
			name: "missing event file",
			testYAML: `rules: rules.yaml
tests:
  - name: gone
    source: intercom
    event: events/nope.json
    expect: []
`,
			want: []string{`rules_test.yaml:5:12: test "gone": event file events/nope.json does not exist (paths are relative to the test file)
    5 |     event: events/nope.json
                   ^`},
		},
		{
			name: "unknown source",
			testYAML: `rules: rules.yaml
tests:
  - name: where
    source: zendesk
    event: events/created.json
    expect: []
`,
			want: []string{`rules_test.yaml:4:13: test "where": unknown source "zendesk" (rules.yaml has sources: intercom, whmcs)
    4 |     source: zendesk
                    ^`},
		},
		{
			name: "several problems at once",
			testYAML: `rules: rules.yaml
tests:
  - name: a
    source: intercom
    event: events/created.json
    at: tomorrow
    expect:
      - rule: greeet
  - name: a
    source: intercom
    event: events/created.json
    payload: {x: 1}
    expect: []
  - name: c
    source: intercom
    event: events/not_an_event.json
`,
			want: []string{
				`rules_test.yaml:6:9: test "a": at: want an RFC 3339 time like 2026-03-02T10:00:00Z, not "tomorrow"
    6 |     at: tomorrow
                ^`,
				`rules_test.yaml:8:15: test "a": no rule named "greeet" in rules.yaml
    8 |       - rule: greeet
                      ^`,
				`rules_test.yaml:9:11: duplicate test name "a" (first used by test 1)
    9 |   - name: a
                  ^`,
				`rules_test.yaml:12:14: test "a": give event or payload, not both
   12 |     payload: {x: 1}
                     ^`,
				`rules_test.yaml:14:5: test "c": expect is required (write ` + "`expect: []`" + ` when no rule may match)
   14 |   - name: c
            ^`,
				`rules_test.yaml:16:12: test "c": the bot would reject this intercom payload: bad webhook payload: id missing
   16 |     event: events/not_an_event.json
                   ^`,
			},
		},
		{
			name:     "empty file",
			testYAML: "\n",
			want:     []string{`rules_test.yaml: the file is empty: a test file has rules: (the rules file) and tests:`},
		},
		{
			name: "no rules file named",
			testYAML: `tests:
  - {name: x, source: intercom, event: events/created.json, expect: []}
`,
			want: []string{`rules_test.yaml:1:1: rules is required: the rules file under test, relative to this file
    1 | tests:
        ^`},
		},
		{
			name:  "rules file does not load",
			rules: "sources: {}\n",
			testYAML: `rules: rules.yaml
tests: []
`,
			want: []string{
				`rules_test.yaml:1:8: the rules file rules.yaml does not load (1 problem(s) follow)
    1 | rules: rules.yaml
               ^`,
				`rules.yaml:1:10: at least one source is required
    1 | sources: {}
                 ^`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rulesYAML := tt.rules
			if rulesYAML == "" {
				rulesYAML = testRules
			}
			path := writeSuite(t, rulesYAML, tt.testYAML)
			_, err := LoadFile(path, testRegistry)
			if err == nil {
				t.Fatal("LoadFile accepted a broken test file")
			}
			list := errorsOf(t, err)
			dir := filepath.Dir(path) + string(filepath.Separator)
			var got []string
			for _, e := range list {
				got = append(got, strings.ReplaceAll(e, dir, ""))
			}
			if strings.Join(got, "\n\n") != strings.Join(tt.want, "\n\n") {
				t.Errorf("errors:\n%s\n\nwant:\n%s", strings.Join(got, "\n\n"), strings.Join(tt.want, "\n\n"))
			}
		})
	}
}

func errorsOf(t *testing.T, err error) []string {
	t.Helper()
	list := rules.Errors(err)
	if list == nil {
		t.Fatalf("error is not positioned: %v", err)
	}
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.Error()
	}
	return out
}

func TestUntested(t *testing.T) {
	path := writeSuite(t, testRules, `
rules: rules.yaml
tests:
  - name: greet only
    source: intercom
    event: events/created.json
    expect: [{rule: greet}]
`)
	s, err := LoadFile(path, testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Untested(), ","); got != "night,ticket-ack" {
		t.Errorf("Untested = %s, want night,ticket-ack", got)
	}
}

// TestExampleRules runs the repository's rules_test.yaml: every test must
// pass and every rule of rules.yaml must be expected by at least one test.
func TestExampleRules(t *testing.T) {
	s, err := LoadFile(filepath.Join("..", "..", "rules_test.yaml"), testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	results := s.Run(nil)
	var b strings.Builder
	Write(&b, results, false)
	for _, r := range results {
		if !r.Passed() {
			t.Errorf("rules_test.yaml fails:\n%s", b.String())
			break
		}
	}
	if u := s.Untested(); len(u) > 0 {
		t.Errorf("rules of rules.yaml no test expects to match: %s", strings.Join(u, ", "))
	}
	negatives := 0
	for _, c := range s.Cases {
		if c.Expect != nil && len(*c.Expect) == 0 {
			negatives++
		}
	}
	if negatives < 2 {
		t.Errorf("rules_test.yaml has %d tests expecting no match, want at least 2", negatives)
	}
}
