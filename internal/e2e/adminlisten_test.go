package e2e

import (
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
)

var adminListenRE = regexp.MustCompile(`"msg":"serving","listen":"[^"]+","admin_listen":"([^"]+)"`)

// call makes one request, with the e2e admin token when withToken, and
// returns the status and body (status 0 and the error when it failed).
func call(t *testing.T, method, url string, withToken bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if withToken {
		req.Header.Set("Authorization", "Bearer "+AdminToken)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestAdminListenerSeparatesPrivateRoutes: with --admin-listen, /metrics,
// /-/reload and /admin/* answer only on the admin listener (404 on the
// webhook one), so a NetworkPolicy on ports keeps them off the public
// path; the probes answer on both and webhooks only on the main one.
// Without the flag everything is on the one listener, as before.
func TestAdminListenerSeparatesPrivateRoutes(t *testing.T) {
	private := []struct{ method, path string }{
		{http.MethodGet, "/metrics"},
		{http.MethodGet, "/admin/dlq"},
		{http.MethodGet, "/admin/history"},
		{http.MethodPost, "/-/reload"},
	}
	probes := []string{"/healthz", "/readyz"}
	for _, tc := range []struct {
		name       string
		args       []string
		separate   bool
		wantOnMain int
	}{
		{"one listener (default)", nil, false, http.StatusOK},
		{"--admin-listen", []string{"--admin-listen", "127.0.0.1:0"}, true, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID})
			defer fake.Close()
			bot := Start(t, Config{Args: tc.args, Rules: RulesFile(fake.URL(), "", "", `
  - name: greet
    when: topic == "conversation.user.created"
    reply: {as: note, body: "<p>hello</p>"}
`)})
			logsOnFailure(t, bot)
			m := adminListenRE.FindStringSubmatch(bot.Logs())
			if tc.separate != (m != nil) {
				t.Fatalf("admin_listen in the serving line: %v, want %v", m != nil, tc.separate)
			}

			// Webhooks on the main listener, delivered as before.
			status, body := bot.Post("intercom", "intercom", payload(t, "intercom_conversation_user_created.json", nil))
			if status != http.StatusOK || !strings.Contains(body, `"accepted"`) {
				t.Fatalf("webhook on the main listener: %d %s", status, body)
			}
			WaitFor(t, 10*time.Second, "the note at the fake platform", func() bool { return fake.Count() == 1 })
			fake.AssertNoViolations(t)

			for _, p := range private {
				if got, body := call(t, p.method, bot.URL+p.path, true); got != tc.wantOnMain {
					t.Errorf("main listener %s %s = %d, want %d\n%s", p.method, p.path, got, tc.wantOnMain, body)
				}
			}
			for _, p := range probes {
				if got, body := call(t, http.MethodGet, bot.URL+p, false); got != http.StatusOK {
					t.Errorf("main listener GET %s = %d, want 200\n%s", p, got, body)
				}
			}
			if !tc.separate {
				return
			}

			admin := "http://" + m[1]
			for _, p := range private {
				if got, body := call(t, p.method, admin+p.path, true); got != http.StatusOK {
					t.Errorf("admin listener %s %s = %d, want 200\n%s", p.method, p.path, got, body)
				}
			}
			// The same token rules as on the one listener.
			for _, p := range []struct{ method, path string }{{http.MethodGet, "/admin/dlq"}, {http.MethodPost, "/-/reload"}} {
				if got, _ := call(t, p.method, admin+p.path, false); got != http.StatusUnauthorized {
					t.Errorf("admin listener %s %s without the token = %d, want 401", p.method, p.path, got)
				}
			}
			for _, p := range probes {
				if got, body := call(t, http.MethodGet, admin+p, false); got != http.StatusOK {
					t.Errorf("admin listener GET %s = %d, want 200\n%s", p, got, body)
				}
			}
			if got, _ := call(t, http.MethodPost, admin+"/webhooks/intercom", false); got != http.StatusNotFound {
				t.Errorf("admin listener POST /webhooks/intercom = %d, want 404: webhooks belong to the public port", got)
			}
			// The admin listener's /metrics is the running bot's.
			_, metrics := call(t, http.MethodGet, admin+"/metrics", false)
			if !strings.Contains(metrics, `autoresponder_webhook_requests_total{outcome="accepted",source="intercom"} 1`) {
				t.Errorf("the admin listener's /metrics does not count the accepted webhook:\n%s", grepLines(metrics, "webhook_requests_total"))
			}

			// Graceful shutdown closes both.
			if err, _ := bot.Stop(30 * time.Second); err != nil {
				t.Fatalf("bot exit: %v", err)
			}
			if got, _ := call(t, http.MethodGet, admin+"/healthz", false); got != 0 {
				t.Errorf("the admin listener still answers %d after shutdown", got)
			}
		})
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestAdminListenerTLS: --tls-cert and --tls-key serve both listeners
// over HTTPS, so /metrics and /admin/ are not left in clear text, and the
// admin token still guards /admin/ there.
func TestAdminListenerTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := hostileSelfSigned(t, dir)
	rulesPath := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesPath, []byte(RulesFile("http://127.0.0.1:1", "", "", hostileRules)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(Binary(t), "serve", "--rules", rulesPath, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--data", filepath.Join(dir, "data"), "--watch-interval", "0", "--tls-cert", cert, "--tls-key", key)
	cmd.Env = append(os.Environ(), "INTERCOM_CLIENT_SECRET="+IntercomSecret, "WHMCS_WEBHOOK_SECRET="+WHMCSSecret,
		"INTERCOM_ACCESS_TOKEN="+IntercomToken, "WHMCS_API_TOKEN="+WHMCSToken, "BOT_ADMIN_TOKEN="+AdminToken)
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var m []string
	WaitFor(t, 30*time.Second, "the serving line", func() bool {
		m = regexp.MustCompile(`"msg":"serving","listen":"([^"]+)","admin_listen":"([^"]+)"`).FindStringSubmatch(logs.String())
		return m != nil
	})
	main, admin := "https://"+m[1], "https://"+m[2]

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	get := func(url string, withToken bool) (int, bool) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if withToken {
			req.Header.Set("Authorization", "Bearer "+AdminToken)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v\n%s", url, err, logs.String())
		}
		resp.Body.Close()
		return resp.StatusCode, resp.TLS != nil
	}
	for _, tc := range []struct {
		url       string
		withToken bool
		want      int
	}{
		{main + "/readyz", false, http.StatusOK},
		{main + "/metrics", false, http.StatusNotFound},
		{admin + "/readyz", false, http.StatusOK},
		{admin + "/metrics", false, http.StatusOK},
		{admin + "/admin/dlq", true, http.StatusOK},
		{admin + "/admin/dlq", false, http.StatusUnauthorized},
	} {
		if got, overTLS := get(tc.url, tc.withToken); got != tc.want || !overTLS {
			t.Errorf("GET %s (token %v) = %d (TLS %v), want %d over TLS", tc.url, tc.withToken, got, overTLS, tc.want)
		}
	}
	if resp, err := http.Get("http://" + m[2] + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("the admin listener serves /metrics over plain HTTP with --tls-cert set")
		}
	}
	// The image's HEALTHCHECK runs `bot healthcheck` with the container's
	// environment: with TLS on, it must ask over https.
	if code, out := Run(t, t.TempDir(), []string{"BOT_LISTEN=" + m[1], "BOT_TLS_CERT=" + cert}, "healthcheck"); code != 0 {
		t.Errorf("bot healthcheck against a TLS bot = exit %d: %s", code, out)
	}
}
