package zendesk_test

import (
	"slices"
	"testing"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/zendesk"
	"github.com/supportops/autoresponder/internal/platform/zendesk/zendeskfake"
)

// In a trigger body {{current_user.*}} is the user the API token
// authenticates as, which need not be agent_id: the bot's own replies come
// back through a "Ticket is Updated" trigger as that user's update. The
// loop guard knows that user by the account's email (auth: token) or
// token_user_id (auth: oauth), whatever agent_id says.
func TestLoopGuardKnowsTheTokensUser(t *testing.T) {
	const agentID, tokenUserID = "9001", "7777"
	identity := func(kv ...string) []platform.Identity {
		return []platform.Identity{zendesk.New().Identity(&platform.Account{Settings: settings(kv...)})}
	}
	apiToken := identity(zendesk.SettingAuth, zendesk.AuthToken, zendesk.SettingAgentID, agentID,
		zendesk.SettingEmail, "Support-Bot@Example.com")
	oauth := identity(zendesk.SettingAuth, zendesk.AuthOAuth, zendesk.SettingAgentID, agentID,
		zendesk.SettingTokenUserID, tokenUserID)
	update := func(userID, email, role string) string {
		return string(zendeskfake.RenderTrigger(map[string]string{
			"event": zendesk.TopicTriggerUpdated, "current_user.id": userID, "current_user.email": email,
			"current_user.name": "Dana Admin", "current_user.role": role,
			"ticket.latest_public_comment": "Thanks, we received your request.",
		}))
	}
	cases := []struct {
		name string
		self []platform.Identity
		body string
		want string
	}{
		{"api token: the bot's reply, updated by the token's user", apiToken,
			update(tokenUserID, "support-bot@example.com", "Admin"), platform.IgnoredOwnReply},
		{"api token: the token's user, email in other case", apiToken,
			update(tokenUserID, "SUPPORT-BOT@EXAMPLE.COM", "Admin"), platform.IgnoredOwnReply},
		{"api token: another agent's update", apiToken,
			update("42", "sam@example.com", "Agent"), ""},
		{"api token: the customer's update", apiToken,
			update("8447388090494", "jane@example.com", "End-user"), ""},
		{"api token: agent_id still counts", apiToken,
			update(agentID, "", "Agent"), platform.IgnoredOwnReply},
		{"oauth: the bot's reply, updated by the token's user", oauth,
			update(tokenUserID, "dana@example.com", "Admin"), platform.IgnoredOwnReply},
		{"oauth: a change the token's user made, event subscription", oauth,
			envelope("zen:event-type:ticket.status_changed", `{"id":"1","actor_id":"7777"}`, `{}`), platform.IgnoredOwnReply},
		{"oauth: another agent's update", oauth,
			update("42", "sam@example.com", "Agent"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := zendesk.New().LoopGuard(mustParse(t, c.body), c.self); got != c.want {
				t.Errorf("LoopGuard = %q, want %q", got, c.want)
			}
		})
	}
}

// The trigger's current user email is the update author's email.
func TestBuildTriggerCurrentUserEmail(t *testing.T) {
	ev := mustParse(t, string(zendeskfake.RenderTrigger(map[string]string{"current_user.email": "dana@example.com"})))
	if ev.Message == nil || ev.Message.Author.Email != "dana@example.com" {
		t.Fatalf("message %+v: the author's email is {{current_user.email}}", ev.Message)
	}
}

func TestIdentity(t *testing.T) {
	cases := []struct {
		name      string
		kv        []string
		ids, mail []string
	}{
		{"api token", []string{"agent_id", "9001", "email", "Bot@Example.com"}, []string{"9001"}, []string{"bot@example.com"}},
		{"api token, token user named too", []string{"agent_id", "9001", "email", "bot@example.com", "token_user_id", "7777"},
			[]string{"9001", "7777"}, []string{"bot@example.com"}},
		{"oauth", []string{"auth", "oauth", "agent_id", "9001", "token_user_id", "7777"}, []string{"9001", "7777"}, nil},
		{"oauth, token user is the agent", []string{"auth", "oauth", "agent_id", "9001", "token_user_id", "9001"}, []string{"9001"}, nil},
		// With OAuth, email names no one the token authenticates as.
		{"oauth with an email", []string{"auth", "oauth", "agent_id", "9001", "token_user_id", "7777", "email", "x@example.com"},
			[]string{"9001", "7777"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := zendesk.New().Identity(&platform.Account{Settings: settings(c.kv...)})
			if !slices.Equal(id.IDs, c.ids) || !slices.Equal(id.Names, c.mail) {
				t.Errorf("Identity = %+v, want ids %q and names %q", id, c.ids, c.mail)
			}
		})
	}
}
