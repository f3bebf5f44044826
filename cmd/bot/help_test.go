package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/all"
)

// TestEveryCommandAnswersHelp runs `bot CMD -h` (and `bot CMD SUB -h`) for
// every command in the one list main dispatches from: each must exit 0 and
// print its own usage, with its own flags and not another command's.
func TestEveryCommandAnswersHelp(t *testing.T) {
	// Flags that tell commands apart; a command's help must list its own
	// and must not list the ones named in without.
	own := map[string][]string{
		"serve":       {"-listen", "-rules", "-dry-run"},
		"check":       {"-strict"},
		"test":        {"-run"},
		"explain":     {"-source", "-at", "-header"},
		"dlq list":    {"-limit", "-json", "-rule"},
		"dlq show":    {"-data"},
		"dlq replay":  {"-force", "-dry-run"},
		"dlq drop":    {"-rule", "-since"},
		"history":     {"-outcome", "-target"},
		"send":        {"-source", "-url", "-header"},
		"migrate":     {"-database-url"},
		"healthcheck": {"-url"},
	}
	without := map[string][]string{
		"dlq list": {"-force", "-dry-run"},
		"dlq show": {"-force", "-limit"},
		"dlq drop": {"-force", "-limit"},
	}
	var names []string
	for _, c := range commands(all.Registry()) {
		names = append(names, c.name)
		for _, s := range c.sub {
			names = append(names, c.name+" "+s.name)
		}
	}
	for _, name := range names {
		for _, h := range []string{"-h", "--help"} {
			t.Run(name+" "+h, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				code := run(all.Registry(), append(strings.Fields(name), h), &stdout, &stderr)
				out := stdout.String()
				if code != 0 {
					t.Fatalf("bot %s %s exited %d\nstdout:\n%s\nstderr:\n%s", name, h, code, out, stderr.String())
				}
				if !strings.Contains(out, "bot "+name) {
					t.Errorf("bot %s %s does not name the command on stdout:\n%s\nstderr:\n%s", name, h, out, stderr.String())
				}
				for _, f := range own[name] {
					if !strings.Contains(out, f+" ") && !strings.Contains(out, f+"\n") {
						t.Errorf("bot %s %s does not list its flag %s:\n%s", name, h, f, out)
					}
				}
				for _, f := range without[name] {
					if strings.Contains(out, f+" ") || strings.Contains(out, f+"\n") {
						t.Errorf("bot %s %s lists %s, a flag it does not have:\n%s", name, h, f, out)
					}
				}
			})
		}
	}
}

// TestTopLevelHelpListsCommands checks that bare `bot -h` (and `bot help`)
// list the commands rather than serve's flags, and that `bot dlq -h` lists
// the dlq subcommands.
func TestTopLevelHelpListsCommands(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"dlq", "-h"}, {"dlq", "help"}} {
		var stdout, stderr bytes.Buffer
		code := run(all.Registry(), args, &stdout, &stderr)
		out := stdout.String()
		if code != 0 {
			t.Errorf("bot %v exited %d: %s%s", args, code, out, stderr.String())
			continue
		}
		want := []string{"serve", "check", "dlq", "healthcheck", "migrate"}
		if args[0] == "dlq" {
			want = []string{"list", "show", "replay", "drop"}
		}
		for _, w := range want {
			if !strings.Contains(out, "  "+w+" ") {
				t.Errorf("bot %v does not list %q:\n%s", args, w, out)
			}
		}
		if strings.Contains(out, "-listen") {
			t.Errorf("bot %v prints serve's flags instead of the commands:\n%s", args, out)
		}
	}
}
