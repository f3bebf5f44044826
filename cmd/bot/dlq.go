package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/supportops/autoresponder/internal/app"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/rules"
)

// runDLQ inspects and acts on dead letters by opening the store directly
// (the same store a running bot uses; replayed jobs are picked up by it).
func runDLQ(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: bot dlq list|show|replay|drop [flags]")
		return exitError{2}
	}
	sub, args := args[0], args[1:]
	fs := newFlags("dlq "+sub, stderr)
	var sf storeFlags
	sf.register(fs, app.OSEnv)
	rule := fs.String("rule", "", "only dead letters of this rule")
	since := fs.String("since", "", "only dead letters since this RFC 3339 time or duration ago (2h, 7d)")
	limit := fs.Int("limit", 100, "at most this many (list)")
	dryRun := fs.Bool("dry-run", false, "replay: say what would be replayed, change nothing")
	force := fs.Bool("force", false, "replay even when another event now holds the rule's once/cooldown claim")
	rulesPath := fs.String("rules", app.OSEnv.String("BOT_RULES", app.DefaultRulesPath), "replay: rules file whose retry settings apply (env BOT_RULES)")
	asJSON := fs.Bool("json", false, "print JSON")
	ids, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	f := queue.DLQFilter{Rule: *rule, Limit: *limit}
	if f.Since, err = parseSinceFlag(*since); err != nil {
		return err
	}
	for _, a := range ids {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a dead-letter id", a)
		}
		f.IDs = append(f.IDs, id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	switch sub {
	case "list":
		list, err := store.DeadLetters(ctx, f)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSONTo(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tDEAD AT\tRULE\tPLATFORM\tTARGET\tATTEMPTS\tREASON\tERROR")
		for _, d := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s %s\t%d\t%s\t%s\n", d.ID, d.DeadAt.Format(time.RFC3339), d.Rule, d.Platform,
				d.Request.Target.Type, d.Request.Target.ID, d.Attempts, d.Reason, oneLine(d.Error, 80))
		}
		return tw.Flush()
	case "show":
		if len(f.IDs) != 1 {
			return fmt.Errorf("usage: bot dlq show ID")
		}
		d, err := store.DeadLetter(ctx, f.IDs[0])
		if err != nil {
			return err
		}
		return writeJSONTo(stdout, d)
	case "replay":
		pol := queue.DefaultPolicy
		if rs, err := rules.LoadFile(*rulesPath, rules.Options{}); err == nil {
			pol = queue.Policy{MaxAttempts: rs.Settings.MaxAttempts, MaxAge: rs.Settings.MaxAge}
		}
		f.Limit = 0
		out, err := store.Replay(ctx, f, pol, queue.ReplayOptions{DryRun: *dryRun, Force: *force})
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
	case "drop":
		n, err := store.Drop(ctx, f)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "dropped %d dead letter(s)\n", n)
		return nil
	}
	return fmt.Errorf("unknown dlq command %q (want list, show, replay or drop)", sub)
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
	fs.StringVar(&f.Outcome, "outcome", "", "only this outcome (sent, suppressed, shadow, dead_lettered, replayed)")
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
	fmt.Fprintln(tw, "FINISHED\tEVENT\tRULE\tPLATFORM\tTARGET\tOUTCOME\tATTEMPTS\tLATENCY\tDETAIL")
	for _, h := range list {
		detail := h.ResponseID
		if h.Reason != "" {
			detail = h.Reason
		}
		if h.Error != "" {
			detail = oneLine(h.Error, 60)
		}
		fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%s\t%s %s\t%s\t%d\t%s\t%s\n", h.FinishedAt.Format(time.RFC3339), h.Source, h.EventID,
			h.Rule, h.Platform, h.Target.Type, h.Target.ID, h.Outcome, h.Attempts,
			h.FinishedAt.Sub(h.ReceivedAt).Round(time.Millisecond), detail)
	}
	return tw.Flush()
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
