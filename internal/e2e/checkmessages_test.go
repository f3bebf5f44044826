package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckExplainsMistakes: `bot check` points at the text to fix (file,
// line, column and a caret) and says what is wrong in plain words, for the
// mistakes people make most when editing a rules file: a broken regular
// expression and a line indented wrongly.
func TestCheckExplainsMistakes(t *testing.T) {
	const rule = "  - name: r\n    source: intercom\n    once: true\n"
	cases := []struct {
		file  string
		rules string
		// marker is the text the caret must be under (its first character).
		marker string
		rule   string // the rule named in the error ("" for YAML errors)
		msg    string
	}{
		{
			file:   "regexp.yaml",
			rules:  rule + "    when: message.text matches \"(?i)refund(\"\n    reply: {as: note, body: x}\n",
			marker: `"(?i)refund("`, rule: "r",
			msg: "when: error parsing regexp: missing closing ): `(?i)refund(`",
		},
		{
			file:   "regexp-escaped.yaml",
			rules:  rule + "    when: \"message.text matches \\\"(?i)\\\\\\\\brefund(\\\"\"\n    reply: {as: note, body: x}\n",
			marker: `\"(?i)`, rule: "r",
			msg: "when: error parsing regexp: missing closing ): `(?i)\\brefund(`",
		},
		{
			file:   "regexp-folded.yaml",
			rules:  rule + "    when: >-\n      topic == \"conversation.user.created\"\n      && message.text matches \"[a-\"\n    reply: {as: note, body: x}\n",
			marker: `"[a-"`, rule: "r",
			msg: "when: error parsing regexp: missing closing ]: `[a-`",
		},
		{
			file:   "regexp-template.yaml",
			rules:  rule + "    when: \"true\"\n    reply:\n      as: note\n      body: |\n        Hello,\n        {{ message.text matches \"(\" ? \"a\" : \"b\" }}\n",
			marker: `"(" ?`, rule: "r",
			msg: "reply.body: error parsing regexp: missing closing ): `(`",
		},
		{
			file:   "indented-more.yaml",
			rules:  rule + "    when: \"true\"\n    reply:\n      as: note\n       body: x\n",
			marker: "body: x",
			msg:    "this line is indented by 7 spaces, more than the line above it (6 spaces), so YAML reads it as part of that line's value: indent it by 6 spaces like the line above",
		},
		{
			file:   "indented-more-after-quotes.yaml",
			rules:  "  - name: r\n    source: intercom\n    when: \"true\"\n      once: true\n    reply: {as: note, body: x}\n",
			marker: "once: true",
			msg:    "this line is indented by 6 spaces, more than the line above it (4 spaces), so YAML reads it as part of that line's value: indent it by 4 spaces like the line above",
		},
		{
			file:   "indented-less.yaml",
			rules:  rule + "    when: \"true\"\n    reply:\n      as: note\n      body: x\n   cooldown: 1h\n",
			marker: "cooldown: 1h",
			msg:    "this line is indented by 3 spaces, which lines up with none of the lines above it (they are indented by 6, 4, 2 or 0): indent it like the other lines of its section",
		},
		{
			file:   "tab.yaml",
			rules:  rule + "    when: \"true\"\n    reply:\n\tas: note\n",
			marker: "\tas: note",
			msg:    "this line is indented with a tab; YAML indents with spaces only",
		},
		{
			file:   "colon.yaml",
			rules:  rule + "    when: topic: x\n    reply: {as: note, body: x}\n",
			marker: "topic: x",
			msg:    `this value contains ": ", which YAML reads as the start of another key: put the whole value in quotes`,
		},
	}
	dir := t.TempDir()
	args := []string{"check"}
	contents := map[string]string{}
	for _, c := range cases {
		content := RulesFile("", "", "", c.rules)
		contents[c.file] = content
		if err := os.WriteFile(filepath.Join(dir, c.file), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, c.file)
	}
	code, out := Run(t, dir, nil, args...)
	if code != 1 {
		t.Errorf("bot check exited %d; want 1", code)
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
			errs := checkErrors(out, c.file)
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
