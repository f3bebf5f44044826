package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSIGHUPReloadsRules rewrites the rules file of the real binary (which
// runs without file watching), sends SIGHUP, and checks that a rule added
// by the change answers the next event.
func TestSIGHUPReloadsRules(t *testing.T) {
	greet := `
  - name: greet
    source: intercom
    when: topic == "conversation.user.created"
    reply: {as: note, body: "greeting"}
`
	bot := Start(t, Config{Rules: RulesFile("", "", "", greet)})
	before := bot.Metric("autoresponder_config_hash")

	added := greet + `
  - name: after-hup
    source: intercom
    when: topic == "conversation.user.created"
    reply: {as: note, body: "added by SIGHUP"}
`
	bot.ReplaceRules(t, RulesFile("", "", "", added))
	WaitFor(t, 20*time.Second, "the reload after SIGHUP", func() bool {
		return strings.Contains(bot.Logs(), `"msg":"rules reloaded"`)
	})
	if !strings.Contains(bot.Logs(), `"added":["after-hup"]`) {
		t.Errorf("reload log does not name the added rule:\n%s", bot.Logs())
	}
	if got := bot.Metric("autoresponder_config_last_reload_successful"); got != 1 {
		t.Errorf("last_reload_successful = %v", got)
	}
	if got := bot.Metric("autoresponder_config_hash"); got == before {
		t.Errorf("config_hash unchanged (%v) after the reload", got)
	}

	body := []byte(fmt.Sprintf(`{"type": "notification_event", "id": "notif_hup", "topic": "conversation.user.created", "created_at": %d,
 "data": {"type": "notification_event_data", "item": {"type": "conversation", "id": "7001",
   "source": {"id": "1", "body": "<p>Hi</p>", "author": {"type": "user", "id": "u1", "name": "Ada"}}}}}`, time.Now().Unix()))
	if status, resp := bot.Post("intercom", "intercom", body); status != 200 {
		t.Fatalf("POST = %d %s", status, resp)
	}
	// Both replies are queued together and delivered in either order.
	WaitFor(t, 20*time.Second, "the new rule's and the unchanged rule's replies on the log platform", func() bool {
		out := bot.Stdout()
		return strings.Contains(out, `"body":"added by SIGHUP"`) && strings.Contains(out, `"body":"greeting"`)
	})
}
