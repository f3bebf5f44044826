package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/supportops/autoresponder/internal/app"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/rules"
)

// runCheck validates rules files the way serve would load them, prints what
// it found, and fails on errors (and on warnings with --strict).
func runCheck(reg *platform.Registry, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	strict := fs.Bool("strict", false, "treat warnings as errors")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bot check [--strict] rules.yaml...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{app.OSEnv.String("BOT_RULES", app.DefaultRulesPath)}
	}
	failed := false
	for _, f := range files {
		if !checkFile(reg, f, *strict, stdout) {
			failed = true
		}
	}
	if failed {
		return exitError{1}
	}
	return nil
}

func checkFile(reg *platform.Registry, path string, strict bool, w io.Writer) bool {
	rs, err := rules.LoadFile(path, rules.Options{Platforms: reg})
	if err != nil {
		fmt.Fprintf(w, "Checking %s  FAILED\n\n", path)
		if list := rules.Errors(err); list != nil {
			for _, e := range list {
				fmt.Fprintf(w, "%s\n\n", e.Error())
			}
			fmt.Fprintf(w, "%d problem(s)\n", len(list))
		} else {
			fmt.Fprintf(w, "%v\n", err)
		}
		return false
	}
	warnings := rs.Lint()
	notes := secretNotes(rs)
	status := "SUCCESS"
	if strict && len(warnings) > 0 {
		status = "FAILED (warnings are errors with --strict)"
	}
	fmt.Fprintf(w, "Checking %s  %s\n", path, status)
	fmt.Fprintln(w, "Found:")
	fmt.Fprintf(w, "  - %s: %s\n", plural(len(rs.Sources), "source"), describeSources(rs))
	fmt.Fprintf(w, "  - %s: %s\n", plural(len(rs.Platforms), "platform"), describePlatforms(rs))
	if len(rs.Calendars) > 0 {
		fmt.Fprintf(w, "  - %s: %s\n", plural(len(rs.Calendars), "calendar"), strings.Join(sortedNames(rs.Calendars), ", "))
	}
	fmt.Fprintf(w, "  - %s\n", plural(len(rs.Rules), "rule"))
	for _, r := range rs.Rules {
		extra := ""
		if r.Shadow {
			extra = " [shadow]"
		}
		src := r.Source
		if src == "" {
			src = "any source"
		}
		fmt.Fprintf(w, "      %-28s %s, %s%s\n", r.Name, src, ruleSummary(r), extra)
	}
	if len(warnings) > 0 {
		fmt.Fprintf(w, "\n%s:\n", plural(len(warnings), "warning"))
		for _, wn := range warnings {
			fmt.Fprintf(w, "%s\n\n", wn.String())
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(w, "\nNotes about this environment:")
		for _, n := range notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	return !(strict && len(warnings) > 0)
}

// secretNotes names secrets serve would not find in this environment.
func secretNotes(rs *rules.Ruleset) []string {
	var out []string
	env := app.OSEnv
	for _, name := range sortedNames(rs.Sources) {
		s := rs.Sources[name].Config
		if s.SecretEnv != "" && env(s.SecretEnv) == "" {
			out = append(out, fmt.Sprintf("source %s: %s is not set here; serve will refuse to start without it", name, s.SecretEnv))
		}
	}
	for _, name := range sortedNames(rs.Platforms) {
		p := rs.Platforms[name]
		for _, key := range sortedNames(p.Secrets) {
			if ref := p.Secrets[key]; ref.Env != "" && env(ref.Env) == "" {
				out = append(out, fmt.Sprintf("platform %s: %s is not set here; serve needs it unless run with --dry-run", name, ref.Env))
			}
		}
	}
	for _, name := range sortedNames(rs.Config.Notifiers) {
		n := rs.Config.Notifiers[name]
		if n == nil {
			continue
		}
		for _, v := range []string{n.URLEnv, n.SecretEnv} {
			if v != "" && env(v) == "" {
				out = append(out, fmt.Sprintf("notifier %s: %s is not set here; serve needs it unless run with --dry-run", name, v))
			}
		}
	}
	return out
}

func describeSources(rs *rules.Ruleset) string {
	var parts []string
	for _, name := range sortedNames(rs.Sources) {
		s := rs.Sources[name]
		to := s.Platform
		if to == "" {
			to = "no platform"
		}
		parts = append(parts, fmt.Sprintf("%s (%s, POST /webhooks/%s, replies to %s)", name, s.Kind, name, to))
	}
	return strings.Join(parts, ", ")
}

func describePlatforms(rs *rules.Ruleset) string {
	var parts []string
	for _, name := range sortedNames(rs.Platforms) {
		p := rs.Platforms[name]
		d := fmt.Sprintf("%s (%s", name, p.Kind())
		if p.Shadow {
			d += ", shadow"
		}
		parts = append(parts, d+")")
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ruleSummary says what a rule does: its reply kind, its actions, and its
// wait when timed.
func ruleSummary(r *rules.Rule) string {
	var parts []string
	if r.Reply != nil {
		parts = append(parts, r.Reply.As)
	}
	for _, a := range r.Actions {
		parts = append(parts, a.Action)
	}
	out := strings.Join(parts, " + ")
	if r.Timing != nil {
		out += " after " + rules.ShortDuration(r.Timing.After)
		if r.Timing.Calendar != nil {
			out += " (" + r.Timing.Calendar.Name + " hours)"
		}
	}
	return out
}
