package app

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/metrics"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/rules"
	"github.com/supportops/autoresponder/internal/webhook"
)

// pipeline turns a verified event into durable jobs: rules → store. It is
// the webhook handler's Dispatcher.
type pipeline struct {
	current func() *runtime
	store   *queue.Store
	m       *metrics.Metrics
	log     *slog.Logger
	// ruleErrorLog limits condition-error logs to one per rule per minute.
	ruleErrorLog sync.Map // rule name -> time.Time
}

func (p *pipeline) Dispatch(ctx context.Context, ev *event.Event) (webhook.Result, error) {
	rt := p.current()
	eval := rt.rules.Evaluate(ev)
	for _, e := range eval.Errors {
		p.m.RuleErrors.WithLabelValues(e.Rule.Name).Inc()
		p.logRuleError(ev, e)
	}
	if len(eval.Matches) == 0 && len(eval.Timers) == 0 && len(eval.Cancels) == 0 {
		if eval.Ignored != "" {
			return webhook.Result{Outcome: metrics.OutcomeIgnored, Reason: eval.Ignored}, nil
		}
		// Nothing to do, so nothing to store: acknowledging loses nothing.
		return webhook.Result{Outcome: metrics.OutcomeAccepted}, nil
	}
	in := intakeOf(ev, eval, rt.rules)
	res, err := p.store.Accept(ctx, in)
	if err != nil {
		return webhook.Result{}, fmt.Errorf("store event %s/%s: %w", ev.Source, ev.ID, err)
	}
	if res.Duplicate {
		return webhook.Result{Outcome: metrics.OutcomeDuplicate}, nil
	}
	queued := 0
	for i, ar := range res.Actions {
		m := eval.Matches[i]
		a := in.Actions[i]
		p.m.RuleMatches.WithLabelValues(m.Rule.Name).Inc()
		attrs := []any{"event_id", ev.ID, "source", ev.Source, "topic", ev.Topic, "rule", m.Rule.Name,
			"platform", a.Platform, "target_type", a.Request.Target.Type, "target_id", a.Request.Target.ID}
		switch ar.Outcome {
		case queue.Queued:
			queued++
			p.log.Info("reply queued", append(attrs, "job_id", ar.JobID)...)
		case queue.Shadowed:
			p.m.RuleShadow.WithLabelValues(m.Rule.Name).Inc()
			p.m.RepliesTotal.WithLabelValues(a.Platform, m.Rule.Name, metrics.ReplyShadow).Inc()
			p.log.Info("shadow: would send", append(attrs, "as", a.Request.As, "body", a.Request.Body)...)
		case queue.Suppressed:
			p.m.Suppressed.WithLabelValues(m.Rule.Name, ar.Reason).Inc()
			p.m.RepliesTotal.WithLabelValues(a.Platform, m.Rule.Name, metrics.ReplySuppressed).Inc()
			p.log.Info("reply suppressed", append(attrs, "reason", ar.Reason)...)
			if ar.Paused {
				p.log.Warn("rule paused: it keeps going over max_per_hour", "rule", m.Rule.Name)
			}
		case queue.DeadLettered:
			p.m.ReplyFailures.WithLabelValues(a.Platform, "render_error").Inc()
			p.m.RepliesTotal.WithLabelValues(a.Platform, m.Rule.Name, metrics.ReplyDeadLettered).Inc()
			p.log.Error("reply could not be rendered; dead-lettered", append(attrs, "error", a.RenderError)...)
		}
	}
	p.logTimers(ev, in, res)
	return webhook.Result{Outcome: metrics.OutcomeAccepted, Actions: queued}, nil
}

// logTimers says what the event did to timers (the store counts them).
func (p *pipeline) logTimers(ev *event.Event, in *queue.Intake, res queue.AcceptResult) {
	for i, tr := range res.Timers {
		if i >= len(in.Timers) {
			break
		}
		t := in.Timers[i]
		p.m.RuleMatches.WithLabelValues(t.Rule).Inc() // its when matched; it acts later
		p.log.Info("timer "+tr.Outcome, "event_id", ev.ID, "source", ev.Source, "rule", t.Rule, "timer_id", tr.ID,
			"target_type", t.Target.Type, "target_id", t.Target.ID, "due_at", t.DueAt.UTC().Format(time.RFC3339))
	}
	for i, cr := range res.Cancels {
		if i >= len(in.Cancels) || !cr.Cancelled {
			continue
		}
		p.log.Info("timer cancelled", "event_id", ev.ID, "source", ev.Source, "topic", ev.Topic, "rule", in.Cancels[i].Rule,
			"timer_id", cr.ID, "reason", in.Cancels[i].Reason)
	}
}

// intakeOf turns matches into store actions.
func intakeOf(ev *event.Event, eval rules.Evaluation, rs *rules.Ruleset) *queue.Intake {
	// A copy: ev.Raw is the intake's read buffer, reused after the answer,
	// and the store may still hold the intake then (a caller that gave up
	// waiting). Only matched events pay for it.
	// ev.Headers is already a copy (platform.Parse makes it): with the
	// body, it is what explain parses the stored event from.
	in := &queue.Intake{Source: ev.Source, EventID: ev.ID, Topic: ev.Topic, ReceivedAt: ev.ReceivedAt, Payload: bytes.Clone(ev.Raw),
		Headers: ev.Headers}
	for _, m := range eval.Matches {
		in.Actions = append(in.Actions, actionOf(m))
	}
	// Cancels first: an event that both cancels a rule's timer and starts
	// one (a rule waiting on itself) starts it afresh.
	for _, c := range eval.Cancels {
		in.Cancels = append(in.Cancels, queue.TimerCancel{Rule: c.Rule.Name, TargetKey: c.TargetKey, Reason: queue.TimerReasonCancelWhen})
	}
	for _, t := range eval.Timers {
		if len(t.TargetKey) > event.MaxIDBytes {
			continue // the same event's target id is refused at intake for replies too
		}
		in.Timers = append(in.Timers, queue.TimerStart{
			Rule: t.Rule.Name, TargetKey: t.TargetKey, Target: t.Target, Platform: t.Platform.Name, DueAt: t.DueAt,
			MaxLate: t.Rule.Timing.MaxLate, Restart: t.Rule.Timing.Restart,
		})
	}
	return in
}

// actionOf turns a rendered match into the store's action: at intake, or
// when a timer fires.
func actionOf(m rules.Match) queue.Action {
	a := queue.Action{
		Rule: m.Rule.Name, Request: m.Request, Steps: m.Steps, NoMessage: m.NoMessage, Shadow: m.Shadow,
		Once: m.Rule.Once, Cooldown: m.Rule.Cooldown, ClaimKey: m.ClaimKey, TargetKey: m.TargetKey, MaxPerHour: m.Rule.MaxPerHour,
	}
	if m.Platform != nil {
		a.Platform = m.Platform.Name
	}
	if m.Err != nil {
		a.RenderError = m.Err.Error()
	} else if err := keysTooLong(&a); err != nil {
		// A rule built the target from customer text: storing it
		// would fail on every retry, so the reply is dead-lettered.
		a.RenderError = err.Error()
	}
	return a
}

// keysTooLong refuses an action whose target id or keys are longer than
// the store can index.
func keysTooLong(a *queue.Action) error {
	for _, k := range [...]struct{ name, value string }{
		{"target id", a.Request.Target.ID}, {"target key", a.TargetKey}, {"claim key", a.ClaimKey},
	} {
		if len(k.value) > event.MaxIDBytes {
			return fmt.Errorf("%s is %d bytes, longer than the %d the store can index", k.name, len(k.value), event.MaxIDBytes)
		}
	}
	return nil
}

func (p *pipeline) logRuleError(ev *event.Event, e rules.RuleError) {
	now := time.Now()
	if last, ok := p.ruleErrorLog.Load(e.Rule.Name); ok && now.Sub(last.(time.Time)) < time.Minute {
		return
	}
	p.ruleErrorLog.Store(e.Rule.Name, now)
	// Rules come and go with reloads: forget the ones quiet for a minute
	// (this runs at most once per rule per minute).
	p.ruleErrorLog.Range(func(rule, last any) bool {
		if now.Sub(last.(time.Time)) >= time.Minute {
			p.ruleErrorLog.Delete(rule)
		}
		return true
	})
	p.log.Warn("rule condition failed; treated as no match (further errors of this rule are not logged for a minute)",
		"rule", e.Rule.Name, "event_id", ev.ID, "source", ev.Source, "topic", ev.Topic, "error", e.Err.Error())
}

// policyOf maps the rules file's settings to the store's policy.
func policyOf(l rules.Limits) queue.Policy {
	return queue.Policy{
		DedupWindow: l.DedupWindow, HistoryRetention: l.HistoryRetention, TargetMaxPerHour: l.TargetMaxPerHour,
		PauseAfter: l.PauseAfter, PauseFor: l.PauseFor, MaxAttempts: l.MaxAttempts, MaxAge: l.MaxAge,
		BackoffInitial: l.BackoffInitial, BackoffMax: l.BackoffMax, MaxRateLimitWait: l.MaxRateLimitWait,
	}
}
