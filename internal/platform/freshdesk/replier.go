package freshdesk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// apiPrefix is where API v2 lives under the account's address.
const apiPrefix = "api/v2"

// Rate-limit headers: Freshdesk says the window's total and what remains,
// never when it resets; on a 429 it sends Retry-After in seconds.
const (
	headerRateTotal     = "X-RateLimit-Total"
	headerRateRemaining = "X-RateLimit-Remaining"
)

// client posts replies and notes to one Freshdesk account.
type client struct {
	http *httpapi.Client
	base *url.URL
	auth string // the Authorization value
}

// NewReplier builds the client of one account: Basic auth with the API key
// as the user name and "X" as the password.
func (Platform) NewReplier(a *platform.Account) (replier.Replier, error) {
	base, err := httpapi.ParseBaseURL(a.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("freshdesk: %w", err)
	}
	if strings.HasSuffix(base.Path, "/"+apiPrefix) {
		return nil, fmt.Errorf("freshdesk: base URL %q: give the account's address (https://yourco.freshdesk.com), without /%s", a.BaseURL, apiPrefix)
	}
	if a.Secret == nil {
		return nil, fmt.Errorf("freshdesk: %s is not configured", SettingAPIKey)
	}
	key, err := a.Secret(SettingAPIKey)
	if err != nil {
		return nil, fmt.Errorf("freshdesk: %s: %w", SettingAPIKey, err)
	}
	if err := httpapi.CheckSecret(SettingAPIKey, string(key)); err != nil {
		return nil, fmt.Errorf("freshdesk: %w", err)
	}
	auth := BasicAuth(string(key), "X")
	h, err := httpapi.New(httpapi.Config{
		HTTPClient: a.Client,
		Timeout:    a.Timeout,
		Now:        a.Now,
		Secrets:    []string{string(key), auth, strings.TrimPrefix(auth, "Basic ")},
		RateLimit:  rateLimit,
	})
	if err != nil {
		return nil, fmt.Errorf("freshdesk: %w", err)
	}
	return &client{http: h, base: base, auth: auth}, nil
}

func rateLimit(h http.Header, now time.Time) replier.RateLimit {
	return httpapi.RateLimitFrom(h, headerRateTotal, headerRateRemaining, "", httpapi.ResetDeltaSeconds, now)
}

func (*client) Kind() string { return Name }

// Supports answers from the Spec's capability table.
func (*client) Supports(as, targetType string) bool {
	for _, c := range spec.Capabilities {
		if c.As == as && c.Target == targetType {
			return true
		}
	}
	return false
}

// replyBody is POST /api/v2/tickets/{id}/reply.
type replyBody struct {
	Body string `json:"body"`
}

// noteBody is POST /api/v2/tickets/{id}/notes; private defaults to true on
// Freshdesk's side, it is sent anyway so that the intent is on the wire.
type noteBody struct {
	Body    string `json:"body"`
	Private bool   `json:"private"`
}

// Send posts a public reply (comment) or a private note to a ticket.
func (c *client) Send(ctx context.Context, req *replier.Request) (replier.Result, error) {
	if req == nil {
		return replier.Result{}, c.http.InvalidRequest("nil request")
	}
	if req.Action != "" {
		return c.sendAction(ctx, req)
	}
	if !c.Supports(req.As, req.Target.Type) {
		return replier.Result{}, c.http.InvalidRequest("freshdesk cannot post a %q to a %q", req.As, req.Target.Type)
	}
	if err := httpapi.CheckPathID(req.Target.ID); err != nil {
		return replier.Result{}, c.http.InvalidRequest("%v", err)
	}
	if !isTicketID(req.Target.ID) {
		return replier.Result{}, c.http.InvalidRequest("ticket id %q is not a number", req.Target.ID)
	}
	if strings.TrimSpace(req.Body) == "" {
		return replier.Result{}, c.http.InvalidRequest("the body is empty: Freshdesk requires one")
	}
	var (
		endpoint string
		body     any
	)
	if req.As == platform.AsNote {
		endpoint, body = "notes", noteBody{Body: req.Body, Private: true}
	} else {
		endpoint, body = "reply", replyBody{Body: req.Body}
	}
	u, err := httpapi.EndpointURL(c.base, "api", "v2", "tickets", req.Target.ID, endpoint)
	if err != nil {
		return replier.Result{}, c.http.InvalidRequest("%v", err)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return replier.Result{}, c.http.InvalidRequest("encoding the body: %v", err)
	}
	resp, rerr := c.http.Do(ctx, httpapi.Request{
		Method:      http.MethodPost,
		URL:         u,
		ContentType: "application/json",
		Body:        data,
		Header:      http.Header{"Authorization": {c.auth}},
	})
	if rerr != nil {
		return replier.Result{}, rerr
	}
	if !resp.OK() {
		return replier.Result{}, c.http.StatusError(resp, c.errorMessage(resp))
	}
	if resp.ReadErr != nil {
		return replier.Result{}, c.http.InvalidResponse(resp, "%s accepted but %v", endpoint, resp.ReadErr)
	}
	id, err := conversationID(resp.Body)
	if err != nil {
		return replier.Result{}, c.http.InvalidResponse(resp, "%s accepted but %v: %s", endpoint, err, c.http.Snippet(resp.Body))
	}
	return replier.Result{ResponseID: id, Status: resp.Status, RateLimit: resp.RateLimit}, nil
}

// conversationID reads the id of the conversation (reply or note) that
// Freshdesk created.
func conversationID(body []byte) (string, error) {
	var conv struct {
		ID json.Number `json:"id"`
	}
	if err := json.Unmarshal(body, &conv); err != nil {
		return "", fmt.Errorf("the response is not a conversation object")
	}
	if !isTicketID(string(conv.ID)) {
		return "", fmt.Errorf("the conversation has no numeric id")
	}
	return string(conv.ID), nil
}

// apiError is Freshdesk's error body: a validation failure lists its
// fields, other errors carry a code and a message.
type apiError struct {
	Description string `json:"description"`
	Errors      []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
		Code    string `json:"code"`
	} `json:"errors"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorMessage renders "Validation failed: body: It should not be blank
// (invalid_value)" or "code: message", else a snippet of the body.
func (c *client) errorMessage(r *httpapi.Response) string {
	var e apiError
	if err := json.Unmarshal(r.Body, &e); err != nil {
		return c.http.BodyMessage(r)
	}
	var parts []string
	for _, fe := range e.Errors {
		var b strings.Builder
		if fe.Field != "" {
			b.WriteString(fe.Field + ": ")
		}
		b.WriteString(fe.Message)
		if fe.Code != "" {
			b.WriteString(" (" + fe.Code + ")")
		}
		if s := strings.TrimSpace(b.String()); s != "" {
			parts = append(parts, s)
		}
	}
	msg := strings.Join(parts, "; ")
	switch {
	case e.Description != "" && msg != "":
		msg = e.Description + ": " + msg
	case e.Description != "":
		msg = e.Description
	case msg == "" && e.Message != "" && e.Code != "":
		msg = e.Code + ": " + e.Message
	case msg == "" && e.Message != "":
		msg = e.Message
	case msg == "" && e.Code != "":
		msg = e.Code
	}
	if msg == "" {
		return c.http.BodyMessage(r)
	}
	return c.http.PlatformMessage(msg)
}
