package e2e

import (
	"encoding/json"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
)

// TestBotOwnActionsTriggerNothing: Intercom reports what the bot's admin
// did (closed, assigned, snoozed, reopened a conversation; closed,
// assigned, updated a ticket) as webhooks. A rule that answers every event
// sees none of them, and the helpdesk gets nothing; the same close by a
// human admin does fire it (the control).
func TestBotOwnActionsTriggerNothing(t *testing.T) {
	f := newFakes(t)
	const human, humanTarget = "991267001", "7100007799"
	bot := Start(t, Config{Rules: f.rules("", rulesYAML(
		rule{name: "answers-anything", source: "intercom", when: "true", reply: "as: note\nbody: trap"},
	))})
	logsOnFailure(t, bot)
	f.checkViolations(t)

	own := intercomfake.Suite().BotActions
	if len(own) < 2 {
		t.Fatalf("the Intercom suite lists %d bot actions; want the conversation and ticket ones", len(own))
	}
	targets := map[string]bool{}
	for _, p := range own {
		var ev struct {
			Topic string
			Data  struct{ Item struct{ ID string } }
		}
		if err := json.Unmarshal(p.Body, &ev); err != nil {
			t.Fatal(err)
		}
		if p.Account["admin_id"] != BotAdminID {
			t.Fatalf("%s: the suite names the bot %v; this bot is admin %s", ev.Topic, p.Account, BotAdminID)
		}
		targets[ev.Data.Item.ID] = true
		if ans := post(t, bot, "intercom", "intercom", p.Body, "ignored"); ans.Reason != "own_reply" {
			t.Errorf("%s by the bot: answer %+v; want ignored as own_reply", ev.Topic, ans)
		}
	}
	// The first is conversation.admin.closed; by a human, the rule fires.
	closed := edit(t, own[0].Body, map[string]any{
		"id": "notif_e2e_human_closed", "data.item.id": humanTarget,
		"data.item.conversation_parts.conversation_parts.1.author.id": human,
	})
	if ans := post(t, bot, "intercom", "intercom", closed, "accepted"); ans.Actions != 1 {
		t.Errorf("closed by a human: answer %+v; want the rule to fire", ans)
	}
	waitIdle(t, bot)
	for target := range targets {
		if n := len(f.to(target)); n != 0 {
			t.Errorf("the bot's own actions on %s caused %d requests; want none", target, n)
		}
	}
	if n := f.accepted(humanTarget); n != 1 {
		t.Errorf("the human's close caused %d replies; want 1 (control)", n)
	}
}
