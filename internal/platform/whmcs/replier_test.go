package whmcs_test

import (
	"encoding/base64"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
	"github.com/supportops/autoresponder/internal/replier"
)

func TestWHMCSReplyForm(t *testing.T) {
	fake, r := newWHMCSPair(t, WHMCSConfig{})
	req := &Request{
		As: AsComment, Target: ticket("42"), Body: "**Hi** there", Markdown: true,
		From:         &Sender{ClientID: "7", ContactID: "8", Name: "Support Bot", Email: "bot@example.com", AdminUsername: "bot"},
		Status:       "Answered",
		NoEmail:      true,
		CustomFields: map[string]string{"3": "Google", "source": "bot"},
		Attachments:  []replier.Attachment{{Name: "log.txt", ContentType: "text/plain", Data: []byte("line 1\n")}},
	}
	res, err := r.Send(ctx(t), req)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := fake.Requests()[0]
	wantForm := map[string]string{
		"ticketid": "42", "message": "**Hi** there", "markdown": "1",
		"clientid": "7", "contactid": "8", "name": "Support Bot", "email": "bot@example.com", "adminusername": "bot",
		"status": "Answered", "noemail": "1",
		"customfields": base64.StdEncoding.EncodeToString([]byte(`a:2:{i:3;s:6:"Google";s:6:"source";s:3:"bot";}`)),
		"attachments":  base64.StdEncoding.EncodeToString([]byte(`[{"name":"log.txt","data":"bGluZSAxCg=="}]`)),
	}
	if !maps.Equal(got.Form, wantForm) {
		t.Errorf("form\n got %v\nwant %v", got.Form, wantForm)
	}
	if got.Path != "/add-ticket-reply" || got.Header.Get("Authorization") != "Bearer "+testToken ||
		!strings.HasPrefix(got.Header.Get("Content-Type"), "multipart/form-data; boundary=") ||
		got.Header.Get("User-Agent") != httpapi.UserAgent {
		t.Errorf("path %s, headers %v", got.Path, got.Header)
	}
	if res.ResponseID == "" || res.ResponseID != got.ResponseID {
		t.Errorf("response id %q, fake answered %q", res.ResponseID, got.ResponseID)
	}
}

func TestWHMCSNoteForm(t *testing.T) {
	fake, r := newWHMCSPair(t, WHMCSConfig{})
	tests := []struct {
		req  Request
		want map[string]string
	}{
		{Request{As: AsNote, Target: ticket("5"), Body: "internal"}, map[string]string{"ticketid": "5", "message": "internal"}},
		{Request{As: AsNote, Target: ticket("5"), Body: "md", Markdown: true, Attachments: []replier.Attachment{{Name: "a", Data: []byte{0xff}}}},
			map[string]string{"ticketid": "5", "message": "md", "markdown": "1", "attachments": base64.StdEncoding.EncodeToString([]byte(`[{"name":"a","data":"/w=="}]`))}},
		{Request{As: AsComment, Target: ticket("6"), Body: "plain"}, map[string]string{"ticketid": "6", "message": "plain"}},
	}
	for n, tt := range tests {
		res, err := r.Send(ctx(t), &tt.req)
		if err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		got := fake.Requests()[n]
		if !maps.Equal(got.Form, tt.want) {
			t.Errorf("%d: form %v, want %v", n, got.Form, tt.want)
		}
		if res.ResponseID != got.ResponseID {
			t.Errorf("%d: id %q, want %q", n, res.ResponseID, got.ResponseID)
		}
	}
	if p := fake.Requests()[0].Path; p != "/add-ticket-note" {
		t.Errorf("note went to %s", p)
	}
}

func TestWHMCSRejectsBadRequests(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"conversation target", Request{As: AsComment, Target: conv("1"), Body: "x"}, "whmcs replies go to tickets"},
		{"ticket mask", Request{As: AsComment, Target: ticket("ABC-123456"), Body: "x"}, "not a number"},
		{"escape id", Request{As: AsComment, Target: ticket("../admins"), Body: "x"}, "not a number"},
		{"empty id", Request{As: AsComment, Target: ticket(""), Body: "x"}, "not a number"},
		{"quick reply", Request{As: AsQuickReply, Target: ticket("1"), Body: "x"}, "comment or note"},
		{"contact reply", Request{As: AsContactReply, Target: ticket("1"), Body: "x"}, "comment or note"},
		{"empty body", Request{As: AsComment, Target: ticket("1"), Body: " "}, "message body"},
		{"note with status", Request{As: AsNote, Target: ticket("1"), Body: "x", Status: "Closed"}, "notes take no"},
		{"note with sender", Request{As: AsNote, Target: ticket("1"), Body: "x", From: &Sender{Name: "a"}}, "notes take no"},
		{"intercom fields", Request{As: AsComment, Target: ticket("1"), Body: "x", CrossPost: true, AttachmentURLs: []string{"https://e.com/a"}}, "attachment_urls, cross_post"},
		{"client id not a number", Request{As: AsComment, Target: ticket("1"), Body: "x", From: &Sender{ClientID: "abc"}}, "client_id"},
		{"attachment without name", Request{As: AsComment, Target: ticket("1"), Body: "x", Attachments: []replier.Attachment{{Data: []byte("x")}}}, "no name"},
	}
	fake, r := newWHMCSPair(t, WHMCSConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Send(ctx(t), &tt.req)
			e := platformtest.WantError(t, err, replier.ReasonInvalidRequest, false)
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q does not mention %q", e.Message, tt.want)
			}
		})
	}
	if fake.Count() != 0 {
		t.Errorf("%d invalid requests reached the platform", fake.Count())
	}
}

func TestWHMCSResponses(t *testing.T) {
	tests := []struct {
		name    string
		resp    platformfake.Response
		wantID  string
		reason  replier.Reason // "" for success
		retry   bool
		wantMsg string
	}{
		{name: "plain success", resp: platformfake.Response{Body: `{"result":"success"}`}},
		{name: "replyid number", resp: platformfake.Response{Body: `{"result":"success","replyid":77}`}, wantID: "77"},
		{name: "noteid string", resp: platformfake.Response{Body: `{"result":"success","noteid":"78"}`}, wantID: "78"},
		{name: "id", resp: platformfake.Response{Body: `{"result":"success","id":79}`}, wantID: "79"},
		{name: "error with 200", resp: whmcsfake.Error(200, "Ticket ID Not Found"), reason: replier.ReasonClientError, wantMsg: "Ticket ID Not Found"},
		{name: "error with 200, no message", resp: platformfake.Response{Body: `{"result":"error"}`}, reason: replier.ReasonClientError, wantMsg: "whmcs reported an error without a message"},
		{name: "HTML 200", resp: platformfake.Response{Body: "<html>login</html>"}, reason: replier.ReasonInvalidResponse},
		{name: "empty 200", resp: platformfake.Response{Empty: true}, reason: replier.ReasonInvalidResponse},
		{name: "no result", resp: platformfake.Response{Body: `{"status":"ok"}`}, reason: replier.ReasonInvalidResponse},
		{name: "500 with message", resp: whmcsfake.Error(500, "Database error"), reason: replier.ReasonServerError, retry: true, wantMsg: "Database error"},
		{name: "403 HTML", resp: platformfake.Response{Status: 403, Body: "<h1>Forbidden</h1>"}, reason: replier.ReasonClientError, wantMsg: "<h1>Forbidden</h1>"},
		{name: "429", resp: platformfake.Response{Status: 429, Header: http.Header{"Retry-After": {"5"}}}, reason: replier.ReasonRateLimited, retry: true, wantMsg: "Too Many Requests"},
		{name: "408", resp: platformfake.Response{Status: 408}, reason: replier.ReasonTimeout, retry: true},
	}
	fake, r := newWHMCSPair(t, WHMCSConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Enqueue(tt.resp)
			res, err := r.Send(ctx(t), &Request{As: AsComment, Target: ticket("1"), Body: "x"})
			if tt.reason == "" {
				if err != nil || res.ResponseID != tt.wantID {
					t.Errorf("got %+v, %v; want id %q", res, err, tt.wantID)
				}
				return
			}
			e := platformtest.WantError(t, err, tt.reason, tt.retry)
			if tt.wantMsg != "" && e.Message != tt.wantMsg {
				t.Errorf("message %q, want %q", e.Message, tt.wantMsg)
			}
		})
	}
}

func TestNewWHMCSConfigErrors(t *testing.T) {
	for _, cfg := range []WHMCSConfig{
		{Token: testToken},
		{Token: testToken, BaseURL: "h.example/api"},
		{BaseURL: "https://h.example/api"},
	} {
		if _, err := NewWHMCS(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		} else if strings.Contains(err.Error(), testToken) {
			t.Errorf("error quotes the token: %v", err)
		}
	}
	r, err := NewWHMCS(WHMCSConfig{Token: testToken, BaseURL: "https://h.example/api/v2/"})
	if err != nil {
		t.Fatal(err)
	}
	if got := whmcs.ReplyURLOf(r.Replier); got != "https://h.example/api/v2/add-ticket-reply" {
		t.Errorf("endpoint %s", got)
	}
	if r.Name() != "whmcs" || !r.Supports(AsNote, event.TargetTicket) {
		t.Error("defaults")
	}
}
