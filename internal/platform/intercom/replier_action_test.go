package intercom_test

import (
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/intercom"
	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/replier"
)

// act builds an action request.
func act(action string, target event.Target, fields map[string]replier.Value) *replier.Request {
	return &replier.Request{V: replier.RequestVersion, Platform: "intercom", Action: action, Target: target, Fields: fields}
}

func tags(names ...string) map[string]replier.Value {
	return map[string]replier.Value{replier.FieldTags: {List: names}}
}

func assignee(m map[string]string) map[string]replier.Value {
	return map[string]replier.Value{replier.FieldAssignee: {Map: m}}
}

func status(s, until string) map[string]replier.Value {
	f := map[string]replier.Value{replier.FieldStatus: {Text: s}}
	if until != "" {
		f[replier.FieldUntil] = replier.Value{Text: until}
	}
	return f
}

func set(m map[string]string) map[string]replier.Value {
	return map[string]replier.Value{replier.FieldSet: {Map: m}}
}

// The until of the snooze tests: 2030-01-02T03:04:05Z is 1893553445.
const (
	untilRFC3339 = "2030-01-02T03:04:05Z"
	untilUnix    = "1893553445"
)

// TestIntercomActionCalls pins every call each action makes, in order,
// with the exact JSON, through the strict fake.
func TestIntercomActionCalls(t *testing.T) {
	type call struct{ method, path, body string }
	tests := []struct {
		name  string
		req   *replier.Request
		calls []call
	}{
		{"tag a conversation, names resolved first, duplicates once",
			act(platform.ActionTag, conv("123"), tags("refund", "VIP", "Refund")), []call{
				{"POST", "/tags", `{"name":"refund"}`},
				{"POST", "/tags", `{"name":"VIP"}`},
				{"POST", "/conversations/123/tags", `{"id":"7000000","admin_id":"991267696"}`},
				{"POST", "/conversations/123/tags", `{"id":"7000001","admin_id":"991267696"}`},
			}},
		{"tag a ticket", act(platform.ActionTag, ticket("42"), tags("refund")), []call{
			{"POST", "/tags", `{"name":"refund"}`},
			{"POST", "/tickets/42/tags", `{"id":"7000000","admin_id":"991267696"}`},
		}},
		{"assign a conversation to a teammate and a team",
			act(platform.ActionAssign, conv("123"), assignee(map[string]string{"team": "5017691", "admin": "814860"})), []call{
				{"POST", "/conversations/123/parts", `{"message_type":"assignment","type":"admin","admin_id":"991267696","assignee_id":"814860"}`},
				{"POST", "/conversations/123/parts", `{"message_type":"assignment","type":"team","admin_id":"991267696","assignee_id":"5017691"}`},
			}},
		{"unassign a conversation's team", act(platform.ActionAssign, conv("123"), assignee(map[string]string{"team": "0"})), []call{
			{"POST", "/conversations/123/parts", `{"message_type":"assignment","type":"team","admin_id":"991267696","assignee_id":"0"}`},
		}},
		{"assign a ticket, admin_id an integer", act(platform.ActionAssign, ticket("42"), assignee(map[string]string{"team": "5017691"})), []call{
			{"PUT", "/tickets/42", `{"admin_id":991267696,"assignee_id":"5017691"}`},
		}},
		{"open a conversation", act(platform.ActionStatus, conv("123"), status("open", "")), []call{
			{"POST", "/conversations/123/parts", `{"message_type":"open","admin_id":"991267696"}`},
		}},
		{"close a conversation", act(platform.ActionStatus, conv("123"), status("closed", "")), []call{
			{"POST", "/conversations/123/parts", `{"message_type":"close","type":"admin","admin_id":"991267696"}`},
		}},
		{"snooze a conversation, until in unix seconds", act(platform.ActionStatus, conv("123"), status("snoozed", untilRFC3339)), []call{
			{"POST", "/conversations/123/parts", `{"message_type":"snoozed","admin_id":"991267696","snoozed_until":` + untilUnix + `}`},
		}},
		{"open a ticket", act(platform.ActionStatus, ticket("42"), status("open", "")), []call{
			{"PUT", "/tickets/42", `{"open":true,"admin_id":991267696}`},
		}},
		{"close a ticket", act(platform.ActionStatus, ticket("42"), status("closed", "")), []call{
			{"PUT", "/tickets/42", `{"open":false,"admin_id":991267696}`},
		}},
		{"snooze a ticket", act(platform.ActionStatus, ticket("42"), status("snoozed", untilRFC3339)), []call{
			{"PUT", "/tickets/42", `{"snoozed_until":` + untilUnix + `,"admin_id":991267696}`},
		}},
		{"set conversation attributes", act(platform.ActionSet, conv("123"), set(map[string]string{"plan": "pro", "Refund reason": "late"})), []call{
			{"PUT", "/conversations/123", `{"custom_attributes":{"Refund reason":"late","plan":"pro"}}`},
		}},
		{"set ticket attributes", act(platform.ActionSet, ticket("42"), set(map[string]string{"_default_title_": "Refund"})), []call{
			{"PUT", "/tickets/42", `{"ticket_attributes":{"_default_title_":"Refund"},"admin_id":991267696}`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
			if _, err := r.Replier.Send(ctx(t), tt.req); err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, fake.Violations())
			}
			got := fake.Requests()
			if len(got) != len(tt.calls) {
				t.Fatalf("%d calls, want %d: %v", len(got), len(tt.calls), got)
			}
			for n, want := range tt.calls {
				if got[n].Method != want.method || got[n].Path != want.path || string(got[n].RawBody) != want.body {
					t.Errorf("call %d: %s %s %s\nwant %s %s %s", n+1, got[n].Method, got[n].Path, got[n].RawBody, want.method, want.path, want.body)
				}
				if v := got[n].Header.Get("Intercom-Version"); v != testVersion {
					t.Errorf("call %d: Intercom-Version %q, want %q", n+1, v, testVersion)
				}
			}
		})
	}
}

// TestIntercomActionsChangeTheTarget checks what a teammate would see
// afterwards: tags added next to the existing ones, the state, the snooze
// time and the assignees.
func TestIntercomActionsChangeTheTarget(t *testing.T) {
	fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
	fake.SeedTags(intercomfake.TypeConversation, "123", "vip", "billing")
	fake.SeedTags(intercomfake.TypeTicket, "42", "urgent")
	steps := []*replier.Request{
		act(platform.ActionTag, conv("123"), tags("refund", "VIP")),
		act(platform.ActionTag, ticket("42"), tags("refund")),
		act(platform.ActionStatus, conv("123"), status("snoozed", untilRFC3339)),
		act(platform.ActionAssign, conv("123"), assignee(map[string]string{"team": "5017691"})),
		act(platform.ActionStatus, ticket("42"), status("closed", "")),
		act(platform.ActionSet, conv("123"), set(map[string]string{"plan": "pro"})),
		act(platform.ActionSet, conv("123"), set(map[string]string{"tier": "gold"})),
	}
	for _, s := range steps {
		if _, err := r.Replier.Send(ctx(t), s); err != nil {
			t.Fatalf("%s %s: %v", s.Action, s.Target.Type, err)
		}
	}
	c := fake.Target(intercomfake.TypeConversation, "123")
	if got, want := strings.Join(c.Tags, ","), "vip,billing,refund"; got != want {
		t.Errorf("conversation tags %s, want %s (existing tags kept, VIP matched vip)", got, want)
	}
	if c.State != "snoozed" || c.SnoozedUntil != 1893553445 {
		t.Errorf("conversation %s until %d, want snoozed until 1893553445", c.State, c.SnoozedUntil)
	}
	if c.TeamAssignee != "5017691" || c.LastAdmin != testAdminID {
		t.Errorf("conversation team %q by %q, want 5017691 by the bot", c.TeamAssignee, c.LastAdmin)
	}
	if c.Attributes["plan"] != "pro" || c.Attributes["tier"] != "gold" {
		t.Errorf("conversation attributes %v, want plan and tier both set", c.Attributes)
	}
	tk := fake.Target(intercomfake.TypeTicket, "42")
	if got, want := strings.Join(tk.Tags, ","), "urgent,refund"; got != want {
		t.Errorf("ticket tags %s, want %s", got, want)
	}
	if tk.State != "closed" || tk.LastAdmin != testAdminID {
		t.Errorf("ticket %s by %q, want closed by the bot", tk.State, tk.LastAdmin)
	}
}

// TestIntercomActionErrors: a 403 names the scope and what Intercom said;
// a 404 is permanent with Intercom's message; both stop the action.
func TestIntercomActionErrors(t *testing.T) {
	scopeMsg := "You do not have the required scope (write_tickets) to access this resource"
	tests := []struct {
		name    string
		req     *replier.Request
		answers []platformfake.Response
		calls   int
		reason  replier.Reason
		retry   bool
		want    []string
	}{
		{"403 on a ticket update names write_tickets",
			act(platform.ActionStatus, ticket("42"), status("closed", "")),
			[]platformfake.Response{intercomfake.Error(403, "forbidden", scopeMsg)}, 1,
			replier.ReasonClientError, false, []string{"write_tickets scope", "PUT /tickets/42", "forbidden: " + scopeMsg}},
		{"403 on a conversation part names write_conversations",
			act(platform.ActionAssign, conv("123"), assignee(map[string]string{"admin": "814860"})),
			[]platformfake.Response{intercomfake.Error(403, "api_plan_restricted", "Active subscription needed.")}, 1,
			replier.ReasonClientError, false, []string{"write_conversations scope", "api_plan_restricted: Active subscription needed."}},
		{"403 while attaching a tag, after it was resolved",
			act(platform.ActionTag, conv("123"), tags("refund")),
			[]platformfake.Response{{}, intercomfake.Error(403, "forbidden", "nope")}, 2,
			replier.ReasonClientError, false, []string{"write_conversations scope", "POST /conversations/123/tags", "forbidden: nope"}},
		{"404 conversation gone is permanent",
			act(platform.ActionStatus, conv("123"), status("open", "")),
			[]platformfake.Response{intercomfake.Error(404, "not_found", "Resource Not Found")}, 1,
			replier.ReasonClientError, false, []string{"not_found: Resource Not Found"}},
		{"404 ticket gone while tagging is permanent",
			act(platform.ActionTag, ticket("42"), tags("refund")),
			[]platformfake.Response{{}, intercomfake.Error(404, "ticket_not_found", "Ticket not found")}, 2,
			replier.ReasonClientError, false, []string{"ticket_not_found: Ticket not found"}},
		{"404 assignee not found on a ticket",
			act(platform.ActionAssign, ticket("42"), assignee(map[string]string{"admin": "1"})),
			[]platformfake.Response{intercomfake.Error(404, "assignee_not_found", "Assignee not found")}, 1,
			replier.ReasonClientError, false, []string{"assignee_not_found: Assignee not found"}},
		{"a failed tag lookup attaches nothing",
			act(platform.ActionTag, conv("123"), tags("refund", "vip")),
			[]platformfake.Response{{}, intercomfake.Error(400, "parameter_invalid", "invalid tag parameters")}, 2,
			replier.ReasonClientError, false, []string{"POST /tags", "invalid tag parameters"}},
		{"500 is retried", act(platform.ActionSet, conv("123"), set(map[string]string{"plan": "pro"})),
			[]platformfake.Response{{Status: 500}}, 1, replier.ReasonServerError, true, []string{"PUT /conversations/123"}},
		{"a tag answer without an id", act(platform.ActionTag, conv("123"), tags("refund")),
			[]platformfake.Response{{Body: `{"type":"tag"}`}}, 1, replier.ReasonInvalidResponse, false, []string{"the tag has no id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
			fake.Enqueue(tt.answers...)
			_, err := r.Replier.Send(ctx(t), tt.req)
			e := platformtest.WantError(t, err, tt.reason, tt.retry)
			for _, w := range tt.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q does not say %q", e.Message, w)
				}
			}
			if strings.Contains(e.Message, testToken) {
				t.Errorf("message quotes the token: %q", e.Message)
			}
			if got := fake.Count(); got != tt.calls {
				t.Errorf("%d calls, want %d (the action stops at the first refusal)", got, tt.calls)
			}
			if c := fake.Target(intercomfake.TypeConversation, "123"); len(c.Tags) != 0 {
				t.Errorf("conversation tagged %v after a failed action", c.Tags)
			}
		})
	}
}

// TestIntercomActionRefusals: what Intercom cannot do, or the account
// cannot send, is refused before any call and never retried.
func TestIntercomActionRefusals(t *testing.T) {
	tests := []struct {
		name string
		cfg  IntercomConfig
		req  *replier.Request
		want string
	}{
		{"priority is not writable in 2.16", IntercomConfig{},
			act(platform.ActionPriority, conv("123"), map[string]replier.Value{replier.FieldPriority: {Text: "high"}}), "has no priority action for a conversation"},
		{"unknown status", IntercomConfig{}, act(platform.ActionStatus, conv("123"), status("pending", "")), `status "pending" is not one of: open, closed, snoozed`},
		{"unknown ticket status", IntercomConfig{}, act(platform.ActionStatus, ticket("42"), status("pending", "")),
			`status "pending" is not one of: open, closed, snoozed, submitted, in_progress, waiting_on_customer, resolved`},
		{"ticket-state category on a conversation", IntercomConfig{}, act(platform.ActionStatus, conv("123"), status("resolved", "")), `status "resolved" is not one of: open, closed, snoozed`},
		{"until on a ticket state", IntercomConfig{}, act(platform.ActionStatus, ticket("42"), status("in_progress", untilRFC3339)), "takes no until"},
		{"ticket state on an old api version", IntercomConfig{APIVersion: "2.12"}, act(platform.ActionStatus, ticket("42"), status("in_progress", "")), "needs api_version 2.14 or later"},
		{"ticket state needs a numeric admin", IntercomConfig{AdminID: "bot-admin"}, act(platform.ActionStatus, ticket("42"), status("resolved", "")), "integer admin_id"},
		{"snooze without until", IntercomConfig{}, act(platform.ActionStatus, conv("123"), status("snoozed", "")), "needs until"},
		{"until on close", IntercomConfig{}, act(platform.ActionStatus, ticket("42"), status("closed", untilRFC3339)), "takes no until"},
		{"until not RFC 3339", IntercomConfig{}, act(platform.ActionStatus, conv("123"), status("snoozed", "tomorrow")), "not an RFC 3339 time"},
		{"ticket assigned to both", IntercomConfig{}, act(platform.ActionAssign, ticket("42"), assignee(map[string]string{"admin": "1", "team": "2"})), "at most 1"},
		{"assign to a group", IntercomConfig{}, act(platform.ActionAssign, conv("123"), assignee(map[string]string{"group": "1"})), "it can assign: admin, team"},
		{"assignee by email", IntercomConfig{}, act(platform.ActionAssign, conv("123"), assignee(map[string]string{"admin": "ana@example.com"})), `assign.admin "ana@example.com" is not an Intercom admin id`},
		{"no tags", IntercomConfig{}, act(platform.ActionTag, conv("123"), tags()), "at least one tag"},
		{"last is no action target", IntercomConfig{}, act(platform.ActionTag, conv("last"), tags("x")), `"last"`},
		{"id leaving the path", IntercomConfig{}, act(platform.ActionTag, conv("../admins"), tags("x")), "tag conversation"},
		{"old api version on a ticket", IntercomConfig{APIVersion: "2.12"}, act(platform.ActionStatus, ticket("42"), status("closed", "")), "needs api_version 2.14 or later"},
		{"2.10 takes no custom attributes", IntercomConfig{APIVersion: "2.10"}, act(platform.ActionSet, conv("123"), set(map[string]string{"a": "b"})), "2.10"},
		{"ticket update needs a numeric admin", IntercomConfig{AdminID: "bot-admin"}, act(platform.ActionAssign, ticket("42"), assignee(map[string]string{"admin": "1"})), "integer admin_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, r := newIntercomPair(t, intercomfake.Options{AdminID: tt.cfg.AdminID, APIVersion: tt.cfg.APIVersion}, tt.cfg)
			_, err := r.Replier.Send(ctx(t), tt.req)
			e := platformtest.WantError(t, err, replier.ReasonInvalidRequest, false)
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q does not say %q", e.Message, tt.want)
			}
			if n := fake.Stats().Requests; n != 0 {
				t.Errorf("%d requests sent for a refused action", n)
			}
		})
	}
}

// TestIntercomSnoozeUntilConversion converts RFC 3339 to unix seconds,
// offsets included.
func TestIntercomSnoozeUntilConversion(t *testing.T) {
	in := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	tests := []struct{ name, until string }{
		{"UTC", in.UTC().Format(time.RFC3339)},
		{"offset", in.In(time.FixedZone("CEST", 2*3600)).Format(time.RFC3339)},
	}
	for _, tt := range tests {
		for _, target := range []event.Target{conv("123"), ticket("42")} {
			t.Run(tt.name+"/"+target.Type, func(t *testing.T) {
				fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
				if _, err := r.Replier.Send(ctx(t), act(platform.ActionStatus, target, status("snoozed", tt.until))); err != nil {
					t.Fatalf("Send: %v", err)
				}
				got := fake.Target(target.Type, target.ID)
				if got.State != "snoozed" || got.SnoozedUntil != in.Unix() {
					t.Errorf("%s until %d, want snoozed until %d", got.State, got.SnoozedUntil, in.Unix())
				}
			})
		}
	}
}

// TestIntercomValidateAction refuses, at load time, assignees written as
// something other than an Intercom id.
func TestIntercomValidateAction(t *testing.T) {
	tests := []struct {
		name string
		view platform.ActionView
		want []string // problem paths
	}{
		{"ids", platform.ActionView{Action: platform.ActionAssign, Keys: []string{"admin", "team"}, Literals: map[string]string{"admin": "814860", "team": "0"}}, nil},
		{"placeholder is checked when sent", platform.ActionView{Action: platform.ActionAssign, Keys: []string{"admin"}}, nil},
		{"email", platform.ActionView{Action: platform.ActionAssign, Keys: []string{"admin"}, Literals: map[string]string{"admin": "ana@example.com"}}, []string{"admin"}},
		{"team name", platform.ActionView{Action: platform.ActionAssign, Keys: []string{"admin", "team"}, Literals: map[string]string{"admin": "1", "team": "Billing"}}, []string{"team"}},
		{"set takes any value", platform.ActionView{Action: platform.ActionSet, Keys: []string{"plan"}, Literals: map[string]string{"plan": "Pro plan"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range intercom.New().ValidateAction(&tt.view) {
				got = append(got, strings.Join(p.Path, "."))
				if !strings.Contains(p.Message, "is not an Intercom") {
					t.Errorf("message %q does not say what is wrong", p.Message)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("problems at %v, want %v", got, tt.want)
			}
		})
	}
}
