package rules

import (
	"strings"
	"testing"
)

// replyTopicSections are a source and a platform of each kind, as their
// docs write them.
var replyTopicSections = map[string]string{
	"intercom": `    kind: intercom
    base_url: https://api.intercom.io
    token_env: T
    admin_id: "1"
`,
	"whmcs": `    kind: whmcs
    base_url: https://billing.example.com/api
    token_env: T
`,
	"zendesk": `    kind: zendesk
    base_url: https://acme.zendesk.com
    auth: token
    email: bot@acme.example
    token_env: T
    agent_id: "1"
`,
	"freshdesk": `    kind: freshdesk
    base_url: https://acme.freshdesk.com
    api_key_env: T
    agent_id: "1"
`,
	"helpscout": `    kind: helpscout
    app_id: app
    app_secret_env: T
    user_id: 1
`,
	"front": `    kind: front
    token_env: T
    teammate_id: tea_1
`,
	"chatwoot": `    kind: chatwoot
    base_url: https://chat.example.com
    account_id: 1
    token_env: T
    agent_bot_id: 1
`,
}

// TestRulesOnReplyTopicsNeedOnceOrCooldown: a rule on a topic that every
// message of an ongoing conversation or ticket arrives as answers each one
// unless it has once or cooldown; the lint says so on every platform, and
// stays quiet on topics that fire once per conversation.
func TestRulesOnReplyTopicsNeedOnceOrCooldown(t *testing.T) {
	cases := []struct {
		kind  string
		topic string
		reply bool
	}{
		{"intercom", "conversation.user.replied", true},
		{"intercom", "conversation.user.created", false},
		{"whmcs", "TicketUserReply", true},
		{"zendesk", "zen:event-type:ticket.comment_added", true},
		{"zendesk", "zen:event-type:messaging_ticket.message_added", true},
		{"zendesk", "ticket.updated", true},
		{"zendesk", "zen:event-type:ticket.created", false},
		{"zendesk", "ticket.created", false},
		{"freshdesk", "note_type:public", true},
		{"freshdesk", "ticket_action:created", false},
		{"freshdesk", "status", false},
		{"helpscout", "convo.customer.reply.created", true},
		{"helpscout", "convo.agent.reply.created", true},
		{"helpscout", "beacon.chat.customer.replied", true},
		{"helpscout", "convo.created", false},
		{"front", "inbound", true},
		{"front", "out_reply", true},
		{"front", "assign", false},
		{"chatwoot", "message_created", true},
		{"chatwoot", "conversation_created", false},
	}
	for _, c := range cases {
		t.Run(c.kind+" "+c.topic, func(t *testing.T) {
			section := replyTopicSections[c.kind]
			src := "sources:\n  s:\n    kind: " + c.kind + "\n    secret_env: S\n    platform: p\n" +
				"platforms:\n  p:\n" + section +
				"rules:\n  - name: a\n    source: s\n    when: topic == \"" + c.topic + "\"\n" +
				"    reply: {as: note, body: x}\n"
			var got []string
			for _, w := range mustLoad(t, src).Lint() {
				got = append(got, w.String())
			}
			warned := strings.Contains(strings.Join(got, "\n"), "fires on every reply in a conversation: add cooldown or once")
			if warned != c.reply {
				t.Errorf("warned about answering again and again: %v, want %v; warnings:\n%s", warned, c.reply, strings.Join(got, "\n"))
			}
		})
	}
}
