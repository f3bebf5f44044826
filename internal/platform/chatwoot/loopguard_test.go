package chatwoot_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/chatwoot"
)

// message is a message_created delivery in conversation 84.
func message(messageType string, private bool, sender string) string {
	return fmt.Sprintf(`{"event":"message_created","id":77,"content":"hello","message_type":%q,"private":%t,"sender":%s,"conversation":{"id":84}}`,
		messageType, private, sender)
}

func identity(settings map[string]string) platform.Identity {
	return chatwoot.New().Identity(&platform.Account{Name: "cw", Settings: &platform.Settings{Values: settings}})
}

func TestLoopGuard(t *testing.T) {
	asBot := identity(map[string]string{"account_id": "7", "agent_bot_id": "42"})
	asUser := identity(map[string]string{"account_id": "7", "user_id": "5"})
	cases := []struct {
		name string
		body string
		self []platform.Identity
		want string
	}{
		{"customer message", message("incoming", false, `{"id":311,"type":"contact"}`), []platform.Identity{asBot}, ""},
		{"our bot's reply", message("outgoing", false, `{"id":42,"type":"agent_bot"}`), []platform.Identity{asBot}, platform.IgnoredOwnReply},
		{"our bot's note", message("outgoing", true, `{"id":42,"type":"agent_bot"}`), []platform.Identity{asBot}, platform.IgnoredOwnReply},
		{"our user's reply", message("outgoing", false, `{"id":5,"type":"user"}`), []platform.Identity{asUser}, platform.IgnoredOwnReply},
		{"our user's note", message("outgoing", true, `{"id":5,"type":"user"}`), []platform.Identity{asUser}, platform.IgnoredOwnReply},
		{"another account's bot", message("outgoing", false, `{"id":42,"type":"agent_bot"}`), []platform.Identity{asUser}, platform.IgnoredBotAuthor},
		// Users and agent bots are numbered apart: user 42 is a person.
		{"a user with our bot's number", message("outgoing", false, `{"id":42,"type":"user"}`), []platform.Identity{asBot}, ""},
		{"an agent bot with our user's number", message("outgoing", false, `{"id":5,"type":"agent_bot"}`), []platform.Identity{asUser}, platform.IgnoredBotAuthor},
		{"a human agent's reply", message("outgoing", false, `{"id":6,"type":"user"}`), []platform.Identity{asUser}, ""},
		{"a human agent's note", message("outgoing", true, `{"id":6,"type":"user"}`), []platform.Identity{asUser}, ""},
		{"another bot, no identity configured", message("outgoing", false, `{"id":9,"type":"agent_bot"}`), nil, platform.IgnoredBotAuthor},
		{"Captain", message("outgoing", false, `{"id":2,"type":"captain_assistant"}`), nil, platform.IgnoredBotAuthor},
		{"an automation's message", message("outgoing", false, `null`), nil, platform.IgnoredBotAuthor},
		{"an activity", message("activity", false, `null`), nil, platform.IgnoredBotAuthor},
		{"a template", message("template", false, `null`), nil, platform.IgnoredBotAuthor},
		{"an incoming message without sender", message("incoming", false, `null`), nil, ""},
		{"a conversation our bot started",
			`{"event":"conversation_created","id":84,"messages":[{"id":1,"content":"hi","message_type":1,"sender_type":"AgentBot","sender_id":42}]}`,
			[]platform.Identity{asBot}, platform.IgnoredOwnReply},
		{"a conversation an automation started",
			`{"event":"conversation_created","id":84,"messages":[{"id":1,"content":"hi","message_type":1}]}`,
			nil, platform.IgnoredBotAuthor},
		{"a conversation a customer started",
			`{"event":"conversation_created","id":84,"messages":[{"id":1,"content":"hi","message_type":0,"sender_type":"Contact","sender_id":3}]}`,
			[]platform.Identity{asBot}, ""},
		{"a status change after our reply",
			`{"event":"conversation_status_changed","id":84,"status":"resolved","messages":[{"id":1,"message_type":1,"sender_type":"AgentBot","sender_id":42}]}`,
			[]platform.Identity{asBot}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := mustParse(t, c.body, nil)
			if got := chatwoot.New().LoopGuard(ev, c.self); got != c.want {
				t.Errorf("LoopGuard = %q, want %q", got, c.want)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	cases := []struct {
		settings map[string]string
		want     []string
	}{
		{map[string]string{"agent_bot_id": "42"}, []string{"agent_bot:42"}},
		{map[string]string{"user_id": "5"}, []string{"user:5"}},
		{map[string]string{}, nil},
	}
	for _, c := range cases {
		if got := identity(c.settings).IDs; !slices.Equal(got, c.want) {
			t.Errorf("Identity(%v) = %q, want %q", c.settings, got, c.want)
		}
	}
}
