package helpscoutfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// token gets a token the way the replier does.
func token(t *testing.T, s *Server) string {
	t.Helper()
	resp, err := http.PostForm(s.BaseURL()+"/v2/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {AppID}, "client_secret": {AppSecret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	if answer.TokenType != "bearer" || answer.ExpiresIn != 172800 || answer.AccessToken == "" {
		t.Fatalf("token answer %+v", answer)
	}
	return answer.AccessToken
}

// The fake must refuse what Help Scout refuses, in Help Scout's error
// shape, and record it: a fake that accepts anything proves nothing.
func TestFakeRefusesWhatTheAPIRefuses(t *testing.T) {
	type call struct {
		method, path, contentType, auth, body string
	}
	thread := func(path, body string) call {
		return call{"POST", path, "application/json", "<token>", body}
	}
	cases := []struct {
		name   string
		call   call
		status int
		says   string
	}{
		{"token as JSON", call{"POST", "/v2/oauth2/token", "application/json", "", `{"grant_type":"client_credentials"}`}, 400, "want application/x-www-form-urlencoded"},
		{"token with an unknown key", call{"POST", "/v2/oauth2/token", "application/x-www-form-urlencoded", "",
			"grant_type=client_credentials&client_id=" + AppID + "&client_secret=" + AppSecret + "&scope=all"}, 400, "scope: unknown parameter"},
		{"token with another grant", call{"POST", "/v2/oauth2/token", "application/x-www-form-urlencoded", "",
			"grant_type=password&client_id=" + AppID + "&client_secret=" + AppSecret}, 400, "unsupported_grant_type"},
		{"no bearer", call{"POST", "/v2/conversations/1/notes", "application/json", "", `{"text":"x"}`}, 401, "not a Bearer token"},
		{"a token never issued", call{"POST", "/v2/conversations/1/notes", "application/json", "made-up", `{"text":"x"}`}, 401, "not a Bearer token"},
		{"GET", call{"GET", "/v2/conversations/1/notes", "application/json", "<token>", ``}, 405, "want POST"},
		{"another endpoint", thread("/v2/conversations/1/chats", `{"text":"x"}`), 404, "no such endpoint"},
		{"id not a number", thread("/v2/conversations/abc/notes", `{"text":"x"}`), 404, "not a positive whole number"},
		{"form body", call{"POST", "/v2/conversations/1/notes", "application/x-www-form-urlencoded", "<token>", `text=x`}, 415, "want application/json"},
		{"trailing data", thread("/v2/conversations/1/notes", `{"text":"x"} {}`), 400, "data after the JSON object"},
		{"note without text", thread("/v2/conversations/1/notes", `{"status":"active"}`), 400, "text: may not be null"},
		{"note with a customer", thread("/v2/conversations/1/notes", `{"text":"x","customer":{"id":1}}`), 400, "customer: unknown field"},
		{"reply without customer", thread("/v2/conversations/1/reply", `{"text":"x"}`), 400, "customer: may not be null"},
		{"customer id as a string", thread("/v2/conversations/1/reply", `{"text":"x","customer":{"id":"1"}}`), 400, "customer.id: must be a customer id"},
		{"unknown status", thread("/v2/conversations/1/reply", `{"text":"x","customer":{"id":1},"status":"done"}`), 400, "status: must be one of"},
		{"draft as a string", thread("/v2/conversations/1/reply", `{"text":"x","customer":{"id":1},"draft":"yes"}`), 400, "draft: must be a boolean"},
		{"empty text", thread("/v2/conversations/1/reply", `{"text":" ","customer":{"id":1}}`), 400, "text: may not be empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New(t)
			req, _ := http.NewRequest(c.call.method, s.BaseURL()+c.call.path, strings.NewReader(c.call.body))
			req.Header.Set("Content-Type", c.call.contentType)
			switch c.call.auth {
			case "":
			case "<token>":
				req.Header.Set("Authorization", "Bearer "+token(t, s))
			default:
				req.Header.Set("Authorization", "Bearer "+c.call.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, c.status, body)
			}
			var shape map[string]any
			if json.Unmarshal(body, &shape) != nil || (shape["message"] == nil && shape["error"] == nil) {
				t.Errorf("answer %s is not Help Scout's error shape", body)
			}
			ps := s.Problems()
			if len(ps) != 1 || !strings.Contains(ps[0], c.says) {
				t.Errorf("problems %q, want one saying %q", ps, c.says)
			}
			if s.Accepted() != 0 {
				t.Errorf("accepted %d", s.Accepted())
			}
		})
	}
}

func TestFakeAcceptsTheDocumentedExample(t *testing.T) {
	s := New(t)
	// The request of Help Scout's Create Reply Thread page.
	req, _ := http.NewRequest("POST", s.BaseURL()+"/v2/conversations/123/reply", strings.NewReader(
		`{"customer": {"id": 123}, "text": "How are you?",
		  "attachments": [{"fileName": "file.txt", "mimeType": "plain/text", "data": "ZmlsZQ=="}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token(t, s))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Resource-ID") == "" || len(s.Problems()) > 0 {
		t.Fatalf("status %d, Resource-ID %q, problems %q", resp.StatusCode, resp.Header.Get("Resource-ID"), s.Problems())
	}
}
