// Package queue is the bot's durable state: deduplication, once/cooldown
// claims, budgets, the delivery job queue (River), dead letters and history.
// It runs on an embedded SQLite file by default and on PostgreSQL for
// several replicas; the logic is written once and the two stores differ only
// in DDL and locking.
package queue

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/supportops/autoresponder/internal/event"
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
	// Timers are timed rules whose `when` matched: each starts a timer on
	// (rule, target) unless one is pending there (see TimerStart.Restart).
	Timers []TimerStart
	// Cancels are pending timers this event cancels (cancel_when matched).
	Cancels []TimerCancel
}

// TimerStart asks for a timer on (Rule, TargetKey).
type TimerStart struct {
	Rule      string
	TargetKey string // as Action.TargetKey: platform:type:id
	Target    event.Target
	Platform  string
	// DueAt is when it fires (after, counted in the calendar's open hours
	// when the rule names one).
	DueAt time.Time
	// MaxLate drops the timer, recorded in history, when it cannot fire
	// within this long after DueAt.
	MaxLate time.Duration
	// Restart: a pending timer on the same (rule, target) starts again
	// from this event (retrigger: restart); otherwise it is kept and this
	// event starts nothing.
	Restart bool
}

// TimerCancel cancels the pending timer of (Rule, TargetKey), if any.
type TimerCancel struct {
	Rule      string
	TargetKey string
	Reason    string // TimerReasonCancelWhen, ...
}

// Timer is a pending timer, as stored.
type Timer struct {
	// ID is the timer's River job id.
	ID        int64        `json:"id"`
	Rule      string       `json:"rule"`
	TargetKey string       `json:"target_key"`
	Target    event.Target `json:"target"`
	Platform  string       `json:"platform"`
	// The triggering event, kept with the timer: the bot renders the
	// rule's templates against it when the timer fires.
	Source     string        `json:"source"`
	EventID    string        `json:"event_id"`
	Topic      string        `json:"topic"`
	ReceivedAt time.Time     `json:"received_at"`
	Payload    []byte        `json:"payload,omitempty"`
	Headers    http.Header   `json:"headers,omitempty"`
	CreatedAt  time.Time     `json:"created_at"`
	DueAt      time.Time     `json:"due_at"`
	MaxLate    time.Duration `json:"-"`
}

// MarshalJSON writes max_late as a duration ("24h0m0s"), as the rules
// file does, for bot timers list --json and /admin/timers.
func (t Timer) MarshalJSON() ([]byte, error) {
	type plain Timer
	return json.Marshal(struct {
		plain
		MaxLate string `json:"max_late"`
	}{plain(t), t.MaxLate.String()})
}

// TimerFilter selects timers to list or cancel; empty fields match all.
type TimerFilter struct {
	Rule     string
	TargetID string // the conversation or ticket id
	ID       int64
	// WithPayload lists timers with their event's payload and headers
	// (Timers leaves them out otherwise).
	WithPayload bool
}

// Timer outcomes, recorded in history.
const (
	TimerFired     = "timer_fired"
	TimerCancelled = "timer_cancelled"
	TimerDropped   = "timer_dropped"
)

// Reasons a timer was cancelled or dropped.
const (
	TimerReasonCancelWhen  = "cancel_when"  // an event matched the rule's cancel_when
	TimerReasonRuleRemoved = "rule_removed" // a reload removed the rule
	TimerReasonManual      = "manual"       // bot timers cancel or the admin API
	TimerReasonMaxLate     = "max_late"     // it could not fire within max_late of its due time
	TimerReasonRestarted   = "restarted"    // retrigger: restart replaced it
	// TimerReasonRuleUnknown is what a Firer says of a timer whose rule
	// (or its after:) it does not have: the store waits unknownRuleGrace
	// past the due time for a replica that has it, then drops the timer
	// as rule_removed.
	TimerReasonRuleUnknown = "rule_unknown"
)

// unknownRuleGrace is how long past its due time a timer waits for a
// replica that knows its rule (a rolling update of the rules file).
const unknownRuleGrace = 10 * time.Minute

const ()

// Firer renders a timer's rule when the timer is due. The store applies
// what it returns (once, cooldown, budgets, the pause) and queues the jobs
// in the transaction that completes the timer, so a timer fires once.
type Firer interface {
	// Fire renders t's rule against its event with now as the time. It
	// returns the rule's action (one, as at intake), or a reason the
	// timer is dropped instead (TimerReasonRuleRemoved).
	Fire(ctx context.Context, t *Timer, now time.Time) (Action, string)
}

// Action is one matched rule's reply.
type Action struct {
	Rule     string
	Platform string
	// Request is the rendered reply, or the rule's first action when it
	// has no reply. When RenderError is set it only names the platform,
	// kind and target.
	Request *replier.Request
	// Steps are the rule's further requests (its actions, in the order
	// written). Each runs as its own job once the one before succeeded; a
	// step that fails dead-letters with the steps after it, and a replay
	// resumes from it.
	Steps []*replier.Request
	// NoMessage: the rule posts nothing (actions only), so it does not
	// count toward the per-target message budget.
	NoMessage bool
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
	// Timers and Cancels say what became of Intake.Timers and
	// Intake.Cancels, in the same order (see timers.go).
	Timers  []TimerStartResult
	Cancels []TimerCancelResult
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
	// Next are the steps that run after this one succeeds, in order.
	Next []replier.Request `json:"next,omitempty"`
	// Step is this job's place in its rule's chain (0: the first).
	Step int `json:"step,omitempty"`
	// FiredAt is when the timer that queued this job fired (zero for jobs
	// queued at intake); latency counts from it.
	FiredAt time.Time `json:"fired_at,omitzero"`
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
