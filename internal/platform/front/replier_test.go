package front_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/front"
	"github.com/supportops/autoresponder/internal/platform/front/frontfake"
	"github.com/supportops/autoresponder/internal/replier"
)

func account(f *frontfake.Fake, kv ...string) *platform.Account {
	set := settings(kv...)
	if len(kv) == 0 {
		set = settings("teammate_id", frontfake.DefaultTeammateID, "channel_id", frontfake.DefaultChannelID)
	}
	set.Secrets["token"] = true
	return &platform.Account{
		Name: "front", BaseURL: f.BaseURL(), Settings: set, Timeout: 5 * time.Second, Now: time.Now,
		Secret: func(key string) ([]byte, error) {
			if key != "token" {
				return nil, errors.New("no secret " + key)
			}
			return []byte(frontfake.DefaultToken), nil
		},
	}
}

func newReplier(t *testing.T, f *frontfake.Fake, kv ...string) replier.Replier {
	t.Helper()
	r, err := front.New().NewReplier(account(f, kv...))
	if err != nil {
		t.Fatalf("NewReplier: %v", err)
	}
	return r
}

func reply(as, body string) *replier.Request {
	return &replier.Request{Platform: "front", As: as, Target: event.Target{Type: event.TargetConversation, ID: "cnv_1"}, Body: body}
}

func TestSendWritesFrontsBodies(t *testing.T) {
	archived := reply(platform.AsComment, "x")
	archived.Set("archive", replier.Value{Bool: true})
	cases := []struct {
		name     string
		req      *replier.Request
		account  []string
		endpoint string
		want     map[string]any
		id       string
	}{
		{"a reply does not archive", reply(platform.AsComment, `<p>Hi & "welcome"</p>`), nil, "messages",
			map[string]any{"body": `<p>Hi & "welcome"</p>`, "author_id": "tea_bot1", "channel_id": "cha_fake1", "options": map[string]any{"archive": false}}, "fakeuid1001"},
		{"archive when asked", archived, nil, "messages",
			map[string]any{"body": "x", "author_id": "tea_bot1", "channel_id": "cha_fake1", "options": map[string]any{"archive": true}}, "fakeuid1001"},
		{"no channel_id without the setting", reply(platform.AsComment, "x"), []string{"teammate_id", "tea_bot1"}, "messages",
			map[string]any{"body": "x", "author_id": "tea_bot1", "options": map[string]any{"archive": false}}, "fakeuid1001"},
		{"a note is a comment", reply(platform.AsNote, "**checked**"), nil, "comments",
			map[string]any{"body": "**checked**", "author_id": "tea_bot1"}, "com_fake1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := frontfake.New(t)
			res, err := newReplier(t, f, c.account...).Send(context.Background(), c.req)
			if err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			if res.ResponseID != c.id {
				t.Errorf("ResponseID %q, want %q", res.ResponseID, c.id)
			}
			reqs := f.Requests()
			if len(reqs) != 1 {
				t.Fatalf("fake got %d requests, want 1", len(reqs))
			}
			got := reqs[0]
			if got.Endpoint != c.endpoint || got.ConversationID != "cnv_1" {
				t.Errorf("posted to %s of %s, want %s of cnv_1", got.Endpoint, got.ConversationID, c.endpoint)
			}
			if !equalJSON(got.Body, c.want) {
				t.Errorf("body %v, want %v", got.Body, c.want)
			}
		})
	}
}

func equalJSON(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		switch x := av.(type) {
		case map[string]any:
			y, ok := b[k].(map[string]any)
			if !ok || !equalJSON(x, y) {
				return false
			}
		default:
			if b[k] != av {
				return false
			}
		}
	}
	return true
}

func TestSendRefusesBeforeSending(t *testing.T) {
	noteWithArchive := reply(platform.AsNote, "x")
	noteWithArchive.Set("archive", replier.Value{Bool: true})
	ticket := reply(platform.AsComment, "x")
	ticket.Target.Type = event.TargetTicket
	escape := reply(platform.AsComment, "x")
	escape.Target.ID = "../tags"
	cases := []struct {
		name, says string
		req        *replier.Request
	}{
		{"nil", "nil request", nil},
		{"unknown kind", `cannot post "quick_reply"`, reply("quick_reply", "x")},
		{"ticket target", `to a "ticket" target`, ticket},
		{"field on a note", `reply field "archive" does not apply to note`, noteWithArchive},
		{"empty body", "body is empty", reply(platform.AsComment, "")},
		{"id leaving the endpoint", "path separator", escape},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := frontfake.New(t)
			_, err := newReplier(t, f).Send(context.Background(), c.req)
			var e *replier.Error
			if !errors.As(err, &e) || e.Reason != replier.ReasonInvalidRequest || e.Retry {
				t.Fatalf("Send = %v, want a permanent invalid_request", err)
			}
			if !strings.Contains(e.Message, c.says) {
				t.Errorf("message %q, want it to say %q", e.Message, c.says)
			}
			if f.Accepted()+len(f.Problems()) != 0 {
				t.Errorf("the fake was called")
			}
		})
	}
}

func TestSendReadsFrontsAnswers(t *testing.T) {
	cases := []struct {
		name    string
		as      string
		status  int
		header  http.Header
		body    string
		reason  replier.Reason
		retry   bool
		message string
	}{
		{"error envelope", platform.AsComment, 404, nil, `{"_error":{"status":404,"title":"Not found","message":"Unknown conversation cnv_1"}}`,
			replier.ReasonClientError, false, "Not found: Unknown conversation cnv_1"},
		{"error envelope with details", platform.AsComment, 400, nil, `{"_error":{"status":400,"title":"Bad request","message":"Body did not satisfy requirements","details":["body is required"]}}`,
			replier.ReasonClientError, false, "Bad request: Body did not satisfy requirements (body is required)"},
		{"error envelope with details of another shape", platform.AsComment, 400, nil, `{"_error":{"status":400,"title":"Bad request","details":[{"x":1}]}}`,
			replier.ReasonClientError, false, "Bad request"},
		{"not JSON", platform.AsComment, 502, nil, `<html>bad gateway</html>`, replier.ReasonServerError, true, "<html>bad gateway</html>"},
		{"empty error body", platform.AsComment, 500, nil, ``, replier.ReasonServerError, true, "internal server error"},
		{"merged conversation redirect", platform.AsComment, 301, http.Header{"Location": {"/conversations/cnv_2/messages"}}, ``, replier.ReasonClientError, false, "moved permanently"},
		{"429 without Retry-After waits for the reset", platform.AsNote, 429,
			http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"TBD"}}, `{"_error":{"status":429,"title":"Too many requests"}}`,
			replier.ReasonRateLimited, true, "Too many requests"},
		{"reply answer not JSON", platform.AsComment, 202, nil, `accepted`, replier.ReasonInvalidResponse, false, "not an acceptance"},
		{"reply answer without uid", platform.AsComment, 202, nil, `{"status":"accepted"}`, replier.ReasonInvalidResponse, false, "no message_uid"},
		{"reply answer not accepted", platform.AsComment, 202, nil, `{"status":"queued","message_uid":"u1"}`, replier.ReasonInvalidResponse, false, `status "queued"`},
		{"reply answered with nothing", platform.AsComment, 204, nil, ``, replier.ReasonInvalidResponse, false, "not an acceptance"},
		{"comment answer without id", platform.AsNote, 201, nil, `{"body":"x"}`, replier.ReasonInvalidResponse, false, "no id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := frontfake.New(t)
			h := c.header.Clone()
			if h.Get("X-Ratelimit-Reset") == "TBD" {
				h.Set("X-Ratelimit-Reset", strconv.FormatInt(time.Now().Add(30*time.Second).Unix(), 10))
			}
			f.Answer(c.status, h, c.body)
			_, err := newReplier(t, f).Send(context.Background(), reply(c.as, "x"))
			var e *replier.Error
			if !errors.As(err, &e) {
				t.Fatalf("Send = %v, want a *replier.Error", err)
			}
			if e.Reason != c.reason || e.Retry != c.retry || e.Status != c.status {
				t.Errorf("reason %s retry %v status %d, want %s %v %d", e.Reason, e.Retry, e.Status, c.reason, c.retry, c.status)
			}
			if !strings.Contains(e.Message, c.message) {
				t.Errorf("message %q, want it to carry %q", e.Message, c.message)
			}
			if c.status == 429 && (e.RetryAfter < 20*time.Second || e.RetryAfter > 31*time.Second) {
				t.Errorf("RetryAfter %v, want about 30s (until the reset)", e.RetryAfter)
			}
		})
	}
}
