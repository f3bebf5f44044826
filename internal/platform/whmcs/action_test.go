package whmcs_test

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
	"github.com/supportops/autoresponder/internal/replier"
)

// stockAction is an action request on ticket 42.
func stockAction(action string, fields map[string]replier.Value) *replier.Request {
	req := &replier.Request{V: replier.RequestVersion, Platform: "billing", Action: action,
		Target: event.Target{Type: event.TargetTicket, ID: "42"}}
	for k, v := range fields {
		req.Set(k, v)
	}
	return req
}

func text(s string) replier.Value             { return replier.Value{Text: s} }
func mapOf(m map[string]string) replier.Value { return replier.Value{Map: m} }

// stockScopeNamed is the row's Scope as the dead letter must name it.
func stockScopeNamed(t *testing.T, action string) string {
	t.Helper()
	row, ok := whmcs.New().Spec().ActionRow(action, event.TargetTicket)
	if !ok || row.Scope == "" {
		t.Fatalf("no %s row with a Scope", action)
	}
	return row.Scope
}

// TestStockActionsSetTheTicket: each action is one UpdateTicket that
// leaves the ticket as the rule asked, in WHMCS's own words.
func TestStockActionsSetTheTicket(t *testing.T) {
	cases := []struct {
		name   string
		req    *replier.Request
		params map[string]string // UpdateTicket's parameters, credentials left out
		want   whmcsfake.StockTicket
	}{
		{"status on hold", stockAction(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: text("on hold")}),
			map[string]string{"ticketid": "42", "status": "On Hold"}, whmcsfake.StockTicket{Status: "On Hold", CustomFields: map[string]string{"1": "kept"}}},
		{"status customer-reply", stockAction(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: text("customer-reply")}),
			map[string]string{"ticketid": "42", "status": "Customer-Reply"}, whmcsfake.StockTicket{Status: "Customer-Reply", CustomFields: map[string]string{"1": "kept"}}},
		{"priority high", stockAction(platform.ActionPriority, map[string]replier.Value{replier.FieldPriority: text("high")}),
			map[string]string{"ticketid": "42", "priority": "High"}, whmcsfake.StockTicket{Priority: "High", CustomFields: map[string]string{"1": "kept"}}},
		{"assign admin", stockAction(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: mapOf(map[string]string{"admin": "3"})}),
			map[string]string{"ticketid": "42", "flag": "3"}, whmcsfake.StockTicket{Flag: "3", CustomFields: map[string]string{"1": "kept"}}},
		{"assign admin and department", stockAction(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: mapOf(map[string]string{"admin": " 3 ", "department": "2"})}),
			map[string]string{"ticketid": "42", "flag": "3", "deptid": "2"}, whmcsfake.StockTicket{Flag: "3", DeptID: "2", CustomFields: map[string]string{"1": "kept"}}},
		// Custom fields the action does not name keep their values.
		{"set one custom field", stockAction(platform.ActionSet, map[string]replier.Value{replier.FieldSet: mapOf(map[string]string{"2": "VIP"})}),
			map[string]string{"ticketid": "42", "customfields": stockB64(`a:1:{i:2;s:3:"VIP";}`)},
			whmcsfake.StockTicket{CustomFields: map[string]string{"1": "kept", "2": "VIP"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, r := stockPair(t, nil)
			f.SetTicket("42", whmcsfake.StockTicket{CustomFields: map[string]string{"1": "kept"}})
			if _, err := r.Send(context.Background(), c.req); err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			calls := f.Calls()
			if len(calls) != 1 || calls[0].Action != "UpdateTicket" || !maps.Equal(calls[0].Params, c.params) {
				t.Fatalf("calls %+v, want one UpdateTicket with %v", calls, c.params)
			}
			got := f.Ticket("42")
			if got.Status != c.want.Status || got.Priority != c.want.Priority || got.Flag != c.want.Flag ||
				got.DeptID != c.want.DeptID || !maps.Equal(got.CustomFields, c.want.CustomFields) {
				t.Errorf("ticket %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestStockActionErrors: WHMCS's refusals become dead letters carrying its
// message; a permission refusal names what the API role must allow; a
// ticket that is gone is permanent.
func TestStockActionErrors(t *testing.T) {
	status := stockAction(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: text("closed")})
	scope := stockScopeNamed(t, platform.ActionStatus)
	cases := []struct {
		name     string
		req      *replier.Request
		status   int // 0: no scripted answer, the fake decides
		body     string
		reason   replier.Reason
		retry    bool
		says     []string
		notScope bool // the message must not blame the API role
	}{
		{"HTTP 403", status, http.StatusForbidden, whmcsfake.StockError("Access Denied"),
			replier.ReasonClientError, false, []string{"Access Denied", scope}, false},
		{"Invalid Permissions with HTTP 200", status, http.StatusOK, whmcsfake.StockError(`Invalid Permissions: API action "updateticket" is not allowed`),
			replier.ReasonClientError, false, []string{`API action "updateticket" is not allowed`, scope}, false},
		{"ticket gone", status, http.StatusOK, whmcsfake.StockError("Ticket ID Not Found"),
			replier.ReasonClientError, false, []string{"Ticket ID Not Found"}, true},
		{"HTTP 404", status, http.StatusNotFound, whmcsfake.StockError("Ticket ID Not Found"),
			replier.ReasonClientError, false, []string{"Ticket ID Not Found"}, true},
		{"unknown department", stockAction(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: mapOf(map[string]string{"department": "9"})}), 0, "",
			replier.ReasonClientError, false, []string{"Department ID Not Found"}, true},
		{"rate limited", status, http.StatusTooManyRequests, whmcsfake.StockError("slow down"),
			replier.ReasonRateLimited, true, []string{"slow down"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, r := stockPair(t, nil)
			if c.status != 0 {
				f.Answer(c.status, nil, c.body)
			}
			_, err := r.Send(context.Background(), c.req)
			e := stockError(t, err)
			if e.Reason != c.reason || e.Retry != c.retry {
				t.Errorf("%s retry %v, want %s %v (%s)", e.Reason, e.Retry, c.reason, c.retry, e.Message)
			}
			for _, s := range c.says {
				if !strings.Contains(e.Message, s) {
					t.Errorf("message %q does not say %q", e.Message, s)
				}
			}
			if c.notScope && strings.Contains(e.Message, scope) {
				t.Errorf("message %q blames the API role for something else", e.Message)
			}
			if got := f.Ticket("42"); got.Status != "" {
				t.Errorf("a refused update changed the ticket: %+v", got)
			}
		})
	}
}

// TestStockActionsRefusedBeforeSending: what the action table or WHMCS's
// ids refuse is an invalid request (never retried) and nothing is sent.
func TestStockActionsRefusedBeforeSending(t *testing.T) {
	soon := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		name string
		req  *replier.Request
		says string
	}{
		{"tag", stockAction(platform.ActionTag, map[string]replier.Value{replier.FieldTags: {List: []string{"vip"}}}), "has no tag action for a ticket"},
		{"priority urgent", stockAction(platform.ActionPriority, map[string]replier.Value{replier.FieldPriority: text("urgent")}), `priority "urgent" is not one of: low, medium, high`},
		{"priority in WHMCS's case", stockAction(platform.ActionPriority, map[string]replier.Value{replier.FieldPriority: text("High")}), `priority "High"`},
		{"custom status", stockAction(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: text("escalated")}), `status "escalated"`},
		{"status with until", stockAction(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: text("on hold"), replier.FieldUntil: text(soon)}), "takes no until"},
		{"assign a team", stockAction(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: mapOf(map[string]string{"team": "1"})}), "it can assign: admin, department"},
		{"assign an admin by name", stockAction(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: mapOf(map[string]string{"admin": "alice"})}), `assign.admin "alice" is not a WHMCS admin id`},
		{"assign admin 0", stockAction(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: mapOf(map[string]string{"admin": "0"})}), `assign.admin "0"`},
		{"set a field by name", stockAction(platform.ActionSet, map[string]replier.Value{replier.FieldSet: mapOf(map[string]string{"source": "x"})}), `set key "source" is not a custom field id`},
		{"ticket mask", func() *replier.Request {
			r := stockAction(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: text("closed")})
			r.Target.ID = "ABC-123"
			return r
		}(), "not a number"},
		{"conversation", func() *replier.Request {
			r := stockAction(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: text("closed")})
			r.Target.Type = event.TargetConversation
			return r
		}(), "no action on a conversation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, r := stockPair(t, nil)
			_, err := r.Send(context.Background(), c.req)
			e := stockError(t, err)
			if e.Reason != replier.ReasonInvalidRequest || e.Retry {
				t.Errorf("%s retry %v, want %s and no retry", e.Reason, e.Retry, replier.ReasonInvalidRequest)
			}
			if !strings.Contains(e.Message, c.says) {
				t.Errorf("message %q does not say %q", e.Message, c.says)
			}
			if f.Accepted() != 0 || len(f.Problems()) != 0 {
				t.Errorf("sent anyway: accepted %d, problems %q", f.Accepted(), f.Problems())
			}
		})
	}
}

// TestKeliwebTakesNoAction: the reseller API documents no ticket update,
// so an api: keliweb account refuses every action, at load time and when
// a stored job reaches the replier, naming the API that can.
func TestKeliwebTakesNoAction(t *testing.T) {
	p := whmcs.New()
	if got := p.AccountSpec(whmcs.APIKeliweb).Actions; len(got) != 0 {
		t.Errorf("api: keliweb lists actions %v", got)
	}
	if got := p.AccountSpec(whmcs.APIStock).Actions; len(got) == 0 {
		t.Error("api: whmcs lists no action")
	}
	f := whmcsfake.New(whmcsfake.Options{Token: "keliweb-token-0123456789"})
	t.Cleanup(f.Close)
	r, err := whmcs.NewReplier(whmcs.Config{BaseURL: f.URL(), Token: "keliweb-token-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range p.Spec().Actions {
		t.Run(row.Action, func(t *testing.T) {
			req := stockAction(row.Action, nil)
			_, err := r.Send(context.Background(), req)
			e := stockError(t, err)
			if e.Reason != replier.ReasonInvalidRequest || !strings.Contains(e.Message, "api: whmcs") {
				t.Errorf("%s: %s, want an invalid request naming api: whmcs", e.Reason, e.Message)
			}
			ps := p.ValidateAction(&platform.ActionView{Action: row.Action, Target: row.Target,
				Account: &platform.Settings{Values: map[string]string{"api": whmcs.APIKeliweb}}})
			if len(ps) != 1 || !slices.Equal(ps[0].Path, []string{row.Action}) || !strings.Contains(ps[0].Message, "api: whmcs") {
				t.Errorf("ValidateAction = %+v, want one problem at %s naming api: whmcs", ps, row.Action)
			}
		})
	}
	if f.Count() != 0 {
		t.Errorf("the reseller API got %d requests", f.Count())
	}
}

// TestValidateActionChecksIDs: literal ids UpdateTicket would refuse are
// refused when the rules file loads, at the key that is wrong.
func TestValidateActionChecksIDs(t *testing.T) {
	stock := &platform.Settings{Values: map[string]string{"api": whmcs.APIStock}}
	cases := []struct {
		name string
		view platform.ActionView
		path []string // nil: accepted
	}{
		{"admin id", platform.ActionView{Action: platform.ActionAssign, Keys: []string{"admin"}, Literals: map[string]string{"admin": "3"}}, nil},
		{"admin by name", platform.ActionView{Action: platform.ActionAssign, Keys: []string{"admin"}, Literals: map[string]string{"admin": "alice"}}, []string{"assign", "admin"}},
		{"department templated", platform.ActionView{Action: platform.ActionAssign, Keys: []string{"department"}}, nil},
		{"department by name", platform.ActionView{Action: platform.ActionAssign, Keys: []string{"admin", "department"}, Literals: map[string]string{"admin": "3", "department": "Billing"}}, []string{"assign", "department"}},
		{"custom field id", platform.ActionView{Action: platform.ActionSet, Keys: []string{"12"}}, nil},
		{"custom field name", platform.ActionView{Action: platform.ActionSet, Keys: []string{"12", "source"}}, []string{"set", "source"}},
		{"status", platform.ActionView{Action: platform.ActionStatus, Literals: map[string]string{"status": "closed"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := c.view
			v.Target, v.Account = event.TargetTicket, stock
			ps := whmcs.New().ValidateAction(&v)
			switch {
			case c.path == nil && len(ps) != 0:
				t.Errorf("refused: %+v", ps)
			case c.path != nil && (len(ps) != 1 || !slices.Equal(ps[0].Path, c.path)):
				t.Errorf("problems %+v, want one at %v", ps, c.path)
			}
		})
	}
}
