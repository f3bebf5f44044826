package e2e

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthcheckCommand runs `bot healthcheck` (what the container's
// HEALTHCHECK calls; the image has no curl) against a ready bot, a server
// answering 503, and a port nobody listens on.
func TestHealthcheckCommand(t *testing.T) {
	bot := Start(t, Config{Rules: RulesFile("", "", "", "")})
	unready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "draining", http.StatusServiceUnavailable)
	}))
	defer unready.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/readyz"
	ln.Close()

	cases := []struct {
		name     string
		args     []string
		env      []string
		wantCode int
		wantOut  string
	}{
		{"ready bot", []string{"healthcheck", "--url", bot.URL + "/readyz"}, nil, 0, "healthy"},
		{"port from BOT_LISTEN", []string{"healthcheck"}, []string{"BOT_LISTEN=" + strings.TrimPrefix(bot.URL, "http://")}, 0, "healthy"},
		{"not ready", []string{"healthcheck", "--url", unready.URL + "/readyz"}, nil, 1, "503"},
		{"nobody listening", []string{"healthcheck", "--url", closed}, nil, 1, "unhealthy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := Run(t, t.TempDir(), c.env, c.args...)
			if code != c.wantCode || !strings.Contains(out, c.wantOut) {
				t.Errorf("bot %v = exit %d\n%s\nwant exit %d with %q", c.args, code, out, c.wantCode, c.wantOut)
			}
			if lines := strings.Count(strings.TrimSpace(out), "\n") + 1; lines != 1 {
				t.Errorf("bot %v printed %d lines, want one:\n%s", c.args, lines, out)
			}
		})
	}
}

// TestMigrateSaysWhatItCreated runs `bot migrate` twice on an empty SQLite
// data directory: the first run names the tables it created, the second
// says there was nothing to do.
func TestMigrateSaysWhatItCreated(t *testing.T) {
	dir := t.TempDir()
	for i, want := range []string{"created tables: bot_events, bot_claims", "is up to date (schema version"} {
		code, out := Run(t, dir, nil, "migrate", "--data", dir+"/data")
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("bot migrate (run %d) = exit %d\n%s\nwant %q", i+1, code, out, want)
		}
		if i == 0 && !strings.Contains(out, "River") {
			t.Errorf("the first bot migrate does not mention River's tables:\n%s", out)
		}
	}
}
