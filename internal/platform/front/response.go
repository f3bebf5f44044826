package front

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// replyAccepted is create-message-reply's 202 answer: sending is
// asynchronous, the message uid names what will be sent.
type replyAccepted struct {
	Status     *string `json:"status"`
	MessageUID *string `json:"message_uid"`
}

// commentCreated is the part of add-comment's 201 answer we read.
type commentCreated struct {
	ID *string `json:"id"`
}

// responseID reads the id of what a successful post created.
func responseID(as string, body []byte) (string, error) {
	if as == platform.AsNote {
		var c commentCreated
		if err := json.Unmarshal(body, &c); err != nil {
			return "", fmt.Errorf("comment accepted but the response is not a comment: %w", err)
		}
		if c.ID == nil || *c.ID == "" {
			return "", errors.New("comment accepted but the response has no id")
		}
		return *c.ID, nil
	}
	var a replyAccepted
	if err := json.Unmarshal(body, &a); err != nil {
		return "", fmt.Errorf("reply accepted but the response is not an acceptance: %w", err)
	}
	if a.Status != nil && *a.Status != "accepted" {
		return "", fmt.Errorf("reply answered with status %q, not accepted", *a.Status)
	}
	if a.MessageUID == nil || *a.MessageUID == "" {
		return "", errors.New("reply accepted but the response has no message_uid")
	}
	return *a.MessageUID, nil
}

// frontError is Front's error envelope.
type frontError struct {
	Error *struct {
		Title   string `json:"title"`
		Message string `json:"message"`
		// Details' shape is not documented; strings are shown, anything
		// else is left out rather than failing the whole envelope.
		Details json.RawMessage `json:"details"`
	} `json:"_error"`
}

// errorMessage renders "title: message (details)" from Front's error
// envelope, or a snippet of whatever the body is.
func errorMessage(c *httpapi.Client, r *httpapi.Response) string {
	var fe frontError
	if err := json.Unmarshal(r.Body, &fe); err != nil || fe.Error == nil {
		return c.BodyMessage(r)
	}
	var parts []string
	for _, s := range []string{fe.Error.Title, fe.Error.Message} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return c.BodyMessage(r)
	}
	msg := strings.Join(parts, ": ")
	var details []string
	if json.Unmarshal(fe.Error.Details, &details) == nil && len(details) > 0 {
		msg += " (" + strings.Join(details, "; ") + ")"
	}
	return c.PlatformMessage(msg)
}

// rateLimit reads X-RateLimit-Limit, -Remaining and -Reset. Front
// documents the reset as a unix timestamp; one written in milliseconds is
// read as such rather than as a date in the far future.
func rateLimit(h http.Header, now time.Time) replier.RateLimit {
	kind := httpapi.ResetUnixSeconds
	if v, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64); err == nil && v > 1e11 {
		kind = httpapi.ResetUnixMillis
	}
	return httpapi.RateLimitFrom(h, "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", kind, now)
}
