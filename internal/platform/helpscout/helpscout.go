// Package helpscout is the Help Scout platform (kind "helpscout"): webhooks
// signed with base64 HMAC-SHA1 of the body (X-HelpScout-Signature), the
// event name in X-HelpScout-Event and the v2 Conversation object as body;
// replies and notes through the Inbox (Mailbox) API 2.0 with an OAuth2
// client-credentials token that the replier caches and refreshes.
package helpscout

import (
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
)

// Kind is the platform's name in the rules file.
const Kind = "helpscout"

// DefaultBaseURL is Help Scout's API host; the API lives under /v2 and the
// token endpoint at /v2/oauth2/token, both derived from the base URL.
const DefaultBaseURL = "https://api.helpscout.net"

// Account settings.
const (
	SettingAppID     = "app_id"     // OAuth client_id ("App ID" under My Apps)
	SettingAppSecret = "app_secret" // OAuth client_secret ("App Secret")
	SettingUserID    = "user_id"    // the Help Scout user the app acts as
)

// Reply fields.
const (
	FieldCustomer = "customer" // the customer a reply goes to (required by the API)
	FieldStatus   = "status"   // conversation status after the thread is added
	FieldDraft    = "draft"    // create the reply as a draft for an agent to send
)

// Event names (X-HelpScout-Event) the bot treats specially.
const (
	TopicTest          = "helpscout.test"
	TopicCreated       = "convo.created"
	TopicCustomerReply = "convo.customer.reply.created"
	TopicAgentReply    = "convo.agent.reply.created"
	TopicNote          = "convo.note.created"
	TopicDeleted       = "convo.deleted"
)

// Help Scout's words for who wrote a thread (Person.type).
const (
	AuthorUser     = "user"     // an agent, or the bot's own app user
	AuthorCustomer = "customer" // the customer
)

// Platform is Help Scout. It is stateless; see NewReplier for the client.
type Platform struct{}

var _ platform.Platform = Platform{}

// New returns the Help Scout platform, for the registry.
func New() platform.Platform { return Platform{} }

func (Platform) Spec() *platform.Spec { return &spec }

// BodyFormat: Help Scout stores and shows thread text as HTML, so
// interpolated values are escaped.
func (Platform) BodyFormat(string, map[string]bool) platform.Format { return platform.FormatHTML }

// Prepare does nothing: a Help Scout request needs no values fixed across
// retries.
func (Platform) Prepare(*replier.Request, string) {}

// Identity is the Help Scout user the app's credentials belong to: threads
// it creates come back with createdBy {type: user, id: user_id}.
func (Platform) Identity(a *platform.Account) platform.Identity {
	if a == nil {
		return platform.Identity{}
	}
	id := strings.TrimSpace(a.Settings.Get(SettingUserID))
	if id == "" {
		return platform.Identity{}
	}
	return platform.Identity{IDs: []string{id}}
}

// ValidateSource has nothing to check: a source takes no Help Scout keys
// beyond the generic secret.
func (Platform) ValidateSource(*platform.Settings) []platform.Problem { return nil }

// ValidateAccount checks the user id (a Help Scout id is a positive whole
// number; a wrong one would let the bot's own replies through the loop
// guard) and that the App ID can go into a form unchanged.
func (Platform) ValidateAccount(s *platform.Settings) []platform.Problem {
	var ps []platform.Problem
	if v := s.Get(SettingUserID); v != "" && !isPositiveInt(v) {
		ps = append(ps, platform.Problem{Path: []string{SettingUserID},
			Message: "must be the Help Scout user id (a positive whole number) the app's credentials belong to"})
	}
	if v := s.Get(SettingAppID); v != "" && strings.ContainsFunc(v, isSpaceOrControl) {
		ps = append(ps, platform.Problem{Path: []string{SettingAppID}, Message: "contains whitespace or control characters"})
	}
	return ps
}

// ValidateReply refuses a literal target id that cannot be a Help Scout
// conversation id (templates are checked when they render).
func (Platform) ValidateReply(r *platform.ReplyView) []platform.Problem {
	if r.ToID != "" && !strings.Contains(r.ToID, "{{") && !isPositiveInt(r.ToID) {
		return []platform.Problem{{Path: []string{"to", "id"},
			Message: "a Help Scout conversation id is a positive whole number (the id, not the number shown in the inbox)"}}
	}
	return nil
}

// isPositiveInt reports whether s is a whole number > 0 without sign or
// leading zeros that fits an int64: the shape of every Help Scout id.
func isPositiveInt(s string) bool {
	if s == "" || len(s) > 18 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// targetType is the one target Help Scout events carry and replies go to.
const targetType = event.TargetConversation
