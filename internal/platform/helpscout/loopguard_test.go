package helpscout_test

import (
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/helpscout"
	"github.com/supportops/autoresponder/internal/platform/helpscout/helpscoutfake"
)

func TestLoopGuard(t *testing.T) {
	bot := hs.Identity(&platform.Account{Settings: &platform.Settings{Values: map[string]string{helpscout.SettingUserID: helpscoutfake.UserID}}})
	other := platform.Identity{IDs: []string{"17"}}
	own := string(helpscoutfake.OwnReplyBody)
	// A customer whose id happens to be the bot's user id: customers and
	// users are numbered apart.
	customerWithBotID := strings.Replace(own, `"id": 12, "type": "customer"`, `"id": `+helpscoutfake.UserID+`, "type": "customer"`, -1)
	workflow := strings.Replace(own, `"action": {"type": "default"`, `"action": {"type": "workflow"`, 1)
	cases := []struct {
		name  string
		topic string
		body  string
		self  []platform.Identity
		want  string
	}{
		{"the bot's reply", helpscout.TopicAgentReply, own, []platform.Identity{other, bot}, platform.IgnoredOwnReply},
		{"another agent's reply", helpscout.TopicAgentReply, own, []platform.Identity{other}, ""},
		{"a customer's reply", helpscout.TopicCustomerReply, own, []platform.Identity{bot}, ""},
		{"a customer with the bot's id", helpscout.TopicCustomerReply, customerWithBotID, []platform.Identity{bot}, ""},
		{"a workflow's reply", helpscout.TopicAgentReply, workflow, []platform.Identity{other}, platform.IgnoredBotAuthor},
		{"an agent reply without threads", helpscout.TopicAgentReply, `{"id": 1, "preview": "hi"}`, []platform.Identity{bot}, platform.IgnoredOwnReply},
		{"a note without threads", helpscout.TopicNote, `{"id": 1}`, nil, platform.IgnoredOwnReply},
		{"a customer reply without threads", helpscout.TopicCustomerReply, `{"id": 1}`, []platform.Identity{bot}, ""},
		{"a status change", "convo.status", own, []platform.Identity{bot}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := parse(t, c.topic, []byte(c.body))
			if got := hs.LoopGuard(ev, c.self); got != c.want {
				t.Errorf("LoopGuard = %q, want %q (message %+v)", got, c.want, ev.Message)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	cases := []struct {
		settings map[string]string
		want     []string
	}{
		{map[string]string{helpscout.SettingUserID: "4242"}, []string{"4242"}},
		{map[string]string{helpscout.SettingUserID: " 4242 "}, []string{"4242"}},
		{map[string]string{}, nil},
	}
	for _, c := range cases {
		got := hs.Identity(&platform.Account{Settings: &platform.Settings{Values: c.settings}})
		if strings.Join(got.IDs, ",") != strings.Join(c.want, ",") || len(got.IDs) != len(c.want) {
			t.Errorf("Identity(%v) = %v, want %v", c.settings, got.IDs, c.want)
		}
	}
}
