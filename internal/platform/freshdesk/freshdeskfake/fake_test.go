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
