// Command bot is the support auto-responder: it receives Intercom and WHMCS
// webhooks, matches them against the rules file and posts replies and notes.
//
//	bot [serve]      run the bot (the default)
//	bot check FILE   validate a rules file
//	bot test FILE    run rule tests
//	bot explain      say what the rules make of an event
//	bot dlq          list, show, replay and drop dead letters
//	bot history      list what the bot did
//	bot send         sign and post a payload to a running bot
//	bot migrate      create or upgrade the store's tables
//	bot version      print the version
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	_ "time/tzdata" // calendars need zone data even in images without /usr/share/zoneinfo
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

// exitError carries a process exit code; its message (if any) was already
// printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the bot (default)", runServe},
		{"check", "validate rules files: bot check [--strict] rules.yaml", runCheck},
		{"test", "run rule tests: bot test rules_test.yaml", runTest},
		{"explain", "explain an event: bot explain --source intercom event.json", runExplain},
		{"dlq", "dead letters: bot dlq list|show|replay|drop", runDLQ},
		{"history", "delivery history: bot history [--rule R] [--target T]", runHistory},
		{"send", "sign and post a payload: bot send --source intercom event.json", runSend},
		{"migrate", "create or upgrade the store's tables and exit", runMigrate},
		{"version", "print the version", func(_ []string, stdout, _ io.Writer) error {
			_, err := fmt.Fprintln(stdout, "bot", version)
			return err
		}},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	name := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" || name == "--help" || name == "-h" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(args, stdout, stderr)
		var ee exitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.code
		case errors.Is(err, flag.ErrHelp):
			return 0
		default:
			fmt.Fprintln(stderr, "bot "+name+":", err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "bot: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: bot <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'bot <command> -h' for the flags of a command.")
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bot "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments (bot dlq replay 12 13 --dry-run) and returns
// the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
