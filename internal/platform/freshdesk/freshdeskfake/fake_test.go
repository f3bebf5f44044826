package freshdeskfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/freshdesk"
)

// The fake is only worth something if it refuses what Freshdesk refuses.
func TestFakeRefusesWhatTheAPIRefuses(t *testing.T) {
	auth := freshdesk.BasicAuth(APIKey, "X")
	cases := []struct {
		name, method, path, auth, ctype, body string
		status                                int
		field                                 string // the validation error's field, for 400s
	}{
		{"GET", "GET", "/api/v2/tickets/1/reply", auth, "application/json", `{"body":"x"}`, 405, ""},
		{"no api prefix", "POST", "/tickets/1/reply", auth, "application/json", `{"body":"x"}`, 404, ""},
		{"ticket id not a number", "POST", "/api/v2/tickets/abc/reply", auth, "application/json", `{"body":"x"}`, 404, ""},
		{"query", "POST", "/api/v2/tickets/1/reply?x=1", auth, "application/json", `{"body":"x"}`, 404, ""},
		{"unknown endpoint", "POST", "/api/v2/tickets/1/comments", auth, "application/json", `{"body":"x"}`, 404, ""},
		{"no auth", "POST", "/api/v2/tickets/1/reply", "", "application/json", `{"body":"x"}`, 401, ""},
		{"wrong key", "POST", "/api/v2/tickets/1/reply", freshdesk.BasicAuth("other", "X"), "application/json", `{"body":"x"}`, 401, ""},
		{"no password", "POST", "/api/v2/tickets/1/reply", freshdesk.BasicAuth(APIKey, ""), "application/json", `{"body":"x"}`, 401, ""},
		{"bearer", "POST", "/api/v2/tickets/1/reply", "Bearer " + APIKey, "application/json", `{"body":"x"}`, 401, ""},
		{"form body", "POST", "/api/v2/tickets/1/reply", auth, "application/x-www-form-urlencoded", `body=x`, 415, ""},
		{"not JSON", "POST", "/api/v2/tickets/1/reply", auth, "application/json", `{"body":`, 400, ""},
		{"trailing data", "POST", "/api/v2/tickets/1/reply", auth, "application/json", `{"body":"x"} {}`, 400, ""},
		{"array", "POST", "/api/v2/tickets/1/reply", auth, "application/json", `["x"]`, 400, ""},
		{"missing body", "POST", "/api/v2/tickets/1/reply", auth, "application/json", `{"from_email":"a@b.c"}`, 400, "body"},
		{"blank body", "POST", "/api/v2/tickets/1/notes", auth, "application/json", `{"body":" "}`, 400, "body"},
		{"body a number", "POST", "/api/v2/tickets/1/reply", auth, "application/json", `{"body":1}`, 400, "body"},
		{"unknown key", "POST", "/api/v2/tickets/1/reply", auth, "application/json", `{"body":"x","message_type":"note"}`, 400, "message_type"},
		{"private on a reply", "POST", "/api/v2/tickets/1/reply", auth, "application/json", `{"body":"x","private":true}`, 400, "private"},
		{"private a string", "POST", "/api/v2/tickets/1/notes", auth, "application/json", `{"body":"x","private":"true"}`, 400, "private"},
		{"user_id a string", "POST", "/api/v2/tickets/1/notes", auth, "application/json", `{"body":"x","user_id":"7"}`, 400, "user_id"},
		{"DELETE a ticket", "DELETE", "/api/v2/tickets/1", auth, "application/json", ``, 405, ""},
		{"POST a ticket", "POST", "/api/v2/tickets/1", auth, "application/json", `{"status":2}`, 405, ""},
		{"GET with a body", "GET", "/api/v2/tickets/1", auth, "application/json", `{"x":1}`, 400, ""},
		{"update: nothing", "PUT", "/api/v2/tickets/1", auth, "application/json", `{}`, 400, ""},
		{"update: custom status", "PUT", "/api/v2/tickets/1", auth, "application/json", `{"status":6}`, 400, "status"},
		{"update: status a word", "PUT", "/api/v2/tickets/1", auth, "application/json", `{"status":"open"}`, 400, "status"},
		{"update: priority 5", "PUT", "/api/v2/tickets/1", auth, "application/json", `{"priority":5}`, 400, "priority"},
		{"update: tags a string", "PUT", "/api/v2/tickets/1", auth, "application/json", `{"tags":"vip"}`, 400, "tags"},
		{"update: blank tag", "PUT", "/api/v2/tickets/1", auth, "application/json", `{"tags":["vip"," "]}`, 400, "tags"},
		{"update: responder a string", "PUT", "/api/v2/tickets/1", auth, "application/json", `{"responder_id":"7"}`, 400, "responder_id"},
		{"update: custom field without cf_", "PUT", "/api/v2/tickets/1", auth, "application/json", `{"custom_fields":{"plan":"gold"}}`, 400, "plan"},
		{"update: custom field a list", "PUT", "/api/v2/tickets/1", auth, "application/json", `{"custom_fields":{"cf_plan":["gold"]}}`, 400, "cf_plan"},
		{"update: custom fields a list", "PUT", "/api/v2/tickets/1", auth, "application/json", `{"custom_fields":[]}`, 400, "custom_fields"},
		{"update: unknown key", "PUT", "/api/v2/tickets/1", auth, "application/json", `{"assignee_id":7}`, 400, "assignee_id"},
		{"bad email", "POST", "/api/v2/tickets/1/notes", auth, "application/json", `{"body":"x","notify_emails":["nobody"]}`, 400, "notify_emails"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := New(t)
			req, err := http.NewRequest(c.method, f.BaseURL()+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			req.Header.Set("Content-Type", c.ctype)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, c.status, data)
			}
			if f.Accepted() != 0 || len(f.Problems()) != 1 {
				t.Errorf("accepted %d, problems %q: want the request refused and recorded", f.Accepted(), f.Problems())
			}
			var shape struct {
				Code   string `json:"code"`
				Errors []struct {
					Field string `json:"field"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(data, &shape); err != nil || (shape.Code == "" && len(shape.Errors) == 0) {
				t.Errorf("answer %s is not Freshdesk's error shape", data)
			}
			if c.field != "" && (len(shape.Errors) == 0 || shape.Errors[0].Field != c.field) {
				t.Errorf("answer %s, want a validation error on %q", data, c.field)
			}
		})
	}
}

// TestFakeKeepsTicketState: an update replaces the tags (as Freshdesk's
// does), GET shows them, and a scripted refusal changes nothing.
func TestFakeKeepsTicketState(t *testing.T) {
	f := New(t)
	f.SetTags("7", "vip")
	do := func(method, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, f.BaseURL()+"/api/v2/tickets/7", strings.NewReader(body))
		req.Header.Set("Authorization", freshdesk.BasicAuth(APIKey, "X"))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	if status, body := do("GET", ""); status != 200 || !strings.Contains(body, `"tags":["vip"]`) || !strings.Contains(body, `"status":2`) {
		t.Fatalf("GET: %d %s", status, body)
	}
	if status, _ := do("PUT", `{"tags":["refund"],"status":4,"priority":3,"responder_id":42,"custom_fields":{"cf_plan":"gold"}}`); status != 200 {
		t.Fatalf("PUT: %d, problems %q", status, f.Problems())
	}
	f.Answer(403, nil, codeError("access_denied", "You are not authorized to perform this action."))
	if status, _ := do("PUT", `{"status":5}`); status != 403 {
		t.Fatalf("scripted PUT: %d", status)
	}
	got := f.Ticket("7")
	if strings.Join(got.Tags, ",") != "refund" || got.Status != 4 || got.Priority != 3 || got.ResponderID != 42 || got.CustomFields["cf_plan"] != "gold" {
		t.Errorf("ticket %+v: want the first update only, tags replaced", got)
	}
}

func TestFakeAcceptsTheDocumentedBodies(t *testing.T) {
	auth := freshdesk.BasicAuth(APIKey, "X")
	bodies := map[string]string{
		"/api/v2/tickets/1/reply": `{"body":"<p>x</p>","from_email":"a@b.c","user_id":7,"cc_emails":["c@d.e"],"bcc_emails":[]}`,
		"/api/v2/tickets/1/notes": `{"body":"<p>x</p>","private":false,"incoming":false,"notify_emails":["c@d.e"],"user_id":7}`,
	}
	for path, body := range bodies {
		f := New(t)
		req, _ := http.NewRequest("POST", f.BaseURL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || f.Accepted() != 1 || resp.Header.Get("X-RateLimit-Total") == "" {
			t.Errorf("%s: status %d, problems %q, want 201 with rate-limit headers", path, resp.StatusCode, f.Problems())
		}
	}
}
