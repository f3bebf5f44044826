package rules

import (
	"strings"
	"testing"
)

// header is the sources and platforms part most test files share.
const header = `sources:
  intercom:
    kind: intercom
    secret_env: S
  whmcs:
    kind: whmcs
    secret_env: W
platforms:
  intercom:
    kind: intercom
    base_url: https://api.intercom.io
    token_env: T
    admin_id: "1"
  whmcs:
    kind: whmcs
    base_url: https://billing.example.com/api
    token_env: WT
rules:
`

func mustLoad(t *testing.T, src string) *Ruleset {
	t.Helper()
	rs, err := Load([]byte(src), "rules.yaml", Options{Platforms: testRegistry})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return rs
}

// TestLoadErrors asserts the exact text a user reads for broken files.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		rules string // appended to header; a full file when it starts with "!"
		want  string
	}{
		{"unknown key in a rule", `  - name: a
    whn: true
    reply: {as: note, body: x}
`, `rules.yaml:20:5: unknown field "whn"
   20 |     whn: true
            ^`},
		{"unknown field in the condition", `  - name: refund
    when: topic == "x" && mesage.text contains "y"
    reply: {as: note, body: x}
`, `rules.yaml:20:27: rule "refund": when: unknown name mesage
   20 |     when: topic == "x" && mesage.text contains "y"
                                  ^`},
		{"type error", `  - name: a
    when: topic == 1
    reply: {as: note, body: x}
`, `rules.yaml:20:17: rule "a": when: invalid operation: == (mismatched types string and int)`},
		{"bad regular expression", `  - name: a
    when: 'message.text matches "("'
    reply: {as: note, body: x}
`, "rule \"a\": when: error parsing regexp: missing closing ): `(`"},
		{"condition that is not boolean", `  - name: a
    when: topic
    reply: {as: note, body: x}
`, `rule "a": when: expected bool, but got string`},
		{"unknown field in a template", `  - name: a
    when: "true"
    reply:
      as: note
      body: |
        <p>Hi
        {{ contact.nme }}</p>
`, `rules.yaml:25:20: rule "a": reply.body: type event.Contact has no field nme
   25 |         {{ contact.nme }}</p>
                           ^`},
		{"unclosed placeholder", `  - name: a
    when: "true"
    reply: {as: note, body: "hi {{ contact.name"}
`, `rule "a": reply.body: {{ is never closed with }}`},
		{"duplicate rule names", `  - name: a
    when: "true"
    reply: {as: note, body: x}
  - name: a
    when: "true"
    reply: {as: note, body: x}
`, `rules.yaml:22:11: rule "a": duplicate rule name (first used by rule 1)`},
		{"bad rule name", `  - name: Refund Triage
    when: "true"
    reply: {as: note, body: x}
`, `rule name "Refund Triage" must match [a-z0-9-]+`},
		{"as the platform does not support", `  - name: a
    source: whmcs
    when: "true"
    reply: {as: quick_reply, options: [a]}
`, `rule "a": platform "whmcs" (whmcs) cannot post as "quick_reply" (it takes comment, note)`},
		{"field of another platform", `  - name: a
    source: intercom
    when: "true"
    reply: {as: note, body: x, markdown: true}
`, `rule "a": platform "intercom" (intercom) does not take reply.markdown`},
		{"unknown source", `  - name: a
    source: zendesk
    when: "true"
    reply: {as: note, body: x}
`, `rule "a": unknown source "zendesk"`},
		{"missing when", `  - name: a
    reply: {as: note, body: x}
`, "rule \"a\": when is required (write `when: true` to match every event)"},
		{"once with cooldown", `  - name: a
    when: "true"
    once: true
    cooldown: 1h
    reply: {as: note, body: x}
`, `rule "a": once and cooldown exclude each other`},
		{"bad duration", `  - name: a
    when: "true"
    cooldown: 3x
    reply: {as: note, body: x}
`, `rules.yaml:21:15: invalid duration "3x": want e.g. 90s, 24h or 7d`},
		{"unknown calendar", `  - name: a
    when: in_hours("nowhere")
    reply: {as: note, body: x}
`, `rule "a": in_hours("nowhere"): no calendar named "nowhere" in calendars:`},
		{"repeat is not available", `  - name: a
    when: repeat("a", 3) == "aaa"
    reply: {as: note, body: x}
`, `unknown name repeat`},
		{"contact_reply needs one identifier", `  - name: a
    source: intercom
    when: "true"
    reply: {as: contact_reply, body: x}
`, `contact_reply needs reply.contact with exactly one of intercom_user_id, user_id, email`},
		{"last only for contact replies", `  - name: a
    source: intercom
    when: "true"
    reply: {as: note, body: x, to: {type: conversation, id: last}}
`, `reply.to.id "last" only works for a contact_reply to a conversation`},
		{"whmcs source answered on intercom without to", `  - name: a
    source: whmcs
    when: "true"
    reply: {as: note, body: x, platform: intercom}
`, `events from source "whmcs" (whmcs) cannot be answered on platform "intercom" (intercom) without reply.to`},
		{"token inline is not a thing", `!sources:
  intercom:
    kind: intercom
    secret_env: S
platforms:
  intercom:
    kind: intercom
    base_url: https://api.intercom.io
    token: abc
    admin_id: "1"
rules: []
`, `rules.yaml:9:5: unknown field "token"`},
		{"source without secret", `!sources:
  intercom:
    kind: intercom
platforms: {}
rules: []
`, `source "intercom": secret_env or secret_file is required (or insecure_skip_verify: true, never in production)`},
		{"platform without token", `!sources:
  intercom: {kind: intercom, secret_env: S}
platforms:
  intercom: {kind: intercom, base_url: "https://api.intercom.io", admin_id: "1"}
rules: []
`, `platform "intercom": exactly one of token_env and token_file is required (tokens never go in this file)`},
		{"base url with a query", `!sources:
  intercom: {kind: intercom, secret_env: S}
platforms:
  intercom: {kind: intercom, base_url: "https://api.intercom.io?x=1", token_env: T, admin_id: "1"}
rules: []
`, `must not have credentials, a query or a fragment`},
		{"bad calendar", `!sources:
  intercom: {kind: intercom, secret_env: S}
platforms: {}
calendars:
  eu: {timezone: Mars/Olympus, hours: {mon: "09:00-17:00"}}
rules: []
`, `calendar "eu": timezone "Mars/Olympus": unknown time zone`},
		{"not YAML", "!rules: [\n", `rules.yaml:1:8:`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := header + tc.rules
			if strings.HasPrefix(tc.rules, "!") {
				src = tc.rules[1:]
			}
			_, err := Load([]byte(src), "rules.yaml", Options{Platforms: testRegistry})
			if err == nil {
				t.Fatalf("loaded without error; want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%s\nwant it to contain:\n%s", err, tc.want)
			}
			if Errors(err) == nil {
				t.Errorf("error is not a positioned rules error: %T", err)
			}
		})
	}
}

func TestAllErrorsAreReportedTogether(t *testing.T) {
	_, err := Load([]byte(header+`  - name: a
    when: nope == 1
    reply: {as: note, body: x}
  - name: b
    when: "true"
    reply: {as: shout, body: x}
`), "rules.yaml", Options{Platforms: testRegistry})
	if got := len(Errors(err)); got != 2 {
		t.Fatalf("%d errors, want 2 (one per broken rule):\n%v", got, err)
	}
}

func TestExampleRulesLoad(t *testing.T) {
	rs, err := LoadFile("../../rules.yaml", Options{Platforms: testRegistry})
	if err != nil {
		t.Fatalf("the example rules.yaml does not load:\n%v", err)
	}
	if len(rs.Rules) == 0 || len(rs.Calendars) == 0 {
		t.Fatalf("example rules: %d rules, %d calendars", len(rs.Rules), len(rs.Calendars))
	}
	if w := rs.Lint(); len(w) != 0 {
		t.Errorf("the example rules draw warnings: %v", w)
	}
}

func TestSettingsDefaults(t *testing.T) {
	rs := mustLoad(t, header+"  []\n")
	s := rs.Settings
	if s.DedupWindow != DefaultDedupWindow || s.TargetMaxPerHour != 3 || s.RuleMaxPerHour != 500 || s.MaxAttempts != 12 {
		t.Errorf("defaults = %+v", s)
	}
	rs = mustLoad(t, "settings:\n  dedup_window: 2d\n  target_max_per_hour: 0\n  delivery: {max_attempts: 3}\n"+header+"  []\n")
	if rs.Settings.DedupWindow.Hours() != 48 || rs.Settings.TargetMaxPerHour != 0 || rs.Settings.MaxAttempts != 3 {
		t.Errorf("settings = %+v", rs.Settings)
	}
}

func TestHashChangesWithTheFile(t *testing.T) {
	a := mustLoad(t, header+"  []\n")
	b := mustLoad(t, header+"  [] # changed\n")
	if a.Hash == b.Hash || a.Hash == 0 || a.Hash >= 1<<48 {
		t.Errorf("hashes %x %x: want different, non-zero, within 48 bits", a.Hash, b.Hash)
	}
}
