package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckWarnsAboutBlankPlaceholders: `bot check --strict` fails on a
// {{ field }} that a source may not send and that has no ?? fallback (the
// reply would read "Your ticket number is ."), pointing at the field; a
// fallback, or a field the source always sends, passes. The shipped example
// rules pass --strict, and their tests pass, a WHMCS ticket without its
// number included.
func TestCheckWarnsAboutBlankPlaceholders(t *testing.T) {
	const rules = `  - name: whmcs-ack
    source: whmcs
    when: topic == "TicketOpen"
    once: true
    reply:
      as: comment
      body: |
        Your ticket {{ ticket.id }} is number {{ ticket.number }}.
        Subject: {{ ticket.subject ?? "none" }}.
  - name: intercom-hello
    source: intercom
    when: topic == "conversation.user.created"
    once: true
    reply:
      as: note
      body: "<p>Hi {{ contact?.name }}: {{ message.text }} {{ contact?.name ?? 'there' }}</p>"
`
	content := RulesFile("", "", "", rules)
	lines := strings.Split(content, "\n")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "blank.yaml"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := Run(t, dir, nil, "check", "--strict", "blank.yaml")
	if code != 1 {
		t.Errorf("bot check --strict blank.yaml exited %d; want 1\n%s", code, out)
	}
	want := []struct {
		rule, marker, msg string
	}{
		{"whmcs-ack", "ticket.number }}", `{{ ticket.number }} prints nothing for whmcs events without ticket.number: give a fallback, e.g. {{ ticket.number ?? "..." }}`},
		{"intercom-hello", "contact?.name }}:", `{{ contact?.name }} prints nothing for intercom events without contact: give a fallback, e.g. {{ contact?.name ?? "..." }}`},
	}
	got := checkErrors(out, "blank.yaml")
	if len(got) != len(want) {
		t.Fatalf("%d warnings; want %d:\n%s", len(got), len(want), out)
	}
	for i, w := range want {
		e := got[i]
		if !e.warning || e.rule != w.rule || e.msg != w.msg {
			t.Errorf("warning %d: %+v\nwant rule %q: %s", i, e, w.rule, w.msg)
		}
		line, col := 0, 0
		for n, l := range lines {
			if c := strings.Index(l, w.marker); c >= 0 {
				line, col = n+1, c+1
				break
			}
		}
		assertPointsAt(t, e, lines, line, col)
	}

	t.Run("the example rules pass --strict and their tests", func(t *testing.T) {
		root := moduleRoot()
		code, out := Run(t, root, nil, "check", "--strict", "rules.yaml")
		if code != 0 || !strings.Contains(out, "SUCCESS") {
			t.Errorf("bot check --strict rules.yaml = %d; want 0\n%s", code, out)
		}
		code, out = Run(t, root, nil, "test", "rules_test.yaml")
		if code != 0 {
			t.Errorf("bot test rules_test.yaml = %d; want 0\n%s", code, out)
		}
	})
}
