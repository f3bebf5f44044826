package intercom

import (
	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// Reply kinds Intercom has beyond comment and note.
const (
	AsQuickReply   = "quick_reply"   // a comment with reply buttons
	AsContactReply = "contact_reply" // a reply on behalf of the contact
)

// Reply fields (keys of a rule's reply).
const (
	FieldOptions           = "options"
	FieldAttachmentURLs    = "attachment_urls"
	FieldSkipNotifications = "skip_notifications"
	FieldCrossPost         = "cross_post"
	FieldContact           = "contact"
	// FieldOptionUUIDs is no key of the rules file: Prepare fills it with
	// the options' uuids, stored with the job so that every retry sends
	// the same buttons.
	FieldOptionUUIDs = "option_uuids"
)

// Account settings.
const (
	settingToken      = "token"
	settingAPIVersion = "api_version"
	settingAdminID    = "admin_id"
)

// Topics the platform code treats specially.
const (
	TopicPing            = "ping"
	TopicOperatorReplied = "conversation.operator.replied"
	TopicTicketCreated   = "ticket.created"
)

// maxAttachments is Intercom's limit on attachment_urls and on
// attachment_files.
const maxAttachments = 10

func newSpec() *platform.Spec {
	conv, ticket := event.TargetConversation, event.TargetTicket
	both := []string{conv, ticket}
	common := []string{FieldAttachmentURLs, FieldSkipNotifications}
	withOptions := []string{FieldOptions, FieldAttachmentURLs, FieldSkipNotifications}
	caps := []platform.Capability{
		{As: platform.AsComment, Target: conv, Attachments: true, Fields: common},
		{As: platform.AsComment, Target: ticket, Attachments: true, Fields: common},
		{As: platform.AsNote, Target: conv, Attachments: true, Fields: common},
		// cross_post posts a ticket note to the ticket's linked
		// conversations too: Intercom takes it on ticket notes only.
		{As: platform.AsNote, Target: ticket, Attachments: true, Fields: append(common[:len(common):len(common)], FieldCrossPost)},
		{As: AsQuickReply, Target: conv, Attachments: true, NoBody: true, Fields: withOptions, Requires: []string{FieldOptions}},
		{As: AsQuickReply, Target: ticket, Attachments: true, NoBody: true, Fields: withOptions, Requires: []string{FieldOptions}},
		// The conversation schema takes no skip_notifications for contacts,
		// and the ticket schema no attachment files.
		{As: AsContactReply, Target: conv, Attachments: true,
			Fields: []string{FieldContact, FieldAttachmentURLs}, Requires: []string{FieldContact}},
		{As: AsContactReply, Target: ticket,
			Fields: []string{FieldContact, FieldAttachmentURLs, FieldSkipNotifications}, Requires: []string{FieldContact}},
	}
	return &platform.Spec{
		Name:  Kind,
		Title: "Intercom",
		AccountSettings: []platform.Setting{
			{Key: settingToken, Type: platform.SettingSecret, Required: true, Doc: "access token of the Intercom app, sent as a Bearer token"},
			{Key: settingAPIVersion, Type: platform.SettingString, Doc: "sent as Intercom-Version; empty leaves the app's own version in force"},
			{Key: settingAdminID, Type: platform.SettingString, Required: true, Doc: "the bot's own admin: replies are posted as it, and events it authored never match"},
		},
		Topics:       topics,
		Targets:      both,
		Presence:     presence,
		Capabilities: caps,
		Actions:      actionRows(),
		ReplyFields: []platform.Field{
			{Key: FieldOptions, Type: platform.FieldTextList, Doc: "quick-reply button labels (quick_reply)"},
			{Key: FieldAttachmentURLs, Type: platform.FieldTextList, MaxItems: maxAttachments, Doc: "image URLs attached to the reply (max 10)"},
			{Key: FieldSkipNotifications, Type: platform.FieldBool, Doc: "post without notifying the contact"},
			{Key: FieldCrossPost, Type: platform.FieldBool, Doc: "post a ticket note to the ticket's linked conversations too"},
			{Key: FieldContact, Type: platform.FieldObject, Keys: []string{"intercom_user_id", "user_id", "email"}, ExactlyOne: true,
				Doc: "who a contact_reply is written as: exactly one of intercom_user_id, user_id, email"},
		},
		Attachments: true,
	}
}

// topics lists the Intercom topics a support bot subscribes to. The intake
// accepts any topic; the list is for lints, the schema and explain.
var topics = []platform.Topic{
	{Name: TopicPing, Ping: true, Doc: "subscription check, answered and never given to rules"},
	{Name: "conversation.user.created", Doc: "a customer started a conversation"},
	{Name: "conversation.user.replied", Reply: true, Doc: "a customer replied in a conversation"},
	{Name: "conversation.admin.replied", Reply: true, BotAuthored: true, Doc: "a teammate (or the bot) replied"},
	{Name: "conversation.admin.noted", BotAuthored: true, Doc: "a teammate (or the bot) added a note"},
	{Name: "conversation.admin.assigned", Doc: "a conversation was assigned"},
	{Name: "conversation.admin.closed", Doc: "a conversation was closed"},
	{Name: "conversation.admin.opened", Doc: "a conversation was reopened"},
	{Name: "conversation.admin.snoozed", Doc: "a conversation was snoozed"},
	{Name: "conversation.admin.unsnoozed", Doc: "a conversation was unsnoozed"},
	{Name: TopicOperatorReplied, Reply: true, BotAuthored: true, Doc: "Fin or the operator replied"},
	{Name: "conversation.priority.updated", Doc: "a conversation's priority changed"},
	{Name: "conversation.rating.added", Doc: "a customer rated a conversation"},
	{Name: "conversation_part.tag.created", Doc: "a tag was added to a conversation part"},
	{Name: TopicTicketCreated, Doc: "a ticket was created"},
	{Name: "ticket.contact.replied", Reply: true, Doc: "a customer replied on a ticket"},
	{Name: "ticket.admin.replied", Reply: true, BotAuthored: true, Doc: "a teammate (or the bot) replied on a ticket"},
	{Name: "ticket.note.created", BotAuthored: true, Doc: "a note was added to a ticket"},
	{Name: "ticket.state.updated", Doc: "a ticket's state changed"},
	{Name: "ticket.admin.assigned", Doc: "a ticket was assigned to a teammate"},
	{Name: "ticket.team.assigned", Doc: "a ticket was assigned to a team"},
	{Name: "ticket.attribute.updated", Doc: "a ticket attribute changed"},
	{Name: "ticket.closed", Doc: "a ticket was closed"},
	{Name: "ticket.rating.provided", Doc: "a customer rated a ticket"},
}

// presence is what Intercom events carry, by the names rules use.
var presence = map[string]event.Presence{
	"source": event.Always, "kind": event.Always, "topic": event.Always, "id": event.Always,
	"occurred_at": event.Always, "received_at": event.Always,
	"target": event.Always, "target.type": event.Always, "target.id": event.Always,
	// message: the conversation's first message or newest part, or a
	// ticket's part; absent on topics without one.
	"message": event.Sometimes, "message.id": event.Always, "message.html": event.Always, "message.text": event.Always,
	"message.author": event.Always, "message.author.type": event.Always, "message.author.id": event.Sometimes,
	"message.author.name": event.Sometimes, "message.author.email": event.Sometimes,
	// contact: leads often have no name or email.
	"contact": event.Sometimes, "contact.id": event.Always, "contact.external_id": event.Sometimes,
	"contact.email": event.Sometimes, "contact.name": event.Sometimes,
	// ticket: ticket topics only; the title is an optional attribute.
	"ticket": event.Sometimes, "ticket.id": event.Always, "ticket.number": event.Always, "ticket.subject": event.Sometimes,
	"ticket.state": event.Sometimes, "ticket.state_label": event.Sometimes, "ticket.type": event.Sometimes,
	"ticket.attributes": event.Sometimes,
	"ticket.department": event.Never, "ticket.priority": event.Never, "ticket.status": event.Never,
	"tags": event.Sometimes, "item": event.Always, "event": event.Always,
	// language: a contact's language_override or browser_language (contact topics), else detected from the message; "" when too short to tell.
	"language": event.Sometimes,
}
