package zendesk

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// sendAction performs one action on a ticket. Tags go to the Add Tags
// endpoint, which adds without replacing; everything else is one ticket
// update, PUT /api/v2/tickets/{id}.json, carrying only the fields the
// action changes (Zendesk leaves the others as they are).
func (r *Replier) sendAction(ctx context.Context, req *replier.Request) (replier.Result, *replier.Error) {
	if err := spec.CheckAction(req); err != nil {
		return replier.Result{}, r.client.InvalidRequest("%v", err)
	}
	row, _ := spec.ActionRow(req.Action, req.Target.Type)
	if !isDigits(req.Target.ID) {
		return replier.Result{}, r.client.InvalidRequest("ticket id %q is not a Zendesk ticket number", clip(req.Target.ID))
	}
	if req.Action == platform.ActionTag {
		return r.addTags(ctx, req, row)
	}
	ticket, e := r.actionFields(req)
	if e != nil {
		return replier.Result{}, e
	}
	endpoint, err := httpapi.EndpointURL(r.base, "api", "v2", "tickets", req.Target.ID+".json")
	if err != nil {
		return replier.Result{}, r.client.InvalidRequest("%v", err)
	}
	resp, e := r.put(ctx, endpoint, map[string]any{"ticket": ticket}, req, row)
	if e != nil {
		return replier.Result{}, e
	}
	id, err := responseID(resp.Body)
	if err != nil {
		return replier.Result{}, r.client.InvalidResponse(resp, "%s: %v: %s", req.Action, err, r.client.Snippet(resp.Body))
	}
	return replier.Result{ResponseID: id, Status: resp.Status, RateLimit: resp.RateLimit}, nil
}

// actionFields are the ticket fields one action sets, in the API's types.
// CheckAction has vetted the values against the row; what it cannot know
// (ids being numbers, after templates rendered) is checked here.
func (r *Replier) actionFields(req *replier.Request) (map[string]any, *replier.Error) {
	t := map[string]any{}
	switch req.Action {
	case platform.ActionAssign:
		for kind, field := range map[string]string{AssignAgent: "assignee_id", AssignGroup: "group_id"} {
			v, ok := req.Fields[replier.FieldAssignee].Map[kind]
			if !ok {
				continue
			}
			n, ok := zendeskID(v)
			if !ok {
				return nil, r.client.InvalidRequest("assign %s: %q is not a Zendesk %s id (a number)", kind, clip(v), kind)
			}
			t[field] = n
		}
	case platform.ActionPriority:
		t["priority"] = req.Fields[replier.FieldPriority].Text
	case platform.ActionStatus:
		t["status"] = req.Fields[replier.FieldStatus].Text
	case platform.ActionSet:
		set := req.Fields[replier.FieldSet].Map
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		slices.Sort(keys) // one request body for one request, whatever the map order
		fields := make([]customField, 0, len(keys))
		for _, k := range keys {
			n, ok := zendeskID(k)
			if !ok {
				return nil, r.client.InvalidRequest("set: %q is not a ticket field id (Zendesk names custom fields by number)", clip(k))
			}
			fields = append(fields, customField{ID: n, Value: set[k]})
		}
		t["custom_fields"] = fields
	default:
		return nil, r.client.InvalidRequest("zendesk cannot %s a ticket", req.Action)
	}
	return t, nil
}

// customField is one entry of ticket.custom_fields.
type customField struct {
	ID    int64  `json:"id"`
	Value string `json:"value"`
}

// addTags adds tags with PUT /api/v2/tickets/{id}/tags: Zendesk keeps the
// ticket's other tags, so no read is needed (unlike ticket.tags, which
// replaces the whole list). Any 2xx is success: the answer (the ticket's
// tags after the change) is not documented well enough to insist on.
func (r *Replier) addTags(ctx context.Context, req *replier.Request, row platform.ActionCapability) (replier.Result, *replier.Error) {
	tags := req.Fields[replier.FieldTags].List
	for _, t := range tags {
		if why := badTag(t); why != "" {
			return replier.Result{}, r.client.InvalidRequest("%s", why)
		}
	}
	endpoint, err := httpapi.EndpointURL(r.base, "api", "v2", "tickets", req.Target.ID, "tags")
	if err != nil {
		return replier.Result{}, r.client.InvalidRequest("%v", err)
	}
	resp, e := r.put(ctx, endpoint, map[string]any{"tags": tags}, req, row)
	if e != nil {
		return replier.Result{}, e
	}
	return replier.Result{ResponseID: req.Target.ID, Status: resp.Status, RateLimit: resp.RateLimit}, nil
}

// put sends one JSON PUT and turns a refusal into an error naming what
// Zendesk said; a 403 also names what the action needs.
func (r *Replier) put(ctx context.Context, endpoint string, v any, req *replier.Request, row platform.ActionCapability) (*httpapi.Response, *replier.Error) {
	body, err := httpapi.EncodeJSON(v)
	if err != nil {
		return nil, r.client.InvalidRequest("encoding the request: %v", err)
	}
	resp, e := r.client.Do(ctx, httpapi.Request{
		Method: http.MethodPut, URL: endpoint, ContentType: "application/json", Body: body,
		Header: http.Header{"Authorization": {r.auth}},
	})
	if e != nil {
		return nil, e
	}
	if !resp.OK() {
		msg := r.errorMessage(resp)
		if resp.Status == http.StatusForbidden {
			msg = fmt.Sprintf("%s on ticket %s needs %s; Zendesk said: %s", req.Action, req.Target.ID, row.Scope, msg)
		} else {
			msg = fmt.Sprintf("%s on ticket %s: %s", req.Action, req.Target.ID, msg)
		}
		return nil, r.client.StatusError(resp, msg)
	}
	if resp.ReadErr != nil {
		return nil, r.client.InvalidResponse(resp, "%s: HTTP %d but %v", req.Action, resp.Status, resp.ReadErr)
	}
	return resp, nil
}

// zendeskID reads a positive 64-bit Zendesk id.
func zendeskID(s string) (int64, bool) {
	if !isDigits(s) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}
