package app

import (
	"context"
	"fmt"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/replier"
)

// firer renders a timed rule when its timer is due, against the event
// that started it, with the running configuration: a reload between the
// start and the fire changes what is said, not whether the timer fires.
type firer struct {
	current func() *runtime
}

var _ queue.Firer = (*firer)(nil)

func (f *firer) Fire(_ context.Context, t *queue.Timer, _ time.Time) (queue.Action, string) {
	rt := f.current()
	r := rt.ruleByName[t.Rule]
	if r == nil || r.Timing == nil {
		// Removed, or no longer timed: its reply is not meant to be
		// posted now. Another replica may still run the old file.
		return queue.Action{}, queue.TimerReasonRuleUnknown
	}
	failed := func(format string, args ...any) (queue.Action, string) {
		return queue.Action{
			Rule: t.Rule, Platform: t.Platform, TargetKey: t.TargetKey, ClaimKey: t.TargetKey,
			Request:     &replier.Request{V: replier.RequestVersion, Platform: t.Platform, Target: t.Target},
			RenderError: fmt.Sprintf(format, args...),
		}, ""
	}
	src, ok := rt.rules.Sources[t.Source]
	if !ok {
		return failed("source %q of the event that started the timer is not in the running configuration", t.Source)
	}
	d := &platform.Delivery{Header: t.Headers, Body: t.Payload, Settings: src.Settings, Now: t.ReceivedAt}
	ev, err := platform.Parse(src.Impl, src.Name, d, t.ReceivedAt)
	if err != nil {
		return failed("the event that started the timer no longer parses: %v", err)
	}
	return actionOf(rt.rules.Render(r, ev)), ""
}
