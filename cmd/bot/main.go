// Command bot is the support auto-responder: it receives the helpdesks'
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
//	bot healthcheck  exit 0 if a running bot is ready (for container probes)
//	bot version      print the version
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	_ "time/tzdata" // calendars need zone data even in images without /usr/share/zoneinfo

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/all"
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
	// sub lists the subcommands (bot dlq list); run is unused when set.
	sub []command
}

// commands lists the commands; reg is the platforms the bot is built with,
// for those that read a rules file.
func commands(reg *platform.Registry) []command {
	with := func(f func(*platform.Registry, []string, io.Writer, io.Writer) error) func([]string, io.Writer, io.Writer) error {
		return func(args []string, stdout, stderr io.Writer) error { return f(reg, args, stdout, stderr) }
	}
	return []command{
		{name: "serve", summary: "run the bot (default)", run: with(runServe)},
		{name: "check", summary: "validate rules files: bot check [--strict] rules.yaml", run: with(runCheck)},
		{name: "test", summary: "run rule tests: bot test rules_test.yaml", run: with(runTest)},
		{name: "explain", summary: "explain an event: bot explain --source support event.json", run: with(runExplain)},
		{name: "dlq", summary: "dead letters: bot dlq list|show|replay|drop", sub: dlqCommands(reg)},
		{name: "timers", summary: "pending timers of timed rules: bot timers list|cancel", sub: timersCommands()},
		{name: "history", summary: "delivery history: bot history [--rule R] [--target T]", run: runHistory},
		{name: "send", summary: "sign and post a payload: bot send --source support event.json", run: with(runSend)},
		{name: "migrate", summary: "create or upgrade the store's tables and exit", run: runMigrate},
		{name: "healthcheck", summary: "exit 0 if a running bot is ready: bot healthcheck [--url URL]", run: runHealthcheck},
		{name: "version", summary: "print the version", run: runVersion},
	}
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, "bot", version)
	return err
}

func main() {
	os.Exit(run(all.Registry(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(reg *platform.Registry, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (isHelpFlag(args[0]) || args[0] == "help") {
		usage(stdout, "bot", commands(reg))
		return 0
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		args = append([]string{"serve"}, args...) // bot --listen :9000 is bot serve --listen :9000
	}
	return dispatch("bot", commands(reg), args, stdout, stderr)
}

// dispatch runs the command args[0] of cmds (prefix is "bot" or "bot dlq").
func dispatch(prefix string, cmds []command, args []string, stdout, stderr io.Writer) int {
	name, args := args[0], args[1:]
	for _, c := range cmds {
		if c.name != name {
			continue
		}
		full := prefix + " " + c.name
		if c.sub != nil {
			switch {
			case len(args) == 0:
				usage(stderr, full, c.sub)
				return 2
			case isHelpFlag(args[0]) || args[0] == "help":
				usage(stdout, full, c.sub)
				return 0
			}
			return dispatch(full, c.sub, args, stdout, stderr)
		}
		if helpRequested(args) {
			// Asked for, help is the output, not a diagnostic.
			stderr = stdout
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
			fmt.Fprintln(stderr, full+":", err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "%s: unknown command %q\n\n", prefix, name)
	usage(stderr, prefix, cmds)
	return 2
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "--h" }

// helpRequested reports whether args ask for help before any "--".
func helpRequested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}

func usage(w io.Writer, prefix string, cmds []command) {
	fmt.Fprintf(w, "usage: %s <command> [flags]\n\n", prefix)
	width := 0
	for _, c := range cmds {
		width = max(width, len(c.name))
	}
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-*s %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun '%s <command> -h' for the flags of a command.\n", prefix)
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bot "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bot %s [flags]\n", name)
		fs.PrintDefaults()
	}
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
