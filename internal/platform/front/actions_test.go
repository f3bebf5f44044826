package front_test

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
	"github.com/supportops/autoresponder/internal/platform/front"
	"github.com/supportops/autoresponder/internal/platform/front/frontfake"
	"github.com/supportops/autoresponder/internal/replier"
)

const conv = "cnv_keocka"

func action(name string, fields map[string]replier.Value) *replier.Request {
	return &replier.Request{V: replier.RequestVersion, Platform: "front", Action: name,
		Target: event.Target{Type: event.TargetConversation, ID: conv}, Fields: fields}
}

func tagAction(names ...string) *replier.Request {
	return action(platform.ActionTag, map[string]replier.Value{replier.FieldTags: {List: names}})
}

func asError(t *testing.T, err error) *replier.Error {
	t.Helper()
	var e *replier.Error
	if !errors.As(err, &e) {
		t.Fatalf("Send error %v is not a *replier.Error", err)
	}
	return e
}

// Tag names become ids from every page of GET /tags; POST .../tags adds,
// so the conversation's other tags stay.
func TestActionTag(t *testing.T) {
	cases := []struct {
		name     string
		existing []string
		add      []string
		want     []string
	}{
		{"names on the first and last page", []string{"tag_2"}, []string{"billing", "Urgent"}, []string{"tag_2", "tag_1", "tag_5"}},
		{"any case", nil, []string{"urgent"}, []string{"tag_5"}},
		{"already there", []string{"tag_3"}, []string{"refund"}, []string{"tag_3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := frontfake.New(t)
			f.SetTags(conv, c.existing...)
			r := newReplier(t, f)
			if _, err := r.Send(context.Background(), tagAction(c.add...)); err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			if got := f.Conversation(conv).TagIDs; !slices.Equal(got, c.want) {
				t.Errorf("tags = %q, want %q", got, c.want)
			}
			if len(f.Problems()) > 0 {
				t.Errorf("fake problems %q", f.Problems())
			}
		})
	}
}

func TestActionTagUnknownName(t *testing.T) {
	f := frontfake.New(t)
	r := newReplier(t, f)
	_, err := r.Send(context.Background(), tagAction("vip", "no-such-tag"))
	e := asError(t, err)
	if e.Retry || !strings.Contains(e.Message, "no-such-tag") || strings.Contains(e.Message, `"vip"`) {
		t.Fatalf("error %+v: want a permanent error naming only the missing tag", e)
	}
	for _, c := range f.Calls() {
		if c.Method == http.MethodPost {
			t.Errorf("tags were posted: %+v", c)
		}
	}
}

// PATCH custom_fields erases the fields left out: the bot reads them and
// sends them all back, values untouched (a number stays a number).
func TestActionSetKeepsFields(t *testing.T) {
	f := frontfake.New(t)
	f.SetCustomFields(conv, map[string]any{"Region": "EU", "Seats": json.Number("5")})
	r := newReplier(t, f)
	req := action(platform.ActionSet, map[string]replier.Value{replier.FieldSet: {Map: map[string]string{"Plan": "gold"}}})
	if _, err := r.Send(context.Background(), req); err != nil {
		t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
	}
	got := f.Conversation(conv).CustomFields
	if got["Plan"] != "gold" || got["Region"] != "EU" || got["Seats"] != json.Number("5") || len(got) != 3 {
		t.Errorf("custom_fields = %v, want Region and Seats kept, Plan added", got)
	}
}

func TestActionAssignAndStatus(t *testing.T) {
	cases := []struct {
		name           string
		req            *replier.Request
		status, assign string
	}{
		{"archive", action(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: {Text: "archived"}}), "archived", ""},
		{"assign", action(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: {Map: map[string]string{"teammate": "tea_agent2"}}}), "open", "tea_agent2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := frontfake.New(t)
			r := newReplier(t, f)
			res, err := r.Send(context.Background(), c.req)
			if err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			got := f.Conversation(conv)
			if got.Status != c.status || got.AssigneeID != c.assign || res.Status != http.StatusNoContent {
				t.Errorf("status %q assignee %q (HTTP %d), want %q %q (204)", got.Status, got.AssigneeID, res.Status, c.status, c.assign)
			}
		})
	}
}

// A 403 names the scope next to Front's message; a 404 is permanent with
// Front's message.
func TestActionErrors(t *testing.T) {
	archive := action(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: {Text: "archived"}})
	cases := []struct {
		name   string
		req    *replier.Request
		status int
		want   []string
	}{
		{"archive forbidden", archive, http.StatusForbidden, []string{"conversations:write", "Token lacks scope"}},
		{"tag lookup forbidden", tagAction("vip"), http.StatusForbidden, []string{"conversations:write", "tags", "Token lacks scope"}},
		{"archive a deleted conversation", archive, http.StatusNotFound, []string{"Token lacks scope"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := frontfake.New(t)
			r := newReplier(t, f)
			f.Answer(c.status, nil, f.ErrorBody("Token lacks scope"))
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
			if strings.Contains(e.Message, frontfake.DefaultToken) {
				t.Error("the message quotes the token")
			}
		})
	}
}

func TestActionRefusedBeforeSending(t *testing.T) {
	cases := map[string]*replier.Request{
		"priority":         action(platform.ActionPriority, map[string]replier.Value{replier.FieldPriority: {Text: "high"}}),
		"snooze":           action(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: {Text: "snoozed"}}),
		"delete":           action(platform.ActionStatus, map[string]replier.Value{replier.FieldStatus: {Text: "deleted"}}),
		"a team":           action(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: {Map: map[string]string{"team": "tim_1"}}}),
		"not a teammate":   action(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: {Map: map[string]string{"teammate": "ann"}}}),
		"an email, no alt": action(platform.ActionAssign, map[string]replier.Value{replier.FieldAssignee: {Map: map[string]string{"teammate": "ann@example.com"}}}),
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			f := frontfake.New(t)
			r := newReplier(t, f)
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
	v := front.New().(platform.ActionValidator)
	cases := map[string]int{"tea_agent2": 0, "alt:email:ann@example.com": 0, "ann": 1, "alt:email:ann": 1}
	for who, want := range cases {
		got := v.ValidateAction(&platform.ActionView{Action: platform.ActionAssign, Literals: map[string]string{"teammate": who}})
		if len(got) != want {
			t.Errorf("ValidateAction(%q) = %+v, want %d problems", who, got, want)
		}
	}
}

// A change made through the API without a message may be the bot's own:
// withheld as own_reply. The same change by a teammate reaches rules.
func TestLoopGuardActions(t *testing.T) {
	p := front.New()
	set := settings("signing", front.SigningRule)
	self := []platform.Identity{p.Identity(&platform.Account{Settings: settings("teammate_id", frontfake.DefaultTeammateID)})}
	byTeammate := strings.Replace(string(frontfake.APIArchive), `"source": {"_meta": {"type": "api"}, "data": {}}`,
		`"source": {"_meta": {"type": "teammate"}, "data": {"id": "tea_agent2"}}`, 1)
	byOAuthApp := strings.Replace(string(frontfake.APIArchive), `"type": "api"`, `"type": "oauth_client"`, 1)
	cases := []struct {
		name, body, want string
	}{
		{"archived through the API", string(frontfake.APIArchive), platform.IgnoredOwnReply},
		{"assigned through the API", string(frontfake.APIAssign), platform.IgnoredOwnReply},
		{"archived by a teammate", byTeammate, ""},
		{"archived by an OAuth app", byOAuthApp, platform.IgnoredBotAuthor},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := time.Now()
			body := []byte(c.body)
			ev, err := platform.Parse(p, "front", delivery(p.Sign([]byte("s3cret"), body, now, set), body, "s3cret", now, set), now)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := p.LoopGuard(ev, self); got != c.want {
				t.Errorf("LoopGuard = %q, want %q", got, c.want)
			}
		})
	}
}
