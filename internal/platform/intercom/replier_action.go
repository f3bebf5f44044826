package intercom

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// Bodies of the action calls (2.16 schemas). Field order is fixed and
// empty optionals are left out, so a retry sends the same bytes.
type (
	// tagCreateRequest is create_or_update_tag_request: find or create by name.
	tagCreateRequest struct {
		Name string `json:"name"`
	}
	// tagAttachRequest is the body of POST /{conversations,tickets}/{id}/tags.
	tagAttachRequest struct {
		ID      string `json:"id"`
		AdminID string `json:"admin_id"`
	}
	// partsRequest covers the close, snooze, open and assign variants of
	// POST /conversations/{id}/parts; each sets only its own fields.
	partsRequest struct {
		MessageType  string `json:"message_type"`
		Type         string `json:"type,omitempty"`
		AdminID      string `json:"admin_id"`
		AssigneeID   string `json:"assignee_id,omitempty"`
		SnoozedUntil int64  `json:"snoozed_until,omitempty"`
	}
	// conversationUpdate is update_conversation_request.
	conversationUpdate struct {
		CustomAttributes map[string]string `json:"custom_attributes"`
	}
	// ticketUpdate is update_ticket_request as of 2.14: admin_id is an
	// integer there, assignee_id a string.
	ticketUpdate struct {
		TicketAttributes map[string]string `json:"ticket_attributes,omitempty"`
		TicketStateID    string            `json:"ticket_state_id,omitempty"`
		Open             *bool             `json:"open,omitempty"`
		SnoozedUntil     int64             `json:"snoozed_until,omitempty"`
		AdminID          int64             `json:"admin_id"`
		AssigneeID       string            `json:"assignee_id,omitempty"`
	}
)

// sendAction performs one action request: the same table the loader
// checked is checked again, then the documented calls are made in order.
func (i *Replier) sendAction(ctx context.Context, req *replier.Request) (replier.Result, *replier.Error) {
	if err := i.spec.CheckAction(req); err != nil {
		return replier.Result{}, i.c.InvalidRequest("%v", err)
	}
	row, _ := i.spec.ActionRow(req.Action, req.Target.Type) // CheckAction found it
	if req.Target.ID == "last" {
		return replier.Result{}, i.c.InvalidRequest(`target id "last" only works for a contact_reply`)
	}
	if err := checkTargetID(req.Target.ID); err != nil {
		return replier.Result{}, i.c.InvalidRequest("%s %s: %v", req.Action, req.Target.Type, err)
	}
	a := &action{i: i, row: row, target: req.Target}
	switch req.Action {
	case platform.ActionTag:
		return a.tag(ctx, req.Fields[replier.FieldTags].List)
	case platform.ActionAssign:
		return a.assign(ctx, req.Fields[replier.FieldAssignee].Map)
	case platform.ActionStatus:
		var until time.Time
		if u, ok := req.Fields[replier.FieldUntil]; ok {
			until, _ = time.Parse(time.RFC3339, u.Text) // CheckAction parsed it
		}
		return a.status(ctx, req.Fields[replier.FieldStatus].Text, until)
	case platform.ActionSet:
		return a.set(ctx, req.Fields[replier.FieldSet].Map)
	}
	return replier.Result{}, i.c.InvalidRequest("intercom cannot %s a %s", req.Action, req.Target.Type)
}

// action is one action request being carried out.
type action struct {
	i      *Replier
	row    platform.ActionCapability
	target event.Target
}

// collection is the target's path segment.
func (a *action) collection() string {
	if a.target.Type == event.TargetTicket {
		return "tickets"
	}
	return "conversations"
}

// tag resolves every name to a tag id (POST /tags finds or creates it;
// names are case-insensitive) and attaches each to the target. Nothing is
// attached until every name resolved; attaching never removes a tag.
func (a *action) tag(ctx context.Context, names []string) (replier.Result, *replier.Error) {
	var ids []string
	var seen []string
	for _, name := range names {
		if slices.Contains(seen, strings.ToLower(name)) {
			continue
		}
		seen = append(seen, strings.ToLower(name))
		resp, e := a.call(ctx, http.MethodPost, []string{"tags"}, tagCreateRequest{Name: name})
		if e != nil {
			return replier.Result{}, e
		}
		id, err := objectID(resp.Body, "tag")
		if err != nil {
			return replier.Result{}, a.i.c.InvalidResponse(resp, "POST /tags for %q: %v: %s", name, err, a.i.c.Snippet(resp.Body))
		}
		ids = append(ids, id)
	}
	var last *httpapi.Response
	for _, id := range ids {
		resp, e := a.call(ctx, http.MethodPost, []string{a.collection(), a.target.ID, "tags"}, tagAttachRequest{ID: id, AdminID: a.i.adminID})
		if e != nil {
			return replier.Result{}, e
		}
		last = resp
	}
	return replier.Result{ResponseID: strings.Join(ids, ","), Status: last.Status, RateLimit: last.RateLimit}, nil
}

// assign sets the assignee: one parts call per kind on a conversation
// (admin first, then team), one update on a ticket (MaxKeys is 1 there).
func (a *action) assign(ctx context.Context, who map[string]string) (replier.Result, *replier.Error) {
	for kind, id := range who {
		if !isDigits(id) {
			return replier.Result{}, a.i.c.InvalidRequest("assign.%s %q is not an Intercom %s id (a number; \"0\" unassigns)", kind, id, kind)
		}
	}
	if a.target.Type == event.TargetTicket {
		for _, id := range who {
			return a.updateTicket(ctx, ticketUpdate{AssigneeID: id})
		}
	}
	var res replier.Result
	for _, kind := range []string{AssignAdmin, AssignTeam} {
		id, ok := who[kind]
		if !ok {
			continue
		}
		r, e := a.parts(ctx, partsRequest{MessageType: "assignment", Type: kind, AdminID: a.i.adminID, AssigneeID: id})
		if e != nil {
			return replier.Result{}, e
		}
		res = r
	}
	return res, nil
}

// status opens, closes or snoozes; until is unix seconds on the wire. A
// ticket can also take a ticket-state category (ticket_states.go).
func (a *action) status(ctx context.Context, status string, until time.Time) (replier.Result, *replier.Error) {
	if a.target.Type == event.TargetTicket {
		if slices.Contains(ticketStateCategories, status) {
			return a.ticketState(ctx, status)
		}
		u := ticketUpdate{}
		switch status {
		case StatusOpen:
			u.Open = new(true)
		case StatusClosed:
			u.Open = new(false)
		case StatusSnoozed:
			u.SnoozedUntil = until.Unix()
		}
		return a.updateTicket(ctx, u)
	}
	switch status {
	case StatusOpen:
		return a.parts(ctx, partsRequest{MessageType: "open", AdminID: a.i.adminID})
	case StatusClosed:
		return a.parts(ctx, partsRequest{MessageType: "close", Type: "admin", AdminID: a.i.adminID})
	default: // StatusSnoozed: CheckAction allows nothing else
		return a.parts(ctx, partsRequest{MessageType: "snoozed", AdminID: a.i.adminID, SnoozedUntil: until.Unix()})
	}
}

// set writes conversation data attributes or ticket attributes. Both
// endpoints change only the attributes named, so no read is needed.
func (a *action) set(ctx context.Context, fields map[string]string) (replier.Result, *replier.Error) {
	if a.target.Type == event.TargetTicket {
		return a.updateTicket(ctx, ticketUpdate{TicketAttributes: fields})
	}
	if a.i.apiVersion == "2.10" {
		return replier.Result{}, a.i.c.InvalidRequest("api_version 2.10 takes no custom_attributes on PUT /conversations/{id} (2.9 and 2.11 or later do)")
	}
	resp, e := a.call(ctx, http.MethodPut, []string{"conversations", a.target.ID}, conversationUpdate{CustomAttributes: fields})
	if e != nil {
		return replier.Result{}, e
	}
	return a.result(resp), nil
}

// parts is one POST /conversations/{id}/parts.
func (a *action) parts(ctx context.Context, body partsRequest) (replier.Result, *replier.Error) {
	resp, e := a.call(ctx, http.MethodPost, []string{"conversations", a.target.ID, "parts"}, body)
	if e != nil {
		return replier.Result{}, e
	}
	return a.result(resp), nil
}

// updateTicket is one PUT /tickets/{id} in the 2.14+ shape, attributed to
// the bot's admin so that the webhook it causes names the bot as author.
func (a *action) updateTicket(ctx context.Context, u ticketUpdate) (replier.Result, *replier.Error) {
	admin, e := a.ticketAdmin()
	if e != nil {
		return replier.Result{}, e
	}
	u.AdminID = admin
	resp, e := a.call(ctx, http.MethodPut, []string{"tickets", a.target.ID}, u)
	if e != nil {
		return replier.Result{}, e
	}
	return a.result(resp), nil
}

// ticketAdmin checks that PUT /tickets/{id} can be sent in the shape the
// replier knows, before any call, and returns the admin_id as the integer
// that shape takes.
func (a *action) ticketAdmin() (int64, *replier.Error) {
	if major, minor, ok := parseVersion(a.i.apiVersion); ok && (major < 2 || major == 2 && minor < minTicketUpdateVersion) {
		return 0, a.i.c.InvalidRequest("%s on a ticket needs api_version 2.%d or later (PUT /tickets/{id} changed shape); the account has %s",
			a.row.Action, minTicketUpdateVersion, a.i.apiVersion)
	}
	admin, err := strconv.ParseInt(a.i.adminID, 10, 64)
	if err != nil {
		return 0, a.i.c.InvalidRequest("admin_id %q is not a number; PUT /tickets/{id} takes an integer admin_id", a.i.adminID)
	}
	return admin, nil
}

// call sends one request; a refusal becomes an error naming the call, and
// a 403 also names the scope the row needs.
func (a *action) call(ctx context.Context, method string, segments []string, body any) (*httpapi.Response, *replier.Error) {
	resp, e := a.do(ctx, method, segments, body)
	if e != nil {
		return nil, e
	}
	if !resp.OK() {
		return nil, a.refused(resp, method, segments, "the "+a.row.Scope+" scope")
	}
	return resp, nil
}

// do sends one request (a nil body sends none) and returns the answer
// whatever its status; only a request that got no answer is an error.
func (a *action) do(ctx context.Context, method string, segments []string, body any) (*httpapi.Response, *replier.Error) {
	what := method + " /" + strings.Join(segments, "/")
	endpoint, err := httpapi.EndpointURL(a.i.base, segments...)
	if err != nil {
		return nil, a.i.c.InvalidRequest("%s: %v", what, err)
	}
	req := httpapi.Request{Method: method, URL: endpoint, Header: a.i.header()}
	if body != nil {
		data, err := httpapi.EncodeJSON(body)
		if err != nil {
			return nil, a.i.c.InvalidRequest("%s: encoding the body: %v", what, err)
		}
		req.ContentType, req.Body = "application/json", data
	}
	resp, e := a.i.c.Do(ctx, req)
	if e != nil {
		e.Message = what + ": " + e.Message
		return nil, a.i.c.Redact(e)
	}
	return resp, nil
}

// refused turns a non-2xx answer into an error naming the call and what
// Intercom said; a 403 also names what the token needs (need).
func (a *action) refused(resp *httpapi.Response, method string, segments []string, need string) *replier.Error {
	what := method + " /" + strings.Join(segments, "/")
	said := a.i.errorMessage(resp)
	msg := fmt.Sprintf("%s %s: %s", a.row.Action, what, said)
	if resp.Status == http.StatusForbidden {
		msg = fmt.Sprintf("%s %s was refused: the access token needs %s (Intercom said: %s)", a.row.Action, what, need, said)
	}
	return a.i.c.StatusError(resp, msg)
}

// result reads what an accepted call returned. The action was done even
// when the body is unreadable, so that is no error: the id is then empty.
func (a *action) result(resp *httpapi.Response) replier.Result {
	var id string
	if a.target.Type == event.TargetTicket {
		id, _ = objectID(resp.Body, "ticket")
	} else {
		id, _ = responseID(event.TargetConversation, resp.Body)
	}
	return replier.Result{ResponseID: id, Status: resp.Status, RateLimit: resp.RateLimit}
}

// parseVersion reads "2.14" as (2, 14); "Unstable" or "" are not numbered.
func parseVersion(v string) (major, minor int, ok bool) {
	ma, mi, found := strings.Cut(v, ".")
	if !found {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(ma)
	minor, err2 := strconv.Atoi(mi)
	return major, minor, err1 == nil && err2 == nil
}
