package zendeskfake_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/zendesk/zendeskfake"
)

// TestFakeIsStrict sends requests the real API would refuse, or that the
// bot must never send, and expects each refused in Zendesk's error shape.
func TestFakeIsStrict(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(zendeskfake.DefaultEmail+"/token:"+zendeskfake.DefaultToken))
	good := `{"ticket":{"comment":{"body":"Hi","public":true,"author_id":` + zendeskfake.DefaultAgentID + `}}}`
	cases := []struct {
		name, method, path, auth, contentType, body string
		status                                      int
		problem                                     string
	}{
		{"valid", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", good, 200, ""},
		{"POST", "POST", "/api/v2/tickets/5158.json", basic, "application/json", good, 404, "no such endpoint"},
		{"no .json", "PUT", "/api/v2/tickets/5158", basic, "application/json", good, 404, "no such endpoint"},
		{"ticket id not a number", "PUT", "/api/v2/tickets/abc.json", basic, "application/json", good, 404, "no such endpoint"},
		{"query", "PUT", "/api/v2/tickets/5158.json?async=true", basic, "application/json", good, 400, "query"},
		{"wrong token", "PUT", "/api/v2/tickets/5158.json", "Basic " + base64.StdEncoding.EncodeToString([]byte(zendeskfake.DefaultEmail+"/token:x")), "application/json", good, 401, "Authorization"},
		{"bearer in token mode", "PUT", "/api/v2/tickets/5158.json", "Bearer " + zendeskfake.DefaultToken, "application/json", good, 401, "Authorization"},
		{"form body", "PUT", "/api/v2/tickets/5158.json", basic, "application/x-www-form-urlencoded", good, 422, "Content-Type"},
		{"not JSON", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":`, 422, "not a JSON object"},
		{"trailing data", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", good + `{}`, 422, "data after"},
		{"unknown top key", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi","public":true}},"x":1}`, 422, "unknown key x"},
		{"unknown ticket key", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi","public":true},"status":"solved"}}`, 422, "unknown key ticket.status"},
		{"unknown comment key", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi","public":true,"uploads":[]}}}`, 422, "unknown key ticket.comment.uploads"},
		{"public missing", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi"}}}`, 422, "public missing"},
		{"public a string", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi","public":"true"}}}`, 422, "public must be a boolean"},
		{"both bodies", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi","html_body":"<p>Hi</p>","public":true}}}`, 422, "both body and html_body"},
		{"no body", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"public":true}}}`, 422, "needs body or html_body"},
		{"blank body", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":" ","public":true}}}`, 422, "blank"},
		{"author id a string", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi","public":true,"author_id":"9001"}}}`, 422, "author_id must be an integer"},
		{"another author", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi","public":true,"author_id":1}}}`, 422, "not the bot's agent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := zendeskfake.New(t, zendeskfake.Options{})
			req, err := http.NewRequest(c.method, f.BaseURL()+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", c.auth)
			req.Header.Set("Content-Type", c.contentType)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("User-Agent", "test")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, c.status, body)
			}
			if c.problem == "" {
				if f.Accepted() != 1 || len(f.Problems()) != 0 {
					t.Fatalf("accepted %d, problems %q", f.Accepted(), f.Problems())
				}
				return
			}
			if !strings.Contains(string(body), `"error":`) {
				t.Errorf("answer %s is not Zendesk's error shape", body)
			}
			ps := f.Problems()
			if f.Accepted() != 0 || len(ps) != 1 || !strings.Contains(ps[0], c.problem) {
				t.Errorf("accepted %d, problems %q, want one naming %q", f.Accepted(), ps, c.problem)
			}
		})
	}
}
