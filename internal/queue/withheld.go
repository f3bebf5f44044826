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

// withheld records a reply the Sender deliberately did not post: printed
// by a dry run, or shadowed because its rule or platform was switched to
// shadow mode after the reply was queued. Neither is "sent".
func (s *Store) withheld(ctx context.Context, rj *river.Job[DeliveryArgs], job *Job, res replier.Result) error {
	a := job.Args
	var label string
	switch res.Withheld {
	case DryRun:
		label = metrics.ReplyDryRun
	case Shadowed:
		label = metrics.ReplyShadow
		// Nothing was posted: release the once/cooldown claim, as a dead
		// letter does, so the rule answers the next event once it is live.
		if a.ClaimKey != "" {
			if _, err := s.backend.pool().exec(ctx, `DELETE FROM bot_claims WHERE rule = ? AND claim_key = ? AND event_key = ?`,
				a.Rule, a.ClaimKey, a.Source+"/"+a.EventID); err != nil {
				return fmt.Errorf("release claim of a shadowed reply: %w", err)
			}
		}
		if s.m != nil {
			s.m.RuleShadow.WithLabelValues(a.Rule).Inc()
		}
	default:
		// Not an outcome this store knows: record it as the Sender says,
		// count it under sent (the closed label set), never fail the job.
		label = metrics.ReplySent
	}
	s.count(a, label)
	h := historyFromJob(job, res.Withheld, "", s.now())
	h.ResponseID = res.ResponseID
	s.log.Info("reply not posted: "+res.Withheld, "event_id", a.EventID, "source", a.Source, "rule", a.Rule, "platform", a.Platform,
		"target_type", a.Request.Target.Type, "target_id", a.Request.Target.ID, "attempt", job.Attempt, "outcome", res.Withheld)
	return s.finish(ctx, rj, h, nil)
}
