// Package delivery performs one delivery attempt of a queued reply: it looks
// up the platform in the running configuration, waits for the platform's
// rate limit, sends, and reports what the platform said.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/supportops/autoresponder/internal/metrics"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/ratelimit"
	"github.com/supportops/autoresponder/internal/replier"
)

// Sender implements queue.Sender.
type Sender struct {
	// Repliers returns the platforms of the running configuration; it is
	// read per attempt, so a reload applies to queued jobs too.
	Repliers func() map[string]replier.Replier
	// Mode returns how the running configuration treats a rule's replies
	// on a platform; it is read per attempt, so switching a rule or a
	// platform to shadow mode holds for replies already queued. Nil: Live.
	Mode    func(rule, platform string) Mode
	Limiter *ratelimit.Limiter
	Metrics *metrics.Metrics
	Logger  *slog.Logger
}

// Mode is what the running configuration says about a queued reply.
type Mode int

const (
	// Live: post it.
	Live Mode = iota
	// Shadow: the rule or the platform is in shadow mode now; record the
	// reply as shadow and post nothing.
	Shadow
	// RuleRemoved: a reload removed the rule; the reply is dead-lettered,
	// not posted, and can be replayed once the rule is back.
	RuleRemoved
)

var _ queue.Sender = (*Sender)(nil)

// Send performs one attempt.
func (s *Sender) Send(ctx context.Context, job *queue.Job) (replier.Result, *replier.Error) {
	a := job.Args
	if s.Mode != nil {
		switch s.Mode(a.Rule, a.Platform) {
		case Shadow:
			return replier.Result{Withheld: queue.Shadowed}, nil
		case RuleRemoved:
			return replier.Result{}, s.fail(a.Platform, &replier.Error{
				Reason:  replier.ReasonInvalidRequest,
				Message: fmt.Sprintf("rule %q is not in the running configuration (removed by a reload); not sent", a.Rule),
			})
		}
	}
	r, ok := s.Repliers()[a.Platform]
	if !ok {
		return replier.Result{}, s.fail(a.Platform, &replier.Error{
			Reason:  replier.ReasonInvalidRequest,
			Message: fmt.Sprintf("platform %q is not in the running configuration (removed by a reload?)", a.Platform),
		})
	}
	if s.Limiter != nil {
		waited, err := s.Limiter.Wait(ctx, a.Platform)
		if waited > 0 && s.Metrics != nil {
			s.Metrics.RateLimitWaits.WithLabelValues(a.Platform).Inc()
			s.Metrics.RateLimitWaitSecs.WithLabelValues(a.Platform).Add(waited.Seconds())
		}
		if d, ok := ratelimit.IsWait(err); ok {
			// Give the worker back; the job comes back after the wait.
			return replier.Result{}, &replier.Error{Reason: replier.ReasonRateLimited, Retry: true, RetryAfter: d,
				Message: "client-side rate limit: " + err.Error()}
		}
		if err != nil {
			if ctx.Err() != nil {
				return replier.Result{}, &replier.Error{Reason: replier.ReasonTimeout, Retry: true, Message: "cancelled while waiting for the rate limit"}
			}
			// The pacing state is unavailable (database trouble): send
			// anyway; the platform's own limit still protects it.
			s.Logger.Warn("rate limiter unavailable", "platform", a.Platform, "error", err)
		}
	}
	start := time.Now()
	res, err := r.Send(ctx, untilFromNow(&a.Request, start))
	if s.Metrics != nil {
		s.Metrics.SendDuration.WithLabelValues(a.Platform).Observe(time.Since(start).Seconds())
	}
	var rerr *replier.Error
	if err != nil {
		rerr = replier.AsError(err)
	}
	s.observe(ctx, a.Platform, res.RateLimit, rerr)
	if rerr != nil {
		return res, s.fail(a.Platform, rerr)
	}
	return res, nil
}

// observe feeds the platform's rate-limit headers to the limiter.
func (s *Sender) observe(ctx context.Context, platform string, rl replier.RateLimit, rerr *replier.Error) {
	limited := rerr != nil && rerr.Reason == replier.ReasonRateLimited
	if rerr != nil {
		rl = rerr.RateLimit
		if limited && rerr.RetryAfter == 0 && rl.Reset.IsZero() {
			rerr.RetryAfter = ratelimit.Backoff
		}
	}
	if rl.Known && s.Metrics != nil {
		s.Metrics.RateLimitRemaining.WithLabelValues(platform).Set(float64(rl.Remaining))
	}
	if s.Limiter == nil || (!rl.Known && !limited) {
		return
	}
	reset := rl.Reset
	if limited && reset.IsZero() && rerr.RetryAfter > 0 {
		reset = time.Now().Add(rerr.RetryAfter)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.Limiter.Observe(ctx, platform, rl.Limit, rl.Remaining, reset, limited); err != nil && !errors.Is(err, context.Canceled) {
		s.Logger.Warn("record rate limit", "platform", platform, "error", err)
	}
}

func (s *Sender) fail(platform string, e *replier.Error) *replier.Error {
	if s.Metrics != nil {
		s.Metrics.ReplyFailures.WithLabelValues(platform, string(e.Reason)).Inc()
	}
	return e
}

// untilFromNow gives a snooze step its end as of now: the rendered until
// was as of the event, and the step may have waited since (an earlier
// step's retries, a rate limit, a replay days later). The job's own
// request is left as stored.
func untilFromNow(req *replier.Request, now time.Time) *replier.Request {
	v, ok := req.Fields[replier.FieldUntilIn]
	if !ok {
		return req
	}
	d, err := time.ParseDuration(v.Text)
	if err != nil || d <= 0 {
		return req
	}
	c := *req
	c.Fields = maps.Clone(req.Fields)
	delete(c.Fields, replier.FieldUntilIn)
	c.Set(replier.FieldUntil, replier.Value{Text: now.Add(d).UTC().Format(time.RFC3339)})
	return &c
}
