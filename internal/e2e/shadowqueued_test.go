package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// TestReloadStopsQueuedReplies queues 20 replies behind a platform that
// holds the first request, then changes the rules and reloads the real
// binary before letting it go. Switching the rule or the platform to
// shadow mode must hold from the moment the reload succeeds: none of the
// 20 is posted and history records each as shadow. Removing the rule
// stops them too, as dead letters (replayable if the removal was a
// mistake).
func TestReloadStopsQueuedReplies(t *testing.T) {
	const n = 20
	ruleYAML := func(extra string) string {
		return "  - name: ack\n    source: intercom\n    when: topic == \"conversation.user.created\"\n" + extra +
			"    reply: {as: note, body: queued before the reload}\n"
	}
	cases := []struct {
		name        string
		change      func(rules string) string
		wantOutcome string
	}{
		{"rule switched to shadow", func(r string) string {
			return strings.Replace(r, ruleYAML(""), ruleYAML("    mode: shadow\n"), 1)
		}, "shadow"},
		{"platform switched to shadow", func(r string) string {
			return strings.Replace(r, "    token_env: INTERCOM_ACCESS_TOKEN\n", "    token_env: INTERCOM_ACCESS_TOKEN\n    mode: shadow\n", 1)
		}, "shadow"},
		{"rule removed", func(r string) string {
			return strings.Replace(r, ruleYAML(""), "  - name: other\n    when: \"false\"\n    reply: {as: note, body: x}\n", 1)
		}, "dead_lettered"},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakes(t)
			release := make(chan struct{})
			var once sync.Once
			t.Cleanup(func() { once.Do(func() { close(release) }) })
			// The first request waits for the test; it and any later one is
			// then refused (503, retryable): a 2xx would mean posted.
			reached := make(chan struct{}, 1)
			f.ic.SetHook(func(platformfake.Recorded) *platformfake.Response {
				select {
				case reached <- struct{}{}:
				default:
				}
				<-release
				return &platformfake.Response{Status: http.StatusServiceUnavailable}
			})
			settings := "  target_max_per_hour: 1000\n  delivery:\n    backoff_initial: 50ms\n    backoff_max: 200ms\n    timeout: 30s\n"
			rules := f.rules(settings, ruleYAML(""))
			bot := Start(t, Config{Rules: rules, Args: []string{"--workers", "1"}})
			logsOnFailure(t, bot)
			var ids []string
			for i := range n {
				id := fmt.Sprintf("notif_shadowq_%d_%d", ci, i)
				ids = append(ids, id)
				post(t, bot, "intercom", "intercom", conversationEvent(t, id, fmt.Sprintf("71000095%02d", i)), "accepted")
			}
			select {
			case <-reached:
			case <-time.After(20 * time.Second):
				t.Fatal("no reply reached the held platform")
			}

			changed := c.change(rules)
			if changed == rules {
				t.Fatal("the change did not apply to the rules file")
			}
			bot.ReplaceRules(t, changed)
			WaitFor(t, 20*time.Second, "the reload", func() bool { return strings.Contains(bot.Logs(), `"msg":"rules reloaded"`) })
			once.Do(func() { close(release) })
			waitIdle(t, bot)

			for _, r := range f.ic.Requests() {
				if r.Status >= 200 && r.Status < 300 {
					t.Errorf("a queued reply was posted after the reload: %s %s", r.Method, r.Path)
				}
			}
			if got := f.ic.Count(); got != 1 {
				t.Errorf("the platform got %d requests; want only the one in flight at the reload", got)
			}
			got := map[string]int{}
			for _, id := range ids {
				for _, h := range history(t, bot, "event_id="+id) {
					got[h.Outcome]++
				}
			}
			if got[c.wantOutcome] != n || len(got) != 1 {
				t.Errorf("history outcomes of the %d queued replies: %v; want all %s", n, got, c.wantOutcome)
			}
			if c.wantOutcome == "dead_lettered" {
				dl := deadLetters(t, bot, "rule=ack")
				if len(dl) != n || !strings.Contains(dl[0].Error, "removed") {
					first := ""
					if len(dl) > 0 {
						first = dl[0].Error
					}
					t.Errorf("%d dead letters (the first says %q); want %d saying the rule was removed", len(dl), first, n)
				}
			}
		})
	}
}
