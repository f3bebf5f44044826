package front

import (
	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// Setting and field keys.
const (
	settingSigning    = "signing"
	settingMaxAge     = "max_age"
	settingToken      = "token"
	settingTeammateID = "teammate_id"
	settingChannelID  = "channel_id"

	fieldArchive = "archive"
)

// defaultMaxAge is the replay window of application webhooks: Front
// recommends refusing its signed requests older than five minutes.
const defaultMaxAge = "5m"

// Front's event types (EventResponse.type). The bot's own replies come back
// as out_reply (or outbound), its comments as comment.
const (
	topicInbound  = "inbound"
	topicOutbound = "outbound"
	topicOutReply = "out_reply"
	topicComment  = "comment"
	topicMention  = "mention"
	topicForward  = "forward"
	topicSync     = "sync"
)

// spec is read-only: Spec hands out its address and every caller must
// treat it as a constant.
var spec = platform.Spec{
	Name:           Kind,
	Title:          "Front",
	DefaultBaseURL: DefaultBaseURL,
	SourceSettings: []platform.Setting{
		{Key: settingSigning, Type: platform.SettingString, Enum: []string{SigningApp, SigningRule}, Default: SigningApp,
			Doc: "which webhook sends to this source: app (an application webhook, signed with the app's signing secret and a timestamp) or rule (a rule's \"Send to a Webhook\" action, signed with the company API secret)"},
		{Key: settingMaxAge, Type: platform.SettingDuration, Default: defaultMaxAge,
			Doc: "application webhooks: how far X-Front-Request-Timestamp may be from now before the delivery is refused as a replay"},
	},
	AccountSettings: []platform.Setting{
		{Key: settingToken, Type: platform.SettingSecret, Required: true,
			Doc: "Front API token (Settings > Developers > API tokens), sent as a Bearer token; needs the messages:send and comments:write scopes"},
		{Key: settingTeammateID, Type: platform.SettingString, Required: true,
			Doc: "the teammate (tea_...) replies and comments are written as; events it authored are never answered"},
		{Key: settingChannelID, Type: platform.SettingString,
			Doc: "the channel (cha_...) replies are sent from; Front picks the conversation's channel when absent"},
	},
	Topics: []platform.Topic{
		{Name: topicInbound, Reply: true, Doc: "a customer's message arrived in a conversation"},
		{Name: topicOutbound, Doc: "a teammate (or the bot) sent a new message", BotAuthored: true},
		{Name: topicOutReply, Doc: "a teammate (or the bot) replied in a conversation", Reply: true, BotAuthored: true},
		{Name: topicComment, Doc: "a teammate (or the bot) added an internal comment", BotAuthored: true},
		{Name: topicMention, Doc: "a teammate was mentioned in a comment", BotAuthored: true},
		{Name: topicForward, Doc: "a teammate forwarded a message", BotAuthored: true},
		{Name: "assign", Doc: "the conversation was assigned"},
		{Name: "unassign", Doc: "the conversation was unassigned"},
		{Name: "archive", Doc: "the conversation was archived"},
		{Name: "reopen", Doc: "the conversation was reopened"},
		{Name: "trash", Doc: "the conversation was deleted"},
		{Name: "restore", Doc: "the conversation was restored"},
		{Name: "tag", Doc: "a tag was added"},
		{Name: "untag", Doc: "a tag was removed"},
		{Name: "move", Doc: "the conversation moved to another inbox"},
		{Name: "custom_field_updated", Doc: "a custom field changed"},
		{Name: "ticket_status_update", Doc: "the ticket status changed (ticketing)"},
		{Name: "sending_error", Doc: "a message could not be sent"},
		{Name: "message_bounce_error", Doc: "a message bounced"},
		{Name: topicSync, Doc: "an application webhook's validation request, sent when the webhook is saved", Ping: true},
	},
	Targets:  []string{event.TargetConversation},
	Presence: presence,
	Capabilities: []platform.Capability{
		{As: platform.AsComment, Target: event.TargetConversation, Fields: []string{fieldArchive}},
		{As: platform.AsNote, Target: event.TargetConversation},
	},
	Actions: actionRows,
	ReplyFields: []platform.Field{
		{Key: fieldArchive, Type: platform.FieldBool,
			Doc: "archive the conversation once the reply is sent (Front's own default is to archive; the bot sends false unless this is true)"},
	},
}

// capability returns the table's row for as and targetType.
func capability(as, targetType string) (platform.Capability, bool) {
	for _, c := range spec.Capabilities {
		if c.As == as && c.Target == targetType {
			return c, true
		}
	}
	return platform.Capability{}, false
}
