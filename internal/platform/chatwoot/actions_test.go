package chatwoot_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/chatwoot"
	"github.com/supportops/autoresponder/internal/platform/chatwoot/chatwootfake"
	"github.com/supportops/autoresponder/internal/replier"
)

func action(name string, fields map[string]replier.Value) *replier.Request {
	return &replier.Request{V: replier.RequestVersion, Platform: "cw", Action: name,
		Target: event.Target{Type: event.TargetConversation, ID: "84"}, Fields: fields}
}

func tags(t ...string) map[string]replier.Value {
	return map[string]replier.Value{replier.FieldTags: {List: t}}
}

func sendErr(t *testing.T, err error) *replier.Error {
	t.Helper()
	var e *replier.Error
	if !errors.As(err, &e) {
		t.Fatalf("Send error %v is not a *replier.Error", err)
	}
	return e
}

// Chatwoot's labels endpoint replaces the list: the bot reads it first and
// writes the union, so labels agents set survive.
func TestActionTagKeepsLabels(t *testing.T) {
	cases := []struct {
		name     string
		existing []string
		add      []string
		want     []string
		writes   int // POST labels calls
	}{
		{"adds to existing", []string{"billing"}, []string{"vip", "refund"}, []string{"billing", "vip", "refund"}, 1},
		{"no labels yet", nil, []string{"vip"}, []string{"vip"}, 1},
		{"already there", []string{"vip", "billing"}, []string{"vip"}, []string{"vip", "billing"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			f.SetLabels("84", c.existing...)
			if _, err := r.Send(context.Background(), action(platform.ActionTag, tags(c.add...))); err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			if got := f.Conversation("84").Labels; !slices.Equal(got, c.want) {
				t.Errorf("labels = %q, want %q", got, c.want)
			}
			writes := 0
			for _, call := range f.Calls() {
				if call.Method == http.MethodPost {
					writes++
				}
			}
			if writes != c.writes || len(f.Problems()) > 0 {
				t.Errorf("%d label writes, problems %q; want %d writes", writes, f.Problems(), c.writes)
			}
		})
	}
}

// A label the account does not have is dropped by Chatwoot without a
// word: the bot says so instead of reporting success.
func TestActionTagUnknownLabel(t *testing.T) {
	r, f := newReplier(t)
	f.SetLabels("84", "billing")
	_, err := r.Send(context.Background(), action(platform.ActionTag, tags("no-such-label")))
	e := sendErr(t, err)
	if e.Retry || !strings.Contains(e.Message, "no-such-label") || !strings.Contains(e.Message, "Settings > Labels") {
		t.Fatalf("error %+v: want a permanent error naming the label and where to create it", e)
	}
	if got := f.Conversation("84").Labels; !slices.Equal(got, []string{"billing"}) {
		t.Errorf("labels = %q, want the existing label kept", got)
	}
}

func TestActionSetMergesAttributes(t *testing.T) {
	r, f := newReplier(t)
	f.SetAttributes("84", map[string]any{"plan": "pro", "seats": 5})
	req := action(platform.ActionSet, map[string]replier.Value{replier.FieldSet: {Map: map[string]string{"tier": "gold", "plan": "team"}}})
	if _, err := r.Send(context.Background(), req); err != nil {
		t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
	}
	got := f.Conversation("84").Attributes
	if got["tier"] != "gold" || got["plan"] != "team" || got["seats"] != json.Number("5") || len(got) != 3 {
		t.Errorf("custom_attributes = %v, want seats kept as the number 5, plan replaced, tier added", got)
	}
}

func TestActionValues(t *testing.T) {
	until := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	cases := []struct {
		name  string
		req   *replier.Request
		check func(t *testing.T, c chatwootfake.Conversation, calls []chatwootfake.Call)
	}{
		{"snoozed until is unix seconds", action(platform.ActionStatus, map[string]replier.Value{
			replier.FieldStatus: {Text: "snoozed"}, replier.FieldUntil: {Text: until.Format(time.RFC3339)}}),
			func(t *testing.T, c chatwootfake.Conversation, _ []chatwootfake.Call) {
				if c.Status != "snoozed" || c.SnoozedUntil != until.Unix() {
					t.Errorf("status %q until %d, want snoozed until %d", c.Status, c.SnoozedUntil, until.Unix())
				}
			}},
		{"resolved", action(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: {Text: "resolved"}}),
			func(t *testing.T, c chatwootfake.Conversation, _ []chatwootfake.Call) {
				if c.Status != "resolved" || c.SnoozedUntil != 0 {
					t.Errorf("status %q until %d, want resolved", c.Status, c.SnoozedUntil)
				}
			}},
		{"priority", action(platform.ActionPriority, map[string]replier.Value{replier.FieldPriority: {Text: "urgent"}}),
			func(t *testing.T, c chatwootfake.Conversation, _ []chatwootfake.Call) {
				if c.Priority != "urgent" {
					t.Errorf("priority %q, want urgent", c.Priority)
				}
			}},
		{"agent and team: team first, apart", action(platform.ActionAssign, map[string]replier.Value{
			replier.FieldAssignee: {Map: map[string]string{"agent": "5", "team": "9"}}}),
			func(t *testing.T, c chatwootfake.Conversation, calls []chatwootfake.Call) {
				if c.AssigneeID != 5 || c.TeamID != 9 || len(calls) != 2 || calls[0].Body["team_id"] == nil {
					t.Errorf("assignee %d team %d calls %+v, want team 9 then agent 5", c.AssigneeID, c.TeamID, calls)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			if _, err := r.Send(context.Background(), c.req); err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			if len(f.Problems()) > 0 {
				t.Fatalf("fake problems %q", f.Problems())
			}
			c.check(t, f.Conversation("84"), f.Calls())
		})
	}
}

// A 403 names what access the action needs next to Chatwoot's words; a
// 404 (the conversation is gone) is permanent with Chatwoot's message.
func TestActionErrors(t *testing.T) {
	p := chatwoot.New().Spec()
	cases := []struct {
		name   string
		req    *replier.Request
		status int
		want   []string
	}{
		{"tag forbidden", action(platform.ActionTag, tags("vip")), http.StatusForbidden, []string{rowScope(p, platform.ActionTag), "not authorized"}},
		{"status forbidden", action(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: {Text: "open"}}), http.StatusForbidden,
			[]string{rowScope(p, platform.ActionStatus), "not authorized"}},
		{"set gone", action(platform.ActionSet, map[string]replier.Value{replier.FieldSet: {Map: map[string]string{"a": "b"}}}), http.StatusNotFound,
			[]string{"not authorized"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f := newReplier(t)
			f.Answer(c.status, nil, `{"error":"You are not authorized to do this action"}`)
			_, err := r.Send(context.Background(), c.req)
			e := sendErr(t, err)
			if e.Retry || e.Reason != replier.ReasonClientError || e.Status != c.status {
				t.Errorf("reason %s retry %v status %d, want a permanent client error %d", e.Reason, e.Retry, e.Status, c.status)
			}
			for _, w := range c.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q lacks %q", e.Message, w)
				}
			}
			if strings.Contains(e.Message, chatwootfake.DefaultToken) {
				t.Errorf("message quotes the token")
			}
		})
	}
}

func rowScope(s *platform.Spec, action string) string {
	row, _ := s.ActionRow(action, event.TargetConversation)
	return row.Scope
}

// What CheckAction refuses never reaches Chatwoot.
func TestActionRefusedBeforeSending(t *testing.T) {
	cases := map[string]*replier.Request{
		"unknown status":     action(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: {Text: "closed"}}),
		"snooze needs until": action(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: {Text: "snoozed"}}),
		"assign an inbox":    action(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: {Map: map[string]string{"inbox": "1"}}}),
		"agent not an id":    action(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: {Map: map[string]string{"agent": "bob"}}}),
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			r, f := newReplier(t)
			_, err := r.Send(context.Background(), req)
			if e := sendErr(t, err); e.Reason != replier.ReasonInvalidRequest || e.Retry {
				t.Errorf("error %+v, want invalid_request, not retried", e)
			}
			if f.Accepted() != 0 {
				t.Errorf("the fake got %d requests", f.Accepted())
			}
		})
	}
}

func TestValidateAction(t *testing.T) {
	v := chatwoot.New().(platform.ActionValidator)
	ok := v.ValidateAction(&platform.ActionView{Action: platform.ActionAssign, Literals: map[string]string{"agent": "5", "team": "2"}})
	bad := v.ValidateAction(&platform.ActionView{Action: platform.ActionAssign, Literals: map[string]string{"agent": "bob"}})
	if len(ok) != 0 || len(bad) != 1 || bad[0].Path[0] != "agent" {
		t.Fatalf("ok %+v bad %+v: want no problem, then one at agent", ok, bad)
	}
}
