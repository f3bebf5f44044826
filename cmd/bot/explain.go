package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/app"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/replier"
	"github.com/supportops/autoresponder/internal/rules"
)

func runExplain(reg *platform.Registry, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("explain", stderr)
	rulesPath := fs.String("rules", app.OSEnv.String("BOT_RULES", app.DefaultRulesPath), "rules file (env BOT_RULES)")
	source := fs.String("source", "", "source the event came from (required)")
	at := fs.String("at", "", "evaluate as of this RFC 3339 time (default: now)")
	asJSON := fs.Bool("json", false, "print JSON")
	var headers headerFlag
	fs.Var(&headers, "header", "a delivery header the platform reads the event from, 'Name: value' (its docs say which, if any); repeatable")
	useStore := fs.Bool("store", false, "check once, cooldown and budgets against the store at --data (implied by --data or --database-url)")
	var sf storeFlags
	sf.register(fs, app.OSEnv)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bot explain --source NAME [--header 'Name: value']... [--rules FILE] [--at TIME] [--data DIR | --database-url URL] event.json")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *source == "" || len(files) != 1 {
		fs.Usage()
		return exitError{2}
	}
	now := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("--at %q: want an RFC 3339 time like 2026-03-02T10:00:00Z", *at)
		}
		now = t
	}
	rs, err := rules.LoadFile(*rulesPath, rules.Options{Clock: func() time.Time { return now }, Platforms: reg})
	if err != nil {
		return err
	}
	src, ok := rs.Sources[*source]
	if !ok {
		return fmt.Errorf("no source %q in %s (have %s)", *source, *rulesPath, strings.Join(sortedNames(rs.Sources), ", "))
	}
	body, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	h := headers.header()
	ev, err := platform.Parse(src.Impl, src.Name, &platform.Delivery{Header: h, Body: body, Settings: src.Settings, Now: now}, now)
	if err != nil {
		if hint := missingHeaderHint(src.Impl, h); hint != "" {
			return fmt.Errorf("%s: %w (%s)", files[0], err, hint)
		}
		return fmt.Errorf("%s: %w", files[0], err)
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "data" || f.Name == "database-url" {
			*useStore = true
		}
	})
	if sf.dbURL() != "" {
		*useStore = true
	}
	ctx := context.Background()
	var store *queue.Store
	if *useStore {
		if store, err = sf.open(ctx); err != nil {
			return err
		}
		defer store.Close()
	}
	ex, err := app.Explain(ctx, rs, store, ev)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ex)
	}
	printExplanation(stdout, rs.File, ex)
	return nil
}

func printExplanation(w io.Writer, file string, ex rules.Explanation) {
	fmt.Fprintf(w, "event %s/%s  topic %s\n", ex.Source, ex.EventID, ex.Topic)
	if ex.Ignored != "" {
		fmt.Fprintf(w, "loop guard: %s; only rules with allow_bots: true see it\n", ex.Ignored)
	}
	fmt.Fprintln(w)
	for _, r := range ex.Rules {
		mark := map[string]string{rules.VerdictMatched: "MATCH", rules.VerdictNoMatch: "no", rules.VerdictError: "ERROR", rules.VerdictSkipped: "skip"}[r.Verdict]
		fmt.Fprintf(w, "%-5s %s  (%s:%d)\n", mark, r.Rule, file, r.Line)
		switch r.Verdict {
		case rules.VerdictSkipped, rules.VerdictError:
			fmt.Fprintf(w, "      %s\n", r.Why)
		case rules.VerdictNoMatch:
			for _, c := range r.False {
				if c.Error != "" {
					fmt.Fprintf(w, "      failed: %s: %s\n", c.Expr, c.Error)
				} else {
					fmt.Fprintf(w, "      false: %s\n", c.Expr)
				}
				for _, v := range c.Values {
					fmt.Fprintf(w, "          %s = %s\n", v.Name, show(v.Value))
				}
			}
		case rules.VerdictMatched:
			if r.RenderError != "" {
				fmt.Fprintf(w, "      cannot render the reply: %s\n", r.RenderError)
			} else {
				if t := r.Timer; t != nil {
					if t.Error != "" {
						fmt.Fprintf(w, "      timer: cannot start: %s\n", t.Error)
					} else {
						fmt.Fprintf(w, "      timer: fires at %s (after %s%s), then (rendered as of now):\n", t.DueAt, t.After, calendarNote(t.Calendar))
					}
				}
				for _, q := range append([]*replier.Request{r.Request}, r.Steps...) {
					printStep(w, q, r.Platform)
				}
			}
			if r.Delivery != "" {
				fmt.Fprintf(w, "      delivery: %s\n", r.Delivery)
			}
			if r.Stops {
				fmt.Fprintln(w, "      stop: later rules do not see this event")
			}
		}
		if c := r.Cancel; c != nil {
			switch {
			case c.Matches:
				fmt.Fprintf(w, "      cancel_when: true: cancels this rule's pending timer on %s\n", c.TargetKey)
			case c.Why != "":
				fmt.Fprintf(w, "      cancel_when: not checked: %s\n", c.Why)
			default:
				fmt.Fprintln(w, "      cancel_when: false: cancels nothing")
				for _, cl := range c.False {
					fmt.Fprintf(w, "          false: %s\n", cl.Expr)
				}
			}
			if c.Pending != "" {
				fmt.Fprintf(w, "          %s\n", c.Pending)
			}
		}
	}
	if len(ex.TimerHistory) > 0 {
		fmt.Fprintln(w, "\ntimers this event started:")
		for _, t := range ex.TimerHistory {
			fmt.Fprintf(w, "  %s  %s %s %s\n", t.At, t.Rule, t.Outcome, t.Reason)
		}
	}
}

// printStep prints one request of a match: a post or an action.
func printStep(w io.Writer, q *replier.Request, platform string) {
	if q == nil {
		return
	}
	if q.Action != "" {
		fmt.Fprintf(w, "      then %s on %s %s (%s):", q.Action, q.Target.Type, q.Target.ID, q.Platform)
		for _, k := range sortedNames(q.Fields) {
			fmt.Fprintf(w, " %s=%s", k, show(q.Fields[k].Plain()))
		}
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "      %s to %s %s on %s\n", q.As, q.Target.Type, q.Target.ID, platform)
	if q.Body != "" {
		fmt.Fprintf(w, "      body: %s\n", indent(q.Body, "            "))
	}
	for _, k := range sortedNames(q.Fields) {
		fmt.Fprintf(w, "      %s: %s\n", k, show(q.Fields[k].Plain()))
	}
}

func calendarNote(cal string) string {
	if cal == "" {
		return ""
	}
	return ", counted in " + cal + "'s open hours"
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
