// Package replier is what the bot sends to the support platforms: the
// rendered Request (also the stored job format), Result and *Error, and the
// Replier every platform's client implements (internal/platform/<name>).
// The log and dry-run repliers, which stand in for any platform, live here.
package replier

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

// Reply kinds every platform has ("as" in the rules file); platforms add
// their own.
const (
	AsComment = "comment" // a public reply the customer sees
	AsNote    = "note"    // an internal note only agents see
)

// RequestVersion is the version of the stored Request format: 2 keeps the
// platform-specific fields in Fields. Version 1 (no "v") kept them at the
// top level; decoding upgrades it (see UnmarshalJSON).
const RequestVersion = 2

// Request is a fully rendered reply. It is stored with the delivery job and
// in dead letters, so it must round-trip through JSON unchanged: a retry
// sends exactly the same request (quick-reply uuids included).
type Request struct {
	// V is the format version (RequestVersion when written by this
	// release, 0 in jobs of releases before versioning).
	V        int    `json:"v"`
	Platform string `json:"platform"`
	As       string `json:"as"`
	// Action, when set, makes the request an action (platform.ActionTag,
	// ...) rather than a post: As and Body are then empty and Fields holds
	// the action's values under the Field* keys below.
	Action string       `json:"action,omitempty"`
	Target event.Target `json:"target"`
	Body   string       `json:"body,omitempty"`

	Attachments []Attachment `json:"attachments,omitempty"`

	// Fields are the platform-specific reply fields, rendered, by
	// platform.Field.Key, plus what the platform's Prepare stored.
	Fields map[string]Value `json:"fields,omitempty"`
}

// Attachment is a file sent inline with a reply.
// Fields of an action request.
const (
	FieldTags     = "tags"     // tag: the tags to add (List)
	FieldAssignee = "assignee" // assign: who, by kind (Map: team -> id)
	FieldPriority = "priority" // priority: the value (Text)
	FieldStatus   = "status"   // status: the value (Text)
	FieldUntil    = "until"    // status: until when, RFC 3339 UTC (Text)
	// FieldUntilIn is the snooze's length as written (a Go duration):
	// the delivery computes until from it when the step is sent, so a
	// step that waited (retries, a rate limit, a replay) still snoozes for
	// that long rather than until a time already past.
	FieldUntilIn = "until_in"
	FieldSet     = "fields" // set: field name -> value (Map)
	FieldText    = "text"   // notify: the message (Text)
)

// ActionNotify is the action of a notifier's request; its Platform is
// NotifierPrefix + the notifier's name.
const (
	ActionNotify   = "notify"
	NotifierPrefix = "notifier:"
)

type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// Result describes a request the platform accepted.
type Result struct {
	// ResponseID is the id of what the platform created (conversation part,
	// ticket part), when it says.
	ResponseID string
	Status     int
	RateLimit  RateLimit
	// Withheld, when set, says the reply was deliberately not posted and
	// how to record it instead of "sent": WithheldDryRun, or "shadow" for
	// a queued reply whose rule or platform is now in shadow mode.
	Withheld string
}

// RateLimit is what the platform said about its rate limit on this response.
type RateLimit struct {
	Known     bool
	Limit     int
	Remaining int
	Reset     time.Time
}

// Replier posts requests to one platform account.
type Replier interface {
	// Kind is the platform kind (a registered platform's name, or "log").
	Kind() string
	// Supports reports whether the platform can post this kind of reply to
	// this kind of target (used when the rules file is loaded).
	Supports(as, targetType string) bool
	// Send posts req. A non-nil error is always an *Error.
	Send(ctx context.Context, req *Request) (Result, error)
}

// Reason is the closed set of failure reasons used as a metric label.
type Reason string

const (
	ReasonClientError     Reason = "client_error"
	ReasonServerError     Reason = "server_error"
	ReasonRateLimited     Reason = "rate_limited"
	ReasonTimeout         Reason = "timeout"
	ReasonNetwork         Reason = "network"
	ReasonRenderError     Reason = "render_error"
	ReasonInvalidRequest  Reason = "invalid_request"
	ReasonInvalidResponse Reason = "invalid_response"
)

// Reasons lists every Reason, for pre-creating metric labels.
var Reasons = []Reason{
	ReasonClientError, ReasonServerError, ReasonRateLimited, ReasonTimeout,
	ReasonNetwork, ReasonRenderError, ReasonInvalidRequest, ReasonInvalidResponse,
}

// Error is a failed send. Retry says whether sending the same request again
// later may succeed; RetryAfter, when set, is how long the platform asked us
// to wait.
type Error struct {
	Reason     Reason
	Retry      bool
	Status     int
	Message    string
	RetryAfter time.Duration
	RateLimit  RateLimit
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s (HTTP %d): %s", e.Reason, e.Status, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Reason, e.Message)
}

// AsError returns err as an *Error, wrapping anything else as a retryable
// network error.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Reason: ReasonNetwork, Retry: true, Message: err.Error()}
}
