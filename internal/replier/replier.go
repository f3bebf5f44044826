// Package replier posts rendered replies and notes to the support platforms.
// Each platform is one file implementing Replier; the rest of the bot only
// sees Request, Result and *Error.
package replier

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

// Reply kinds ("as" in the rules file).
const (
	AsComment      = "comment"       // a public reply from the bot's admin
	AsNote         = "note"          // an internal note
	AsQuickReply   = "quick_reply"   // Intercom: a comment with reply buttons
	AsContactReply = "contact_reply" // Intercom: a reply on behalf of the contact
)

// Request is a fully rendered reply. It is stored with the delivery job and
// in dead letters, so it must round-trip through JSON unchanged: a retry
// sends exactly the same request (quick-reply uuids included).
type Request struct {
	Platform string       `json:"platform"`
	As       string       `json:"as"`
	Target   event.Target `json:"target"`
	Body     string       `json:"body,omitempty"`

	Options        []Option     `json:"options,omitempty"`
	AttachmentURLs []string     `json:"attachment_urls,omitempty"`
	Attachments    []Attachment `json:"attachments,omitempty"`

	// Fields are the platform-specific reply fields, rendered, by
	// platform.Field.Key. (The Intercom and WHMCS fields below move here.)
	Fields map[string]Value `json:"fields,omitempty"`

	// Intercom only.
	SkipNotifications bool        `json:"skip_notifications,omitempty"`
	CrossPost         bool        `json:"cross_post,omitempty"`
	Contact           *ContactRef `json:"contact,omitempty"`

	// WHMCS only.
	Markdown     bool              `json:"markdown,omitempty"`
	From         *Sender           `json:"from,omitempty"`
	CustomFields map[string]string `json:"custom_fields,omitempty"`
	Status       string            `json:"status,omitempty"`
	NoEmail      bool              `json:"no_email,omitempty"`
}

// Option is one quick-reply button.
type Option struct {
	Text string `json:"text"`
	UUID string `json:"uuid"`
}

// Attachment is a file sent inline with a reply.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// ContactRef names the contact an Intercom contact_reply is written as.
// Exactly one field is set.
type ContactRef struct {
	IntercomUserID string `json:"intercom_user_id,omitempty"`
	UserID         string `json:"user_id,omitempty"`
	Email          string `json:"email,omitempty"`
}

// Sender attributes a WHMCS reply to a contact, client or named person.
type Sender struct {
	ClientID      string `json:"client_id,omitempty"`
	ContactID     string `json:"contact_id,omitempty"`
	Name          string `json:"name,omitempty"`
	Email         string `json:"email,omitempty"`
	AdminUsername string `json:"admin_username,omitempty"`
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
	// Kind is the platform kind ("intercom", "whmcs", "log").
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
