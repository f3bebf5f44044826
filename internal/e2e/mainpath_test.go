package e2e

import (
	"encoding/json"
	"testing"
)

// Event builders: a testdata payload with its event id and target set.

// conversationEvent is a 2.x conversation.user.created by Ada.
func conversationEvent(t *testing.T, id, target string) []byte {
	return payload(t, "intercom_conversation_user_created.json", map[string]any{"id": id, "data.item.id": target})
}

// ticketEvent is a ticket.contact.replied by Ada.
func ticketEvent(t *testing.T, id, target string) []byte {
	return payload(t, "intercom_ticket_contact_replied.json", map[string]any{"id": id, "data.item.ticket.id": target})
}

// whmcsOpenEvent is a TicketOpen by client 17.
func whmcsOpenEvent(t *testing.T, id, target string) []byte {
	return payload(t, "whmcs_TicketOpen.json", map[string]any{"id": id, "vars.ticketid": json.Number(target)})
}

// sharedEvent edits a real capture (the test skips without ../shared).
func sharedEvent(name string, targetPath string) func(t *testing.T, id, target string) []byte {
	return func(t *testing.T, id, target string) []byte {
		return edit(t, SharedPayload(t, name), map[string]any{"id": id, targetPath: target})
	}
}

// mainRules are the rules of every scenario that shares the main bot. Each
// scenario owns its targets: 71000000xx and 2154700000000xx reply kinds,
// 71000001xx/51xx duplicates, 2xx signatures, 3xx ping, 4xx own replies,
// 5xx retries, 6xx dead letters, 57xx render errors, 8xx bot send.
func mainRules() string {
	var rs []rule
	for _, c := range replyCases() {
		rs = append(rs, rule{name: c.name, source: c.source, target: c.target, reply: c.reply})
	}
	rs = append(rs,
		rule{name: "dedup-intercom", source: "intercom", target: "7100000101", reply: "as: note\nbody: \"<p>once</p>\""},
		rule{name: "dedup-whmcs", source: "whmcs", target: "5101", reply: "as: note\nbody: once"},
		rule{name: "signature-trap-intercom", source: "intercom", target: "7100000201", reply: "as: note\nbody: \"<p>signed</p>\""},
		rule{name: "signature-trap-whmcs", source: "whmcs", target: "5201", reply: "as: note\nbody: signed"},
		rule{name: "ping-trap", source: "intercom", when: `topic == "ping"`,
			reply: "as: note\nto: {type: conversation, id: \"7100000301\"}\nbody: \"<p>a ping ran the rules</p>\""},
		rule{name: "own-reply-trap", when: `target.id in ["7100000401", "7100000402", "215470000000403", "5404", "5405", ` +
			`"7100000411", "7100000412", "215470000000413", "5414", "5415", "7100000421"]`,
			reply: "as: note\nbody: \"<p>trap: {{ topic }}</p>\""},
		rule{name: "own-reply-allowed", when: `target.id in ["7100000421", "5422"]`, extra: "allow_bots: true",
			reply: "as: note\nbody: \"<p>allowed: {{ topic }}</p>\""},
		rule{name: "retry-intercom", source: "intercom", target: "7100000501", reply: "as: comment\nbody: \"<p>retried</p>\""},
		rule{name: "retry-whmcs", source: "whmcs", target: "5502", reply: "as: comment\nbody: retried"},
		rule{name: "dead-intercom", source: "intercom", target: "7100000601", reply: "as: comment\nbody: \"<p>to a deleted conversation</p>\""},
		rule{name: "dead-whmcs", source: "whmcs", target: "5602", reply: "as: note\nbody: to a deleted ticket"},
		rule{name: "render-broken", source: "whmcs", when: `target.id in ["5701", "5702"]`, reply: "as: comment\nbody: \"Hello {{ contact.name }}\""},
		rule{name: "render-ok", source: "whmcs", when: `target.id in ["5701", "5702"]`, reply: "as: note\nbody: \"Ticket {{ ticket.number }} received\""},
		rule{name: "send-intercom", source: "intercom", target: "7100000801", reply: "as: note\nbody: \"<p>sent with bot send</p>\""},
		rule{name: "send-whmcs", source: "whmcs", target: "5802", reply: "as: note\nbody: sent with bot send"},
	)
	return rulesYAML(rs...)
}

// TestMainPath runs every main-path scenario against one bot and one pair
// of fakes; each scenario has its own targets and event ids, so they run
// one after the other without interfering.
func TestMainPath(t *testing.T) {
	f := newFakes(t)
	bot := Start(t, Config{Rules: f.rules("", mainRules())})
	logsOnFailure(t, bot)

	t.Run("reply kinds", func(t *testing.T) { testReplyKinds(t, f, bot) })
	t.Run("duplicate notification", func(t *testing.T) { testDuplicate(t, f, bot) })
	t.Run("bad signature", func(t *testing.T) { testBadSignature(t, f, bot) })
	t.Run("malformed payload", func(t *testing.T) { testMalformed(t, f, bot) })
	t.Run("ping", func(t *testing.T) { testPing(t, f, bot) })
	t.Run("HEAD and unknown sources", func(t *testing.T) { testRoutes(t, f, bot) })
	t.Run("own replies", func(t *testing.T) { testOwnReplies(t, f, bot) })
	t.Run("platform 500 then 200", func(t *testing.T) { testRetry(t, f, bot) })
	t.Run("platform 404 dead letter", func(t *testing.T) { testDeadLetter(t, f, bot) })
	t.Run("render error", func(t *testing.T) { testRenderError(t, f, bot) })
	t.Run("bot send", func(t *testing.T) { testSend(t, f, bot) })
}
