package ruletest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/helpscout/helpscoutfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
)

// helpscoutRules has a Help Scout source: its event name arrives in the
// X-HelpScout-Event header, never in the body.
const helpscoutRules = `
sources:
  helpscout: {kind: helpscout, secret_env: HELPSCOUT_SECRET}
platforms:
  helpscout: {kind: log}
rules:
  - name: new-conversation
    source: helpscout
    when: topic == "convo.created"
    reply: {as: note, body: "new: {{ ticket.subject }}"}
  - name: customer-reply
    source: helpscout
    when: topic == "convo.customer.reply.created"
    reply: {as: note, body: "reply from {{ contact.id }}"}
`

// The same body is a new conversation or a customer's reply depending on
// the header alone: the test's headers are what the rules see.
func TestHelpScoutEventHeader(t *testing.T) {
	tests := []struct {
		name string
		// event is a reference payload written to events/helpscout.json
		// ("": the test file uses inline payloads only).
		event    string
		testYAML string
	}{
		{name: "reference payload", event: helpscoutfake.FileConversation, testYAML: `
rules: rules.yaml
tests:
  - name: a new conversation
    source: helpscout
    event: events/helpscout.json
    headers: {X-HelpScout-Event: convo.created}
    expect:
      - {rule: new-conversation, body: "new: Need Help", to: {type: conversation, id: "123"}}
  - name: a customer's reply, header name in lower case
    source: helpscout
    event: events/helpscout.json
    headers: {x-helpscout-event: convo.customer.reply.created}
    expect:
      - {rule: customer-reply, body: "reply from 238604"}
`},
		{name: "inline payload", testYAML: `
rules: rules.yaml
tests:
  - name: a new conversation
    source: helpscout
    payload: {id: 7, subject: Refund, primaryCustomer: {id: 12}}
    headers:
      X-HelpScout-Event: convo.created
    expect:
      - {rule: new-conversation, body: "new: Refund", to: {type: conversation, id: "7"}}
  - name: a reply
    source: helpscout
    payload: {id: 7, subject: Refund, primaryCustomer: {id: 12}}
    headers:
      X-HelpScout-Event: convo.customer.reply.created
    expect:
      - {rule: customer-reply, body: "reply from 12"}
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeSuite(t, helpscoutRules, tt.testYAML)
			if tt.event != "" {
				body := platformtest.Example{File: tt.event}.Load(t) // skips when ../shared is absent
				if err := os.WriteFile(filepath.Join(filepath.Dir(path), "events", "helpscout.json"), body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			results, report := runSuite(t, path)
			if len(results) != 2 {
				t.Fatalf("%d results, want 2\n%s", len(results), report)
			}
			for _, r := range results {
				if !r.Passed() {
					t.Errorf("test %q failed:\n%s", r.Case.Name, report)
				}
			}
		})
	}
}

func TestHeaderLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		testYAML string
		want     []string // each error as printed, the temp dir removed
	}{
		{
			name: "the header the platform reads is missing",
			testYAML: `rules: rules.yaml
tests:
  - name: no header
    source: helpscout
    payload: {id: 7}
    expect: []
`,
			want: []string{`rules_test.yaml:5:14: test "no header": the bot would reject this helpscout payload: bad webhook payload: X-HelpScout-Event header missing (Help Scout deliveries carry X-HelpScout-Event in a header: give it under headers:)
    5 |     payload: {id: 7}
                     ^`},
		},
		{
			name: "misspelled key stays an error",
			testYAML: `rules: rules.yaml
tests:
  - name: typo
    source: helpscout
    payload: {id: 7}
    header: {X-HelpScout-Event: convo.created}
    expect: []
`,
			want: []string{`rules_test.yaml:6:5: unknown field "header"
    6 |     header: {X-HelpScout-Event: convo.created}
            ^`},
		},
		{
			name: "bad names and values, all reported",
			testYAML: `rules: rules.yaml
tests:
  - name: bad
    source: helpscout
    payload: {id: 7}
    headers:
      X HelpScout Event: convo.created
      X-Other: "a\r\nX-Injected: b"
      X-HelpScout-Event: convo.created
      x-helpscout-event: convo.created
    expect: []
`,
			want: []string{
				`rules_test.yaml:7:26: test "bad": headers: header name "X HelpScout Event": only letters, digits and !#$%&'*+-.^_` + "`" + `|~ are allowed
    7 |       X HelpScout Event: convo.created
                                 ^`,
				`rules_test.yaml:8:16: test "bad": headers: header X-Other: the value has a control character ('\r')
    8 |       X-Other: "a\r\nX-Injected: b"
                       ^`,
				`rules_test.yaml:10:26: test "bad": headers: X-HelpScout-Event and x-helpscout-event are the same header (names are case-insensitive)
   10 |       x-helpscout-event: convo.created
                                 ^`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeSuite(t, helpscoutRules, tt.testYAML)
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
