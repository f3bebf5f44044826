package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/supportops/autoresponder/internal/app"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/rules"
)

// dlqCommands inspect and act on dead letters by opening the store
// directly (the same store a running bot uses; replayed jobs are picked up
// by it). Each registers only the flags it uses.
func dlqCommands(reg *platform.Registry) []command {
	return []command{
		{name: "list", summary: "list dead letters: bot dlq list [--rule R] [--since 2h] [--json]", run: runDLQList},
		{name: "show", summary: "show one dead letter with its request: bot dlq show ID", run: runDLQShow},
		{name: "replay", summary: "queue dead letters again: bot dlq replay [--dry-run] [--force] ID... | --rule R", run: func(args []string, stdout, stderr io.Writer) error { return runDLQReplay(reg, args, stdout, stderr) }},
		{name: "drop", summary: "delete dead letters: bot dlq drop ID... | --rule R [--since T]", run: runDLQDrop},
	}
}

// dlqCmd holds what every dlq subcommand parses: the store, the filter
// and the ids on the command line.
type dlqCmd struct {
	fs     *flag.FlagSet
	sf     storeFlags
	rule   *string
	since  *string
	filter queue.DLQFilter
}

// newDLQCmd registers the store flags, and --rule and --since when the
// subcommand selects by them.
func newDLQCmd(sub, usageLine string, stderr io.Writer, selects bool) *dlqCmd {
	c := &dlqCmd{fs: newFlags("dlq "+sub, stderr)}
	c.sf.register(c.fs, app.OSEnv)
	if selects {
		c.rule = c.fs.String("rule", "", "only dead letters of this rule")
		c.since = c.fs.String("since", "", "only dead letters since this RFC 3339 time or duration ago (2h, 7d)")
	}
	c.fs.Usage = func() {
		fmt.Fprintln(c.fs.Output(), "usage: bot dlq "+sub+" "+usageLine)
		c.fs.PrintDefaults()
	}
	return c
}

// parse parses args and opens the store; the caller closes it.
func (c *dlqCmd) parse(args []string) (context.Context, context.CancelFunc, *queue.Store, error) {
	ids, err := parseInterspersed(c.fs, args)
	if err != nil {
		return nil, nil, nil, err
	}
	if c.rule != nil {
		c.filter.Rule = *c.rule
		if c.filter.Since, err = parseSinceFlag(*c.since); err != nil {
			return nil, nil, nil, err
		}
	}
	for _, a := range ids {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%q is not a dead-letter id", a)
		}
		c.filter.IDs = append(c.filter.IDs, id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	store, err := c.sf.open(ctx)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return ctx, cancel, store, nil
}

func runDLQList(args []string, stdout, stderr io.Writer) error {
	c := newDLQCmd("list", "[--rule R] [--since T] [--limit N] [--json] [ID...]", stderr, true)
	limit := c.fs.Int("limit", 100, "at most this many")
	asJSON := c.fs.Bool("json", false, "print JSON")
	ctx, cancel, store, err := c.parse(args)
	if err != nil {
		return err
	}
	defer cancel()
	defer store.Close()
	c.filter.Limit = *limit
	list, err := store.DeadLetters(ctx, c.filter)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONTo(stdout, list)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDEAD AT\tRULE\tPLATFORM\tTARGET\tACTION\tATTEMPTS\tREASON\tERROR")
	for _, d := range list {
		what := actionLabel(d.Request.Action)
		if len(d.Next) > 0 {
			// A replay runs these after the letter's own step.
			what += fmt.Sprintf(" (+%d steps)", len(d.Next))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s %s\t%s\t%d\t%s\t%s\n", d.ID, d.DeadAt.Format(time.RFC3339), d.Rule, d.Platform,
			d.Request.Target.Type, d.Request.Target.ID, what, d.Attempts, d.Reason, oneLine(d.Error, 80))
	}
	return tw.Flush()
}

func runDLQShow(args []string, stdout, stderr io.Writer) error {
	c := newDLQCmd("show", "ID", stderr, false)
	ctx, cancel, store, err := c.parse(args)
	if err != nil {
		return err
	}
	defer cancel()
	defer store.Close()
	if len(c.filter.IDs) != 1 {
		return fmt.Errorf("usage: bot dlq show ID")
	}
	d, err := store.DeadLetter(ctx, c.filter.IDs[0])
	if err != nil {
		return err
	}
	return writeJSONTo(stdout, d)
}

func runDLQReplay(reg *platform.Registry, args []string, stdout, stderr io.Writer) error {
	c := newDLQCmd("replay", "[--dry-run] [--force] [--rule R] [--since T] [ID...]", stderr, true)
	dryRun := c.fs.Bool("dry-run", false, "say what would be replayed, change nothing")
	force := c.fs.Bool("force", false, "replay even when another event now holds the rule's once/cooldown claim")
	rulesPath := c.fs.String("rules", app.OSEnv.String("BOT_RULES", app.DefaultRulesPath), "rules file whose retry settings apply (env BOT_RULES)")
	ctx, cancel, store, err := c.parse(args)
	if err != nil {
		return err
	}
	defer cancel()
	defer store.Close()
	pol := queue.DefaultPolicy
	if rs, err := rules.LoadFile(*rulesPath, rules.Options{Platforms: reg}); err == nil {
		pol = queue.Policy{MaxAttempts: rs.Settings.MaxAttempts, MaxAge: rs.Settings.MaxAge}
	}
	out, err := store.Replay(ctx, c.filter, pol, queue.ReplayOptions{DryRun: *dryRun, Force: *force})
	if err != nil {
		return err
	}
	verb := "replayed"
	if *dryRun {
		verb = "would replay"
	}
	n := 0
	for _, r := range out {
		switch {
		case r.Skipped != "":
			fmt.Fprintf(stdout, "skipped dead letter %d: %s\n", r.DeadLetterID, r.Skipped)
		case r.JobID != 0:
			fmt.Fprintf(stdout, "%s dead letter %d as job %d\n", verb, r.DeadLetterID, r.JobID)
			n++
		default:
			fmt.Fprintf(stdout, "%s dead letter %d\n", verb, r.DeadLetterID)
			n++
		}
	}
	fmt.Fprintf(stdout, "%d %s\n", n, verb)
	return nil
}

func runDLQDrop(args []string, stdout, stderr io.Writer) error {
	c := newDLQCmd("drop", "[--rule R] [--since T] [ID...]", stderr, true)
	ctx, cancel, store, err := c.parse(args)
	if err != nil {
		return err
	}
	defer cancel()
	defer store.Close()
	n, err := store.Drop(ctx, c.filter)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "dropped %d dead letter(s)\n", n)
	return nil
}

func runHistory(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("history", stderr)
	var sf storeFlags
	sf.register(fs, app.OSEnv)
	var f queue.HistoryFilter
	fs.StringVar(&f.Rule, "rule", "", "only this rule")
	fs.StringVar(&f.Target, "target", "", "only this conversation or ticket id")
	fs.StringVar(&f.Source, "source", "", "only this source")
	fs.StringVar(&f.EventID, "event", "", "only this event id")
	fs.StringVar(&f.Outcome, "outcome", "", "only this outcome (sent, dry_run, suppressed, shadow, dead_lettered, replayed)")
	since := fs.String("since", "", "since this RFC 3339 time or duration ago (2h, 7d)")
	fs.IntVar(&f.Limit, "limit", 100, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if f.Since, err = parseSinceFlag(*since); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	list, err := store.History(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONTo(stdout, list)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FINISHED\tEVENT\tRULE\tPLATFORM\tTARGET\tACTION\tOUTCOME\tATTEMPTS\tLATENCY\tDETAIL")
	for _, h := range list {
		detail := h.ResponseID
		if h.Reason != "" {
			detail = h.Reason
		}
		if h.Error != "" {
			detail = oneLine(h.Error, 60)
		}
		fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%s\t%s %s\t%s\t%s\t%d\t%s\t%s\n", h.FinishedAt.Format(time.RFC3339), h.Source, h.EventID,
			h.Rule, h.Platform, h.Target.Type, h.Target.ID, actionLabel(h.Action), h.Outcome, h.Attempts,
			h.FinishedAt.Sub(h.ReceivedAt).Round(time.Millisecond), detail)
	}
	return tw.Flush()
}

// actionLabel names what a step did: its action, or "post" for a reply.
func actionLabel(action string) string {
	if action == "" {
		return "post"
	}
	return action
}

func parseSinceFlag(s string) (time.Time, error) {
	t, err := app.ParseSince(s, time.Now())
	if err != nil {
		return time.Time{}, fmt.Errorf("--%w", err)
	}
	return t, nil
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
