package chatwootfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/chatwoot/chatwootfake"
)

const goodBody = `{"content":"hello","message_type":"outgoing","private":false,"content_type":"text"}`

type call struct {
	method, path, body string
	header             map[string]string
}

func do(t *testing.T, f *chatwootfake.Fake, c call) (int, map[string]any) {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.path == "" {
		c.path = "/api/v1/accounts/7/conversations/84/messages"
	}
	req, err := http.NewRequest(c.method, f.BaseURL()+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_access_token", chatwootfake.DefaultToken)
	req.Header.Set("User-Agent", "test")
	for k, v := range c.header {
		switch {
		case v == "" && k == "User-Agent":
			req.Header.Set(k, "") // net/http then sends none
		case v == "":
			req.Header.Del(k)
		default:
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %q is not a JSON object: %v", raw, err)
	}
	return resp.StatusCode, out
}

func TestFakeAcceptsADocumentedRequest(t *testing.T) {
	f := chatwootfake.New(t)
	status, out := do(t, f, call{body: goodBody})
	if status != http.StatusOK || out["id"] == nil || out["conversation_id"] != float64(84) || out["message_type"] != float64(1) {
		t.Fatalf("answer %d %v, want 200 with the created message", status, out)
	}
	if f.Accepted() != 1 || len(f.Problems()) != 0 {
		t.Fatalf("accepted %d, problems %q", f.Accepted(), f.Problems())
	}
}

func TestFakeRefusesWhatChatwootWouldNot(t *testing.T) {
	cases := []struct {
		name    string
		call    call
		status  int
		problem string
	}{
		{"GET", call{method: http.MethodGet, body: goodBody}, 404, "messages are created with POST"},
		{"another account", call{path: "/api/v1/accounts/8/conversations/84/messages", body: goodBody}, 404, "no such endpoint"},
		{"conversation not a number", call{path: "/api/v1/accounts/7/conversations/abc/messages", body: goodBody}, 404, "no such endpoint"},
		{"no version prefix", call{path: "/accounts/7/conversations/84/messages", body: goodBody}, 404, "no such endpoint"},
		{"no token", call{body: goodBody, header: map[string]string{"api_access_token": ""}}, 401, "api_access_token"},
		{"wrong token", call{body: goodBody, header: map[string]string{"api_access_token": "nope"}}, 401, "api_access_token"},
		{"bearer token", call{body: goodBody, header: map[string]string{"Authorization": "Bearer " + chatwootfake.DefaultToken}}, 422, "Authorization header"},
		{"form body", call{body: goodBody, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 422, "Content-Type"},
		{"no user agent", call{body: goodBody, header: map[string]string{"User-Agent": ""}}, 422, "User-Agent"},
		{"unknown key", call{body: `{"content":"hi","body":"hi"}`}, 422, `unknown key "body"`},
		{"content a number", call{body: `{"content":5}`}, 422, "content must be string"},
		{"private a string", call{body: `{"content":"hi","private":"true"}`}, 422, "private must be boolean"},
		{"message_type note", call{body: `{"content":"hi","message_type":"note"}`}, 422, `message_type "note" is not one of`},
		{"content_type html", call{body: `{"content":"hi","content_type":"html"}`}, 422, `content_type "html" is not one of`},
		{"campaign id a fraction", call{body: `{"content":"hi","campaign_id":1.5}`}, 422, "campaign_id must be integer"},
		{"no content", call{body: `{"message_type":"outgoing"}`}, 422, "content is required"},
		{"blank content", call{body: `{"content":"  "}`}, 422, "content is required"},
		{"not JSON", call{body: `content=hi`}, 422, "not a JSON object"},
		{"two objects", call{body: goodBody + goodBody}, 422, "data after the JSON object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := chatwootfake.New(t)
			status, out := do(t, f, c.call)
			if status != c.status {
				t.Errorf("status %d, want %d", status, c.status)
			}
			if out["error"] == nil && out["description"] == nil {
				t.Errorf("answer %v is not in Chatwoot's error shape", out)
			}
			problems := f.Problems()
			if f.Accepted() != 0 || len(problems) != 1 || !strings.Contains(problems[0], c.problem) {
				t.Errorf("accepted %d, problems %q, want one saying %q", f.Accepted(), problems, c.problem)
			}
		})
	}
}

func TestFakeAnswersOnce(t *testing.T) {
	f := chatwootfake.New(t)
	f.Answer(http.StatusInternalServerError, nil, f.ErrorBody("boom"))
	if status, out := do(t, f, call{body: goodBody}); status != 500 || out["description"] != "boom" {
		t.Fatalf("first answer %d %v, want the scripted 500", status, out)
	}
	if status, _ := do(t, f, call{body: goodBody}); status != 200 {
		t.Fatalf("second answer %d, want the normal success", status)
	}
	if f.Accepted() != 2 {
		t.Fatalf("accepted %d valid requests, want 2", f.Accepted())
	}
}
