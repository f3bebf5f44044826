// Package platform is the seam between the generic bot and the helpdesks it
// serves. Everything the bot knows about one helpdesk lives in its own
// package, internal/platform/<name>/, behind the Platform interface; a
// Registry lists them. The webhook handler, the rules compiler, the queue,
// delivery, schema generation, lints and explain only ever talk to this
// package, never to a platform by name.
//
// Adding a helpdesk is one new package, one line in internal/platform/all,
// and its documentation (docs/adding-a-platform.md).
package platform

import (
	"net/http"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/replier"
)

// Platform is one helpdesk kind ("intercom", "zendesk", ...). An
// implementation is stateless: per-account state lives in the Replier it
// builds, per-source state in the settings it is handed.
type Platform interface {
	// Spec is the platform's data: its tables, read by the rules loader,
	// the JSON Schema generator, the lints and the docs. It must return
	// the same value on every call.
	Spec() *Spec

	// Verify checks that a delivery was sent by the platform, on the raw
	// bytes, in constant time. A refusal is a *SignatureError (it is
	// answered 401); the reason never quotes the secret or the expected
	// signature. d.Secret is empty only when the source has no secret, which
	// must refuse everything.
	Verify(d *Delivery) error

	// Sign returns the headers a genuine sender would put on body at now,
	// for a source with settings s (nil: the defaults), for `bot send`,
	// the e2e tests and the contract suite.
	Sign(secret, body []byte, now time.Time, s *Settings) http.Header

	// Build fills ev (Source, Kind, ReceivedAt, Payload and Raw are already
	// set; root is the decoded JSON object of the body) from one delivery.
	// A body that cannot be an event is a *BadRequestError (answered 400);
	// Build never panics, whatever the input. Ids going into ev.ID,
	// ev.Topic, ev.Target.ID and ev.Contact.ID are bounded by
	// event.MaxIDBytes (see payload.BoundedID).
	Build(ev *event.Event, root map[string]any, d *Delivery) error

	// LoopGuard says why an event must not trigger ordinary rules: one of
	// the Ignored* reasons, or "" when a rule may see it. self lists the
	// identities of every configured account of this kind.
	LoopGuard(ev *event.Event, self []Identity) string

	// Identity is who the bot posts as on an account, read from its
	// settings: what LoopGuard recognises as the bot's own events.
	Identity(a *Account) Identity

	// BodyFormat is how the platform reads a reply body of kind as,
	// given the boolean reply fields the rule set (WHMCS's markdown: true).
	BodyFormat(as string, flags map[string]bool) Format

	// Prepare completes a rendered request with values that must stay the
	// same on every retry (quick-reply option uuids derived from seed,
	// which is unique to the event and rule). Most platforms do nothing.
	Prepare(req *replier.Request, seed string)

	// Validate checks what the setting and field tables cannot express
	// (one setting requiring another, a reply field valid only with a
	// given target id). Paths are relative to the section checked.
	ValidateSource(s *Settings) []Problem
	ValidateAccount(s *Settings) []Problem
	ValidateReply(r *ReplyView) []Problem

	// NewReplier builds the client of one account. Errors never quote a
	// secret.
	NewReplier(a *Account) (replier.Replier, error)
}

// Challenger is implemented by platforms whose webhook registration sends
// a handshake that must be answered rather than dispatched (Front's
// x-front-challenge). Challenge is called after Verify; when handled is
// true the handler answers 200 with answer (of contentType) and stores
// nothing.
type Challenger interface {
	Challenge(d *Delivery) (answer []byte, contentType string, handled bool)
}

// Spec is a platform's tables.
type Spec struct {
	// Name is the kind written in the rules file, [a-z0-9]+.
	Name string
	// Title is the product name, for messages and docs ("Help Scout").
	Title string
	// DefaultBaseURL is used when an account sets no base_url; empty
	// makes base_url required.
	DefaultBaseURL string

	// SourceSettings are the keys a source of this kind takes beyond the
	// generic ones (kind, secret_env, secret_file, insecure_skip_verify,
	// platform).
	SourceSettings []Setting
	// AccountSettings are the keys a platform (account) of this kind
	// takes beyond the generic ones (kind, base_url, mode,
	// requests_per_minute).
	AccountSettings []Setting

	// Topics are the event names the platform sends (the bot accepts
	// others, the lints warn about them).
	Topics []Topic
	// Targets are the target types this platform's events carry.
	Targets []string
	// EventHeaders are the delivery headers Build reads (an event name or
	// a delivery id the platform sends in a header rather than the body).
	// Parse keeps exactly these with the event (Event.Headers), the store
	// keeps them with the body, and the file-based tools (bot explain,
	// bot send, bot test) let users give them: a stored or recorded
	// delivery then parses to the same event as when it arrived. Headers
	// only Verify reads (signatures, timestamps) are not listed.
	EventHeaders []string
	// Presence says which event fields this platform's events carry, by
	// the names rules use ("ticket.number", "message.author.email"); the
	// lints warn by it about rules reading a field that is never there, or
	// printing one that may be missing. A field not listed is Sometimes.
	Presence map[string]event.Presence

	// Capabilities is the one table of what a rule may post: the rules
	// loader accepts a reply only if a row matches its kind, target type
	// and fields, and the contract suite sends every row to the strict
	// fake. Keep it the truth: a row the replier refuses is a bug.
	Capabilities []Capability
	// Actions are what the platform can do besides posting (tag, assign,
	// priority, status, set), one row per action and target type; nil:
	// none. See actions.go.
	Actions []ActionCapability
	// ReplyFields are the platform-specific keys of a rule's reply:
	// everything beyond as, body, platform, to and attachments.
	ReplyFields []Field
	// Attachments says whether the platform takes uploaded files
	// (reply.attachments) at all; a Capability narrows it per row.
	Attachments bool
}

// Topic is one event name a platform sends.
type Topic struct {
	Name string
	// Doc is a short description for explain and the docs.
	Doc string
	// BotAuthored marks topics that the bot's own replies and notes (and
	// other agents' and bots') come back as: rules on them risk loops.
	BotAuthored bool
	// Ping marks a subscription check: it is answered 200 and never
	// reaches the rules (Intercom's "ping").
	Ping bool
	// Reply marks topics that a message in an ongoing conversation or
	// ticket arrives as (a customer's or an agent's reply): a rule on
	// them without once or cooldown answers again and again.
	Reply bool
}

// Capability is one row of what a platform posts.
type Capability struct {
	As     string // reply kind: comment, note, or a platform's own
	Target string // event.TargetConversation or event.TargetTicket
	// Fields are the ReplyFields this row takes.
	Fields []string
	// Requires are the ReplyFields this row cannot go without.
	Requires []string
	// NoBody marks kinds that need no body (Intercom's quick_reply).
	NoBody bool
	// Attachments says whether reply.attachments may be used on this row.
	Attachments bool
}

// Reply kinds every platform has.
const (
	AsComment = "comment" // a public reply the customer sees
	AsNote    = "note"    // an internal note only agents see
)

// FieldType is the shape of a reply field in the rules file. Every string
// in a field is a {{ }} template, rendered as text.
type FieldType int

const (
	FieldText     FieldType = iota // one template
	FieldBool                      // true/false, not templated
	FieldTextList                  // a list of templates
	FieldTextMap                   // map of key: template
	FieldObject                    // fixed keys (Field.Keys) of templates
)

// Field is one platform-specific key of a rule's reply.
type Field struct {
	Key  string
	Type FieldType
	Doc  string
	// Keys are a FieldObject's allowed keys.
	Keys []string
	// ExactlyOne requires exactly one of a FieldObject's keys.
	ExactlyOne bool
	// MaxItems bounds a FieldTextList or FieldTextMap (0: no bound).
	MaxItems int
	// Enum restricts a FieldText that is not templated to these values.
	Enum []string
}

// SettingType is the type of a source or account setting.
type SettingType int

const (
	SettingString   SettingType = iota
	SettingBool                 // true/false
	SettingInt                  // a whole number >= 0
	SettingDuration             // "90s", "5m"
	SettingURL                  // an http(s) URL
	// SettingSecret is a secret: Key "token" is written as token_env (the
	// name of an environment variable) or token_file (a path relative to
	// the rules file), never as a value. The generic loader checks that
	// at most one is given, and exactly one when Required.
	SettingSecret
)

// Setting is one platform-specific key of a source or account section.
type Setting struct {
	Key      string
	Type     SettingType
	Required bool
	// Enum restricts a SettingString to these values.
	Enum []string
	// Default is the value (as written in YAML) when the key is absent.
	Default string
	Doc     string
}

// Settings are the validated values of a section's platform keys.
type Settings struct {
	Values map[string]string // as written, defaults filled in
	// Secrets lists the secret keys that were given (token_env or
	// token_file), by Setting.Key.
	Secrets map[string]bool
}

// Get returns a value ("" when absent and without default).
func (s *Settings) Get(key string) string {
	if s == nil {
		return ""
	}
	return s.Values[key]
}

// Has reports whether a value or secret was given for key.
func (s *Settings) Has(key string) bool {
	if s == nil {
		return false
	}
	_, ok := s.Values[key]
	return ok || s.Secrets[key]
}

// Account is one configured platform account, as NewReplier gets it.
type Account struct {
	Name     string // the platform's name in the rules file
	BaseURL  string // validated; DefaultBaseURL when not set
	Settings *Settings
	// Secret reads a SettingSecret by key; it errors when the key was not
	// given or cannot be read. The error never contains the secret.
	Secret func(key string) ([]byte, error)
	// Client defaults to a pooled client; repliers never follow redirects.
	Client  *http.Client
	Timeout time.Duration // per request
	Now     func() time.Time
}

// Identity is who the bot is on one account.
type Identity struct {
	IDs   []string // author ids the bot posts as
	Names []string // author names or email addresses the bot posts as (where the platform may report no id)
}

// Delivery is one webhook request to a source.
type Delivery struct {
	Header   http.Header
	Body     []byte
	Secret   []byte
	Settings *Settings // the source's platform settings
	Now      time.Time
}

// Problem is a validation failure at Path (keys relative to the section
// checked, e.g. {"token"} or {"to", "id"}).
type Problem struct {
	Path    []string
	Message string
}

// ReplyView is a rule's reply as written, for ValidateReply.
type ReplyView struct {
	As       string
	ToType   string // "" when the reply goes to the event's target
	ToID     string // the template as written
	Fields   map[string]bool
	Platform string
	// Keys are the keys written under each map or object field, sorted
	// (they are never templated).
	Keys map[string][]string
	// Literals are the values of those keys written without a {{ }}
	// placeholder, by field and key: what the replier will get whatever
	// the event. A templated value is known only once rendered and is not
	// listed; a check on it belongs in the replier (a dead letter).
	Literals map[string]map[string]string
	// Account are the settings of the account the reply is checked
	// against (ValidateReply is called once per account it may go to).
	Account *Settings
}

// Format is how a platform reads a reply body; interpolated values are
// escaped for it.
type Format int

const (
	FormatText     Format = iota // plain text
	FormatHTML                   // HTML
	FormatMarkdown               // Markdown
)

// Loop-guard reasons (labels of autoresponder_events_ignored_total).
const (
	IgnoredOwnReply  = "own_reply"  // authored by the bot's own account
	IgnoredBotAuthor = "bot_author" // authored by another bot or an automation
	IgnoredOperator  = "operator"   // the platform's own assistant (Intercom's operator)
)

// IgnoredReasons lists every loop-guard reason, for metric labels.
var IgnoredReasons = []string{IgnoredOwnReply, IgnoredBotAuthor, IgnoredOperator}
