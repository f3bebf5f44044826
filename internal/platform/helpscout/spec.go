package helpscout

import (
	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// replyStatuses are the conversation statuses a rule may set with a reply or
// note. The API also takes "all", "open" and "spam"; none of them is a
// status a bot should leave a conversation in.
var replyStatuses = []string{"active", "pending", "closed"}

var spec = platform.Spec{
	Name:           Kind,
	Title:          "Help Scout",
	DefaultBaseURL: DefaultBaseURL,
	// The event's name is a header, not part of the body.
	EventHeaders: []string{HeaderEvent},

	AccountSettings: []platform.Setting{
		{Key: SettingAppID, Type: platform.SettingString, Required: true,
			Doc: "App ID of the Help Scout app (Your Profile > My Apps), the OAuth2 client_id"},
		{Key: SettingAppSecret, Type: platform.SettingSecret, Required: true,
			Doc: "App Secret of the same app, the OAuth2 client_secret"},
		{Key: SettingUserID, Type: platform.SettingInt, Required: true,
			Doc: "id of the Help Scout user who created the app: replies and notes are posted as this user, and threads it created are the bot's own"},
	},

	Topics: []platform.Topic{
		{Name: TopicTest, Ping: true, Doc: "the webhook's Test button"},
		{Name: TopicCreated, Doc: "a conversation was created"},
		{Name: TopicCustomerReply, Reply: true, Doc: "a customer replied"},
		{Name: TopicAgentReply, Reply: true, BotAuthored: true, Doc: "an agent replied (the bot's own replies come back as this)"},
		{Name: TopicNote, BotAuthored: true, Doc: "a note was added (the bot's own notes come back as this)"},
		{Name: "convo.ai-answers.created", BotAuthored: true, Doc: "Help Scout's AI Answers created a conversation"},
		{Name: "convo.assigned", Doc: "a conversation was assigned"},
		{Name: "convo.status", BotAuthored: true, Doc: "a conversation's status changed (a reply or note with status changes it too)"},
		{Name: "convo.tags", Doc: "a conversation's tags changed"},
		{Name: "convo.custom-fields", Doc: "a conversation's custom fields changed"},
		{Name: "convo.moved", Doc: "a conversation moved to another inbox"},
		{Name: "convo.merged", Doc: "two conversations were merged"},
		{Name: TopicDeleted, Doc: "a conversation was deleted (the body carries only its id)"},
		{Name: "customer.created", Doc: "a customer was created (in any inbox)"},
		{Name: "customer.updated", Doc: "a customer was updated"},
		{Name: "customer.deleted", Doc: "a customer was deleted"},
		{Name: "satisfaction.ratings", Doc: "a customer rated a reply"},
		{Name: "beacon.chat.created", Doc: "a Beacon chat started"},
		{Name: "beacon.chat.customer.replied", Reply: true, Doc: "a customer replied in a Beacon chat"},
		{Name: "tag.created", Doc: "a tag was created"},
		{Name: "tag.updated", Doc: "a tag was updated"},
		{Name: "tag.deleted", Doc: "a tag was deleted"},
		{Name: "message.survey.response.received", Doc: "a survey response arrived"},
	},
	Targets:  []string{event.TargetConversation},
	Presence: presence,

	Capabilities: []platform.Capability{
		// POST /v2/conversations/{id}/reply: emails the customer.
		{As: platform.AsComment, Target: event.TargetConversation,
			Fields: []string{FieldCustomer, FieldStatus, FieldDraft}, Requires: []string{FieldCustomer}},
		// POST /v2/conversations/{id}/notes: seen by agents only.
		{As: platform.AsNote, Target: event.TargetConversation, Fields: []string{FieldStatus}},
	},
	Actions: actionRows,
	ReplyFields: []platform.Field{
		{Key: FieldCustomer, Type: platform.FieldText,
			Doc: `id of the customer the reply goes to; Help Scout requires it. Write "{{ contact.id }}"`},
		{Key: FieldStatus, Type: platform.FieldText, Enum: replyStatuses,
			Doc: "conversation status after posting (Help Scout reactivates a conversation on a reply without it)"},
		{Key: FieldDraft, Type: platform.FieldBool,
			Doc: "save the reply as a draft for an agent to review and send, instead of emailing the customer"},
	},
}
