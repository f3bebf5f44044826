package chatwoot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// HeaderToken carries the access token on every API call.
const HeaderToken = "api_access_token"

// Replier posts replies and private notes to one Chatwoot account with
// POST {base}/api/v1/accounts/{account_id}/conversations/{display_id}/messages.
type Replier struct {
	client    *httpapi.Client
	base      *url.URL
	accountID string
	token     string
	caps      []platform.Capability
	spec      *platform.Spec // the action rows
}

var _ replier.Replier = (*Replier)(nil)

// NewReplier implements platform.Platform. Errors never quote the token.
func (p Platform) NewReplier(a *platform.Account) (replier.Replier, error) {
	wrap := func(err error) error { return fmt.Errorf("chatwoot %q: %w", a.Name, err) }
	if a.BaseURL == "" {
		return nil, wrap(errors.New("base_url is required (the Chatwoot installation, e.g. https://app.chatwoot.com)"))
	}
	base, err := httpapi.ParseBaseURL(a.BaseURL)
	if err != nil {
		return nil, wrap(err)
	}
	accountID := a.Settings.Get(settingAccountID)
	if !isWholeNumber(accountID) {
		return nil, wrap(fmt.Errorf("account_id %q is not an account id (a whole number)", accountID))
	}
	if a.Secret == nil {
		return nil, wrap(errors.New("token is not configured"))
	}
	raw, err := a.Secret(settingToken)
	if err != nil {
		return nil, wrap(fmt.Errorf("token: %w", err))
	}
	token := string(raw)
	if err := httpapi.CheckSecret("token", token); err != nil {
		return nil, wrap(err)
	}
	client, err := httpapi.New(httpapi.Config{
		HTTPClient: a.Client,
		Timeout:    a.Timeout,
		Secrets:    []string{token},
		RateLimit:  parseRateLimit,
		Now:        a.Now,
	})
	if err != nil {
		return nil, wrap(err)
	}
	return &Replier{client: client, base: base, accountID: accountID, token: token, caps: p.spec.Capabilities, spec: p.spec}, nil
}

// Kind implements replier.Replier.
func (*Replier) Kind() string { return Kind }

// Supports implements replier.Replier from the capability table.
func (r *Replier) Supports(as, targetType string) bool {
	for _, c := range r.caps {
		if c.As == as && c.Target == targetType {
			return true
		}
	}
	return false
}

// messageBody is the JSON Chatwoot's create-message endpoint takes. The bot
// always posts as outgoing text; private makes it a note only agents see.
type messageBody struct {
	Content     string `json:"content"`
	MessageType string `json:"message_type"`
	Private     bool   `json:"private"`
	ContentType string `json:"content_type"`
}

// Send implements replier.Replier. A non-nil error is a *replier.Error.
func (r *Replier) Send(ctx context.Context, req *replier.Request) (replier.Result, error) {
	res, e := r.send(ctx, req)
	if e != nil {
		return replier.Result{}, r.client.Redact(e)
	}
	return res, nil
}

func (r *Replier) send(ctx context.Context, req *replier.Request) (replier.Result, *replier.Error) {
	if req == nil {
		return replier.Result{}, r.client.InvalidRequest("nil request")
	}
	if req.Action != "" {
		return r.act(ctx, req)
	}
	if !r.Supports(req.As, req.Target.Type) {
		return replier.Result{}, r.client.InvalidRequest("chatwoot cannot post a %q to a %q (it posts comments and notes to conversations)", req.As, req.Target.Type)
	}
	id := req.Target.ID
	if err := httpapi.CheckPathID(id); err != nil {
		return replier.Result{}, r.client.InvalidRequest("%v", err)
	}
	if !isWholeNumber(id) {
		return replier.Result{}, r.client.InvalidRequest("conversation id %q is not a display id (a whole number)", id)
	}
	if strings.TrimSpace(req.Body) == "" {
		return replier.Result{}, r.client.InvalidRequest("%s to conversation %s has an empty body; Chatwoot requires content", req.As, id)
	}
	endpoint, err := httpapi.EndpointURL(r.base, "api", "v1", "accounts", r.accountID, "conversations", id, "messages")
	if err != nil {
		return replier.Result{}, r.client.InvalidRequest("%v", err)
	}
	body, err := json.Marshal(messageBody{
		Content:     req.Body,
		MessageType: "outgoing",
		Private:     req.As == platform.AsNote,
		ContentType: "text",
	})
	if err != nil {
		return replier.Result{}, r.client.InvalidRequest("encoding the message: %v", err)
	}
	resp, e := r.client.Do(ctx, httpapi.Request{
		Method:      http.MethodPost,
		URL:         endpoint,
		ContentType: "application/json",
		Body:        body,
		Header:      http.Header{HeaderToken: {r.token}},
	})
	if e != nil {
		return replier.Result{}, e
	}
	if !resp.OK() {
		return replier.Result{}, r.client.StatusError(resp, r.errorMessage(resp))
	}
	if resp.ReadErr != nil {
		return replier.Result{}, r.client.InvalidResponse(resp, "HTTP %d but %v", resp.Status, resp.ReadErr)
	}
	msgID, err := createdMessageID(resp.Body)
	if err != nil {
		return replier.Result{}, r.client.InvalidResponse(resp, "%s accepted but %v: %s", req.As, err, r.client.Snippet(resp.Body))
	}
	return replier.Result{ResponseID: msgID, Status: resp.Status, RateLimit: resp.RateLimit}, nil
}

// createdMessageID reads the id of the message Chatwoot created.
func createdMessageID(body []byte) (string, error) {
	var m struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return "", fmt.Errorf("the response is not a message: %w", err)
	}
	raw := bytes.TrimSpace(m.ID)
	var id string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", errors.New("the message has no id")
	case raw[0] == '"':
		if err := json.Unmarshal(raw, &id); err != nil {
			return "", fmt.Errorf("the message id: %w", err)
		}
	case isWholeNumber(string(raw)):
		id = string(raw) // digits as sent, however long
	default:
		return "", fmt.Errorf("the message id is %s, not a number", raw)
	}
	if id == "" {
		return "", errors.New("the message id is empty")
	}
	return id, nil
}

// apiError is Chatwoot's error body. The API reference documents
// {"description", "errors": [{"field", "message", "code"}]}; controllers
// also answer {"error": "..."} (authentication, not found) and
// {"message": "..."} (validation). Errors may be objects or strings.
type apiError struct {
	Description string            `json:"description"`
	Error       string            `json:"error"`
	Message     string            `json:"message"`
	Errors      []json.RawMessage `json:"errors"`
}

// errorMessage renders what Chatwoot said, falling back to a snippet of the
// body.
func (r *Replier) errorMessage(resp *httpapi.Response) string {
	var e apiError
	if json.Unmarshal(resp.Body, &e) != nil {
		return r.client.BodyMessage(resp)
	}
	var parts []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	add(e.Description)
	add(e.Error)
	add(e.Message)
	for _, raw := range e.Errors {
		add(errorItem(raw))
	}
	if len(parts) == 0 {
		return r.client.BodyMessage(resp)
	}
	return r.client.PlatformMessage(strings.Join(parts, "; "))
}

// errorItem renders one entry of "errors": "field: message" for an
// object, the text for a string.
func errorItem(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var item struct {
		Field   string `json:"field"`
		Message string `json:"message"`
		Code    string `json:"code"`
	}
	if json.Unmarshal(raw, &item) != nil {
		return ""
	}
	msg := item.Message
	if msg == "" {
		msg = item.Code
	}
	if item.Field != "" && msg != "" {
		return item.Field + ": " + msg
	}
	return msg
}

// parseRateLimit reads RateLimit-Limit, -Remaining and -Reset. Chatwoot's
// Rack::Attack sends no rate-limit headers by default; an installation (or
// a proxy in front of it) that adds them follows Rack::Attack's documented
// example, whose reset is an absolute unix time, or the IETF draft, whose
// reset is seconds from now. A value too small to be a unix time is read as
// seconds from now. Retry-After on a 429 is read by httpapi.
func parseRateLimit(h http.Header, now time.Time) replier.RateLimit {
	const limit, remaining, reset = "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"
	kind := httpapi.ResetUnixSeconds
	if v := strings.TrimSpace(h.Get(reset)); len(v) < 9 {
		kind = httpapi.ResetDeltaSeconds
	}
	return httpapi.RateLimitFrom(h, limit, remaining, reset, kind, now)
}
