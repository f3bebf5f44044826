package replier

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

// assertTokenNeverLeaks drives a replier through every failure path with a
// known token, against servers that echo it back in every way they can,
// and fails if the token shows up in an error.
func assertTokenNeverLeaks(t *testing.T, newReplier func(t *testing.T, baseURL, token string, timeout time.Duration) Replier, req Request) {
	t.Helper()
	const token = "leak-canary-0d9f8e7c6b5a"
	echo := func(status int, format string, header ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], strings.ReplaceAll(header[i+1], "TOKEN", token))
			}
			w.WriteHeader(status)
			fmt.Fprintf(w, format, r.Header.Get("Authorization"))
		}
	}
	long := strings.Repeat("y", maxSnippetBytes-10)
	cases := []struct {
		name    string
		handler http.HandlerFunc
		closed  bool // connection refused
		badID   bool // rejected before sending
	}{
		{name: "400 echoing the header", handler: echo(400, "bad request, you sent %s")},
		{name: "401 error list", handler: echo(401, `{"type":"error.list","errors":[{"code":"unauthorized","message":"token %s is invalid"}]}`)},
		{name: "whmcs error with 200", handler: echo(200, `{"result":"error","message":"Authentication Failed for %s"}`)},
		{name: "whmcs error with 403", handler: echo(403, `{"result":"error","message":"denied: %s"}`)},
		{name: "500 HTML page", handler: echo(500, "<html><pre>headers: %s</pre></html>")},
		{name: "429", handler: echo(429, "slow down %s", "Retry-After", "1")},
		{name: "token across the snippet cut", handler: echo(502, long+"%s")},
		{name: "garbage 200", handler: echo(200, "<html>%s</html>")},
		{name: "redirect", handler: echo(302, "moved", "Location", "https://evil.example/?t=TOKEN")},
		{name: "timeout", handler: sleepy(5 * time.Second)},
		{name: "connection refused", closed: true},
		{name: "bad target id", badID: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Helper()
			base := "http://127.0.0.1:1"
			if !tc.closed && !tc.badID {
				base = newStub(t, tc.handler).URL
			} else if tc.closed {
				s := newStub(t, func(http.ResponseWriter, *http.Request) {})
				base = s.URL
				s.Close()
			}
			r := newReplier(t, base, token, 100*time.Millisecond)
			req := req
			if tc.badID {
				req.Target.ID = "../" + token
			}
			_, err := r.Send(ctx(t), &req)
			if err == nil {
				t.Fatal("no error")
			}
			e := AsError(err)
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", *e), fmt.Sprintf("%#v", *e)} {
				if strings.Contains(s, token) {
					t.Errorf("token leaked: %s", s)
				}
			}
		})
	}
}

func TestIntercomTokenNeverLeaks(t *testing.T) {
	assertTokenNeverLeaks(t, func(t *testing.T, baseURL, token string, timeout time.Duration) Replier {
		r, err := NewIntercom(IntercomConfig{BaseURL: baseURL, Token: token, AdminID: "1", Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}, Request{As: AsComment, Target: event.Target{Type: event.TargetConversation, ID: "1"}, Body: "x"})
}

func TestWHMCSTokenNeverLeaks(t *testing.T) {
	assertTokenNeverLeaks(t, func(t *testing.T, baseURL, token string, timeout time.Duration) Replier {
		r, err := NewWHMCS(WHMCSConfig{BaseURL: baseURL, Token: token, Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}, Request{As: AsComment, Target: event.Target{Type: event.TargetTicket, ID: "1"}, Body: "x"})
}
