// Package chatwoot is the Chatwoot platform (kind: chatwoot): signed
// webhooks from an account webhook, an API inbox or an agent bot, and
// replies and private notes through the Application API.
//
// Chatwoot is usually self-hosted, so there is no default base URL: the
// account's base_url is the installation (https://app.chatwoot.com for
// Chatwoot Cloud). Facts and their sources: PLATFORMS-NEXT.md §7.
package chatwoot

import (
	"fmt"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
)

// Kind is the platform's name in the rules file.
const Kind = "chatwoot"

// Setting keys.
const (
	// Source.
	settingTolerance = "timestamp_tolerance"
	// Account.
	settingAccountID  = "account_id"
	settingToken      = "token"
	settingAgentBotID = "agent_bot_id"
	settingUserID     = "user_id"
)

// defaultTolerance is how far X-Chatwoot-Timestamp may be from our clock.
// Chatwoot enforces no window itself; its signing PR suggests five minutes.
const defaultTolerance = 5 * time.Minute

// maxTolerance bounds the configurable window: beyond an hour the
// timestamp no longer protects against replays in any useful way.
const maxTolerance = time.Hour

// Sender types as Chatwoot reports them in a message's sender.type.
const (
	SenderContact   = "contact"
	SenderUser      = "user"      // a human agent, or the bot posting with a user token
	SenderAgentBot  = "agent_bot" // an agent bot, or the bot posting with a bot token
	SenderAssistant = "captain_assistant"
)

// Platform is Chatwoot. Build it with New: the zero value has no Spec.
type Platform struct {
	spec *platform.Spec
}

var _ platform.Platform = Platform{}

// New returns the Chatwoot platform.
func New() platform.Platform { return Platform{spec: newSpec()} }

// Spec implements platform.Platform.
func (p Platform) Spec() *platform.Spec { return p.spec }

func newSpec() *platform.Spec {
	return &platform.Spec{
		Name:  Kind,
		Title: "Chatwoot",
		// Build takes the event id from the delivery header.
		EventHeaders: []string{HeaderDelivery},
		// Self-hosted: base_url is the installation and is required.
		DefaultBaseURL: "",
		SourceSettings: []platform.Setting{{
			Key: settingTolerance, Type: platform.SettingDuration, Default: "5m",
			Doc: "how far X-Chatwoot-Timestamp may be from the bot's clock before a delivery is refused as a replay (at most 1h)",
		}},
		AccountSettings: []platform.Setting{
			{Key: settingAccountID, Type: platform.SettingInt, Required: true,
				Doc: "the Chatwoot account replies go to (the number after /app/accounts/ in the dashboard URL)"},
			{Key: settingToken, Type: platform.SettingSecret, Required: true,
				Doc: "the api_access_token: an agent bot's token or a user's access token (Profile settings)"},
			{Key: settingAgentBotID, Type: platform.SettingInt,
				Doc: "the agent bot whose token is used: its messages never trigger rules (give this or user_id)"},
			{Key: settingUserID, Type: platform.SettingInt,
				Doc: "the user (agent) whose token is used: their messages never trigger rules (give this or agent_bot_id)"},
		},
		Topics: []platform.Topic{
			{Name: "message_created", Reply: true, BotAuthored: true,
				Doc: "a message was added: a customer's message, an agent's reply or private note, a bot's or the bot's own"},
			{Name: "message_updated", BotAuthored: true,
				Doc: "a message was edited or its delivery status changed"},
			{Name: "conversation_created", Doc: "a conversation was started"},
			{Name: "conversation_status_changed", Doc: "a conversation was opened, resolved, set pending or snoozed"},
			{Name: "conversation_updated", Doc: "a conversation's attributes changed (see event.changed_attributes)"},
			{Name: "conversation_typing_on", Doc: "someone started typing"},
			{Name: "conversation_typing_off", Doc: "someone stopped typing"},
			{Name: "contact_created", Doc: "a contact was created"},
			{Name: "contact_updated", Doc: "a contact's details changed"},
			{Name: "webwidget_triggered", Doc: "a visitor opened the website chat widget"},
		},
		Targets:  []string{event.TargetConversation},
		Presence: presence,
		Capabilities: []platform.Capability{
			{As: platform.AsComment, Target: event.TargetConversation},
			{As: platform.AsNote, Target: event.TargetConversation},
		},
		Actions: actionRows(),
	}
}

// Identity implements platform.Platform. Chatwoot numbers users and agent
// bots separately (user 7 and agent bot 7 may both exist), so an identity
// is "<sender type>:<id>", compared with the author's type and id.
func (Platform) Identity(a *platform.Account) platform.Identity {
	var id platform.Identity
	if a == nil {
		return id
	}
	if v := a.Settings.Get(settingAgentBotID); v != "" {
		id.IDs = append(id.IDs, senderKey(SenderAgentBot, v))
	}
	if v := a.Settings.Get(settingUserID); v != "" {
		id.IDs = append(id.IDs, senderKey(SenderUser, v))
	}
	return id
}

func senderKey(typ, id string) string { return typ + ":" + id }

// BodyFormat implements platform.Platform: Chatwoot renders message
// content as Markdown in the dashboard and the widget, replies and private
// notes alike.
func (Platform) BodyFormat(string, map[string]bool) platform.Format { return platform.FormatMarkdown }

// Prepare implements platform.Platform; nothing needs fixing before a send.
func (Platform) Prepare(*replier.Request, string) {}

// ValidateSource implements platform.Platform.
func (Platform) ValidateSource(s *platform.Settings) []platform.Problem {
	v := s.Get(settingTolerance)
	if v == "" {
		return nil
	}
	if _, err := tolerance(v); err != nil {
		return []platform.Problem{{Path: []string{settingTolerance}, Message: err.Error()}}
	}
	return nil
}

// tolerance parses the timestamp window.
func tolerance(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration such as 5m", v)
	case d <= 0:
		return 0, fmt.Errorf("%s must be more than zero (stale deliveries are always refused)", v)
	case d > maxTolerance:
		return 0, fmt.Errorf("%s is longer than the %s allowed", v, maxTolerance)
	}
	return d, nil
}

// ValidateAccount implements platform.Platform.
func (Platform) ValidateAccount(s *platform.Settings) []platform.Problem {
	var out []platform.Problem
	if v := s.Get(settingAccountID); v != "" && !isWholeNumber(v) {
		out = append(out, platform.Problem{Path: []string{settingAccountID}, Message: fmt.Sprintf("%q is not an account id (a whole number)", v)})
	}
	bot, user := s.Get(settingAgentBotID), s.Get(settingUserID)
	switch {
	case bot == "" && user == "":
		// Without it, the bot's own replies sent with a user token look
		// like an agent's and could trigger rules again.
		out = append(out, platform.Problem{Path: []string{settingAgentBotID},
			Message: "give agent_bot_id (the token is an agent bot's) or user_id (the token is a user's): the bot must recognise its own messages"})
	case bot != "" && user != "":
		out = append(out, platform.Problem{Path: []string{settingUserID},
			Message: "give agent_bot_id or user_id, not both: one token posts as one sender"})
	}
	for _, k := range []string{settingAgentBotID, settingUserID} {
		if v := s.Get(k); v != "" && !isWholeNumber(v) {
			out = append(out, platform.Problem{Path: []string{k}, Message: fmt.Sprintf("%q is not an id (a whole number)", v)})
		}
	}
	return out
}

// ValidateReply implements platform.Platform: the capability table says
// everything (Chatwoot replies take no platform-specific fields).
func (Platform) ValidateReply(*platform.ReplyView) []platform.Problem { return nil }

// isWholeNumber reports whether s is a positive decimal integer without
// sign or leading zeros: what Chatwoot's ids look like.
func isWholeNumber(s string) bool {
	if s == "" || len(s) > 19 || s[0] == '0' {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}
