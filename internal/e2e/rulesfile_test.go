package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// badRules has two rule errors the loader must point at precisely.
const badRules = `
  - name: greet
    source: intercom
    when: topic == "conversation.user.created"
    reply:
      as: note
      body: "<p>hi</p>"
  - name: typo-field
    source: intercom
    when: topic == "conversation.user.created" && contact.nmae == "Ada"
    reply:
      as: note
      body: "<p>hi</p>"
  - name: bad-template
    source: intercom
    when: topic == "conversation.user.created"
    reply:
      as: note
      body: "<p>Hi {{ contact.name + }}</p>"
`

// wantError is one positioned error: the rule, and the text on the line
// the error must point at (its first character, or anywhere in it with
// anywhere).
type wantError struct {
	rule, marker string
	anywhere     bool
}

var badRulesErrors = []wantError{
	{rule: "typo-field", marker: "nmae"},
	// A template error points into its placeholder.
	{rule: "bad-template", marker: "{{ contact.name + }}", anywhere: true},
}

// TestBadRulesFile: a rules file with mistakes stops the bot from starting
// (exit 1) and `bot check` fails on it; both say where each mistake is:
// file:line:column, the rule, the line and a caret under the column.
func TestBadRulesFile(t *testing.T) {
	content := RulesFile("", "", "", badRules)
	lines := strings.Split(content, "\n")

	t.Run("serve refuses to start", func(t *testing.T) {
		dir := t.TempDir()
		b, err := StartErr(t, Config{Dir: dir, Rules: content})
		if err == nil {
			b.Kill()
			t.Fatal("the bot started with a broken rules file")
		}
		if b == nil {
			t.Fatalf("the bot did not run: %v", err)
		}
		var ee *exec.ExitError
		if !errors.As(b.exit, &ee) || ee.ExitCode() != 1 {
			t.Errorf("exit = %v; want exit code 1", b.exit)
		}
		text := readableStderr(b.Logs())
		checkPositioned(t, text, filepath.Join(dir, "rules.yaml"), lines)
	})

	t.Run("check fails", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out := Run(t, dir, nil, "check", "bad.yaml")
		if code != 1 {
			t.Errorf("bot check bad.yaml exited %d; want 1\n%s", code, out)
		}
		checkPositioned(t, out, "bad.yaml", lines)
	})

	t.Run("check passes the example rules", func(t *testing.T) {
		dir := t.TempDir()
		example, err := os.ReadFile(filepath.Join(moduleRoot(), "rules.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), example, 0o600); err != nil {
			t.Fatal(err)
		}
		code, out := Run(t, dir, nil, "check", "rules.yaml")
		if code != 0 || !strings.Contains(out, "SUCCESS") {
			t.Errorf("bot check rules.yaml = %d; want 0\n%s", code, out)
		}
	})
}

// readableStderr turns the bot's JSON log lines back into text: the error
// of a line is printed as the operator's log viewer would show it.
func readableStderr(stderr string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			b.WriteString(line + "\n")
			continue
		}
		if e, ok := rec["error"].(string); ok {
			b.WriteString(e + "\n")
		}
	}
	return b.String()
}

// checkPositioned finds each wanted error in out as three lines: the
// "file:line:col: rule "name": ..." header, the numbered source line and a
// caret under the column.
func checkPositioned(t *testing.T, out, file string, lines []string) {
	t.Helper()
	outLines := strings.Split(out, "\n")
	for _, w := range badRulesErrors {
		lineNo, markerCol := 0, 0
		for i, l := range lines {
			if c := strings.Index(l, w.marker); c >= 0 {
				lineNo, markerCol = i+1, c+1
				break
			}
		}
		if lineNo == 0 {
			t.Fatalf("marker %q is not in the rules", w.marker)
		}
		from, to := markerCol, markerCol
		if w.anywhere {
			to = markerCol + len(w.marker) - 1
		}
		prefix := fmt.Sprintf("%s:%d:", file, lineNo)
		found := false
		for i, l := range outLines {
			rest, ok := strings.CutPrefix(l, prefix)
			if !ok || !strings.Contains(l, fmt.Sprintf("rule %q", w.rule)) {
				continue
			}
			found = true
			var col int
			if _, err := fmt.Sscanf(rest, "%d:", &col); err != nil || col < from || col > to {
				t.Errorf("%s: column in %q; want %d..%d", w.rule, l, from, to)
			}
			if i+2 >= len(outLines) {
				t.Errorf("%s: no source line and caret after %q", w.rule, l)
				break
			}
			src, caret := outLines[i+1], outLines[i+2]
			numbered := fmt.Sprintf("%5d | ", lineNo)
			if src != numbered+lines[lineNo-1] {
				t.Errorf("%s: source line %q; want %q", w.rule, src, numbered+lines[lineNo-1])
			}
			if strings.TrimSpace(caret) != "^" || strings.Index(caret, "^") != len(numbered)+col-1 {
				t.Errorf("%s: caret not under column %d:\n%s\n%s", w.rule, col, src, caret)
			}
			break
		}
		if !found {
			t.Errorf("no positioned error %s... for rule %q in:\n%s", prefix, w.rule, out)
		}
	}
}
