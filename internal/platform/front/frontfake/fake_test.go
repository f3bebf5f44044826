package frontfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/front/frontfake"
)

// The fake must refuse what Front refuses, in Front's envelope: a fake
// that accepts anything proves nothing.
func TestFakeIsStrict(t *testing.T) {
	const good = `{"body":"hi","author_id":"tea_bot1","options":{"archive":false}}`
	cases := []struct {
		name, method, path, auth, ctype, body string
		status                                int
		says                                  string
	}{
		{"a valid reply", "POST", "/conversations/cnv_1/messages", "", "", good, 202, ""},
		{"a valid comment", "POST", "/conversations/cnv_1/comments", "", "", `{"body":"hi","is_pinned":true}`, 201, ""},
		{"GET", "GET", "/conversations/cnv_1/messages", "", "", good, 405, "POST"},
		{"unknown endpoint", "POST", "/conversations/cnv_1/reply", "", "", good, 404, "no such endpoint"},
		{"no token", "POST", "/conversations/cnv_1/messages", "-", "", good, 401, "Bearer"},
		{"wrong token", "POST", "/conversations/cnv_1/messages", "Bearer nope", "", good, 401, "Bearer"},
		{"form body", "POST", "/conversations/cnv_1/messages", "", "application/x-www-form-urlencoded", good, 400, "Content-Type"},
		{"not JSON", "POST", "/conversations/cnv_1/messages", "", "", `body=hi`, 400, "not a JSON object"},
		{"no body key", "POST", "/conversations/cnv_1/messages", "", "", `{"author_id":"tea_bot1"}`, 400, "body: required"},
		{"unknown key", "POST", "/conversations/cnv_1/messages", "", "", `{"body":"hi","archive":false}`, 400, "archive: unknown key"},
		{"unknown option", "POST", "/conversations/cnv_1/messages", "", "", `{"body":"hi","options":{"archived":false}}`, 400, "options.archived: unknown key"},
		{"archive as a string", "POST", "/conversations/cnv_1/messages", "", "", `{"body":"hi","options":{"archive":"false"}}`, 400, "options.archive: wrong type"},
		{"to not a list", "POST", "/conversations/cnv_1/messages", "", "", `{"body":"hi","to":"a@b.c"}`, 400, "to: wrong type"},
		{"unknown teammate", "POST", "/conversations/cnv_1/comments", "", "", `{"body":"hi","author_id":"tea_x"}`, 400, "no such teammate"},
		{"options on a comment", "POST", "/conversations/cnv_1/comments", "", "", `{"body":"hi","options":{}}`, 400, "options: unknown key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := frontfake.New(t)
			req, err := http.NewRequest(c.method, f.BaseURL()+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			switch c.auth {
			case "":
				req.Header.Set("Authorization", "Bearer "+frontfake.DefaultToken)
			case "-":
			default:
				req.Header.Set("Authorization", c.auth)
			}
			if c.ctype == "" {
				c.ctype = "application/json"
			}
			req.Header.Set("Content-Type", c.ctype)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, raw, c.status)
			}
			if c.says == "" {
				if f.Accepted() != 1 || len(f.Problems()) != 0 {
					t.Errorf("accepted %d, problems %q", f.Accepted(), f.Problems())
				}
				return
			}
			var env struct {
				Error struct {
					Status  int    `json:"status"`
					Title   string `json:"title"`
					Message string `json:"message"`
				} `json:"_error"`
			}
			if err := json.Unmarshal(raw, &env); err != nil || env.Error.Status != c.status || env.Error.Title == "" {
				t.Fatalf("answer %s is not Front's error envelope for %d", raw, c.status)
			}
			if !strings.Contains(env.Error.Message, c.says) {
				t.Errorf("message %q, want it to say %q", env.Error.Message, c.says)
			}
			if f.Accepted() != 0 || len(f.Problems()) == 0 {
				t.Errorf("accepted %d, problems %q: want the refusal recorded", f.Accepted(), f.Problems())
			}
		})
	}
}
