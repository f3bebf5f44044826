package chatwoot_test

import (
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/chatwoot"
)

func settings(m map[string]string) *platform.Settings {
	return &platform.Settings{Values: m, Secrets: map[string]bool{"token": true}}
}

func TestValidateAccount(t *testing.T) {
	cases := []struct {
		name     string
		settings map[string]string
		path     string // "" means valid
		says     string
	}{
		{"agent bot", map[string]string{"account_id": "7", "agent_bot_id": "42"}, "", ""},
		{"user", map[string]string{"account_id": "7", "user_id": "5"}, "", ""},
		{"neither", map[string]string{"account_id": "7"}, "agent_bot_id", "must recognise its own messages"},
		{"both", map[string]string{"account_id": "7", "agent_bot_id": "42", "user_id": "5"}, "user_id", "not both"},
		{"account id zero", map[string]string{"account_id": "0", "user_id": "5"}, "account_id", "not an account id"},
		{"account id with leading zero", map[string]string{"account_id": "07", "user_id": "5"}, "account_id", "not an account id"},
		{"bot id not a number", map[string]string{"account_id": "7", "agent_bot_id": "bot"}, "agent_bot_id", "not an id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			problems := chatwoot.New().ValidateAccount(settings(c.settings))
			if c.path == "" {
				if len(problems) > 0 {
					t.Fatalf("problems %+v, want none", problems)
				}
				return
			}
			if len(problems) != 1 || strings.Join(problems[0].Path, ".") != c.path || !strings.Contains(problems[0].Message, c.says) {
				t.Fatalf("problems %+v, want one at %s saying %q", problems, c.path, c.says)
			}
		})
	}
}

func TestValidateSource(t *testing.T) {
	cases := map[string]string{
		"":     "",
		"5m":   "",
		"1h":   "",
		"90s":  "",
		"0s":   "more than zero",
		"-1m":  "more than zero",
		"2h":   "longer than",
		"soon": "not a duration",
	}
	for v, says := range cases {
		problems := chatwoot.New().ValidateSource(settings(map[string]string{"timestamp_tolerance": v}))
		switch {
		case says == "" && len(problems) > 0:
			t.Errorf("timestamp_tolerance %q: problems %+v, want none", v, problems)
		case says != "" && (len(problems) != 1 || problems[0].Path[0] != "timestamp_tolerance" || !strings.Contains(problems[0].Message, says)):
			t.Errorf("timestamp_tolerance %q: problems %+v, want one saying %q", v, problems, says)
		}
	}
}

// Chatwoot renders message content as Markdown: values interpolated into a
// reply or note must be escaped for it.
func TestBodyFormatIsMarkdown(t *testing.T) {
	p := chatwoot.New()
	for _, as := range []string{platform.AsComment, platform.AsNote} {
		if got := p.BodyFormat(as, nil); got != platform.FormatMarkdown {
			t.Errorf("BodyFormat(%s) = %v, want Markdown", as, got)
		}
	}
}

func TestSpecSettings(t *testing.T) {
	sp := chatwoot.New().Spec()
	if sp.DefaultBaseURL != "" {
		t.Errorf("DefaultBaseURL = %q; Chatwoot is self-hosted, base_url must be given", sp.DefaultBaseURL)
	}
	var token *platform.Setting
	for i := range sp.AccountSettings {
		if sp.AccountSettings[i].Key == "token" {
			token = &sp.AccountSettings[i]
		}
	}
	if token == nil || token.Type != platform.SettingSecret || !token.Required {
		t.Errorf("token setting = %+v, want a required secret", token)
	}
	for _, topic := range sp.Topics {
		if strings.HasPrefix(topic.Name, "message_") != topic.BotAuthored {
			t.Errorf("topic %s: BotAuthored = %v; the bot's own posts come back as message events only", topic.Name, topic.BotAuthored)
		}
	}
}
