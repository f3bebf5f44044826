package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckRefusesActions: `bot check` refuses an action the platform
// cannot take, or a value or key it does not have, pointing at the key
// (file, line, column and a caret) and naming what the platform can do;
// and a notifier whose literal URL is an address the bot will never send
// to, as `bot serve` would refuse to start with it.
func TestCheckRefusesActions(t *testing.T) {
	const head = "  - name: r\n    source: intercom\n    when: \"true\"\n    once: true\n    actions:\n"
	cases := []struct {
		file, rules, notifiers string
		// marker is the text the caret must be under (its first character):
		// the value refused.
		marker string
		rule   string
		msg    string
	}{
		{
			file:   "priority.yaml",
			rules:  head + "      - tag: [refund]\n      - priority: high\n",
			marker: "high", rule: "r",
			msg: `platform "intercom" (intercom) has no priority action (it has: tag, assign, status, set)`,
		},
		{
			file:   "status-value.yaml",
			rules:  head + "      - status: pending\n",
			marker: "pending", rule: "r",
			msg: `platform "intercom" (intercom) has no status "pending" (it has: open, closed, snoozed, submitted, in_progress, waiting_on_customer, resolved)`,
		},
		{
			file:   "assign-key.yaml",
			rules:  head + "      - assign: {group: \"5\"}\n",
			marker: "\"5\"", rule: "r",
			msg: `platform "intercom" (intercom) cannot assign "group" (it takes: admin, team)`,
		},
		{
			file:   "snooze-until.yaml",
			rules:  head + "      - status: snoozed\n",
			marker: "snoozed", rule: "r",
			msg: "status snoozed needs until (how long, e.g. until: 2h)",
		},
		{
			file:   "whmcs-reseller.yaml",
			rules:  "  - name: r\n    source: whmcs\n    when: \"true\"\n    once: true\n    actions:\n      - status: closed\n",
			marker: "closed", rule: "r",
			msg: "whmcs with api: keliweb has no status action: the reseller API documents only add-ticket-reply and add-ticket-note; " +
				"WHMCS's own External API (api: whmcs) can: assign, priority, status, set",
		},
		{
			file:      "notifier-loopback.yaml",
			notifiers: "notifiers:\n  crm: {kind: webhook, url: \"https://127.0.0.1:8443/hook\", secret_env: CRM_SECRET}\n",
			rules:     head + "      - notify: {to: crm, text: hi}\n",
			marker:    `"https://127.0.0.1:8443/hook"`,
			msg:       `notifier "crm" url: refusing to send to loopback address 127.0.0.1 (set allow_private: true to allow it)`,
		},
	}
	dir := t.TempDir()
	args := []string{"check"}
	contents := map[string]string{}
	for _, c := range cases {
		content := RulesFile("https://api.intercom.example", "https://whmcs.example", "", c.rules) + c.notifiers
		contents[c.file] = content
		if err := os.WriteFile(filepath.Join(dir, c.file), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, c.file)
	}
	code, out := Run(t, dir, nil, args...)
	if code != 1 {
		t.Errorf("bot check exited %d; want 1:\n%s", code, out)
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			lines := strings.Split(contents[c.file], "\n")
			line, col := 0, 0
			for i, l := range lines {
				if j := strings.Index(l, c.marker); j >= 0 {
					line, col = i+1, len([]rune(l[:j]))+1
					break
				}
			}
			if line == 0 {
				t.Fatalf("marker %q not in the file", c.marker)
			}
			var errs []positionedError
			for _, e := range checkErrors(out, c.file) {
				if !e.warning {
					errs = append(errs, e)
				}
			}
			if len(errs) != 1 {
				t.Fatalf("%d errors for %s; want 1:\n%s", len(errs), c.file, out)
			}
			e := errs[0]
			if e.rule != c.rule || e.msg != c.msg {
				t.Errorf("error: rule %q: %s\nwant: rule %q: %s", e.rule, e.msg, c.rule, c.msg)
			}
			assertPointsAt(t, e, lines, line, col)
		})
	}
}
