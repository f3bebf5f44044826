package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// ownEvent is an event the bot's own reply (or another admin's, for the
// controls) comes back as.
type ownEvent struct {
	name, source, id, target string
	body                     func(t *testing.T, id, target string) []byte
}

func conversationByAdmin(file, adminID string) func(t *testing.T, id, target string) []byte {
	return func(t *testing.T, id, target string) []byte {
		return payload(t, file, map[string]any{
			"id": id, "data.item.id": target,
			"data.item.conversation_parts.conversation_parts.0.author.id": adminID,
		})
	}
}

func ticketByAdmin(adminID string) func(t *testing.T, id, target string) []byte {
	return func(t *testing.T, id, target string) []byte {
		return payload(t, "intercom_ticket_admin_replied.json", map[string]any{
			"id": id, "data.item.ticket.id": target, "data.item.ticket_part.author.id": adminID,
		})
	}
}

func whmcsAdminReply(adminName string) func(t *testing.T, id, target string) []byte {
	return func(t *testing.T, id, target string) []byte {
		return payload(t, "whmcs_TicketAdminReply.json", map[string]any{"id": id, "vars.ticketid": json.Number(target), "vars.admin": adminName})
	}
}

func whmcsNote(adminID string) func(t *testing.T, id, target string) []byte {
	return func(t *testing.T, id, target string) []byte {
		return payload(t, "whmcs_TicketAddNote.json", map[string]any{"id": id, "vars.ticketid": json.Number(target), "vars.adminid": json.Number(adminID)})
	}
}

// testOwnReplies: the bot's own replies and notes come back as webhooks;
// no ordinary rule may see them (or the bot talks to itself forever), but
// a rule with allow_bots does.
func testOwnReplies(t *testing.T, f *fakes, bot *Bot) {
	f.checkViolations(t)
	const grace, graceName, graceWHMCS = "7301245", "Grace Hopper", "3"
	own := []ownEvent{
		{"conversation.admin.replied", "intercom", "notif_e2e-own-1", "7100000401", conversationByAdmin("intercom_conversation_admin_replied.json", BotAdminID)},
		{"conversation.admin.noted", "intercom", "notif_e2e-own-2", "7100000402", conversationByAdmin("intercom_conversation_admin_noted.json", BotAdminID)},
		{"ticket.admin.replied", "intercom", "notif_e2e-own-3", "215470000000403", ticketByAdmin(BotAdminID)},
		{"TicketAdminReply", "whmcs", "TicketAdminReply-e2e-own-4", "5404", whmcsAdminReply("Support Bot")},
		{"TicketAddNote", "whmcs", "TicketAddNote-e2e-own-5", "5405", whmcsNote("7")},
	}
	// The same events by a human admin: the trap rule fires, which proves
	// it would have fired on the bot's own events had they reached it.
	human := []ownEvent{
		{"conversation.admin.replied", "intercom", "notif_e2e-human-1", "7100000411", conversationByAdmin("intercom_conversation_admin_replied.json", grace)},
		{"conversation.admin.noted", "intercom", "notif_e2e-human-2", "7100000412", conversationByAdmin("intercom_conversation_admin_noted.json", grace)},
		{"ticket.admin.replied", "intercom", "notif_e2e-human-3", "215470000000413", ticketByAdmin(grace)},
		{"TicketAdminReply", "whmcs", "TicketAdminReply-e2e-human-4", "5414", whmcsAdminReply(graceName)},
		{"TicketAddNote", "whmcs", "TicketAddNote-e2e-human-5", "5415", whmcsNote(graceWHMCS)},
	}
	series := func(source string) string {
		return `autoresponder_webhook_ignored_total{reason="own_reply",source="` + source + `"}`
	}
	before := map[string]float64{"intercom": bot.counter(series("intercom")), "whmcs": bot.counter(series("whmcs"))}
	wantIgnored := map[string]float64{}
	for _, e := range own {
		ans := post(t, bot, e.source, e.source, e.body(t, e.id, e.target), "ignored")
		if ans.Reason != "own_reply" || ans.Actions != 0 {
			t.Errorf("%s by the bot: answer %+v; want ignored, reason own_reply, 0 actions", e.name, ans)
		}
		wantIgnored[e.source]++
	}
	for _, e := range human {
		ans := post(t, bot, e.source, e.source, e.body(t, e.id, e.target), "accepted")
		if ans.Actions != 1 {
			t.Errorf("%s by a human: answer %+v; want the trap rule to fire", e.name, ans)
		}
	}
	// allow_bots: the bot's own reply reaches the rule that asks for it,
	// and still not the trap rule that matches the same target.
	allowed := ownEvent{"conversation.admin.replied", "intercom", "notif_e2e-own-allowed", "7100000421", conversationByAdmin("intercom_conversation_admin_replied.json", BotAdminID)}
	ans := post(t, bot, "intercom", "intercom", allowed.body(t, allowed.id, allowed.target), "accepted")
	if ans.Actions != 1 {
		t.Errorf("own reply with an allow_bots rule: answer %+v; want 1 action", ans)
	}
	allowedWHMCS := whmcsNote("7")(t, "TicketAddNote-e2e-own-allowed", "5422")
	if ans := post(t, bot, "whmcs", "whmcs", allowedWHMCS, "accepted"); ans.Actions != 1 {
		t.Errorf("own WHMCS note with an allow_bots rule: answer %+v; want 1 action", ans)
	}

	waitIdle(t, bot)
	for _, e := range own {
		if n := len(f.to(e.target)); n != 0 {
			t.Errorf("%s by the bot caused %d replies; want none", e.name, n)
		}
	}
	for _, e := range human {
		if n := len(f.to(e.target)); n != 1 {
			t.Errorf("%s by a human caused %d replies; want 1 (control)", e.name, n)
		}
	}
	for _, target := range []string{"7100000421", "5422"} {
		got := f.to(target)
		if len(got) != 1 {
			t.Fatalf("allow_bots: %d replies to %s; want exactly 1", len(got), target)
		}
		text, _ := got[0].Body["body"].(string)
		if got[0].Form != nil {
			text = got[0].Form["message"]
		}
		if !strings.Contains(text, "allowed:") {
			t.Errorf("allow_bots: reply to %s = %q; want the allow_bots rule's, not the trap's", target, text)
		}
	}
	for source, want := range wantIgnored {
		if got := bot.counter(series(source)) - before[source]; got != want {
			t.Errorf("%s went up by %v; want %v", series(source), got, want)
		}
	}
}
