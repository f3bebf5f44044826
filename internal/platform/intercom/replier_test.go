package intercom_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/platform/intercom"
	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/replier"
)

func conv(id string) event.Target   { return event.Target{Type: event.TargetConversation, ID: id} }
func ticket(id string) event.Target { return event.Target{Type: event.TargetTicket, ID: id} }

// TestIntercomSendsEveryKind sends every reply kind to every target through
// the strict fake and pins the exact JSON.
func TestIntercomSendsEveryKind(t *testing.T) {
	opts := []Option{{Text: "Yes", UUID: uuidYes}, {Text: "No", UUID: uuidNo}}
	files := []replier.Attachment{{Name: "a.txt", ContentType: "text/plain", Data: []byte("hi")}, {Name: "b.png", Data: []byte("\x89PNG\r\n\x1a\n")}}
	tests := []struct {
		name     string
		req      Request
		wantPath string
		wantJSON string
	}{
		{"comment to conversation", Request{As: AsComment, Target: conv("123"), Body: "<p>Hi & welcome</p>"},
			"/conversations/123/reply",
			`{"type":"admin","message_type":"comment","admin_id":"991267696","body":"<p>Hi & welcome</p>"}`},
		{"comment to ticket", Request{As: AsComment, Target: ticket("42"), Body: "Hi"},
			"/tickets/42/reply",
			`{"type":"admin","message_type":"comment","admin_id":"991267696","body":"Hi"}`},
		{"note to conversation, quiet, with files", Request{As: AsNote, Target: conv("123"), Body: "n", SkipNotifications: true, Attachments: files, AttachmentURLs: []string{"https://example.com/x.png"}},
			"/conversations/123/reply",
			`{"type":"admin","message_type":"note","admin_id":"991267696","body":"n","attachment_urls":["https://example.com/x.png"],"attachment_files":[{"content_type":"text/plain","data":"aGk=","name":"a.txt"},{"content_type":"image/png","data":"iVBORw0KGgo=","name":"b.png"}],"skip_notifications":true}`},
		{"note to ticket, cross-posted, quiet", Request{As: AsNote, Target: ticket("42"), Body: "n", CrossPost: true, SkipNotifications: true},
			"/tickets/42/reply",
			`{"type":"admin","message_type":"note","admin_id":"991267696","body":"n","skip_notifications":true,"cross_post":true}`},
		{"quick reply to conversation, no body", Request{As: intercom.AsQuickReply, Target: conv("123"), Options: opts},
			"/conversations/123/reply",
			`{"type":"admin","message_type":"quick_reply","admin_id":"991267696","reply_options":[{"text":"Yes","uuid":"` + uuidYes + `"},{"text":"No","uuid":"` + uuidNo + `"}]}`},
		{"quick reply to ticket with body", Request{As: intercom.AsQuickReply, Target: ticket("42"), Body: "Pick one", Options: opts[:1]},
			"/tickets/42/reply",
			`{"type":"admin","message_type":"quick_reply","admin_id":"991267696","body":"Pick one","reply_options":[{"text":"Yes","uuid":"` + uuidYes + `"}]}`},
		{"contact reply to conversation by intercom id", Request{As: intercom.AsContactReply, Target: conv("123"), Body: "thanks", Contact: &ContactRef{IntercomUserID: "6762f1571bb69f9f2193bbbb"}, Attachments: files[:1]},
			"/conversations/123/reply",
			`{"type":"user","message_type":"comment","intercom_user_id":"6762f1571bb69f9f2193bbbb","body":"thanks","attachment_files":[{"content_type":"text/plain","data":"aGk=","name":"a.txt"}]}`},
		{"contact reply to last conversation by email", Request{As: intercom.AsContactReply, Target: conv("last"), Body: "again", Contact: &ContactRef{Email: "joe@example.com"}},
			"/conversations/last/reply",
			`{"type":"user","message_type":"comment","email":"joe@example.com","body":"again"}`},
		{"contact reply to ticket by user id, quiet, urls", Request{As: intercom.AsContactReply, Target: ticket("42"), Body: "x", Contact: &ContactRef{UserID: "ext-70"}, SkipNotifications: true, AttachmentURLs: []string{"https://example.com/a.pdf"}},
			"/tickets/42/reply",
			`{"type":"user","message_type":"comment","user_id":"ext-70","body":"x","attachment_urls":["https://example.com/a.pdf"],"skip_notifications":true}`},
	}
	fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Send(ctx(t), &tt.req)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			reqs := fake.Requests()
			if len(reqs) != n+1 {
				t.Fatalf("fake recorded %d requests, want %d", len(reqs), n+1)
			}
			got := reqs[n]
			if got.Path != tt.wantPath {
				t.Errorf("path %s, want %s", got.Path, tt.wantPath)
			}
			if string(got.RawBody) != tt.wantJSON {
				t.Errorf("body\n got %s\nwant %s", got.RawBody, tt.wantJSON)
			}
			if res.ResponseID == "" || res.ResponseID != got.ResponseID || res.Status != http.StatusOK {
				t.Errorf("result %+v, fake answered id %q", res, got.ResponseID)
			}
			h := got.Header
			for k, want := range map[string]string{
				"Authorization": "Bearer " + testToken, "Intercom-Version": testVersion,
				"Accept": "application/json", "Content-Type": "application/json", "User-Agent": httpapi.UserAgent,
			} {
				if h.Get(k) != want {
					t.Errorf("header %s = %q, want %q", k, h.Get(k), want)
				}
			}
		})
	}
}

func TestIntercomVersionHeaderOnlyWhenSet(t *testing.T) {
	stub := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"type":"ticket_part","id":"9"}`)
	})
	r, err := NewIntercom(IntercomConfig{BaseURL: stub.URL, Token: testToken, AdminID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Send(ctx(t), &Request{As: AsNote, Target: ticket("1"), Body: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := stub.hits[0].Header["Intercom-Version"]; ok {
		t.Error("Intercom-Version sent without being configured")
	}
}

func TestIntercomRejectsBadRequests(t *testing.T) {
	tooMany := make([]string, 11)
	for i := range tooMany {
		tooMany[i] = "https://example.com/a.png"
	}
	tooManyFiles := make([]replier.Attachment, 11)
	for i := range tooManyFiles {
		tooManyFiles[i] = replier.Attachment{Name: "a", ContentType: "text/plain"}
	}
	contact := &ContactRef{Email: "a@example.com"}
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"dot-dot id", Request{As: AsComment, Target: conv("../admins"), Body: "x"}, "separator"},
		{"slash id", Request{As: AsComment, Target: conv("a/b"), Body: "x"}, "separator"},
		{"empty id", Request{As: AsComment, Target: conv(""), Body: "x"}, "empty"},
		{"escaped slash id", Request{As: AsComment, Target: ticket("%2F"), Body: "x"}, "escape"},
		{"dot id", Request{As: AsComment, Target: ticket("."), Body: "x"}, "path step"},
		{"dot-dot only", Request{As: AsComment, Target: ticket(".."), Body: "x"}, "path step"},
		{"newline id", Request{As: AsComment, Target: ticket("1\n2"), Body: "x"}, "control"},
		{"last for an admin", Request{As: AsComment, Target: conv("last"), Body: "x"}, `"last"`},
		{"last ticket", Request{As: intercom.AsContactReply, Target: ticket("last"), Body: "x", Contact: contact}, `"last"`},
		{"last without contact", Request{As: intercom.AsContactReply, Target: conv("last"), Body: "x"}, `"last"`},
		{"unknown target", Request{As: AsComment, Target: event.Target{Type: "user", ID: "1"}, Body: "x"}, "target type"},
		{"unknown kind", Request{As: "email", Target: conv("1"), Body: "x"}, "reply kind"},
		{"comment without body", Request{As: AsComment, Target: conv("1"), Body: "  "}, "needs a body"},
		{"note without body", Request{As: AsNote, Target: ticket("1")}, "needs a body"},
		{"quick reply without options", Request{As: intercom.AsQuickReply, Target: conv("1"), Body: "x"}, "at least one option"},
		{"quick reply bad uuid", Request{As: intercom.AsQuickReply, Target: conv("1"), Options: []Option{{Text: "a", UUID: "nope"}}}, "not a UUID"},
		{"quick reply option without text", Request{As: intercom.AsQuickReply, Target: conv("1"), Options: []Option{{UUID: uuidYes}}}, "no text"},
		{"options on a comment", Request{As: AsComment, Target: conv("1"), Body: "x", Options: []Option{{Text: "a", UUID: uuidYes}}}, "only sent with quick_reply"},
		{"contact reply without contact", Request{As: intercom.AsContactReply, Target: conv("1"), Body: "x"}, "needs a contact"},
		{"contact reply with two ids", Request{As: intercom.AsContactReply, Target: conv("1"), Body: "x", Contact: &ContactRef{Email: "a@b.c", UserID: "7"}}, "exactly one"},
		{"contact reply without body", Request{As: intercom.AsContactReply, Target: conv("1"), Contact: contact}, "needs a body"},
		{"contact on an admin reply", Request{As: AsComment, Target: conv("1"), Body: "x", Contact: contact}, "only used with contact_reply"},
		{"contact files on a ticket", Request{As: intercom.AsContactReply, Target: ticket("1"), Body: "x", Contact: contact, Attachments: tooManyFiles[:1]}, "not files"},
		{"contact quiet on a conversation", Request{As: intercom.AsContactReply, Target: conv("1"), Body: "x", Contact: contact, SkipNotifications: true}, "skip_notifications"},
		{"eleven urls", Request{As: AsComment, Target: conv("1"), Body: "x", AttachmentURLs: tooMany}, "at most 10"},
		{"relative url", Request{As: AsComment, Target: conv("1"), Body: "x", AttachmentURLs: []string{"/a.png"}}, "absolute"},
		{"eleven files", Request{As: AsComment, Target: conv("1"), Body: "x", Attachments: tooManyFiles}, "at most 10"},
		{"file without name", Request{As: AsComment, Target: conv("1"), Body: "x", Attachments: []replier.Attachment{{Data: []byte("x")}}}, "no name"},
		{"cross post on a conversation", Request{As: AsNote, Target: conv("1"), Body: "x", CrossPost: true}, "cross_post"},
		{"cross post on a ticket comment", Request{As: AsComment, Target: ticket("1"), Body: "x", CrossPost: true}, "cross_post"},
		{"whmcs fields", Request{As: AsComment, Target: ticket("1"), Body: "x", Markdown: true, Status: "Closed"}, "markdown, status"},
	}
	fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Send(ctx(t), &tt.req)
			e := platformtest.WantError(t, err, replier.ReasonInvalidRequest, false)
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q does not mention %q", e.Message, tt.want)
			}
		})
	}
	if _, err := r.Send(ctx(t), nil); err == nil {
		t.Error("nil request accepted")
	}
	if fake.Count() != 0 {
		t.Errorf("%d invalid requests reached the platform", fake.Count())
	}
}

// TestIntercomURLStaysOnBase checks that odd ids are escaped into one path
// segment under the configured base path.
func TestIntercomURLStaysOnBase(t *testing.T) {
	stub := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"type":"conversation","id":"1"}`)
	})
	r, err := NewIntercom(IntercomConfig{BaseURL: stub.URL + "/proxy/intercom/", Token: testToken, AdminID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	for id, wantURI := range map[string]string{
		"123": "/proxy/intercom/conversations/123/reply",
		"a;b": "/proxy/intercom/conversations/a%3Bb/reply",
	} {
		n := stub.count()
		if _, err := r.Send(ctx(t), &Request{As: AsComment, Target: conv(id), Body: "x"}); err != nil {
			t.Fatalf("id %q: %v", id, err)
		}
		hit := stub.hits[n]
		if hit.RequestURI != wantURI || hit.Host != strings.TrimPrefix(stub.URL, "http://") {
			t.Errorf("id %q: sent to %s%s, want %s", id, hit.Host, hit.RequestURI, wantURI)
		}
	}
}

func TestIntercomResponseID(t *testing.T) {
	tests := []struct {
		name, target, body, want string
	}{
		{"last part wins", event.TargetConversation, `{"type":"conversation","id":"524","conversation_parts":{"type":"conversation_part.list","conversation_parts":[{"id":"131"},{"id":"132"}],"total_count":2}}`, "132"},
		{"no parts", event.TargetConversation, `{"type":"conversation","id":"524"}`, "524"},
		{"empty parts", event.TargetConversation, `{"type":"conversation","id":"524","conversation_parts":{"conversation_parts":[]}}`, "524"},
		{"numeric ids", event.TargetConversation, `{"type":"conversation","id":524,"conversation_parts":{"conversation_parts":[{"id":133}]}}`, "133"},
		{"ticket part", event.TargetTicket, `{"type":"ticket_part","id":"156","part_type":"note"}`, "156"},
	}
	fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Enqueue(platformfake.Response{Body: tt.body})
			res, err := r.Send(ctx(t), &Request{As: AsNote, Target: event.Target{Type: tt.target, ID: "1"}, Body: "x"})
			if err != nil || res.ResponseID != tt.want {
				t.Errorf("got %q, %v; want %q", res.ResponseID, err, tt.want)
			}
		})
	}
}

// TestIntercomUnreadable2xx: the reply may have been posted, so never retry.
func TestIntercomUnreadable2xx(t *testing.T) {
	tests := []struct {
		name, target string
		resp         platformfake.Response
	}{
		{"HTML", event.TargetConversation, platformfake.Response{Body: "<html><body>Maintenance</body></html>"}},
		{"garbage", event.TargetConversation, platformfake.Response{Body: "\x00\xff\xfe garbage"}},
		{"empty", event.TargetConversation, platformfake.Response{Empty: true}},
		{"204", event.TargetTicket, platformfake.Response{Status: 204, Empty: true}},
		{"truncated JSON", event.TargetConversation, platformfake.Response{Body: `{"type":"conversation","id":"5"`}},
		{"no id", event.TargetConversation, platformfake.Response{Body: `{"type":"conversation"}`}},
		{"JSON null", event.TargetTicket, platformfake.Response{Body: `null`}},
		{"array", event.TargetTicket, platformfake.Response{Body: `[{"id":"1"}]`}},
		{"wrong object", event.TargetTicket, platformfake.Response{Body: `{"type":"conversation","id":"5"}`}},
		{"error list with 200", event.TargetConversation, platformfake.Response{Body: `{"type":"error.list","errors":[{"code":"x"}]}`}},
	}
	fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Enqueue(tt.resp)
			_, err := r.Send(ctx(t), &Request{As: AsComment, Target: event.Target{Type: tt.target, ID: "1"}, Body: "x"})
			e := platformtest.WantError(t, err, replier.ReasonInvalidResponse, false)
			if e.Status < 200 || e.Status > 299 {
				t.Errorf("status %d", e.Status)
			}
		})
	}
}

// TestIntercomStatusTable runs the classification table end to end.
func TestIntercomStatusTable(t *testing.T) {
	tests := []struct {
		resp      platformfake.Response
		reason    replier.Reason
		retry     bool
		wantMsg   string
		wantAfter time.Duration
	}{
		{intercomfake.Error(400, "parameter_mismatch", "User replies are not allowed on Backoffice tickets"), replier.ReasonClientError, false, "parameter_mismatch: User replies are not allowed on Backoffice tickets", 0},
		{intercomfake.Error(401, "unauthorized", "Access Token Invalid"), replier.ReasonClientError, false, "unauthorized: Access Token Invalid", 0},
		{intercomfake.Error(403, "api_plan_restricted", "Active subscription needed."), replier.ReasonClientError, false, "api_plan_restricted: Active subscription needed.", 0},
		{intercomfake.Error(404, "not_found", "Resource Not Found"), replier.ReasonClientError, false, "not_found: Resource Not Found", 0},
		{platformfake.Response{Status: 408}, replier.ReasonTimeout, true, "request_timeout: Request Timeout", 0},
		{platformfake.Response{Status: 409}, replier.ReasonClientError, false, "conflict: Conflict", 0},
		{platformfake.Response{Status: 422, Body: `{"type":"error.list","errors":[{"code":"a","message":"one"},{"code":"b"},{"message":"three"}]}`}, replier.ReasonClientError, false, "a: one; b; three", 0},
		{platformfake.Response{Status: 429, Header: http.Header{"Retry-After": {"12"}}}, replier.ReasonRateLimited, true, "rate_limit_exceeded: Too Many Requests", 12 * time.Second},
		{platformfake.Response{Status: 429}, replier.ReasonRateLimited, true, "rate_limit_exceeded: Too Many Requests", 0},
		{platformfake.Response{Status: 500}, replier.ReasonServerError, true, "server_error: Internal Server Error", 0},
		{platformfake.Response{Status: 502, Body: "<html><h1>502 Bad Gateway</h1></html>"}, replier.ReasonServerError, true, "<html><h1>502 Bad Gateway</h1></html>", 0},
		{platformfake.Response{Status: 503, Header: http.Header{"Retry-After": {"30"}}, Empty: true}, replier.ReasonServerError, true, "service unavailable", 30 * time.Second},
		{platformfake.Response{Status: 504, Body: strings.Repeat("x", 500)}, replier.ReasonServerError, true, strings.Repeat("x", 197) + "...", 0},
		{platformfake.Response{Status: 302, Header: http.Header{"Location": {"https://elsewhere.example/"}}, Empty: true}, replier.ReasonClientError, false, "found", 0},
	}
	fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
	for _, tt := range tests {
		status := tt.resp.Status
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			fake.Enqueue(tt.resp)
			_, err := r.Send(ctx(t), &Request{As: AsComment, Target: conv("1"), Body: "x"})
			e := platformtest.WantError(t, err, tt.reason, tt.retry)
			if e.Status != status || e.Message != tt.wantMsg || e.RetryAfter != tt.wantAfter {
				t.Errorf("got status %d message %q after %v; want %d %q %v", e.Status, e.Message, e.RetryAfter, status, tt.wantMsg, tt.wantAfter)
			}
		})
	}
	if n := fake.Count(); n != len(tests) {
		t.Errorf("fake saw %d requests, want %d (redirects must not be followed)", n, len(tests))
	}
}

func TestIntercomRateLimit(t *testing.T) {
	now := time.Unix(1_700_000_003, 0)
	fake, r := newIntercomPair(t, intercomfake.Options{
		RateLimit: platformfake.RateLimit{Limit: 2, Window: 10 * time.Second},
		Now:       func() time.Time { return now },
	}, IntercomConfig{Now: func() time.Time { return now }})
	req := &Request{As: AsNote, Target: ticket("1"), Body: "x"}
	reset := time.Unix(1_700_000_010, 0)

	for i, remaining := range []int{1, 0} {
		res, err := r.Send(ctx(t), req)
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		want := replier.RateLimit{Known: true, Limit: 2, Remaining: remaining, Reset: reset}
		if res.RateLimit != want {
			t.Errorf("send %d: rate limit %+v, want %+v", i, res.RateLimit, want)
		}
	}
	_, err := r.Send(ctx(t), req)
	e := platformtest.WantError(t, err, replier.ReasonRateLimited, true)
	if e.RetryAfter != 7*time.Second || !e.RateLimit.Known || e.RateLimit.Remaining != 0 || !e.RateLimit.Reset.Equal(reset) {
		t.Errorf("429: after %v, rate limit %+v", e.RetryAfter, e.RateLimit)
	}
	if fake.RateLimited() != 1 {
		t.Errorf("fake counted %d 429s", fake.RateLimited())
	}
	// Headers are read on other errors too.
	fake.Enqueue(platformfake.Response{Status: 404})
	now = now.Add(10 * time.Second)
	_, err = r.Send(ctx(t), req)
	if e := platformtest.WantError(t, err, replier.ReasonClientError, false); !e.RateLimit.Known || e.RateLimit.Remaining != 1 {
		t.Errorf("404 rate limit %+v", e.RateLimit)
	}
}

func TestIntercomTimeouts(t *testing.T) {
	t.Run("config timeout, caller without deadline", func(t *testing.T) {
		stub := newStub(t, sleepy(5*time.Second))
		r, err := NewIntercom(IntercomConfig{BaseURL: stub.URL, Token: testToken, AdminID: "1", Timeout: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = r.Send(context.Background(), &Request{As: AsComment, Target: conv("1"), Body: "x"})
		platformtest.WantError(t, err, replier.ReasonTimeout, true)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("caller deadline", func(t *testing.T) {
		fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
		fake.Enqueue(platformfake.Response{Delay: 5 * time.Second})
		c, cancel := context.WithTimeout(ctx(t), 50*time.Millisecond)
		defer cancel()
		_, err := r.Send(c, &Request{As: AsComment, Target: conv("1"), Body: "x"})
		platformtest.WantError(t, err, replier.ReasonTimeout, true)
	})
	t.Run("client timeout", func(t *testing.T) {
		stub := newStub(t, sleepy(5*time.Second))
		r, err := NewIntercom(IntercomConfig{BaseURL: stub.URL, Token: testToken, AdminID: "1", HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Send(ctx(t), &Request{As: AsComment, Target: conv("1"), Body: "x"})
		platformtest.WantError(t, err, replier.ReasonTimeout, true)
	})
	t.Run("default base", func(t *testing.T) {
		r, err := NewIntercom(IntercomConfig{Token: testToken, AdminID: "1"})
		if err != nil {
			t.Fatal(err)
		}
		if intercom.BaseOf(r.Replier) != intercom.DefaultBaseURL {
			t.Errorf("base %s", intercom.BaseOf(r.Replier))
		}
	})
}

func TestIntercomNetworkErrors(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		stub := newStub(t, func(http.ResponseWriter, *http.Request) {})
		url := stub.URL
		stub.Close()
		r, err := NewIntercom(IntercomConfig{BaseURL: url, Token: testToken, AdminID: "1"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Send(ctx(t), &Request{As: AsComment, Target: conv("1"), Body: "x"})
		platformtest.WantError(t, err, replier.ReasonNetwork, true)
	})
	t.Run("connection dropped", func(t *testing.T) {
		fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
		fake.Enqueue(platformfake.Response{Drop: true})
		_, err := r.Send(ctx(t), &Request{As: AsComment, Target: conv("1"), Body: "x"})
		platformtest.WantError(t, err, replier.ReasonNetwork, true)
	})
}

func TestIntercomRetryThenSuccess(t *testing.T) {
	fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
	fake.Enqueue(platformfake.Response{Status: 500}, platformfake.Response{})
	req := &Request{As: intercom.AsQuickReply, Target: conv("9"), Options: []Option{{Text: "Yes", UUID: uuidYes}}}
	_, err := r.Send(ctx(t), req)
	platformtest.WantError(t, err, replier.ReasonServerError, true)
	if _, err := r.Send(ctx(t), req); err != nil {
		t.Fatalf("retry: %v", err)
	}
	reqs := fake.Requests()
	if len(reqs) != 2 || string(reqs[0].RawBody) != string(reqs[1].RawBody) {
		t.Errorf("a retry must send the same bytes: %d requests", len(reqs))
	}
}

func TestIntercomConcurrentSends(t *testing.T) {
	fake, r := newIntercomPair(t, intercomfake.Options{}, IntercomConfig{})
	const n = 100
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := r.Send(ctx(t), &Request{As: AsNote, Target: ticket(fmt.Sprint(i + 1)), Body: "x"})
			if err != nil {
				t.Errorf("send %d: %v", i, err)
			}
			ids[i] = res.ResponseID
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Fatalf("response id %q empty or repeated", id)
		}
		seen[id] = true
	}
	if fake.Count() != n {
		t.Errorf("fake saw %d", fake.Count())
	}
}

func TestNewIntercomConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  IntercomConfig
		want string
	}{
		{"no token", IntercomConfig{AdminID: "1"}, "token is empty"},
		{"token with newline", IntercomConfig{AdminID: "1", Token: testToken + "\n"}, "token contains"},
		{"no admin", IntercomConfig{Token: testToken}, "admin id"},
		{"bad scheme", IntercomConfig{Token: testToken, AdminID: "1", BaseURL: "ftp://api.intercom.io"}, "scheme"},
		{"credentials in URL", IntercomConfig{Token: testToken, AdminID: "1", BaseURL: "https://u:" + testToken + "@api.intercom.io"}, "credentials"},
		{"query in URL", IntercomConfig{Token: testToken, AdminID: "1", BaseURL: "https://api.intercom.io/?x=1"}, "query"},
		{"bad version", IntercomConfig{Token: testToken, AdminID: "1", APIVersion: "2.16\r\nX: y"}, "api version"},
		{"negative timeout", IntercomConfig{Token: testToken, AdminID: "1", Timeout: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		_, err := NewIntercom(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to mention %q", tt.name, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("%s: error quotes the token: %v", tt.name, err)
		}
	}
}
