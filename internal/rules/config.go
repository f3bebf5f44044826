package rules

import (
	"time"
)

// Config is the rules file as written. Load validates it; Compile turns it
// into a Ruleset. Field comments are the reference documentation (the JSON
// Schema is generated from them).
type Config struct {
	// Settings tunes delivery, deduplication and budgets.
	Settings Settings `yaml:"settings" json:"settings,omitempty"`
	// Sources are the webhook endpoints: POST /webhooks/<name>.
	Sources map[string]*SourceConfig `yaml:"sources" json:"sources"`
	// Platforms are the accounts replies are posted to.
	Platforms map[string]*PlatformConfig `yaml:"platforms" json:"platforms"`
	// Calendars are business-hours calendars for in_hours() and outside_hours().
	Calendars map[string]*CalendarConfig `yaml:"calendars" json:"calendars,omitempty"`
	// Notifiers are where notify actions send: Slack incoming webhooks and signed JSON webhooks.
	Notifiers map[string]*NotifierConfig `yaml:"notifiers" json:"notifiers,omitempty"`
	// Snippets are named template pieces, used in any template as {{ snippet("name") }}.
	Snippets map[string]string `yaml:"snippets" json:"snippets,omitempty"`
	// Rules are evaluated in file order for every event.
	Rules []*RuleConfig `yaml:"rules" json:"rules"`
}

// Settings holds the knobs that are not per rule. Every field is optional.
type Settings struct {
	// DedupWindow is how long an event id is remembered (default 168h).
	DedupWindow Duration `yaml:"dedup_window" json:"dedup_window,omitempty"`
	// HistoryRetention is how long delivery history and dead letters are kept (default 720h).
	HistoryRetention Duration `yaml:"history_retention" json:"history_retention,omitempty"`
	// TargetMaxPerHour caps bot messages per conversation or ticket per hour, across rules (default 3).
	TargetMaxPerHour *int `yaml:"target_max_per_hour" json:"target_max_per_hour,omitempty"`
	// RuleMaxPerHour is the default max_per_hour of every rule (default 500).
	RuleMaxPerHour *int `yaml:"rule_max_per_hour" json:"rule_max_per_hour,omitempty"`
	// PauseAfter pauses a rule that was over its max_per_hour this many times within an hour (default 20; 0 disables).
	PauseAfter *int `yaml:"pause_after" json:"pause_after,omitempty"`
	// PauseFor is how long a paused rule stays paused (default 1h).
	PauseFor Duration `yaml:"pause_for" json:"pause_for,omitempty"`
	// Delivery tunes retries and timeouts of platform calls.
	Delivery DeliverySettings `yaml:"delivery" json:"delivery,omitempty"`
}

// DeliverySettings tunes how jobs are retried.
type DeliverySettings struct {
	// MaxAttempts bounds tries per reply, the first included (default 12).
	MaxAttempts int `yaml:"max_attempts" json:"max_attempts,omitempty"`
	// MaxAge dead-letters a reply still failing this long after the event arrived (default 24h).
	MaxAge Duration `yaml:"max_age" json:"max_age,omitempty"`
	// BackoffInitial is the first retry delay; later delays double, with jitter (default 2s).
	BackoffInitial Duration `yaml:"backoff_initial" json:"backoff_initial,omitempty"`
	// BackoffMax caps the retry delay (default 10m).
	BackoffMax Duration `yaml:"backoff_max" json:"backoff_max,omitempty"`
	// Timeout bounds one HTTP call to a platform (default 10s).
	Timeout Duration `yaml:"timeout" json:"timeout,omitempty"`
	// MaxRateLimitWait caps one wait for a platform's rate-limit reset (default 2m).
	MaxRateLimitWait Duration `yaml:"max_rate_limit_wait" json:"max_rate_limit_wait,omitempty"`
}

// SourceConfig is one webhook endpoint. Keys beyond these are the platform's own (see its Spec).
type SourceConfig struct {
	// Kind is the sending platform: one of the registered platforms.
	Kind string `yaml:"kind" json:"kind"`
	// SecretEnv names the environment variable holding the signing secret.
	SecretEnv string `yaml:"secret_env" json:"secret_env,omitempty"`
	// SecretFile names a file holding the signing secret (relative to the rules file).
	SecretFile string `yaml:"secret_file" json:"secret_file,omitempty"`
	// InsecureSkipVerify accepts unsigned deliveries. Never in production.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify" json:"insecure_skip_verify,omitempty"`
	// Platform is where replies to this source's events go (default: the platform with the source's name).
	Platform string `yaml:"platform" json:"platform,omitempty"`

	// Extra are the platform's own keys, checked against its Spec.
	Extra    Extra        `yaml:"-" json:"-"`
	problems []keyProblem // type errors of the keys above
}

// PlatformConfig is one account replies are posted to. Keys beyond these are the platform's own (see its Spec): tokens as token_env or token_file, never inline.
type PlatformConfig struct {
	// Kind is one of the registered platforms, or log (prints what would be sent).
	Kind string `yaml:"kind" json:"kind"`
	// BaseURL is the API root, e.g. https://api.example.com (required unless the platform has a default).
	BaseURL string `yaml:"base_url" json:"base_url,omitempty"`
	// Mode is live (default) or shadow: shadow renders and logs but sends nothing.
	Mode string `yaml:"mode" json:"mode,omitempty"`
	// RequestsPerMinute is a client-side ceiling before the platform says anything (default: none; headers still apply).
	RequestsPerMinute int `yaml:"requests_per_minute" json:"requests_per_minute,omitempty"`

	// Extra are the platform's own keys, checked against its Spec.
	Extra    Extra        `yaml:"-" json:"-"`
	problems []keyProblem // type errors of the keys above
}

// CalendarConfig is a business-hours calendar.
type CalendarConfig struct {
	// Timezone is an IANA zone name, e.g. Europe/Berlin.
	Timezone string `yaml:"timezone" json:"timezone"`
	// Hours maps days (mon, tue, ..., sun, or ranges like mon-fri) to "HH:MM-HH:MM" (several separated by commas).
	Hours map[string]string `yaml:"hours" json:"hours"`
	// Holidays are dates (YYYY-MM-DD) with no business hours.
	Holidays []string `yaml:"holidays" json:"holidays,omitempty"`
}

// RuleConfig is one rule.
type RuleConfig struct {
	// Name is unique, [a-z0-9-]+; it labels metrics and logs.
	Name string `yaml:"name" json:"name"`
	// Description is free text for people.
	Description string `yaml:"description" json:"description,omitempty"`
	// Source limits the rule to one source (default: every source).
	Source string `yaml:"source" json:"source,omitempty"`
	// When is an expr-lang expression that must be true for the rule to match.
	When string `yaml:"when" json:"when"`
	// Reply is what to post when the rule matches (a rule needs a reply, actions, or both).
	Reply ReplyConfig `yaml:"reply" json:"reply,omitempty"`
	// Actions run after the reply, one after another in the order written; a failed step stops the later ones.
	Actions []ActionConfig `yaml:"actions" json:"actions,omitempty"`
	// After makes the rule timed: when `when` matches, wait this long (at most 30d), then reply and act unless cancelled.
	After Duration `yaml:"after" json:"after,omitempty"`
	// Calendar counts after in this calendar's open hours only.
	Calendar string `yaml:"calendar" json:"calendar,omitempty"`
	// CancelWhen is an expression: a later event on the same target for which it is true cancels the pending timer.
	CancelWhen string `yaml:"cancel_when" json:"cancel_when,omitempty"`
	// Retrigger is what a triggering event does while a timer is pending: keep (default; the clock keeps running from the first event) or restart (the clock starts again).
	Retrigger string `yaml:"retrigger" json:"retrigger,omitempty"`
	// MaxLate drops a timer that could not fire within this long after it was due (after downtime), instead of posting late (default 24h).
	MaxLate Duration `yaml:"max_late" json:"max_late,omitempty"`
	// Cooldown: at most one reply per target (or contact, see per) per this window.
	Cooldown Duration `yaml:"cooldown" json:"cooldown,omitempty"`
	// Once: at most one reply per target (or contact), ever.
	Once bool `yaml:"once" json:"once,omitempty"`
	// Per is what once and cooldown count by: target (default) or contact.
	Per string `yaml:"per" json:"per,omitempty"`
	// Stop: later rules do not see an event this rule matched.
	Stop bool `yaml:"stop" json:"stop,omitempty"`
	// MaxPerHour caps this rule's replies per hour (default settings.rule_max_per_hour).
	MaxPerHour *int `yaml:"max_per_hour" json:"max_per_hour,omitempty"`
	// AllowBots lets the rule see events authored by bots and by the bot itself.
	AllowBots bool `yaml:"allow_bots" json:"allow_bots,omitempty"`
	// Mode is live (default) or shadow.
	Mode string `yaml:"mode" json:"mode,omitempty"`
}

// ReplyConfig is a reply template. Every string may hold {{ expr }} placeholders. Keys beyond these are the platforms' own reply fields (see their Specs).
type ReplyConfig struct {
	// As is the reply kind: comment or note everywhere; some platforms have their own.
	As string `yaml:"as" json:"as"`
	// Body is the message, in the platform's format (HTML, text or Markdown). Placeholders are escaped for the format unless wrapped in raw().
	Body string `yaml:"body" json:"body,omitempty"`
	// Platform names the platform to post to (default: the source's platform).
	Platform string `yaml:"platform" json:"platform,omitempty"`
	// To overrides the target (default: the event's target).
	To *TargetConfig `yaml:"to" json:"to,omitempty"`
	// Attachments are files sent with the reply, read when the rules are loaded.
	Attachments []AttachmentConfig `yaml:"attachments" json:"attachments,omitempty"`

	// Extra are the platform's own reply fields, checked against its Spec.
	Extra    Extra        `yaml:"-" json:"-"`
	problems []keyProblem // type errors of the keys above
	present  bool         // the rule has a reply key
}

// ActionConfig is one action: exactly one of tag, assign, priority, status, set and notify.
type ActionConfig struct {
	// Tag adds these tags (templates); tags already there are kept.
	Tag []string `yaml:"tag" json:"tag,omitempty"`
	// Assign assigns to one of the platform's assignee kinds, e.g. {team: "5678"} (ids are templates).
	Assign map[string]string `yaml:"assign" json:"assign,omitempty"`
	// Priority sets the priority, in the platform's words (low, high, ...).
	Priority string `yaml:"priority" json:"priority,omitempty"`
	// Status sets the status: open, closed, snoozed, pending, as the platform allows.
	Status string `yaml:"status" json:"status,omitempty"`
	// Until is how long a snooze lasts, from when the action is rendered (status: snoozed).
	Until Duration `yaml:"until" json:"until,omitempty"`
	// Set sets custom attributes or fields, by name (values are templates).
	Set map[string]string `yaml:"set" json:"set,omitempty"`
	// Notify sends a message to a notifier.
	Notify *NotifyConfig `yaml:"notify" json:"notify,omitempty"`
}

// NotifyConfig is a notify action.
type NotifyConfig struct {
	// To names a notifier of the notifiers section.
	To string `yaml:"to" json:"to"`
	// Text is the message (a template).
	Text string `yaml:"text" json:"text"`
}

// NotifierConfig is a notifier: where notify actions send.
type NotifierConfig struct {
	// Kind is slack (an incoming webhook) or webhook (signed JSON).
	Kind string `yaml:"kind" json:"kind"`
	// URL is the webhook notifier's https URL (a Slack URL is a secret: use url_env or url_file).
	URL string `yaml:"url" json:"url,omitempty"`
	// URLEnv names the environment variable holding the URL.
	URLEnv string `yaml:"url_env" json:"url_env,omitempty"`
	// URLFile names a file holding the URL (relative to the rules file).
	URLFile string `yaml:"url_file" json:"url_file,omitempty"`
	// SecretEnv names the environment variable holding a webhook notifier's signing secret.
	SecretEnv string `yaml:"secret_env" json:"secret_env,omitempty"`
	// SecretFile names a file holding a webhook notifier's signing secret.
	SecretFile string `yaml:"secret_file" json:"secret_file,omitempty"`
	// AllowPrivate permits plain http and loopback or private addresses (a receiver on your own network).
	AllowPrivate bool `yaml:"allow_private" json:"allow_private,omitempty"`
}

// TargetConfig names a conversation or ticket.
type TargetConfig struct {
	// Type is conversation or ticket.
	Type string `yaml:"type" json:"type"`
	// ID is the target id (a template).
	ID string `yaml:"id" json:"id"`
}

// AttachmentConfig is a file attached to a reply.
type AttachmentConfig struct {
	// Name is the file name shown to the reader (default: the file's base name).
	Name string `yaml:"name" json:"name,omitempty"`
	// File is the path, relative to the rules file.
	File string `yaml:"file" json:"file"`
	// ContentType defaults to one guessed from the extension.
	ContentType string `yaml:"content_type" json:"content_type,omitempty"`
}

// Duration is a time.Duration written as "90s", "24h" or "7d".
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }
