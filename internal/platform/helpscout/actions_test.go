package helpscout_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/helpscout/helpscoutfake"
	"github.com/supportops/autoresponder/internal/replier"
)

func action(name string, fields map[string]replier.Value) *replier.Request {
	return &replier.Request{V: replier.RequestVersion, Platform: "support", Action: name,
		Target: event.Target{Type: event.TargetConversation, ID: "123"}, Fields: fields}
}

// Help Scout's PUT tags removes every tag left out: the bot reads the
// conversation first and writes the union.
func TestActionTagKeepsTags(t *testing.T) {
	cases := []struct {
		name     string
		existing []string
		add      []string
		want     []string
		puts     int
	}{
		{"adds to existing", []string{"vip"}, []string{"refund", "billing"}, []string{"vip", "refund", "billing"}, 1},
		{"no tags yet", nil, []string{"refund"}, []string{"refund"}, 1},
		{"already there, any case", []string{"VIP", "refund"}, []string{"vip"}, []string{"VIP", "refund"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := helpscoutfake.New(t)
			f.SetTags("123", c.existing...)
			r := newReplier(t, f, nil)
			req := action(platform.ActionTag, map[string]replier.Value{replier.FieldTags: {List: c.add}})
			if _, err := r.Send(context.Background(), req); err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			if got := f.Conversation("123").Tags; !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Errorf("tags = %q, want %q", got, c.want)
			}
			puts := 0
			for _, call := range f.Calls() {
				if call.Method == http.MethodPut {
					puts++
				}
			}
			if puts != c.puts || len(f.Problems()) > 0 {
				t.Errorf("%d PUT tags, problems %q; want %d PUTs", puts, f.Problems(), c.puts)
			}
		})
	}
}

// PUT fields removes every field left out: the bot sends back the fields
// the conversation has, with the new values merged in.
func TestActionSetKeepsFields(t *testing.T) {
	f := helpscoutfake.New(t)
	f.SetFields("123", helpscoutfake.Field{ID: 6688, Value: "33077"})
	r := newReplier(t, f, nil)
	req := action(platform.ActionSet, map[string]replier.Value{replier.FieldSet: {Map: map[string]string{"104": "gold"}}})
	if _, err := r.Send(context.Background(), req); err != nil {
		t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
	}
	want := []helpscoutfake.Field{{ID: 6688, Value: "33077"}, {ID: 104, Value: "gold"}}
	if got := f.Conversation("123").Fields; !slices.Equal(got, want) {
		t.Errorf("fields = %+v, want %+v", got, want)
	}
}

func TestActionPatch(t *testing.T) {
	cases := []struct {
		name   string
		req    *replier.Request
		status string
		user   int64
	}{
		{"close", action(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: {Text: "closed"}}), "closed", 0},
		{"pending", action(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: {Text: "pending"}}), "pending", 0},
		{"assign a user: the id goes as a number", action(platform.ActionAssign, map[string]replier.Value{
			replier.FieldAssignee: {Map: map[string]string{"user": "256"}}}), "active", 256},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := helpscoutfake.New(t)
			r := newReplier(t, f, nil)
			res, err := r.Send(context.Background(), c.req)
			if err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			conv := f.Conversation("123")
			if conv.Status != c.status || conv.AssigneeID != c.user || res.Status != http.StatusNoContent {
				t.Errorf("status %q assignee %d (HTTP %d), want %q %d (204)", conv.Status, conv.AssigneeID, res.Status, c.status, c.user)
			}
		})
	}
}

// A 403 names what the app's user needs next to Help Scout's message; a
// 404 (the conversation is gone) is permanent with Help Scout's message.
func TestActionErrors(t *testing.T) {
	closeIt := action(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: {Text: "closed"}})
	tag := action(platform.ActionTag, map[string]replier.Value{replier.FieldTags: {List: []string{"vip"}}})
	cases := []struct {
		name   string
		req    *replier.Request
		status int
		want   []string
	}{
		{"status forbidden", closeIt, http.StatusForbidden, []string{"can access the conversation's inbox", "User lacks mailbox access"}},
		{"tag forbidden on the read", tag, http.StatusForbidden, []string{"can access the conversation's inbox", "User lacks mailbox access"}},
		{"status on a deleted conversation", closeIt, http.StatusNotFound, []string{"User lacks mailbox access"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := helpscoutfake.New(t)
			r := newReplier(t, f, nil)
			f.Answer(c.status, nil, f.ErrorBody("User lacks mailbox access"))
			_, err := r.Send(context.Background(), c.req)
			e := asError(t, err)
			if e.Retry || e.Reason != replier.ReasonClientError || e.Status != c.status {
				t.Errorf("reason %s retry %v status %d, want a permanent client error %d", e.Reason, e.Retry, e.Status, c.status)
			}
			for _, w := range c.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q lacks %q", e.Message, w)
				}
			}
			if c.status == http.StatusNotFound && strings.Contains(e.Message, "needs") {
				t.Errorf("a 404 names a permission: %q", e.Message)
			}
		})
	}
}

// What CheckAction or the id checks refuse never reaches Help Scout.
func TestActionRefusedBeforeSending(t *testing.T) {
	cases := map[string]*replier.Request{
		"priority":          action(platform.ActionPriority, map[string]replier.Value{replier.FieldPriority: {Text: "high"}}),
		"snooze":            action(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: {Text: "snoozed"}}),
		"assign a team":     action(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: {Map: map[string]string{"team": "1"}}}),
		"user not an id":    action(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: {Map: map[string]string{"user": "bob"}}}),
		"field by its name": action(platform.ActionSet, map[string]replier.Value{replier.FieldSet: {Map: map[string]string{"Plan": "gold"}}}),
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			f := helpscoutfake.New(t)
			r := newReplier(t, f, nil)
			_, err := r.Send(context.Background(), req)
			if e := asError(t, err); e.Reason != replier.ReasonInvalidRequest || e.Retry {
				t.Errorf("error %+v, want invalid_request, not retried", e)
			}
			if f.Accepted() != 0 {
				t.Errorf("the fake got %d requests", f.Accepted())
			}
		})
	}
}

func TestValidateAction(t *testing.T) {
	v := hs.(platform.ActionValidator)
	cases := []struct {
		view *platform.ActionView
		want int
	}{
		{&platform.ActionView{Action: platform.ActionAssign, Literals: map[string]string{"user": "256"}}, 0},
		{&platform.ActionView{Action: platform.ActionAssign, Literals: map[string]string{"user": "bob"}}, 1},
		{&platform.ActionView{Action: platform.ActionSet, Keys: []string{"6688", "Plan"}}, 1},
	}
	for _, c := range cases {
		if got := v.ValidateAction(c.view); len(got) != c.want {
			t.Errorf("ValidateAction(%+v) = %+v, want %d problems", c.view, got, c.want)
		}
	}
}

// The bot's own close or assignment comes back as an event the loop guard
// withholds; a human's does not.
func TestLoopGuardActions(t *testing.T) {
	bot := hs.Identity(&platform.Account{Settings: &platform.Settings{Values: map[string]string{"user_id": helpscoutfake.UserID}}})
	human := strings.ReplaceAll(string(helpscoutfake.BotClosed), `"closedBy": `+helpscoutfake.UserID, `"closedBy": 17`)
	humanAssigned := strings.Replace(string(helpscoutfake.BotAssigned), `"id": `+helpscoutfake.UserID+`, "type": "user"`, `"id": 17, "type": "user"`, 1)
	cases := []struct {
		name, topic, body, want string
	}{
		{"closed by the bot", "convo.status", string(helpscoutfake.BotClosed), platform.IgnoredOwnReply},
		{"closed by a human", "convo.status", human, ""},
		{"assigned by the bot", "convo.assigned", string(helpscoutfake.BotAssigned), platform.IgnoredOwnReply},
		{"assigned by a human", "convo.assigned", humanAssigned, ""},
		{"tags carry no actor", "convo.tags", string(helpscoutfake.BotClosed), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := parse(t, c.topic, []byte(c.body))
			if got := hs.LoopGuard(ev, []platform.Identity{bot}); got != c.want {
				t.Errorf("LoopGuard = %q, want %q", got, c.want)
			}
		})
	}
}
