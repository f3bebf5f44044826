package freshdesk

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
	"github.com/supportops/autoresponder/internal/replier"
)

// sendAction performs one action with PUT /api/v2/tickets/{id}, sending
// only the fields the action changes (Freshdesk keeps the others). Tags
// are read first: the tags field replaces the whole list.
func (c *client) sendAction(ctx context.Context, req *replier.Request) (replier.Result, error) {
	if err := spec.CheckAction(req); err != nil {
		return replier.Result{}, c.http.InvalidRequest("%v", err)
	}
	row, _ := spec.ActionRow(req.Action, req.Target.Type)
	if err := httpapi.CheckPathID(req.Target.ID); err != nil {
		return replier.Result{}, c.http.InvalidRequest("%v", err)
	}
	if !isTicketID(req.Target.ID) {
		return replier.Result{}, c.http.InvalidRequest("ticket id %q is not a number", req.Target.ID)
	}
	u, err := httpapi.EndpointURL(c.base, "api", "v2", "tickets", req.Target.ID)
	if err != nil {
		return replier.Result{}, c.http.InvalidRequest("%v", err)
	}
	if req.Action != platform.ActionTag {
		fields, rerr := c.actionFields(req)
		if rerr != nil {
			return replier.Result{}, rerr
		}
		return c.update(ctx, u, fields, req, row)
	}
	tags, read, rerr := c.tagUnion(ctx, u, req, row)
	if rerr != nil {
		return replier.Result{}, rerr
	}
	if !read.changed {
		// Every tag is there already: writing would change nothing.
		return replier.Result{ResponseID: req.Target.ID, Status: read.status, RateLimit: read.rateLimit}, nil
	}
	return c.update(ctx, u, map[string]any{"tags": tags}, req, row)
}

// actionFields are the ticket fields one action sets, in the API's types:
// integers for priority, status and ids. CheckAction has vetted words
// against the row; ids and field names rendered from templates are
// checked here.
func (c *client) actionFields(req *replier.Request) (map[string]any, *replier.Error) {
	u := map[string]any{}
	switch req.Action {
	case platform.ActionAssign:
		for kind, field := range map[string]string{AssignAgent: "responder_id", AssignGroup: "group_id"} {
			v, ok := req.Fields[replier.FieldAssignee].Map[kind]
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if !isTicketID(v) || err != nil || n <= 0 {
				return nil, c.http.InvalidRequest("assign %s: %q is not a Freshdesk %s id (a number)", kind, clip(v), kind)
			}
			u[field] = n
		}
	case platform.ActionPriority:
		u["priority"] = codeOf(priorityCodes, req.Fields[replier.FieldPriority].Text)
	case platform.ActionStatus:
		u["status"] = codeOf(statusCodes, req.Fields[replier.FieldStatus].Text)
	case platform.ActionSet:
		fields := map[string]string{}
		for k, v := range req.Fields[replier.FieldSet].Map {
			if !isCustomField(k) {
				return nil, c.http.InvalidRequest("set: %q is not a custom field's API name (cf_ and the field's name)", clip(k))
			}
			fields[k] = v
		}
		u["custom_fields"] = fields
	default:
		return nil, c.http.InvalidRequest("freshdesk cannot %s a ticket", req.Action)
	}
	return u, nil
}

// readState says whether the tag union changed anything, and what the
// read answered (for a result when nothing is written).
type readState struct {
	changed   bool
	status    int
	rateLimit replier.RateLimit
}

// tagUnion reads the ticket's tags and returns them with the new ones
// added (compared without regard to case, the ticket's spelling kept).
func (c *client) tagUnion(ctx context.Context, u string, req *replier.Request, row platform.ActionCapability) ([]string, readState, *replier.Error) {
	resp, rerr := c.call(ctx, http.MethodGet, u, nil, req, row)
	if rerr != nil {
		return nil, readState{}, rerr
	}
	// The key must be there (a ticket without it is not one we can
	// add to safely); null is read as no tags.
	var ticket map[string]json.RawMessage
	var tags []string
	raw, has := []byte(nil), false
	if json.Unmarshal(resp.Body, &ticket) == nil {
		raw, has = ticket["tags"]
	}
	if !has || json.Unmarshal(raw, &tags) != nil {
		return nil, readState{}, c.http.InvalidResponse(resp, "tag: reading ticket %s's tags: the answer has no tag list: %s", req.Target.ID, c.http.Snippet(resp.Body))
	}
	st := readState{status: resp.Status, rateLimit: resp.RateLimit}
	for _, t := range req.Fields[replier.FieldTags].List {
		t = strings.TrimSpace(t)
		if !slices.ContainsFunc(tags, func(have string) bool { return strings.EqualFold(have, t) }) {
			tags = append(tags, t)
			st.changed = true
		}
	}
	return tags, st, nil
}

// update sends PUT /api/v2/tickets/{id}; the answer is the ticket.
func (c *client) update(ctx context.Context, u string, fields map[string]any, req *replier.Request, row platform.ActionCapability) (replier.Result, error) {
	data, err := httpapi.EncodeJSON(fields)
	if err != nil {
		return replier.Result{}, c.http.InvalidRequest("encoding the body: %v", err)
	}
	resp, rerr := c.call(ctx, http.MethodPut, u, data, req, row)
	if rerr != nil {
		return replier.Result{}, rerr
	}
	id, err := ticketIDOf(resp.Body)
	if err != nil {
		return replier.Result{}, c.http.InvalidResponse(resp, "%s accepted but %v: %s", req.Action, err, c.http.Snippet(resp.Body))
	}
	return replier.Result{ResponseID: id, Status: resp.Status, RateLimit: resp.RateLimit}, nil
}

// call sends one request of an action and turns a refusal into an error
// with Freshdesk's message; a 403 also names what the action needs.
func (c *client) call(ctx context.Context, method, u string, body []byte, req *replier.Request, row platform.ActionCapability) (*httpapi.Response, *replier.Error) {
	r := httpapi.Request{Method: method, URL: u, Header: http.Header{"Authorization": {c.auth}}}
	if body != nil {
		r.ContentType, r.Body = "application/json", body
	}
	resp, rerr := c.http.Do(ctx, r)
	if rerr != nil {
		return nil, rerr
	}
	if !resp.OK() {
		msg := c.errorMessage(resp)
		if resp.Status == http.StatusForbidden {
			msg = fmt.Sprintf("%s on ticket %s needs %s; Freshdesk said: %s", req.Action, req.Target.ID, row.Scope, msg)
		} else {
			msg = fmt.Sprintf("%s on ticket %s: %s", req.Action, req.Target.ID, msg)
		}
		return nil, c.http.StatusError(resp, msg)
	}
	if resp.ReadErr != nil {
		return nil, c.http.InvalidResponse(resp, "%s: HTTP %d but %v", req.Action, resp.Status, resp.ReadErr)
	}
	return resp, nil
}

// ticketIDOf reads the id of the ticket an update answered with.
func ticketIDOf(body []byte) (string, error) {
	var t struct {
		ID json.Number `json:"id"`
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return "", fmt.Errorf("the response is not a ticket object")
	}
	if !isTicketID(string(t.ID)) {
		return "", fmt.Errorf("the ticket has no numeric id")
	}
	return string(t.ID), nil
}

// clip shortens a value quoted in an error.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "..."
}
