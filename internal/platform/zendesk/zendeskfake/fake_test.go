package zendeskfake_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/zendesk/zendeskfake"
)

// TestFakeAddsTags shows the fake's state: Add Tags keeps the ticket's
// tags, and a scripted refusal changes nothing.
func TestFakeAddsTags(t *testing.T) {
	f := zendeskfake.New(t, zendeskfake.Options{})
	f.SetTags("5158", "mobile", "vip")
	put := func(body string) int {
		t.Helper()
		req, _ := http.NewRequest("PUT", f.BaseURL()+"/api/v2/tickets/5158/tags", strings.NewReader(body))
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(zendeskfake.DefaultEmail+"/token:"+zendeskfake.DefaultToken)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := put(`{"tags":["Refund","vip"]}`); got != 200 {
		t.Fatalf("status %d, problems %q", got, f.Problems())
	}
	f.Answer(http.StatusForbidden, nil, `{"error":"Forbidden"}`)
	if got := put(`{"tags":["lost"]}`); got != 403 {
		t.Fatalf("status %d, want the scripted 403", got)
	}
	if got, want := strings.Join(f.Ticket("5158").Tags, ","), "mobile,vip,refund"; got != want {
		t.Errorf("tags %s, want %s", got, want)
	}
}

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
		{"unknown ticket key", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi","public":true},"brand_id":1}}`, 422, "unknown key ticket.brand_id"},
		{"unknown comment key", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi","public":true,"uploads":[]}}}`, 422, "unknown key ticket.comment.uploads"},
		{"public missing", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi"}}}`, 422, "public missing"},
		{"public a string", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi","public":"true"}}}`, 422, "public must be a boolean"},
		{"both bodies", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi","html_body":"<p>Hi</p>","public":true}}}`, 422, "both body and html_body"},
		{"no body", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"public":true}}}`, 422, "needs body or html_body"},
		{"blank body", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":" ","public":true}}}`, 422, "blank"},
		{"author id a string", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"comment":{"body":"Hi","public":true,"author_id":"9001"}}}`, 422, "author_id must be an integer"},
		{"status", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"status":"solved"}}`, 200, ""},
		{"status not in the enum", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"status":"snoozed"}}`, 422, `ticket.status "snoozed" is not one of`},
		{"status upper case", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"status":"SOLVED"}}`, 422, "ticket.status"},
		{"priority not in the enum", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"priority":"medium"}}`, 422, "ticket.priority"},
		{"assignee", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"assignee_id":42,"group_id":7}}`, 200, ""},
		{"assignee a string", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"assignee_id":"42"}}`, 422, "assignee_id must be a positive integer"},
		{"custom fields", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"custom_fields":[{"id":360001,"value":"gold"}]}}`, 200, ""},
		{"custom field id a string", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"custom_fields":[{"id":"plan","value":"gold"}]}}`, 422, "custom_fields[0].id must be a positive integer"},
		{"custom field unknown key", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"custom_fields":[{"id":1,"value":"x","name":"plan"}]}}`, 422, "unknown key ticket.custom_fields[0].name"},
		{"custom fields an object", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"custom_fields":{"1":"x"}}}`, 422, "custom_fields must be a non-empty array"},
		{"tags replace", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{"tags":["vip"]}}`, 422, "replaces every tag"},
		{"empty ticket", "PUT", "/api/v2/tickets/5158.json", basic, "application/json", `{"ticket":{}}`, 422, "changes nothing"},
		{"add tags", "PUT", "/api/v2/tickets/5158/tags", basic, "application/json", `{"tags":["vip","refund"]}`, 200, ""},
		{"add tags, .json", "PUT", "/api/v2/tickets/5158/tags.json", basic, "application/json", `{"tags":["vip"]}`, 404, "no such endpoint"},
		{"add tags, POST", "POST", "/api/v2/tickets/5158/tags", basic, "application/json", `{"tags":["vip"]}`, 404, "no such endpoint"},
		{"add tags, none", "PUT", "/api/v2/tickets/5158/tags", basic, "application/json", `{"tags":[]}`, 422, "non-empty array"},
		{"add tags, a string", "PUT", "/api/v2/tickets/5158/tags", basic, "application/json", `{"tags":"vip"}`, 422, "non-empty array"},
		{"add tags, a space", "PUT", "/api/v2/tickets/5158/tags", basic, "application/json", `{"tags":["two words"]}`, 422, "whitespace"},
		{"add tags, unknown key", "PUT", "/api/v2/tickets/5158/tags", basic, "application/json", `{"tags":["vip"],"ticket":{}}`, 422, "unknown key ticket"},
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
