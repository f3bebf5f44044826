// Package queue is the bot's durable state: deduplication, once/cooldown
// claims, budgets, the delivery job queue (River), dead letters and history.
// It runs on an embedded SQLite file by default and on PostgreSQL for
// several replicas; the logic is written once and the two stores differ only
// in DDL and locking.
package queue

import (
	"net/http"
	"time"

	"github.com/supportops/autoresponder/internal/replier"
)

// Policy is the part of the running configuration the store enforces. It is
// read for every batch, so a reload applies at once.
type Policy struct {
	DedupWindow      time.Duration
	HistoryRetention time.Duration
	TargetMaxPerHour int
	PauseAfter       int
	PauseFor         time.Duration
	MaxAttempts      int
	MaxAge           time.Duration
	BackoffInitial   time.Duration
	BackoffMax       time.Duration
	MaxRateLimitWait time.Duration
}

// DefaultPolicy is used when no configuration supplies one (tools, tests).
var DefaultPolicy = Policy{
	DedupWindow:      7 * 24 * time.Hour,
	HistoryRetention: 30 * 24 * time.Hour,
	TargetMaxPerHour: 3,
	PauseAfter:       20,
	PauseFor:         time.Hour,
	MaxAttempts:      12,
	MaxAge:           24 * time.Hour,
	BackoffInitial:   2 * time.Second,
	BackoffMax:       10 * time.Minute,
	MaxRateLimitWait: 2 * time.Minute,
}

// Intake is one event with the replies its rules rendered.
type Intake struct {
	Source     string
	EventID    string
	Topic      string
	ReceivedAt time.Time
	// Payload is the raw delivery, kept for `bot explain` by event id.
	Payload []byte
	// Headers are the delivery headers the event was built from (the
	// platform's Spec.EventHeaders), kept with Payload; nil when none.
	Headers http.Header
	Actions []Action
}

// Action is one matched rule's reply.
type Action struct {
	Rule     string
	Platform string
	// Request is the rendered reply. When RenderError is set it only names
	// the platform, kind and target.
	Request *replier.Request
	// RenderError dead-letters the action at once.
	RenderError string
	Shadow      bool
	Once        bool
	Cooldown    time.Duration
	// ClaimKey is what once/cooldown count by.
	ClaimKey   string
	TargetKey  string
	MaxPerHour int
}

// Outcomes of an action at intake.
const (
	Queued       = "queued"
	Suppressed   = "suppressed"
	Shadowed     = "shadow"
	DeadLettered = "dead_lettered"
)

// Suppression reasons.
const (
	ReasonOnce         = "once"
	ReasonCooldown     = "cooldown"
	ReasonRuleBudget   = "rule_budget"
	ReasonTargetBudget = "target_budget"
	ReasonPaused       = "paused"
)

// SuppressionReasons lists every suppression reason.
var SuppressionReasons = []string{ReasonOnce, ReasonCooldown, ReasonRuleBudget, ReasonTargetBudget, ReasonPaused}

// AcceptResult says what became of an intake.
type AcceptResult struct {
	// Duplicate is set when the event was seen within the dedup window;
	// nothing else happened.
	Duplicate bool
	Actions   []ActionResult
}

// ActionResult is the fate of one action.
type ActionResult struct {
	Outcome string
	Reason  string
	JobID   int64
	// Paused is set when this suppression paused the rule.
	Paused bool
}

// DeliveryArgs are the arguments of a delivery job.
type DeliveryArgs struct {
	Source     string          `json:"source"`
	EventID    string          `json:"event_id"`
	Topic      string          `json:"topic"`
	Rule       string          `json:"rule"`
	Platform   string          `json:"platform"`
	Request    replier.Request `json:"request"`
	ClaimKey   string          `json:"claim_key,omitempty"`
	TargetKey  string          `json:"target_key"`
	ReceivedAt time.Time       `json:"received_at"`
	// Deadline is when the job stops retrying (received_at + max_age).
	Deadline time.Time `json:"deadline"`
	// MaxAttempts bounds tries; waits for a rate limit (River snoozes) do
	// not count, River gives the attempt back.
	MaxAttempts int `json:"max_attempts"`
	// ClaimTTL is the once/cooldown claim's lifetime (0: once, forever),
	// for retaking it on a replay.
	ClaimTTL time.Duration `json:"claim_ttl,omitempty"`
	// AttachmentRefs name the contents of Request.Attachments in
	// bot_blobs, in order; those attachments are stored without their
	// data. Jobs queued before refs existed carry the data inline.
	AttachmentRefs []string `json:"attachment_refs,omitempty"`
}

// Kind is the River job kind.
func (DeliveryArgs) Kind() string { return "autoresponder_delivery" }

// Job is a delivery handed to a Sender.
type Job struct {
	ID int64
	// Attempt counts tries, the current one included; waits for a rate
	// limit do not count.
	Attempt int
	Args    *DeliveryArgs
}
