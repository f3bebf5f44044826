package platformtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/replier"
)

// LeakCheck is a replier driven through every failure path by
// SecretsNeverLeak.
type LeakCheck struct {
	// New builds the replier of an account whose base_url is baseURL,
	// with the per-request timeout.
	New func(t *testing.T, baseURL string, timeout time.Duration) replier.Replier
	// Secrets are every spelling of the credentials the replier sends:
	// the token, a Basic base64 as sent, a form-escaped secret.
	Secrets []string
	// Request is one the replier sends. Its target id is also tried with
	// Secrets[0] in it, which the replier refuses before sending.
	Request replier.Request
}

// Where httpapi cuts what a platform sent: a snippet of a body it could
// not read (200 bytes), a message in the platform's own error shape (1000
// bytes). An echo padded to put the secret across the cut leaks a piece
// of it unless redaction happens first.
const (
	snippetCut = 200
	messageCut = 1000
)

// SecretsNeverLeak sends c.Request to servers that echo back what it
// carried (its Authorization header, query and body) and the secrets
// themselves, in every way a platform or a proxy in front of it might: an
// error body in the platform's shape or as an HTML page, a body cut where
// snippets are cut, response headers, a redirect's Location; and through a
// timeout, a refused connection and a target id the replier refuses. No
// spelling of a secret may reach the error, in any of its formats.
func SecretsNeverLeak(t *testing.T, c LeakCheck) {
	t.Helper()
	if len(c.Secrets) == 0 || c.Secrets[0] == "" {
		t.Fatal("LeakCheck.Secrets is empty: name the credentials to look for")
	}
	secret := c.Secrets[0]
	type leakCase struct {
		name    string
		handler http.HandlerFunc
		closed  bool // the connection is refused
		badID   bool // the target id carries the secret and is refused before sending
		cut     bool // the echo is cut inside the secret: look for its start too
	}
	cases := []leakCase{
		{name: "400 echoing the request", handler: echo(400, "", "bad request, you sent %s")},
		{name: "401 error list", handler: echo(401, "application/json", `{"type":"error.list","errors":[{"code":"unauthorized","message":"token %s is invalid"}]}`)},
		{name: "200 result=error", handler: echo(200, "application/json", `{"result":"error","message":"Authentication Failed for %s"}`)},
		{name: "403 result=error", handler: echo(403, "application/json", `{"result":"error","message":"denied: %s"}`)},
		{name: "422 with errors", handler: echo(422, "application/json", `{"message":"%[1]s","error":"%[1]s","description":"%[1]s","errors":[{"message":"%[1]s"}]}`)},
		{name: "500 HTML page", handler: echo(500, "text/html", "<html><pre>headers: %s</pre></html>")},
		{name: "429", handler: echo(429, "", "slow down %s", "Retry-After", "1")},
		{name: "garbage 200", handler: echo(200, "text/html", "<html>%s</html>")},
		{name: "headers echoing the secret", handler: echo(400, "", "see headers",
			"WWW-Authenticate", `Bearer error="invalid_token", error_description="SECRET"`, "X-Echo", "SECRET")},
		{name: "redirect", handler: echo(302, "", "moved", "Location", "https://evil.example/?t=SECRET")},
		{name: "timeout", handler: sleepy},
		{name: "connection refused", closed: true},
		{name: "bad target id", badID: true},
	}
	// The secret first, straddling the cut.
	across := func(cut int, h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set(echoedKey, strings.Repeat("y", cut-len(secret)/2)+secret+" "+r.Header.Get(echoedKey))
			h(w, r)
		}
	}
	cases = append(cases,
		leakCase{name: "secret across the snippet cut", cut: true, handler: across(snippetCut, echo(502, "", "%s"))},
		leakCase{name: "secret across the message cut", cut: true, handler: across(messageCut, echo(422, "application/json",
			`{"type":"error.list","errors":[{"code":"invalid","message":"%[1]s"}],"result":"error","message":"%[1]s","error":"%[1]s","description":"%[1]s"}`))},
	)
	for _, lc := range cases {
		t.Run(lc.name, func(t *testing.T) {
			base := "http://127.0.0.1:1"
			switch {
			case lc.closed:
				s := httptest.NewServer(http.NotFoundHandler())
				base = s.URL
				s.Close()
			case !lc.badID:
				s := httptest.NewServer(secretEcho(lc.handler, secret))
				t.Cleanup(s.Close)
				base = s.URL
			}
			r := c.New(t, base, 200*time.Millisecond)
			req := c.Request
			if lc.badID {
				req.Target.ID = "../" + secret
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := r.Send(ctx, &req)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			shown := []string{err.Error()}
			if e := replier.AsError(err); e != nil {
				shown = append(shown, fmt.Sprintf("%+v", *e), fmt.Sprintf("%#v", *e))
			}
			for _, s := range shown {
				for _, sec := range c.Secrets {
					if sec != "" && strings.Contains(s, sec) {
						t.Errorf("a secret (%d bytes) leaked: %s", len(sec), s)
					}
				}
				if start := secret[:min(len(secret), 8)]; lc.cut && strings.Contains(s, start) {
					t.Errorf("the start of a secret leaked where the echo was cut: %s", s)
				}
			}
		})
	}
}

// echo answers status with body, where %s is what the request carried,
// and header pairs, where SECRET is the secret.
func echo(status int, contentType, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		carried := r.Header.Get(echoedKey)
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], strings.ReplaceAll(header[i+1], "SECRET", r.Header.Get(secretKey)))
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, body, carried)
	}
}

// Keys secretEcho hands the handlers what to echo under (never sent on
// the wire: they are set on the server's copy of the request).
const (
	echoedKey = "X-Leak-Check-Echo"
	secretKey = "X-Leak-Check-Secret"
)

// secretEcho reads what the request carried (bounded) and passes it on
// to h with the secret, JSON-safe, so that a JSON error shape stays valid
// and is read as the platform's message.
func secretEcho(h http.HandlerFunc, secret string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		carried := strings.Join([]string{r.Header.Get("Authorization"), r.URL.RawQuery, string(body), secret}, " ")
		carried = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", " ", "\r", " ").Replace(carried)
		r.Header.Set(echoedKey, carried)
		r.Header.Set(secretKey, secret)
		h(w, r)
	}
}

// sleepy answers after the client has given up.
func sleepy(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}
