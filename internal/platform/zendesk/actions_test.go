package zendesk_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/zendesk"
	"github.com/supportops/autoresponder/internal/platform/zendesk/zendeskfake"
	"github.com/supportops/autoresponder/internal/replier"
)

// action builds an action request on ticket 5158.
func action(name string, fields map[string]replier.Value) *replier.Request {
	return &replier.Request{V: replier.RequestVersion, Platform: "zd", Action: name,
		Target: event.Target{Type: event.TargetTicket, ID: "5158"}, Fields: fields}
}

func text(s string) replier.Value            { return replier.Value{Text: s} }
func list(s ...string) replier.Value         { return replier.Value{List: s} }
func dict(m map[string]string) replier.Value { return replier.Value{Map: m} }
func tagReq(tags ...string) *replier.Request {
	return action("tag", map[string]replier.Value{replier.FieldTags: list(tags...)})
}
func statusReq(s string) *replier.Request {
	return action("status", map[string]replier.Value{replier.FieldStatus: text(s)})
}
func setReq(m map[string]string) *replier.Request {
	return action("set", map[string]replier.Value{replier.FieldSet: dict(m)})
}

// TestActionRequests checks what each action sends, field by field, and
// what the ticket looks like afterwards.
func TestActionRequests(t *testing.T) {
	cases := []struct {
		name   string
		req    *replier.Request
		ticket map[string]any // the ticket object sent; nil for Add Tags
		tags   []string       // the tags sent to Add Tags
		after  func(zendeskfake.Ticket) bool
	}{
		{name: "assign agent and group",
			req:    action("assign", map[string]replier.Value{replier.FieldAssignee: dict(map[string]string{"agent": "42", "group": "7"})}),
			ticket: map[string]any{"assignee_id": json.Number("42"), "group_id": json.Number("7")},
			after:  func(t zendeskfake.Ticket) bool { return t.AssigneeID == "42" && t.GroupID == "7" }},
		{name: "assign group only",
			req:    action("assign", map[string]replier.Value{replier.FieldAssignee: dict(map[string]string{"group": "7"})}),
			ticket: map[string]any{"group_id": json.Number("7")},
			after:  func(t zendeskfake.Ticket) bool { return t.AssigneeID == "" && t.GroupID == "7" }},
		{name: "priority", req: action("priority", map[string]replier.Value{replier.FieldPriority: text("urgent")}),
			ticket: map[string]any{"priority": "urgent"},
			after:  func(t zendeskfake.Ticket) bool { return t.Priority == "urgent" }},
		{name: "status", req: statusReq("solved"), ticket: map[string]any{"status": "solved"},
			after: func(t zendeskfake.Ticket) bool { return t.Status == "solved" }},
		{name: "custom fields, sorted by id", req: setReq(map[string]string{"360002": "gold", "360001": "EU"}),
			ticket: map[string]any{"custom_fields": []any{
				map[string]any{"id": json.Number("360001"), "value": "EU"},
				map[string]any{"id": json.Number("360002"), "value": "gold"},
			}},
			after: func(t zendeskfake.Ticket) bool {
				return t.CustomFields["360001"] == "EU" && t.CustomFields["360002"] == "gold"
			}},
		{name: "tags", req: tagReq("refund", "billing"), tags: []string{"refund", "billing"},
			after: func(t zendeskfake.Ticket) bool { return reflect.DeepEqual(t.Tags, []string{"refund", "billing"}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := zendeskfake.New(t, zendeskfake.Options{})
			res, err := newReplier(t, f).Send(context.Background(), c.req)
			if err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			reqs := f.Requests()
			if len(reqs) != 1 || len(f.Problems()) > 0 {
				t.Fatalf("fake accepted %d requests, problems %q", len(reqs), f.Problems())
			}
			got := reqs[0]
			if c.ticket != nil && (got.Endpoint != zendeskfake.EndpointTicket || !reflect.DeepEqual(got.Ticket, c.ticket)) {
				t.Errorf("sent %s %#v, want a ticket update %#v", got.Endpoint, got.Ticket, c.ticket)
			}
			if c.tags != nil && (got.Endpoint != zendeskfake.EndpointTags || !reflect.DeepEqual(got.Tags, c.tags)) {
				t.Errorf("sent %s %q, want Add Tags %q", got.Endpoint, got.Tags, c.tags)
			}
			if state := f.Ticket("5158"); !c.after(state) {
				t.Errorf("ticket afterwards: %+v", state)
			}
			if res.ResponseID == "" || res.Status != http.StatusOK || !res.RateLimit.Known {
				t.Errorf("result %+v: want an id, 200 and the rate limit", res)
			}
		})
	}
}

// TestTagsKeepExistingTags: adding tags never drops the ticket's others.
func TestTagsKeepExistingTags(t *testing.T) {
	f := zendeskfake.New(t, zendeskfake.Options{})
	f.SetTags("5158", "mobile", "vip")
	if _, err := newReplier(t, f).Send(context.Background(), tagReq("refund", "vip")); err != nil {
		t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
	}
	if got, want := f.Ticket("5158").Tags, []string{"mobile", "vip", "refund"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tags %q, want %q", got, want)
	}
}

// TestActionRefusedBeforeSending: what the row, the ids or Zendesk's tag
// rules refuse never reaches Zendesk and is not retried.
func TestActionRefusedBeforeSending(t *testing.T) {
	withUntil := statusReq("pending")
	withUntil.Set(replier.FieldUntil, text("2026-01-01T10:00:00Z"))
	cases := []struct {
		name string
		req  *replier.Request
		want string
	}{
		{"priority not Zendesk's", action("priority", map[string]replier.Value{replier.FieldPriority: text("medium")}), `priority "medium" is not one of: low, normal, high, urgent`},
		{"status not Zendesk's", statusReq("snoozed"), `status "snoozed" is not one of`},
		{"status new", statusReq("new"), `status "new" is not one of`},
		{"until on a status", withUntil, "takes no until"},
		{"assign a team", action("assign", map[string]replier.Value{replier.FieldAssignee: dict(map[string]string{"team": "5"})}), "it can assign: agent, group"},
		{"agent id not a number", action("assign", map[string]replier.Value{replier.FieldAssignee: dict(map[string]string{"agent": "jane"})}), `"jane" is not a Zendesk agent id`},
		{"field by name", setReq(map[string]string{"plan": "gold"}), `"plan" is not a ticket field id`},
		{"tag with a space", tagReq("two words"), "Zendesk would split it"},
		{"no tags", tagReq(), "at least one tag"},
		{"ticket id not a number", &replier.Request{Action: "status", Target: event.Target{Type: "ticket", ID: "../users/1"}, Fields: map[string]replier.Value{replier.FieldStatus: text("open")}}, "not a Zendesk ticket number"},
		{"conversation", &replier.Request{Action: "status", Target: event.Target{Type: "conversation", ID: "1"}, Fields: map[string]replier.Value{replier.FieldStatus: text("open")}}, "no action on a conversation"},
		{"unknown action", action("snooze", nil), "has no snooze action for a ticket"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := zendeskfake.New(t, zendeskfake.Options{})
			_, err := newReplier(t, f).Send(context.Background(), c.req)
			e := platformtest.WantError(t, err, replier.ReasonInvalidRequest, false)
			if !strings.Contains(e.Message, c.want) {
				t.Errorf("message %q, want %q", e.Message, c.want)
			}
			if f.Accepted() != 0 || len(f.Problems()) != 0 {
				t.Errorf("something was sent: accepted %d, problems %q", f.Accepted(), f.Problems())
			}
		})
	}
}

// TestActionErrors: Zendesk's refusals become dead letters with its
// message; a 403 also names what the action needs, a 404 is permanent.
func TestActionErrors(t *testing.T) {
	scope, _ := zendesk.New().Spec().ActionRow("status", event.TargetTicket)
	cases := []struct {
		name   string
		req    *replier.Request
		status int
		body   string
		reason replier.Reason
		retry  bool
		want   []string
	}{
		{"403 names the scope", statusReq("solved"), 403, `{"error":{"title":"Forbidden","message":"You do not have access to this page."}}`,
			replier.ReasonClientError, false, []string{scope.Scope, "tickets:write", "Forbidden: You do not have access to this page."}},
		{"403 on tags", tagReq("vip"), 403, `{"error":"Forbidden","description":"You are missing the following required scopes: tickets:write"}`,
			replier.ReasonClientError, false, []string{"tag on ticket 5158 needs", "missing the following required scopes"}},
		{"404: the ticket is gone", statusReq("open"), 404, `{"error":"RecordNotFound","description":"Not found"}`,
			replier.ReasonClientError, false, []string{"status on ticket 5158", "RecordNotFound: Not found"}},
		{"422: Zendesk's rule", statusReq("solved"), 422, `{"error":"RecordInvalid","description":"Record validation errors","details":{"status":[{"description":"Status: closed prevents ticket update"}]}}`,
			replier.ReasonClientError, false, []string{"closed prevents ticket update"}},
		{"429 is retried", tagReq("vip"), 429, `{"error":"TooManyRequests"}`, replier.ReasonRateLimited, true, []string{"TooManyRequests"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := zendeskfake.New(t, zendeskfake.Options{})
			f.SetTags("5158", "mobile")
			f.Answer(c.status, nil, c.body)
			_, err := newReplier(t, f).Send(context.Background(), c.req)
			e := platformtest.WantError(t, err, c.reason, c.retry)
			for _, w := range c.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q does not say %q", e.Message, w)
				}
			}
			if e.Status != c.status {
				t.Errorf("status %d, want %d", e.Status, c.status)
			}
			if st := f.Ticket("5158"); st.Status != "open" || !reflect.DeepEqual(st.Tags, []string{"mobile"}) {
				t.Errorf("a refused action changed the ticket: %+v", st)
			}
		})
	}
}

// TestValidateAction: literal ids that are not numbers are caught when the
// rules file loads.
func TestValidateAction(t *testing.T) {
	v, ok := zendesk.New().(platform.ActionValidator)
	if !ok {
		t.Fatal("zendesk does not implement platform.ActionValidator")
	}
	cases := []struct {
		name string
		view platform.ActionView
		want []string // problem paths
	}{
		{"numeric ids", platform.ActionView{Action: "assign", Keys: []string{"agent", "group"}, Literals: map[string]string{"agent": "42", "group": "7"}}, nil},
		{"templated id", platform.ActionView{Action: "assign", Keys: []string{"agent"}}, nil},
		{"agent by name", platform.ActionView{Action: "assign", Keys: []string{"agent"}, Literals: map[string]string{"agent": "jane"}}, []string{"agent"}},
		{"field ids", platform.ActionView{Action: "set", Keys: []string{"360001"}, Literals: map[string]string{"360001": "gold"}}, nil},
		{"field by name", platform.ActionView{Action: "set", Keys: []string{"plan", "360001"}}, []string{"plan"}},
		{"priority", platform.ActionView{Action: "priority", Literals: map[string]string{"priority": "high"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, p := range v.ValidateAction(&c.view) {
				got = append(got, strings.Join(p.Path, "."))
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("problems at %q, want %q", got, c.want)
			}
		})
	}
}
