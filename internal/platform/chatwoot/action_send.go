package chatwoot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

var _ platform.ActionValidator = Platform{}

// act performs one action request: CheckAction first (a refusal is never
// retried), then the documented calls. Every failure of a call names the
// access the row needs when Chatwoot answers 403.
func (r *Replier) act(ctx context.Context, req *replier.Request) (replier.Result, *replier.Error) {
	if err := r.spec.CheckAction(req); err != nil {
		return replier.Result{}, r.client.InvalidRequest("%v", err)
	}
	row, _ := r.spec.ActionRow(req.Action, req.Target.Type) // CheckAction found it
	id := req.Target.ID
	if err := httpapi.CheckPathID(id); err != nil {
		return replier.Result{}, r.client.InvalidRequest("%v", err)
	}
	if !isWholeNumber(id) {
		return replier.Result{}, r.client.InvalidRequest("conversation id %q is not a display id (a whole number)", id)
	}
	c := &actionCall{r: r, conv: id, row: row}
	var e *replier.Error
	switch req.Action {
	case platform.ActionTag:
		e = c.addLabels(ctx, req.Fields[replier.FieldTags].List)
	case platform.ActionAssign:
		e = c.assign(ctx, req.Fields[replier.FieldAssignee].Map)
	case platform.ActionPriority:
		e = c.post(ctx, "toggle_priority", map[string]any{"priority": req.Fields[replier.FieldPriority].Text}, nil)
	case platform.ActionStatus:
		e = c.status(ctx, req.Fields[replier.FieldStatus].Text, req.Fields[replier.FieldUntil].Text)
	case platform.ActionSet:
		e = c.setAttributes(ctx, req.Fields[replier.FieldSet].Map)
	}
	if e != nil {
		return replier.Result{}, e
	}
	if c.last == nil {
		return replier.Result{}, nil
	}
	return replier.Result{Status: c.last.Status, RateLimit: c.last.RateLimit}, nil
}

// actionCall is one action on one conversation: the calls it makes share
// the conversation, the row (for the 403 message) and the last answer.
type actionCall struct {
	r    *Replier
	conv string
	row  platform.ActionCapability
	last *httpapi.Response
}

// do sends one call under the conversation and decodes a JSON answer into
// out (nil: the answer is not read).
func (c *actionCall) do(ctx context.Context, method string, path []string, body any, out any) *replier.Error {
	segments := append([]string{"api", "v1", "accounts", c.r.accountID, "conversations", c.conv}, path...)
	endpoint, err := httpapi.EndpointURL(c.r.base, segments...)
	if err != nil {
		return c.r.client.InvalidRequest("%v", err)
	}
	hr := httpapi.Request{Method: method, URL: endpoint, Header: http.Header{HeaderToken: {c.r.token}}}
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return c.r.client.InvalidRequest("encoding the %s request: %v", c.row.Action, err)
		}
		hr.ContentType, hr.Body = "application/json", data
	}
	resp, e := c.r.client.Do(ctx, hr)
	if e != nil {
		return e
	}
	c.last = resp
	if !resp.OK() {
		e := c.r.client.StatusError(resp, c.r.errorMessage(resp))
		if resp.Status == http.StatusForbidden {
			e.Message = fmt.Sprintf("%s needs %s; Chatwoot said: %s", c.row.Action, c.row.Scope, e.Message)
		}
		return e
	}
	if resp.ReadErr != nil {
		return c.r.client.InvalidResponse(resp, "HTTP %d but %v", resp.Status, resp.ReadErr)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return c.r.client.InvalidResponse(resp, "%s %s answered a body that is not what the API documents: %s", method, strings.Join(path, "/"), c.r.client.Snippet(resp.Body))
		}
	}
	return nil
}

func (c *actionCall) post(ctx context.Context, path string, body, out any) *replier.Error {
	return c.do(ctx, http.MethodPost, []string{path}, body, out)
}

// labelList is the answer of the labels endpoints.
type labelList struct {
	Payload []string `json:"payload"`
}

// addLabels writes the union of the conversation's labels and tags: the
// labels endpoint replaces the whole list.
func (c *actionCall) addLabels(ctx context.Context, tags []string) *replier.Error {
	var current labelList
	if e := c.do(ctx, http.MethodGet, []string{"labels"}, nil, &current); e != nil {
		return e
	}
	union := slices.Clone(current.Payload)
	for _, t := range tags {
		if !slices.Contains(union, t) {
			union = append(union, t)
		}
	}
	if len(union) == len(current.Payload) {
		return nil // every tag is there already: nothing to write
	}
	var after labelList
	if e := c.post(ctx, "labels", map[string]any{"labels": union}, &after); e != nil {
		return e
	}
	// Chatwoot keeps only labels the account has, without saying so.
	var dropped []string
	for _, t := range tags {
		if !slices.Contains(after.Payload, t) {
			dropped = append(dropped, t)
		}
	}
	if len(dropped) > 0 {
		return &replier.Error{Reason: replier.ReasonClientError, Status: c.last.Status,
			Message: fmt.Sprintf("Chatwoot did not add the label(s) %q: create them under Settings > Labels first", dropped)}
	}
	return nil
}

// assign sets the team, then the agent: Chatwoot ignores team_id when
// assignee_id is in the same call.
func (c *actionCall) assign(ctx context.Context, who map[string]string) *replier.Error {
	for _, kind := range []string{assignTeam, assignAgent} {
		raw, ok := who[kind]
		if !ok {
			continue
		}
		id, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil || id <= 0 {
			return c.r.client.InvalidRequest("assign.%s %q is not a Chatwoot %s id (a whole number)", kind, raw, kind)
		}
		key := "assignee_id"
		if kind == assignTeam {
			key = "team_id"
		}
		if e := c.post(ctx, "assignments", map[string]any{key: id}, nil); e != nil {
			return e
		}
	}
	return nil
}

// status sets the status; snoozed takes snoozed_until in unix seconds.
func (c *actionCall) status(ctx context.Context, status, until string) *replier.Error {
	body := map[string]any{"status": status}
	if until != "" {
		t, err := time.Parse(time.RFC3339, until)
		if err != nil {
			return c.r.client.InvalidRequest("until %q is not an RFC 3339 time", until)
		}
		body["snoozed_until"] = t.Unix()
	}
	return c.post(ctx, "toggle_status", body, nil)
}

// setAttributes writes the conversation's custom attributes with set
// merged in: the endpoint replaces the whole hash.
func (c *actionCall) setAttributes(ctx context.Context, set map[string]string) *replier.Error {
	var conv struct {
		Attributes map[string]json.RawMessage `json:"custom_attributes"`
	}
	if e := c.do(ctx, http.MethodGet, nil, nil, &conv); e != nil {
		return e
	}
	merged := make(map[string]any, len(conv.Attributes)+len(set))
	for k, v := range conv.Attributes {
		merged[k] = v
	}
	for k, v := range set {
		merged[k] = v
	}
	return c.post(ctx, "custom_attributes", map[string]any{"custom_attributes": merged}, nil)
}
