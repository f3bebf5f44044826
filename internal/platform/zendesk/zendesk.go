// Package zendesk is the Zendesk Support platform (kind: zendesk): webhook
// signatures, the two webhook shapes (event subscriptions and the trigger
// body our docs recommend), the loop guard, and the ticket-update client
// that posts public comments and private notes.
//
// Facts come from shared/reference/PLATFORMS-NEXT.md §3; where it marks a
// fact unverified, the uncertain part is a setting (see docs/platforms/zendesk.md).
package zendesk

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
)

// Kind is the platform's name in the rules file.
const Kind = "zendesk"

// Source settings.
const (
	// SettingMaxSkew is how far the signature timestamp may be from our
	// clock. Zendesk documents no tolerance; 5 minutes is the common choice.
	SettingMaxSkew = "max_skew"
	// DefaultMaxSkew is max_skew when the source does not set it.
	DefaultMaxSkew = 5 * time.Minute
	minMaxSkew     = 30 * time.Second
	maxMaxSkew     = time.Hour
)

// Account settings.
const (
	SettingAuth         = "auth"           // "token" or "oauth"
	SettingEmail        = "email"          // the API token's user, for auth: token
	SettingToken        = "token"          // secret: the API token
	SettingOAuthToken   = "oauth_token"    // secret: an OAuth access token
	SettingAgentID      = "agent_id"       // the bot's agent (user) id
	SettingTokenUserID  = "token_user_id"  // the user id the token authenticates as
	SettingSendAuthorID = "send_author_id" // send comment.author_id = agent_id

	AuthToken = "token"
	AuthOAuth = "oauth"
)

// FieldHTML is the reply field that sends the body as comment.html_body.
const FieldHTML = "html"

// Topics: event-subscription types, and the trigger topics of the
// recommended trigger body (its "event" key, written by the admin).
const (
	TopicTicketCreated    = "zen:event-type:ticket.created"
	TopicCommentAdded     = "zen:event-type:ticket.comment_added"
	TopicMessagingMessage = "zen:event-type:messaging_ticket.message_added"
	TopicTriggerCreated   = "ticket.created"
	TopicTriggerUpdated   = "ticket.updated"
	eventTypePrefix       = "zen:event-type:"
	ticketEventPrefix     = eventTypePrefix + "ticket."
	messagingTicketPrefix = eventTypePrefix + "messaging_ticket."
	ticketSubjectPrefix   = "zen:ticket:"
	authorTypeEndUser     = "end_user"
	authorTypeAgent       = "agent"
	authorTypeTrigger     = "trigger"
	authorTypeSystem      = "system"
)

// Platform is Zendesk Support. It is stateless.
type Platform struct{}

var _ platform.Platform = Platform{}

// New returns the Zendesk platform, for the registry.
func New() platform.Platform { return Platform{} }

var spec = platform.Spec{
	Name:  Kind,
	Title: "Zendesk",
	// No DefaultBaseURL: every account has its own subdomain, so base_url
	// (https://{subdomain}.zendesk.com) is required.
	SourceSettings: []platform.Setting{
		{Key: SettingMaxSkew, Type: platform.SettingDuration, Default: DefaultMaxSkew.String(),
			Doc: "how far X-Zendesk-Webhook-Signature-Timestamp may be from the bot's clock (30s to 1h); older or newer deliveries are refused as replays"},
	},
	AccountSettings: []platform.Setting{
		{Key: SettingAuth, Type: platform.SettingString, Enum: []string{AuthToken, AuthOAuth}, Default: AuthToken,
			Doc: "token: HTTP Basic with {email}/token and the API token; oauth: an OAuth access token sent as a Bearer token"},
		{Key: SettingEmail, Type: platform.SettingString,
			Doc: "the email address of the agent the API token belongs to (auth: token)"},
		{Key: SettingToken, Type: platform.SettingSecret,
			Doc: "the Zendesk API token (auth: token), from Admin Center > Apps and integrations > Zendesk API"},
		{Key: SettingOAuthToken, Type: platform.SettingSecret,
			Doc: "an OAuth access token with write access to tickets (auth: oauth)"},
		{Key: SettingAgentID, Type: platform.SettingString, Required: true,
			Doc: "the user id of the bot's agent, best the user the token belongs to: its comments and updates are the bot's own (loop guard), and replies are attributed to it"},
		{Key: SettingTokenUserID, Type: platform.SettingString,
			Doc: "the user id the token authenticates as (required with auth: oauth; the same as agent_id when the token is the bot agent's): Zendesk reports that user as the updater of the bot's own replies, and the loop guard ignores its updates"},
		{Key: SettingSendAuthorID, Type: platform.SettingBool, Default: "true",
			Doc: "send comment.author_id = agent_id; the ticket update is still the token's user's (email, or token_user_id), whose updates the loop guard ignores"},
	},
	Topics: []platform.Topic{
		{Name: TopicTicketCreated, Doc: "event subscription: a ticket was created; message is its description"},
		{Name: TopicCommentAdded, Reply: true, BotAuthored: true,
			Doc: "event subscription: a comment (public reply or internal note) was added, by the requester, an agent or the bot"},
		{Name: TopicMessagingMessage, Reply: true, BotAuthored: true,
			Doc: "event subscription: a message was added to a messaging ticket, by the end user, an agent, a trigger or the system"},
		{Name: TopicTriggerCreated, Doc: `trigger webhook ("Ticket is Created"), with the recommended body and "event": "ticket.created"`},
		{Name: TopicTriggerUpdated, Reply: true, BotAuthored: true,
			Doc: `trigger webhook ("Ticket is Updated"), with the recommended body and "event": "ticket.updated"; the bot's own replies update tickets too`},
	},
	Targets:  []string{event.TargetTicket},
	Presence: presence,
	Capabilities: []platform.Capability{
		{As: platform.AsComment, Target: event.TargetTicket, Fields: []string{FieldHTML}},
		{As: platform.AsNote, Target: event.TargetTicket, Fields: []string{FieldHTML}},
	},
	Actions: actions,
	ReplyFields: []platform.Field{
		{Key: FieldHTML, Type: platform.FieldBool,
			Doc: "send the body as HTML (comment.html_body) rather than plain text (comment.body); interpolated values are then HTML-escaped"},
	},
}

// Spec implements platform.Platform.
func (Platform) Spec() *platform.Spec { return &spec }

// Identity implements platform.Platform. The bot is two users, often one:
// the agent its comments are attributed to (agent_id), and the user its
// token authenticates as, who makes the ticket update and whom Zendesk
// reports as the updater (detail.actor_id, {{current_user.*}} in a
// trigger). That user is known by id (token_user_id) and, with an API
// token, by the account's email, lower-cased in Names: a trigger body
// names the current user's email whoever agent_id is.
func (Platform) Identity(a *platform.Account) platform.Identity {
	var id platform.Identity
	if a == nil {
		return id
	}
	for _, key := range []string{SettingAgentID, SettingTokenUserID} {
		if v := strings.TrimSpace(a.Settings.Get(key)); v != "" && !slices.Contains(id.IDs, v) {
			id.IDs = append(id.IDs, v)
		}
	}
	if authMode(a.Settings) == AuthToken {
		if email := strings.TrimSpace(a.Settings.Get(SettingEmail)); email != "" {
			id.Names = []string{strings.ToLower(email)}
		}
	}
	return id
}

// BodyFormat implements platform.Platform: comment.body is plain text,
// comment.html_body HTML.
func (Platform) BodyFormat(_ string, flags map[string]bool) platform.Format {
	if flags[FieldHTML] {
		return platform.FormatHTML
	}
	return platform.FormatText
}

// Prepare implements platform.Platform: a Zendesk request needs nothing
// fixed across retries.
func (Platform) Prepare(*replier.Request, string) {}

// ValidateSource implements platform.Platform.
func (Platform) ValidateSource(s *platform.Settings) []platform.Problem {
	raw := s.Get(SettingMaxSkew)
	if raw == "" {
		return nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return []platform.Problem{{Path: []string{SettingMaxSkew}, Message: fmt.Sprintf("%q is not a duration (e.g. 5m)", raw)}}
	}
	if d < minMaxSkew || d > maxMaxSkew {
		return []platform.Problem{{Path: []string{SettingMaxSkew}, Message: fmt.Sprintf("%v is outside %v to %v: shorter refuses genuine deliveries on any clock drift, longer lets replays through", d, minMaxSkew, maxMaxSkew)}}
	}
	return nil
}

// ValidateAccount implements platform.Platform: the auth mode decides
// which credentials are needed, and the ids must be Zendesk's numbers.
func (Platform) ValidateAccount(s *platform.Settings) []platform.Problem {
	var ps []platform.Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, platform.Problem{Path: []string{key}, Message: fmt.Sprintf(format, args...)})
	}
	switch auth := authMode(s); auth {
	case AuthToken:
		if !s.Has(SettingToken) {
			add(SettingToken, "auth: token needs token_env or token_file (the API token)")
		}
		if email := s.Get(SettingEmail); email == "" {
			add(SettingEmail, "auth: token needs the email of the token's agent")
		} else if err := checkEmail(email); err != nil {
			add(SettingEmail, "%v", err)
		}
		if s.Has(SettingOAuthToken) {
			add(SettingOAuthToken, "is only used with auth: oauth")
		}
	case AuthOAuth:
		if !s.Has(SettingOAuthToken) {
			add(SettingOAuthToken, "auth: oauth needs oauth_token_env or oauth_token_file")
		}
		// An OAuth token has no email to know its user by in a trigger
		// body: without its id the bot's own updates would come back
		// unrecognised.
		if !s.Has(SettingTokenUserID) {
			add(SettingTokenUserID, "auth: oauth needs the user id the OAuth token was issued to (agent_id when it is the bot agent's): the bot's own updates come back as that user's")
		}
		if s.Has(SettingToken) {
			add(SettingToken, "is only used with auth: token")
		}
		if s.Has(SettingEmail) {
			add(SettingEmail, "is only used with auth: token; token_user_id names the OAuth token's user")
		}
	default:
		add(SettingAuth, "%q is not token or oauth", auth)
	}
	if id := s.Get(SettingAgentID); !isDigits(id) {
		add(SettingAgentID, "%q is not a Zendesk user id (a number)", id)
	}
	if id := s.Get(SettingTokenUserID); s.Has(SettingTokenUserID) && !isDigits(id) {
		add(SettingTokenUserID, "%q is not a Zendesk user id (a number)", id)
	}
	return ps
}

// ValidateReply implements platform.Platform: the tables say everything.
func (Platform) ValidateReply(*platform.ReplyView) []platform.Problem { return nil }

func authMode(s *platform.Settings) string {
	if a := s.Get(SettingAuth); a != "" {
		return a
	}
	return AuthToken
}

// checkEmail refuses what would break the Basic credentials
// "{email}/token:{token}": a colon ends the user part.
func checkEmail(email string) error {
	switch {
	case !strings.Contains(email, "@"):
		return fmt.Errorf("%q is not an email address", email)
	case strings.ContainsAny(email, ":/"):
		return fmt.Errorf("%q contains ':' or '/', which HTTP Basic credentials cannot carry", email)
	case strings.ContainsFunc(email, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return fmt.Errorf("%q contains whitespace or control characters", email)
	}
	return nil
}

// isDigits reports whether s is a non-empty run of ASCII digits: every
// Zendesk ticket and user id.
func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
