package queue

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/supportops/autoresponder/internal/metrics"
	"github.com/supportops/autoresponder/internal/replier"
)

// DryRun is the history outcome of a reply printed instead of posted
// (bot serve --dry-run).
const DryRun = replier.WithheldDryRun

// reasonUnknownWithheld is the dead-letter reason of a reply the Sender
// withheld under a kind this store does not know.
const reasonUnknownWithheld = "unknown_withheld_kind"

// withheldKind says how a reply the Sender deliberately did not post is
// recorded.
type withheldKind struct {
	// outcome is the history outcome.
	outcome string
	// label is the replies_total outcome label.
	label string
	// releaseClaim gives the once/cooldown claim back (nothing was
	// posted and the rule should answer the next event).
	releaseClaim bool
	// ruleShadow counts the reply under the rule's shadow metric.
	ruleShadow bool
}

// withheldKindOf is the one table of withheld kinds (Result.Withheld);
// false for a kind it does not know.
func withheldKindOf(withheld string) (withheldKind, bool) {
	switch withheld {
	case replier.WithheldDryRun:
		// A dry run keeps the claim, as a sent reply would.
		return withheldKind{outcome: DryRun, label: metrics.ReplyDryRun}, true
	case Shadowed:
		// Switched to shadow mode after the reply was queued: release the
		// claim, as a dead letter does, so the rule answers the next event
		// once it is live.
		return withheldKind{outcome: Shadowed, label: metrics.ReplyShadow, releaseClaim: true, ruleShadow: true}, true
	}
	return withheldKind{}, false
}

// withheld records a reply the Sender deliberately did not post: printed
// by a dry run, or shadowed because its rule or platform was switched to
// shadow mode after the reply was queued. Neither is "sent". A kind this
// store does not know is a bug in the Sender: the reply is dead-lettered
// (keeping its claim, since what happened is unknown), never counted as
// sent.
func (s *Store) withheld(ctx context.Context, rj *river.Job[DeliveryArgs], job *Job, res replier.Result) error {
	a := job.Args
	kind, ok := withheldKindOf(res.Withheld)
	if !ok {
		msg := fmt.Sprintf("the sender withheld the reply as %q, which is not a known outcome", res.Withheld)
		h, d, err := s.deadRecords(job, reasonUnknownWithheld, 0, msg, true)
		if err != nil {
			return err
		}
		s.count(a, metrics.ReplyDeadLettered)
		s.log.Error("reply dead-lettered: "+msg, "event_id", a.EventID, "source", a.Source, "rule", a.Rule,
			"platform", a.Platform, "attempt", job.Attempt)
		return s.finish(ctx, rj, h, d)
	}
	s.count(a, kind.label)
	if kind.ruleShadow && s.m != nil {
		s.m.RuleShadow.WithLabelValues(a.Rule).Inc()
	}
	h := historyFromJob(job, kind.outcome, "", s.now())
	h.ResponseID = res.ResponseID
	// Only the first step's claim is given back: a later step follows a
	// first step that was done.
	h.releaseClaim, h.claimKey = kind.releaseClaim && a.Step == 0, a.ClaimKey
	s.log.Info("reply not posted: "+kind.outcome, "event_id", a.EventID, "source", a.Source, "rule", a.Rule, "platform", a.Platform,
		"target_type", a.Request.Target.Type, "target_id", a.Request.Target.ID, "attempt", job.Attempt, "outcome", kind.outcome)
	return s.finish(ctx, rj, h, nil)
}
