package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// commandLine matches a command in the listing `bot -h` prints.
var commandLine = regexp.MustCompile(`(?m)^  ([a-z]+) +\S`)

// TestEveryCommandAnswersHelpInTheBinary asks the real binary for its
// commands (`bot -h`), then for each one's help (and each dlq
// subcommand's, from `bot dlq -h`): every one exits 0 and names itself,
// and none prints another command's usage.
func TestEveryCommandAnswersHelpInTheBinary(t *testing.T) {
	dir := t.TempDir()
	list := func(args ...string) []string {
		t.Helper()
		code, out := Run(t, dir, nil, args...)
		if code != 0 {
			t.Fatalf("bot %s = exit %d\n%s", strings.Join(args, " "), code, out)
		}
		var names []string
		for _, m := range commandLine.FindAllStringSubmatch(out, -1) {
			names = append(names, m[1])
		}
		return names
	}
	commands := list("-h")
	if len(commands) < 10 {
		t.Fatalf("bot -h lists only %v", commands)
	}
	var all []string
	for _, c := range commands {
		if c == "dlq" {
			for _, s := range list("dlq", "-h") {
				all = append(all, "dlq "+s)
			}
			continue
		}
		all = append(all, c)
	}
	for _, name := range all {
		args := append(strings.Fields(name), "-h")
		code, out := Run(t, dir, nil, args...)
		if code != 0 || !strings.Contains(out, "usage: bot "+name+" ") {
			t.Errorf("bot %s -h = exit %d\n%s\nwant exit 0 and its own usage line", name, code, out)
		}
	}
}
