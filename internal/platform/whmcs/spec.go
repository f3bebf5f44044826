package whmcs

import (
	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// The APIs replies are posted through (the account setting api).
const (
	// APIKeliweb is a reseller front-end's API (Keliweb's v2 style):
	// {base}/add-ticket-reply and {base}/add-ticket-note with a Bearer
	// token. The default, as it was the only one before.
	APIKeliweb = "keliweb"
	// APIStock is WHMCS's own External API: {base}/includes/api.php.
	APIStock = "whmcs"
)

// Reply fields (keys of a rule's reply).
const (
	FieldMarkdown     = "markdown"
	FieldFrom         = "from"
	FieldCustomFields = "custom_fields"
	FieldStatus       = "status"
	FieldNoEmail      = "no_email"
)

// fromKeys are the keys of a reply's from object.
var fromKeys = []string{"client_id", "contact_id", "name", "email", "admin_username"}

// Account settings.
const (
	settingToken     = "token"
	settingAdminName = "admin_name"
	settingAdminID   = "admin_id"
	// api: whmcs (see stock.go for what the client reads).
	settingIdentifier = stockSettingIdentifier
	settingSecret     = stockSettingSecret
	settingAccessKey  = stockSettingAccessKey
	settingAdminUser  = stockSettingAdminUsername
	settingAPI        = "api"
)

func newSpec() *platform.Spec {
	ticket := event.TargetTicket
	return &platform.Spec{
		Name:  Kind,
		Title: "WHMCS",
		AccountSettings: []platform.Setting{
			{Key: settingAPI, Type: platform.SettingString, Enum: []string{APIKeliweb, APIStock}, Default: APIKeliweb,
				Doc: "the API replies are posted through: keliweb (a reseller front-end, /add-ticket-reply with a Bearer token) or whmcs (WHMCS's own External API)"},
			{Key: settingToken, Type: platform.SettingSecret, Doc: "the API token, sent as a Bearer token (api: keliweb)"},
			{Key: settingIdentifier, Type: platform.SettingSecret, Doc: "the API credential's identifier (api: whmcs; System Settings > API Credentials)"},
			{Key: settingSecret, Type: platform.SettingSecret, Doc: "the API credential's secret (api: whmcs)"},
			{Key: settingAccessKey, Type: platform.SettingSecret, Doc: "$api_access_key of configuration.php, when the API's IP allow-list does not list the bot (api: whmcs)"},
			{Key: settingAdminUser, Type: platform.SettingString, Doc: "the admin a comment is posted as when the rule names no sender (api: whmcs)"},
			{Key: settingAdminID, Type: platform.SettingString, Doc: "the bot's WHMCS admin id: notes it wrote never match"},
			{Key: settingAdminName, Type: platform.SettingString, Doc: "the bot's admin name as WHMCS reports it in TicketAdminReply: replies it wrote never match"},
		},
		Topics:   topics,
		Targets:  []string{ticket},
		Presence: presence,
		Capabilities: []platform.Capability{
			{As: platform.AsComment, Target: ticket, Attachments: true,
				Fields: []string{FieldMarkdown, FieldFrom, FieldCustomFields, FieldStatus, FieldNoEmail}},
			// AddTicketNote takes the ticket, the message, markdown and
			// attachments only.
			{As: platform.AsNote, Target: ticket, Attachments: true, Fields: []string{FieldMarkdown}},
		},
		ReplyFields: []platform.Field{
			{Key: FieldMarkdown, Type: platform.FieldBool, Doc: "the message is Markdown"},
			{Key: FieldFrom, Type: platform.FieldObject, Keys: fromKeys,
				Doc: "attributes the reply to a client, a contact or a named person"},
			{Key: FieldCustomFields, Type: platform.FieldTextMap, Doc: "ticket custom fields set with the reply (id: value)"},
			{Key: FieldStatus, Type: platform.FieldText, Doc: "sets the ticket status with the reply"},
			{Key: FieldNoEmail, Type: platform.FieldBool, Doc: "do not email the client"},
		},
		Attachments: true,
		Actions:     stockActions(),
	}
}

// topics are the ticket hook points integrations/whmcs sends.
var topics = []platform.Topic{
	{Name: HookTicketOpen, Doc: "a client opened a ticket"},
	{Name: HookTicketOpenAdmin, Doc: "an admin opened a ticket"},
	{Name: HookTicketUserReply, Reply: true, Doc: "a client replied"},
	{Name: HookTicketAdminReply, BotAuthored: true, Doc: "an admin (or the bot) replied"},
	{Name: HookTicketAddNote, BotAuthored: true, Doc: "an admin (or the bot) added a note"},
	{Name: HookTicketStatusChange, Doc: "a ticket's status changed"},
	{Name: HookTicketClose, Doc: "a ticket was closed"},
	{Name: HookTicketPriorityChange, Doc: "a ticket's priority changed"},
	{Name: HookTicketDepartmentChange, Doc: "a ticket moved to another department"},
}

// presence is what WHMCS events carry, by the names rules use.
var presence = map[string]event.Presence{
	"source": event.Always, "kind": event.Always, "topic": event.Always, "id": event.Always,
	"occurred_at": event.Always, "received_at": event.Always,
	"target": event.Always, "target.type": event.Always, "target.id": event.Always,
	// message: hook points with a message (vars.message) only; replyid
	// is not sent on TicketOpen.
	"message": event.Sometimes, "message.id": event.Sometimes, "message.html": event.Always, "message.text": event.Always,
	"message.author": event.Always, "message.author.type": event.Sometimes, "message.author.id": event.Sometimes,
	"message.author.name": event.Sometimes, "message.author.email": event.Never,
	// contact: none for guests and on admin hook points; only the id.
	"contact": event.Sometimes, "contact.id": event.Always, "contact.external_id": event.Never,
	"contact.email": event.Never, "contact.name": event.Never,
	// ticket: each hook point sends its own subset of the ticket's
	// variables (ticketmask, subject, deptname, priority, status).
	"ticket": event.Always, "ticket.id": event.Always, "ticket.number": event.Sometimes, "ticket.subject": event.Sometimes,
	"ticket.department": event.Sometimes, "ticket.priority": event.Sometimes, "ticket.status": event.Sometimes,
	"ticket.state": event.Never, "ticket.state_label": event.Never, "ticket.type": event.Never, "ticket.attributes": event.Never,
	"tags": event.Never, "item": event.Never, "event": event.Always,
	// language: none in the delivery: detected from the message text; "" when too short to tell.
	"language": event.Sometimes,
}
