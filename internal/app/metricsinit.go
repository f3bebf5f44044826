package app

import (
	"github.com/supportops/autoresponder/internal/metrics"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/replier"
	"github.com/supportops/autoresponder/internal/rules"
	"github.com/supportops/autoresponder/internal/webhook"
)

// ignoredReasons are the reasons an event is acknowledged but no rule may
// see it (label "reason" of autoresponder_webhook_ignored_total): a ping,
// and the loop guard's verdicts.
func ignoredReasons() []string {
	return append([]string{webhook.ReasonPing}, platform.IgnoredReasons...)
}

// initSeries creates, at 0, every labelled series whose labels the rules
// file determines, so that dashboards show them and `increase(...) > 0`
// alerts fire on the first occurrence instead of the second. Series of
// removed rules are dropped by logChanges.
func initSeries(m *metrics.Metrics, rs *rules.Ruleset) {
	for name := range rs.Sources {
		for _, o := range metrics.WebhookOutcomes() {
			m.WebhooksTotal.WithLabelValues(name, o)
		}
		for _, r := range ignoredReasons() {
			m.EventsIgnored.WithLabelValues(name, r)
		}
		m.WebhookDuration.WithLabelValues(name)
	}
	for name := range rs.Platforms {
		for _, r := range replier.Reasons {
			m.ReplyFailures.WithLabelValues(name, string(r))
		}
		m.DeliveryLatency.WithLabelValues(name)
		m.SendDuration.WithLabelValues(name)
		m.RateLimitWaits.WithLabelValues(name)
		m.RateLimitWaitSecs.WithLabelValues(name)
	}
	for _, r := range rs.Rules {
		if r.Timing != nil {
			for _, o := range metrics.TimerOutcomes {
				m.TimerEvents.WithLabelValues(r.Name, o)
			}
		}
		m.RuleMatches.WithLabelValues(r.Name)
		m.RuleErrors.WithLabelValues(r.Name)
		m.RuleShadow.WithLabelValues(r.Name)
		for _, reason := range queue.SuppressionReasons {
			m.Suppressed.WithLabelValues(r.Name, reason)
		}
		for _, p := range replyPlatforms(rs, r) {
			for _, o := range metrics.ReplyOutcomes {
				m.RepliesTotal.WithLabelValues(p, r.Name, o)
			}
		}
	}
}

// replyPlatforms lists the platforms a rule's replies can go to: its own,
// its source's, or (a rule for any source) every source's.
func replyPlatforms(rs *rules.Ruleset, r *rules.Rule) []string {
	if r.Reply != nil && r.Reply.Platform != "" {
		return []string{r.Reply.Platform}
	}
	seen := map[string]bool{}
	var out []string
	for name, s := range rs.Sources {
		if (r.Source == "" || r.Source == name) && s.Platform != "" && !seen[s.Platform] {
			seen[s.Platform] = true
			out = append(out, s.Platform)
		}
	}
	return out
}
