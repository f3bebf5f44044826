package e2e

import (
	"os"
	"strings"
	"testing"
)

// testSend: `bot send` signs a payload with the source's secret from the
// environment, as the platform would, and posts it to the running bot.
func testSend(t *testing.T, f *fakes, bot *Bot) {
	f.checkViolations(t)
	dir := t.TempDir()
	write := func(name string, body []byte) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	icFile := write("intercom.json", conversationEvent(t, "notif_e2e-send", "7100000801"))
	whFile := write("whmcs.json", whmcsOpenEvent(t, "TicketOpen-e2e-send", "5802"))
	rulesPath := bot.Dir + "/rules.yaml"
	env := []string{"INTERCOM_CLIENT_SECRET=" + IntercomSecret, "WHMCS_WEBHOOK_SECRET=" + WHMCSSecret}

	code, out := Run(t, dir, env, "send", "--source", "intercom", "--rules", rulesPath, "--url", bot.URL, icFile)
	if code != 0 || !strings.Contains(out, "200 OK") || !strings.Contains(out, `"accepted"`) {
		t.Errorf("bot send intercom = %d\n%s", code, out)
	}
	code, out = Run(t, dir, env, "send", "--source", "whmcs", "--rules", rulesPath, "--url", bot.URL, whFile)
	if code != 0 || !strings.Contains(out, "200 OK") || !strings.Contains(out, `"accepted"`) {
		t.Errorf("bot send whmcs = %d\n%s", code, out)
	}
	// With the wrong secret the bot refuses it, and send says so.
	wrong := []string{"INTERCOM_CLIENT_SECRET=not-the-secret"}
	code, out = Run(t, dir, wrong, "send", "--source", "intercom", "--rules", rulesPath, "--url", bot.URL, icFile)
	if code != 1 || !strings.Contains(out, "401") {
		t.Errorf("bot send with the wrong secret = %d\n%s; want exit 1 and the 401", code, out)
	}
	waitIdle(t, bot)
	if a, b := len(f.to("7100000801")), len(f.to("5802")); a != 1 || b != 1 {
		t.Errorf("bot send: %d intercom and %d whmcs replies; want 1 each", a, b)
	}
}
