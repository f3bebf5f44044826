package ruletest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// actionRules act through a log platform, which takes every action, so
// the tests depend on no platform's action table.
const actionRules = `
sources:
  desk: {kind: intercom, secret_env: INTERCOM_SECRET, platform: book}
platforms:
  book: {kind: log}
notifiers:
  ops: {kind: webhook, url: "https://hooks.example.com/ops", secret_env: OPS_SECRET}
rules:
  - name: triage
    when: topic == "conversation.user.created"
    reply: {as: note, body: "Routing to billing."}
    actions:
      - tag: [refund, "{{ lower(contact?.name ?? 'nobody') }}"]
      - status: snoozed
        until: 2h
      - notify: {to: ops, text: "New conversation from {{ contact?.name ?? 'someone' }}"}
  - name: route
    when: topic == "conversation.user.created"
    actions:
      - assign: {team: "5678"}
      - set: {plan: pro}
      - priority: high
`

func TestActionExpectations(t *testing.T) {
	tests := []struct {
		name   string
		expect string // the test's expect list
		want   []string
	}{
		{
			name: "every action as rendered",
			expect: `
      - rule: triage
        as: note
        body: Routing to billing.
        actions:
          - {tag: [refund, ada]}
          - {status: snoozed, until: 2026-01-07T12:00:00Z}
          - {notify: ops, text: New conversation from Ada}
      - rule: route
        actions:
          - {assign: {team: "5678"}}
          - {set: {plan: pro}}
          - {priority: high}`,
		},
		{
			name: "left out is not checked; text_contains",
			expect: `
      - rule: triage
        actions:
          - {tag: [refund, ada]}
          - {status: snoozed}
          - {notify: ops, text_contains: [from, Ada]}
      - {rule: route}`,
		},
		{
			name: "no actions expected",
			expect: `
      - {rule: triage, actions: []}
      - {rule: route}`,
			want: []string{"rule triage: actions: expected none, got tag, status, notify"},
		},
		{
			name: "wrong values",
			expect: `
      - rule: triage
        actions:
          - {tag: [refund]}
          - {status: closed, until: 2026-01-07T13:00:00Z}
          - {notify: ops, text: "from Ada"}
      - rule: route
        actions:
          - {assign: {admin: "1"}}
          - {set: {plan: basic}}
          - {priority: low}`,
			want: []string{
				`rule triage: action 1 (tag): expected ["refund"], got ["refund", "ada"]`,
				"rule triage: action 2 (status): expected closed, got snoozed",
				"rule triage: action 2 (status): until: expected 2026-01-07T13:00:00Z, got 2026-01-07T12:00:00Z",
				"rule triage: action 3 (notify): the text differs",
				`rule route: action 1 (assign): expected {admin: "1"}, got {team: "5678"}`,
				`rule route: action 2 (set): expected {plan: "basic"}, got {plan: "pro"}`,
				"rule route: action 3 (priority): expected low, got high",
			},
		},
		{
			name: "actions in another order",
			expect: `
      - {rule: triage}
      - rule: route
        actions: [{priority: high}, {assign: {team: "5678"}}, {set: {plan: pro}}]`,
			want: []string{"rule route: actions: expected priority, assign, set, got assign, set, priority"},
		},
		{
			name: "a rule with no reply posts no message",
			expect: `
      - {rule: triage}
      - {rule: route, as: note, body_contains: x}`,
			want: []string{
				"rule route: as: the rule posts no message (it only acts)",
				"rule route: body_contains: the rule posts no message (it only acts)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeSuite(t, actionRules, `rules: rules.yaml
tests:
  - name: acts
    source: desk
    event: events/created.json
    at: 2026-01-07T10:00:00Z
    expect:`+tt.expect+"\n")
			results, report := runSuite(t, path)
			var got []string
			for _, p := range results[0].Problems {
				got = append(got, p.Msg)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s\nreport:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"), report)
			}
		})
	}
}

// TestActionsInReport: a failing test prints the actions each match did.
func TestActionsInReport(t *testing.T) {
	path := writeSuite(t, actionRules, `rules: rules.yaml
tests:
  - name: acts
    source: desk
    event: events/created.json
    at: 2026-01-07T10:00:00Z
    expect: [{rule: triage}]
`)
	_, report := runSuite(t, path)
	want := `    got:
      triage note to conversation 123 on book
             body: Routing to billing.
             actions: tag ["refund", "ada"]
                      status snoozed until 2026-01-07T12:00:00Z
                      notify ops: "New conversation from Ada"
      route  actions to conversation 123 on book (no message)
             actions: assign {team: "5678"}
                      set {plan: "pro"}
                      priority high
`
	if !strings.Contains(report, want) {
		t.Errorf("report:\n%s\nwant it to contain:\n%s", report, want)
	}
}

func TestActionExpectationLoadErrors(t *testing.T) {
	path := writeSuite(t, actionRules, `rules: rules.yaml
tests:
  - name: acts
    source: desk
    event: events/created.json
    expect:
      - rule: triage
        actions:
          - {tag: [a], status: open}
          - {}
          - {tag: [a], until: 2026-01-07T12:00:00Z, text: x}
          - {status: snoozed, until: 2h}
          - {notify: pager}
          - {priority: high, colour: red}
`)
	_, err := LoadFile(path, testRegistry)
	if err == nil {
		t.Fatal("LoadFile accepted broken action expectations")
	}
	dir := filepath.Dir(path) + string(filepath.Separator)
	var got []string
	for _, e := range errorsOf(t, err) {
		got = append(got, strings.SplitN(strings.ReplaceAll(e, dir, ""), "\n", 2)[0])
	}
	// The strict decoder stops at the unknown key before anything else
	// is checked; without it, the rest are reported together.
	want := `rules_test.yaml:14:30: unknown field "colour"`
	if strings.Join(got, "\n") != want {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	path = writeSuite(t, actionRules, strings.Replace(readFile(t, path), ", colour: red", "", 1))
	_, err = LoadFile(path, testRegistry)
	got = nil
	for _, e := range errorsOf(t, err) {
		got = append(got, strings.SplitN(strings.ReplaceAll(e, filepath.Dir(path)+string(filepath.Separator), ""), "\n", 2)[0])
	}
	wantAll := []string{
		`rules_test.yaml:9:13: test "acts": actions: an entry is one action, this one has tag and status: write each as its own list item`,
		`rules_test.yaml:10:13: test "acts": actions: an entry needs one of: tag, assign, priority, status, set, notify`,
		`rules_test.yaml:11:31: test "acts": actions: until only goes with status`,
		`rules_test.yaml:11:59: test "acts": actions: text only goes with notify`,
		`rules_test.yaml:12:38: test "acts": actions: until: want the RFC 3339 time the status ends, like 2026-03-02T12:00:00Z, not "2h"`,
		`rules_test.yaml:13:22: test "acts": actions: no notifier named "pager" in rules.yaml`,
	}
	if strings.Join(got, "\n") != strings.Join(wantAll, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantAll, "\n"))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
