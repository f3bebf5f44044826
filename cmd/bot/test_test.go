package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/all"
)

const cliTestRules = `
sources:
  intercom: {kind: intercom, secret_env: INTERCOM_SECRET}
platforms:
  intercom: {kind: log}
rules:
  - name: greet
    when: topic == "conversation.user.created"
    reply: {as: comment, body: "<p>Hi {{ contact?.name ?? 'there' }}!</p>"}
`

const cliCreated = `{"type": "notification_event", "id": "notif_1", "topic": "conversation.user.created", "created_at": 1767780000,
 "data": {"item": {"type": "conversation", "id": "123",
   "source": {"id": "9", "body": "<p>Hello?</p>", "author": {"type": "user", "id": "u1", "name": "Ada"}}}}}`

func TestBotTestExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("rules.yaml", cliTestRules)
	write("created.json", cliCreated)
	pass := write("pass_test.yaml", `rules: rules.yaml
tests:
  - {name: greets, source: intercom, event: created.json, expect: [{rule: greet, body: "<p>Hi Ada!</p>"}]}
  - {name: greets again, source: intercom, event: created.json, expect: [{rule: greet, as: comment}]}
`)
	fail := write("fail_test.yaml", `rules: rules.yaml
tests:
  - {name: expects silence, source: intercom, event: created.json, expect: []}
  - {name: greets, source: intercom, event: created.json, expect: [{rule: greet}]}
`)
	broken := write("broken_test.yaml", `rules: rules.yaml
tests:
  - {name: x, source: intercom, event: missing.json, expect: []}
`)
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // each must appear
		notStdout  []string
		stderrWant string
	}{
		{name: "all pass", args: []string{pass}, code: 0, stdout: []string{"ok  2 tests\n"}, notStdout: []string{"FAIL", "PASS"}},
		{name: "verbose lists passes", args: []string{"-v", pass}, code: 0, stdout: []string{"--- PASS: greets (" + pass + ":3)\n", "ok  2 tests\n"}},
		{name: "a failure", args: []string{fail}, code: 1, stdout: []string{
			"--- FAIL: expects silence (" + fail + ":3)\n",
			"      - rule greet matched, but the test does not expect it\n",
			"FAIL 1 of 2 tests\n",
		}},
		{name: "several files", args: []string{pass, fail}, code: 1, stdout: []string{"FAIL 1 of 4 tests\n"}},
		{name: "run filter", args: []string{"-run", "^greets$", pass, fail}, code: 0, stdout: []string{"ok  2 tests\n"}},
		{name: "file that cannot be loaded", args: []string{pass, broken}, code: 1, stdout: []string{
			"--- FAIL: " + broken + " cannot be run\n",
			broken + `:3:40: test "x": event file ` + filepath.Join(dir, "missing.json") + " does not exist (paths are relative to the test file)\n",
			"FAIL 0 of 2 tests; 1 test file could not be loaded\n",
		}},
		{name: "missing test file", args: []string{filepath.Join(dir, "nope.yaml")}, code: 1, stdout: []string{"no such file or directory", "FAIL 0 of 0 tests; 1 test file could not be loaded\n"}},
		{name: "no file is a usage error", args: nil, code: 2, stderrWant: "usage: bot test"},
		{name: "unknown flag is a usage error", args: []string{"--nope", pass}, code: 2, stderrWant: "flag provided but not defined"},
		{name: "bad -run is a usage error", args: []string{"-run", "(", pass}, code: 2, stderrWant: "-run: error parsing regexp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run(all.Registry(), append([]string{"test"}, tt.args...), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout does not contain %q:\n%s", want, stdout.String())
				}
			}
			for _, not := range tt.notStdout {
				if strings.Contains(stdout.String(), not) {
					t.Errorf("stdout contains %q:\n%s", not, stdout.String())
				}
			}
			if !strings.Contains(stderr.String(), tt.stderrWant) {
				t.Errorf("stderr does not contain %q:\n%s", tt.stderrWant, stderr.String())
			}
		})
	}
}
