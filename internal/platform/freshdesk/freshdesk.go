// Package freshdesk is the Freshdesk platform: automation-rule webhooks in,
// ticket replies and private notes out through the REST API v2.
//
// Freshdesk signs nothing. Its "Trigger Webhook" action can send HTTP Basic
// credentials, so a source proves the sender by the Basic password (or an
// X-Autoresponder-Token header) being the source's secret. The webhook body
// is written by the admin in the automation rule: the bot parses exactly
// the body its docs recommend (RecommendedBody).
package freshdesk

import (
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
)

// Name is the kind written in the rules file.
const Name = "freshdesk"

// Account setting keys.
const (
	SettingAPIKey     = "api_key"     // secret: the bot agent's API key
	SettingAgentID    = "agent_id"    // the bot agent's user id
	SettingAgentEmail = "agent_email" // the bot agent's email address
)

// Topics: what {{triggered_event}} renders as, braces removed (see topicOf).
const (
	TopicTicketCreated = "ticket_action:created"
	TopicPublicNote    = "note_type:public"
	TopicPrivateNote   = "note_type:private"
	TopicStatus        = "status"
	TopicPriority      = "priority"
)

// Platform is Freshdesk. It is stateless.
type Platform struct{}

var _ platform.Platform = Platform{}

// New returns the Freshdesk platform, for the registry.
func New() platform.Platform { return Platform{} }

// spec is built once: Spec must return the same value on every call.
var spec = &platform.Spec{
	Name:  Name,
	Title: "Freshdesk",
	// Every account has its own domain (https://yourco.freshdesk.com).
	DefaultBaseURL: "",
	AccountSettings: []platform.Setting{
		{Key: SettingAPIKey, Type: platform.SettingSecret, Required: true,
			Doc: "API key of the agent the bot replies as (Profile settings > View API key); sent as the Basic user name with password X"},
		{Key: SettingAgentID, Type: platform.SettingString,
			Doc: "the bot agent's user id: events whose user_id is this id are the bot's own"},
		{Key: SettingAgentEmail, Type: platform.SettingString,
			Doc: "the bot agent's email address: events whose user_email is this address are the bot's own"},
	},
	Topics: []platform.Topic{
		{Name: TopicTicketCreated, Doc: "a ticket was created (rule that runs on ticket creation)"},
		{Name: TopicPublicNote, Doc: "an agent (or the bot) added a public note", Reply: true, BotAuthored: true},
		{Name: TopicPrivateNote, Doc: "an agent (or the bot) added a private note", BotAuthored: true},
		{Name: TopicStatus, Doc: "the ticket's status changed"},
		{Name: TopicPriority, Doc: "the ticket's priority changed"},
	},
	Targets:  []string{event.TargetTicket},
	Presence: presence,
	Capabilities: []platform.Capability{
		{As: platform.AsComment, Target: event.TargetTicket},
		{As: platform.AsNote, Target: event.TargetTicket},
	},
	Actions: actions,
}

// Spec returns the platform's tables.
func (Platform) Spec() *platform.Spec { return spec }

// Identity is the bot agent: its user id and its email address.
func (Platform) Identity(a *platform.Account) platform.Identity {
	var id platform.Identity
	if a == nil {
		return id
	}
	if v := a.Settings.Get(SettingAgentID); v != "" {
		id.IDs = []string{v}
	}
	if v := a.Settings.Get(SettingAgentEmail); v != "" {
		id.Names = []string{v}
	}
	return id
}

// BodyFormat: reply and note bodies are HTML.
func (Platform) BodyFormat(string, map[string]bool) platform.Format { return platform.FormatHTML }

// Prepare does nothing: a Freshdesk request has no value to fix for retries.
func (Platform) Prepare(*replier.Request, string) {}

// ValidateSource has nothing to check: a source takes only the generic keys.
func (Platform) ValidateSource(*platform.Settings) []platform.Problem { return nil }

// ValidateAccount checks the shape of the bot's identity.
func (Platform) ValidateAccount(s *platform.Settings) []platform.Problem {
	var ps []platform.Problem
	if v := s.Get(SettingAgentID); v != "" && !isTicketID(v) {
		ps = append(ps, platform.Problem{Path: []string{SettingAgentID}, Message: "must be the agent's numeric user id"})
	}
	if v := s.Get(SettingAgentEmail); v != "" && !strings.Contains(v, "@") {
		ps = append(ps, platform.Problem{Path: []string{SettingAgentEmail}, Message: "must be an email address"})
	}
	return ps
}

// ValidateReply refuses a literal target id that is not a ticket number;
// templated ids are checked when the request is sent.
func (Platform) ValidateReply(r *platform.ReplyView) []platform.Problem {
	if r == nil || r.ToID == "" || strings.Contains(r.ToID, "{{") {
		return nil
	}
	if !isTicketID(r.ToID) {
		return []platform.Problem{{Path: []string{"to", "id"}, Message: "a Freshdesk ticket id is a number"}}
	}
	return nil
}

// maxTicketIDDigits bounds a ticket id: Freshdesk ids are 64-bit integers.
const maxTicketIDDigits = 20

// isTicketID reports whether s is a Freshdesk id: 1 to 20 decimal digits.
func isTicketID(s string) bool {
	if s == "" || len(s) > maxTicketIDDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
