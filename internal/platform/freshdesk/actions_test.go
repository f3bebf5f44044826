package freshdesk_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/freshdesk"
	"github.com/supportops/autoresponder/internal/platform/freshdesk/freshdeskfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/replier"
)

// action builds an action request on ticket 4242 with one field.
func action(name, field string, v replier.Value) *replier.Request {
	req := &replier.Request{V: replier.RequestVersion, Platform: "fd", Action: name,
		Target: event.Target{Type: event.TargetTicket, ID: "4242"}}
	if field != "" {
		req.Set(field, v)
	}
	return req
}

func tagReq(tags ...string) *replier.Request {
	return action("tag", replier.FieldTags, replier.Value{List: tags})
}

// TestActionValuesMapToFreshdesk: the rules file's words become Freshdesk's
// integers, ids become numbers, and only the action's fields are sent.
func TestActionValuesMapToFreshdesk(t *testing.T) {
	cases := []struct {
		name string
		req  *replier.Request
		want map[string]any
	}{
		{"status open", action("status", replier.FieldStatus, replier.Value{Text: "open"}), map[string]any{"status": json.Number("2")}},
		{"status pending", action("status", replier.FieldStatus, replier.Value{Text: "pending"}), map[string]any{"status": json.Number("3")}},
		{"status resolved", action("status", replier.FieldStatus, replier.Value{Text: "resolved"}), map[string]any{"status": json.Number("4")}},
		{"status closed", action("status", replier.FieldStatus, replier.Value{Text: "closed"}), map[string]any{"status": json.Number("5")}},
		{"priority low", action("priority", replier.FieldPriority, replier.Value{Text: "low"}), map[string]any{"priority": json.Number("1")}},
		{"priority medium", action("priority", replier.FieldPriority, replier.Value{Text: "medium"}), map[string]any{"priority": json.Number("2")}},
		{"priority high", action("priority", replier.FieldPriority, replier.Value{Text: "high"}), map[string]any{"priority": json.Number("3")}},
		{"priority urgent", action("priority", replier.FieldPriority, replier.Value{Text: "urgent"}), map[string]any{"priority": json.Number("4")}},
		{"assign agent and group", action("assign", replier.FieldAssignee, replier.Value{Map: map[string]string{"agent": "42", "group": "7"}}),
			map[string]any{"responder_id": json.Number("42"), "group_id": json.Number("7")}},
		{"assign group", action("assign", replier.FieldAssignee, replier.Value{Map: map[string]string{"group": "7"}}), map[string]any{"group_id": json.Number("7")}},
		{"custom fields", action("set", replier.FieldSet, replier.Value{Map: map[string]string{"cf_plan": "gold", "cf_region": "EU"}}),
			map[string]any{"custom_fields": map[string]any{"cf_plan": "gold", "cf_region": "EU"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			res, err := r.Send(context.Background(), c.req)
			if err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			reqs := f.Requests()
			if len(reqs) != 1 || len(f.Problems()) > 0 {
				t.Fatalf("fake accepted %d requests, problems %q", len(reqs), f.Problems())
			}
			if got := reqs[0]; got.Method != http.MethodPut || got.Endpoint != freshdeskfake.EndpointTicket || !reflect.DeepEqual(got.Body, c.want) {
				t.Errorf("sent %s %s %#v, want PUT of the ticket with %#v", got.Method, got.Endpoint, got.Body, c.want)
			}
			if res.ResponseID != "4242" || res.Status != http.StatusOK || !res.RateLimit.Known {
				t.Errorf("result %+v: want the ticket id, 200 and the rate limit", res)
			}
		})
	}
}

// TestTagsAreReadFirstAndWrittenAsAUnion: Freshdesk's tags field replaces
// the list, so the bot reads the ticket's tags and never drops one.
func TestTagsAreReadFirstAndWrittenAsAUnion(t *testing.T) {
	cases := []struct {
		name     string
		existing []string
		add      []string
		want     []string
		writes   bool
	}{
		{"keeps existing tags", []string{"vip", "mobile"}, []string{"refund", "billing"}, []string{"vip", "mobile", "refund", "billing"}, true},
		{"no tags yet", nil, []string{"refund"}, []string{"refund"}, true},
		{"one already there, in another case", []string{"VIP"}, []string{"vip", "refund"}, []string{"VIP", "refund"}, true},
		{"all there: nothing written", []string{"vip", "refund"}, []string{"refund"}, []string{"vip", "refund"}, false},
		{"the same tag twice", []string{"vip"}, []string{"refund", "refund"}, []string{"vip", "refund"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			f.SetTags("4242", c.existing...)
			res, err := r.Send(context.Background(), tagReq(c.add...))
			if err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			if got := f.Ticket("4242").Tags; !reflect.DeepEqual(got, c.want) {
				t.Errorf("tags %q, want %q", got, c.want)
			}
			var methods []string
			for _, q := range f.Requests() {
				methods = append(methods, q.Method)
			}
			want := []string{"GET"}
			if c.writes {
				want = append(want, "PUT")
			}
			if !reflect.DeepEqual(methods, want) || len(f.Problems()) > 0 {
				t.Errorf("requests %q (problems %q), want %q", methods, f.Problems(), want)
			}
			if res.ResponseID != "4242" {
				t.Errorf("ResponseID %q, want the ticket", res.ResponseID)
			}
		})
	}
}

// TestActionRefusedBeforeSending: what the row or Freshdesk's formats
// refuse never reaches Freshdesk and is not retried.
func TestActionRefusedBeforeSending(t *testing.T) {
	snooze := action("status", replier.FieldStatus, replier.Value{Text: "pending"})
	snooze.Set(replier.FieldUntil, replier.Value{Text: "2026-01-01T10:00:00Z"})
	cases := []struct {
		name string
		req  *replier.Request
		want string
	}{
		{"Zendesk's priority word", action("priority", replier.FieldPriority, replier.Value{Text: "normal"}), `priority "normal" is not one of: low, medium, high, urgent`},
		{"a status number", action("status", replier.FieldStatus, replier.Value{Text: "4"}), `status "4" is not one of: open, pending, resolved, closed`},
		{"until", snooze, "takes no until"},
		{"assign a team", action("assign", replier.FieldAssignee, replier.Value{Map: map[string]string{"team": "1"}}), "it can assign: agent, group"},
		{"agent by email", action("assign", replier.FieldAssignee, replier.Value{Map: map[string]string{"agent": "jo@example.com"}}), "is not a Freshdesk agent id"},
		{"field without cf_", action("set", replier.FieldSet, replier.Value{Map: map[string]string{"plan": "gold"}}), "not a custom field's API name"},
		{"blank tag", tagReq("vip", " "), "rendered empty"},
		{"ticket id not a number", &replier.Request{Action: "tag", Target: event.Target{Type: "ticket", ID: "12a"}, Fields: map[string]replier.Value{replier.FieldTags: {List: []string{"x"}}}}, "not a number"},
		{"conversation", &replier.Request{Action: "tag", Target: event.Target{Type: "conversation", ID: "1"}, Fields: map[string]replier.Value{replier.FieldTags: {List: []string{"x"}}}}, "no action on a conversation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			_, err := r.Send(context.Background(), c.req)
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

// TestActionErrors: Freshdesk's refusals become dead letters with its
// message, on the read of a tag action as on the write; a 403 names
// what the action needs, a 404 is permanent.
func TestActionErrors(t *testing.T) {
	row, _ := freshdesk.New().Spec().ActionRow("tag", event.TargetTicket)
	denied := `{"code":"access_denied","message":"You are not authorized to perform this action."}`
	gone := `{"code":"not_found","message":"The requested resource could not be found"}`
	cases := []struct {
		name    string
		req     *replier.Request
		answers []int // scripted statuses, in order (0: success)
		body    string
		reason  replier.Reason
		retry   bool
		want    []string
	}{
		{"403 on the write names the scope", tagReq("refund"), []int{0, 403}, denied, replier.ReasonClientError, false,
			[]string{row.Scope, "Edit ticket properties", "access_denied: You are not authorized to perform this action."}},
		{"403 on the read", tagReq("refund"), []int{403}, denied, replier.ReasonClientError, false, []string{"tag on ticket 4242 needs", "access_denied"}},
		{"403 on status", action("status", replier.FieldStatus, replier.Value{Text: "closed"}), []int{403}, denied, replier.ReasonClientError, false, []string{"status on ticket 4242 needs", "Edit ticket properties"}},
		{"404: the ticket is gone", tagReq("refund"), []int{404}, gone, replier.ReasonClientError, false, []string{"tag on ticket 4242", "not_found: The requested resource could not be found"}},
		{"404 on an update", action("priority", replier.FieldPriority, replier.Value{Text: "high"}), []int{404}, gone, replier.ReasonClientError, false, []string{"priority on ticket 4242", "not_found"}},
		{"400: required for closure", action("status", replier.FieldStatus, replier.Value{Text: "resolved"}), []int{400},
			`{"description":"Validation failed","errors":[{"field":"cf_reason","message":"It should be a/an String","code":"missing_field"}]}`,
			replier.ReasonClientError, false, []string{"Validation failed: cf_reason: It should be a/an String (missing_field)"}},
		{"429 is retried", tagReq("refund"), []int{429}, `{"code":"too_many_requests","message":"slow down"}`, replier.ReasonRateLimited, true, []string{"slow down"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			f.SetTags("4242", "vip")
			for _, st := range c.answers {
				if st == 0 {
					f.Answer(0, nil, "")
				} else {
					f.Answer(st, nil, c.body)
				}
			}
			_, err := r.Send(context.Background(), c.req)
			e := platformtest.WantError(t, err, c.reason, c.retry)
			for _, w := range c.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q does not say %q", e.Message, w)
				}
			}
			if got := f.Ticket("4242"); !reflect.DeepEqual(got.Tags, []string{"vip"}) || got.Status != 2 {
				t.Errorf("a refused action changed the ticket: %+v", got)
			}
		})
	}
}

// TestValidateAction: literal ids and field names Freshdesk would refuse
// are caught when the rules file loads.
func TestValidateAction(t *testing.T) {
	v, ok := freshdesk.New().(platform.ActionValidator)
	if !ok {
		t.Fatal("freshdesk does not implement platform.ActionValidator")
	}
	cases := []struct {
		name string
		view platform.ActionView
		want []string
	}{
		{"numeric ids", platform.ActionView{Action: "assign", Keys: []string{"agent", "group"}, Literals: map[string]string{"agent": "42", "group": "7"}}, nil},
		{"templated id", platform.ActionView{Action: "assign", Keys: []string{"agent"}}, nil},
		{"group by name", platform.ActionView{Action: "assign", Keys: []string{"group"}, Literals: map[string]string{"group": "Billing"}}, []string{"group"}},
		{"cf_ names", platform.ActionView{Action: "set", Keys: []string{"cf_plan", "cf_region_2"}}, nil},
		{"label, not API name", platform.ActionView{Action: "set", Keys: []string{"Plan", "cf_plan"}}, []string{"Plan"}},
		{"cf_ alone", platform.ActionView{Action: "set", Keys: []string{"cf_"}}, []string{"cf_"}},
		{"status", platform.ActionView{Action: "status", Literals: map[string]string{"status": "open"}}, nil},
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

// TestTagsReadAnswer: a read without a tag list stops the action before
// anything is written (writing could drop tags); null is no tags.
func TestTagsReadAnswer(t *testing.T) {
	cases := []struct {
		name, body string
		ok         bool
	}{
		{"no tags key", `{"id":4242,"status":2}`, false},
		{"tags not a list", `{"id":4242,"tags":"vip"}`, false},
		{"not JSON", `<html>`, false},
		{"null tags", `{"id":4242,"tags":null}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			f.Answer(http.StatusOK, nil, c.body)
			_, err := r.Send(context.Background(), tagReq("refund"))
			if c.ok {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				if got := f.Ticket("4242").Tags; !reflect.DeepEqual(got, []string{"refund"}) {
					t.Errorf("tags %q", got)
				}
				return
			}
			platformtest.WantError(t, err, replier.ReasonInvalidResponse, false)
			if len(f.Requests()) != 1 {
				t.Errorf("%d requests, want the read only", len(f.Requests()))
			}
		})
	}
}
