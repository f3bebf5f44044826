package helpscout

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/platform/payload"
	"github.com/supportops/autoresponder/internal/replier"
)

// act performs one action: CheckAction first (a refusal is never
// retried), then the documented calls.
func (c *Client) act(ctx context.Context, req *replier.Request) (replier.Result, error) {
	if err := spec.CheckAction(req); err != nil {
		return replier.Result{}, c.invalid("%v", err)
	}
	row, _ := spec.ActionRow(req.Action, req.Target.Type) // CheckAction found it
	id := req.Target.ID
	if err := httpapi.CheckPathID(id); err != nil {
		return replier.Result{}, c.invalid("%v", err)
	}
	if !isPositiveInt(id) {
		return replier.Result{}, c.invalid("conversation id %q is not a Help Scout id (a positive whole number)", id)
	}
	a := &actionCall{c: c, conv: id, row: row}
	var e *replier.Error
	switch req.Action {
	case platform.ActionTag:
		e = a.addTags(ctx, req.Fields[replier.FieldTags].List)
	case platform.ActionAssign:
		raw := strings.TrimSpace(req.Fields[replier.FieldAssignee].Map[assignUser])
		user, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || !isPositiveInt(raw) {
			return replier.Result{}, c.invalid("assign.user %q is not a Help Scout user id (a positive whole number)", raw)
		}
		e = a.patch(ctx, "/assignTo", user)
	case platform.ActionStatus:
		e = a.patch(ctx, "/status", req.Fields[replier.FieldStatus].Text)
	case platform.ActionSet:
		e = a.setFields(ctx, req.Fields[replier.FieldSet].Map)
	}
	if e != nil {
		return replier.Result{}, e
	}
	res := replier.Result{}
	if a.last != nil {
		res.Status, res.RateLimit = a.last.Status, a.last.RateLimit
	}
	return res, nil
}

// actionCall is one action on one conversation.
type actionCall struct {
	c    *Client
	conv string
	row  platform.ActionCapability
	last *httpapi.Response
}

// do sends one call to /v2/conversations/{id}[/sub] with v as its JSON body
// (nil: none) and decodes a JSON answer into out (nil: not read). A 403
// names what the action needs next to Help Scout's words.
func (a *actionCall) do(ctx context.Context, method, sub string, v, out any) *replier.Error {
	segments := []string{"v2", "conversations", a.conv}
	if sub != "" {
		segments = append(segments, sub)
	}
	endpoint, err := httpapi.EndpointURL(a.c.base, segments...)
	if err != nil {
		return a.c.invalid("%v", err)
	}
	var body []byte
	if v != nil {
		if body, err = json.Marshal(v); err != nil {
			return a.c.invalid("encoding the %s request: %v", a.row.Action, err)
		}
	}
	s, resp, rerr := a.c.call(ctx, method, endpoint, body)
	if rerr != nil {
		return rerr
	}
	a.last = resp
	if !resp.OK() {
		e := statusError(s.api, resp)
		if resp.Status == http.StatusForbidden {
			e.Message = fmt.Sprintf("%s needs %s; Help Scout said: %s", a.row.Action, a.row.Scope, e.Message)
		}
		return e
	}
	if resp.ReadErr != nil {
		return s.api.InvalidResponse(resp, "reading Help Scout's answer: %v", resp.ReadErr)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return s.api.InvalidResponse(resp, "Help Scout answered %d with a body that is not a conversation: %s", resp.Status, s.api.Snippet(resp.Body))
		}
	}
	return nil
}

// patch is one JSON-Patch operation on the conversation (204).
func (a *actionCall) patch(ctx context.Context, path string, value any) *replier.Error {
	return a.do(ctx, http.MethodPatch, "", map[string]any{"op": "replace", "path": path, "value": value}, nil)
}

// conversation is the part of GET /v2/conversations/{id} actions read.
type conversation struct {
	Tags []struct {
		Tag string `json:"tag"`
	} `json:"tags"`
	CustomFields []struct {
		ID    json.Number `json:"id"`
		Value any         `json:"value"`
	} `json:"customFields"`
}

// addTags writes the union of the conversation's tags and tags: the tags
// endpoint removes every tag left out.
func (a *actionCall) addTags(ctx context.Context, tags []string) *replier.Error {
	var conv conversation
	if e := a.do(ctx, http.MethodGet, "", nil, &conv); e != nil {
		return e
	}
	var union []string
	for _, t := range conv.Tags {
		if t.Tag != "" && !slices.Contains(union, t.Tag) {
			union = append(union, t.Tag)
		}
	}
	had := len(union)
	for _, t := range tags {
		if !slices.ContainsFunc(union, func(u string) bool { return strings.EqualFold(u, t) }) {
			union = append(union, t)
		}
	}
	if len(union) == had {
		return nil // every tag is there already
	}
	return a.do(ctx, http.MethodPut, "tags", map[string]any{"tags": union}, nil)
}

// fieldValue is one entry of PUT /fields: the id a number, the value text.
type fieldValue struct {
	ID    int64  `json:"id"`
	Value string `json:"value"`
}

// setFields writes every custom field the conversation has, with set
// merged in: the fields endpoint removes every field left out.
func (a *actionCall) setFields(ctx context.Context, set map[string]string) *replier.Error {
	keys := make([]string, 0, len(set))
	for k := range set {
		if !isPositiveInt(k) {
			return a.c.invalid("set: %q is not a Help Scout custom field id (a positive whole number)", k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys) // a stable body: a retry sends the same request
	var conv conversation
	if e := a.do(ctx, http.MethodGet, "", nil, &conv); e != nil {
		return e
	}
	var fields []fieldValue
	index := map[int64]int{}
	for _, f := range conv.CustomFields {
		id, err := f.ID.Int64()
		if err != nil || id <= 0 {
			continue // not a field we could send back
		}
		index[id] = len(fields)
		fields = append(fields, fieldValue{ID: id, Value: payload.Str(f.Value)})
	}
	for _, k := range keys {
		id, _ := strconv.ParseInt(k, 10, 64) // isPositiveInt: fits
		if i, ok := index[id]; ok {
			fields[i].Value = set[k]
			continue
		}
		index[id] = len(fields)
		fields = append(fields, fieldValue{ID: id, Value: set[k]})
	}
	return a.do(ctx, http.MethodPut, "fields", map[string]any{"fields": fields}, nil)
}
