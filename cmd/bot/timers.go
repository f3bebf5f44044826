package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/supportops/autoresponder/internal/app"
	"github.com/supportops/autoresponder/internal/queue"
)

// timersCommands list and cancel pending timers of timed rules, opening
// the store directly like bot dlq.
func timersCommands() []command {
	return []command{
		{name: "list", summary: "list pending timers: bot timers list [--rule R] [--target T] [--json]", run: runTimersList},
		{name: "cancel", summary: "cancel pending timers: bot timers cancel ID... | --rule R [--target T]", run: runTimersCancel},
	}
}

type timersCmd struct {
	fs     *flag.FlagSet
	sf     storeFlags
	rule   *string
	target *string
	ids    []int64
}

func newTimersCmd(sub, usageLine string, stderr io.Writer) *timersCmd {
	c := &timersCmd{fs: newFlags("timers "+sub, stderr)}
	c.sf.register(c.fs, app.OSEnv)
	c.rule = c.fs.String("rule", "", "only timers of this rule")
	c.target = c.fs.String("target", "", "only timers on this conversation or ticket id")
	c.fs.Usage = func() {
		fmt.Fprintln(c.fs.Output(), "usage: bot timers "+sub+" "+usageLine)
		c.fs.PrintDefaults()
	}
	return c
}

// parse parses args and opens the store; the caller closes it.
func (c *timersCmd) parse(args []string) (context.Context, context.CancelFunc, *queue.Store, error) {
	rest, err := parseInterspersed(c.fs, args)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, a := range rest {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%q is not a timer id", a)
		}
		c.ids = append(c.ids, id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	store, err := c.sf.open(ctx)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return ctx, cancel, store, nil
}

// filters are the selections the command line makes: one per id, or the
// rule and target flags.
func (c *timersCmd) filters() []queue.TimerFilter {
	if len(c.ids) == 0 {
		return []queue.TimerFilter{{Rule: *c.rule, TargetID: *c.target}}
	}
	out := make([]queue.TimerFilter, len(c.ids))
	for i, id := range c.ids {
		out[i] = queue.TimerFilter{ID: id, Rule: *c.rule, TargetID: *c.target}
	}
	return out
}

func runTimersList(args []string, stdout, stderr io.Writer) error {
	c := newTimersCmd("list", "[--rule R] [--target T] [--json] [ID...]", stderr)
	asJSON := c.fs.Bool("json", false, "print JSON")
	ctx, cancel, store, err := c.parse(args)
	if err != nil {
		return err
	}
	defer cancel()
	defer store.Close()
	var list []queue.Timer
	for _, f := range c.filters() {
		got, err := store.Timers(ctx, f)
		if err != nil {
			return err
		}
		list = append(list, got...)
	}
	if *asJSON {
		return writeJSONTo(stdout, nonNilTimers(list))
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDUE\tRULE\tPLATFORM\tTARGET\tEVENT\tSTARTED")
	now := time.Now()
	for _, t := range list {
		due := t.DueAt.UTC().Format(time.RFC3339)
		if t.DueAt.Before(now) {
			due += " (overdue)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s %s\t%s/%s\t%s\n", t.ID, due, t.Rule, t.Platform, t.Target.Type, t.Target.ID,
			t.Source, t.EventID, t.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func runTimersCancel(args []string, stdout, stderr io.Writer) error {
	c := newTimersCmd("cancel", "ID... | --rule R [--target T]", stderr)
	ctx, cancel, store, err := c.parse(args)
	if err != nil {
		return err
	}
	defer cancel()
	defer store.Close()
	if len(c.ids) == 0 && *c.rule == "" && *c.target == "" {
		return fmt.Errorf("name the timers to cancel: ids, --rule or --target (bot timers list shows them)")
	}
	total := 0
	for _, f := range c.filters() {
		n, err := store.CancelTimers(ctx, f, queue.TimerReasonManual)
		if err != nil {
			return err
		}
		total += n
	}
	fmt.Fprintf(stdout, "cancelled %d timer(s); history records each\n", total)
	return nil
}

func nonNilTimers(l []queue.Timer) []queue.Timer {
	if l == nil {
		return []queue.Timer{}
	}
	return l
}
