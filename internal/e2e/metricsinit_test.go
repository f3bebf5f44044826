package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestLabelledSeriesReadZeroFromStart scrapes the real binary before any
// event arrives: every series whose labels the rules file determines
// (sources, platforms, rules, and the closed sets of reasons) must already
// read 0, so that `increase(...) > 0` alerts fire on the first error
// instead of on the second. A reload adds the series of a new rule and
// drops those of a removed one.
func TestLabelledSeriesReadZeroFromStart(t *testing.T) {
	f := newFakes(t)
	rulesOf := func(names ...string) string {
		var rs []rule
		for _, n := range names {
			r := rule{name: n, source: "intercom", target: "1", reply: "as: note\nbody: hi"}
			if n == "anywhere" {
				r.source = "" // any source: replies go to each source's platform
			}
			rs = append(rs, r)
		}
		return f.rules("", rulesYAML(rs...))
	}
	bot := Start(t, Config{Rules: rulesOf("greet", "anywhere")})
	logsOnFailure(t, bot)
	want := func(rule string) []string {
		s := []string{
			`autoresponder_rule_matches_total{rule="%s"}`,
			`autoresponder_rule_errors_total{rule="%s"}`,
			`autoresponder_rule_shadow_total{rule="%s"}`,
			`autoresponder_rule_suppressed_total{reason="once",rule="%s"}`,
			`autoresponder_rule_suppressed_total{reason="cooldown",rule="%s"}`,
			`autoresponder_rule_suppressed_total{reason="rule_budget",rule="%s"}`,
			`autoresponder_rule_suppressed_total{reason="target_budget",rule="%s"}`,
			`autoresponder_rule_suppressed_total{reason="paused",rule="%s"}`,
			`autoresponder_reply_total{outcome="dead_lettered",platform="intercom",rule="%s"}`,
			`autoresponder_reply_total{outcome="sent",platform="intercom",rule="%s"}`,
		}
		for i := range s {
			s[i] = fmt.Sprintf(s[i], rule)
		}
		return s
	}
	series := append(want("greet"), want("anywhere")...)
	series = append(series,
		`autoresponder_reply_total{outcome="dead_lettered",platform="whmcs",rule="anywhere"}`,
		`autoresponder_webhook_requests_total{outcome="bad_signature",source="whmcs"}`,
		`autoresponder_webhook_ignored_total{reason="ping",source="intercom"}`,
		`autoresponder_webhook_ignored_total{reason="own_reply",source="intercom"}`,
		`autoresponder_webhook_ignored_total{reason="bot_author",source="whmcs"}`,
		`autoresponder_webhook_ignored_total{reason="operator",source="intercom"}`,
		`autoresponder_webhook_duration_seconds_count{source="whmcs"}`,
		`autoresponder_reply_failures_total{platform="whmcs",reason="server_error"}`,
		`autoresponder_reply_delivery_latency_seconds_count{platform="intercom"}`,
		`autoresponder_reply_send_duration_seconds_count{platform="whmcs"}`,
		`autoresponder_ratelimit_waits_total{platform="intercom"}`,
		`autoresponder_ratelimit_wait_seconds_total{platform="whmcs"}`,
	)
	check := func(when string, series []string) {
		t.Helper()
		for _, s := range series {
			if got := bot.Metric(s); got != 0 {
				t.Errorf("%s: %s = %v, want 0 (-1: absent)", when, s, got)
			}
		}
	}
	check("at start", series)

	bot.ReplaceRules(t, rulesOf("greet", "added"))
	WaitFor(t, 20*time.Second, "the reload", func() bool { return strings.Contains(bot.Logs(), `"msg":"rules reloaded"`) })
	check("after adding a rule", want("added"))
	metrics := bot.Metrics()
	if strings.Contains(metrics, `rule="anywhere"`) {
		t.Errorf("series of the removed rule remain after the reload")
	}
}
