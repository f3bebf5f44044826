package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
)

// Distinctive secrets: any of them showing up anywhere is a leak.
const (
	leakIntercomSecret = "icsecret-Zq7vX1kP-never-print-me"
	leakWHMCSSecret    = "whsecret-Kp3mB8dR-never-print-me"
	leakIntercomToken  = "ictoken-Ry5nW2qS-never-print-me"
	leakWHMCSToken     = "whtoken-Lc9tH4vY-never-print-me"
	leakAdminToken     = "admintoken-Fv6sJ0mE-never-print-me"
)

// TestSecretsNeverLeak runs a whole scenario with known secrets (good and
// bad deliveries, replies, retries, platform errors that echo the token,
// a render error, admin calls, a reload, a shutdown) and then looks for
// the secrets in everything the bot shows: its logs, its stdout,
// /metrics, the dead letters and the history, through the API and the CLI.
func TestSecretsNeverLeakOnTheMainPath(t *testing.T) {
	f := newFakesWithTokens(t, leakIntercomToken, leakWHMCSToken)
	rs := rulesYAML(
		rule{name: "leak-intercom", source: "intercom", when: `target.id startsWith "73000000"`, reply: "as: comment\nbody: \"<p>Hi {{ contact.name }}</p>\""},
		rule{name: "leak-whmcs", source: "whmcs", when: `target.id startsWith "593"`, reply: "as: comment\nbody: \"Hello {{ contact.name }}\""},
	)
	bot := Start(t, Config{Rules: f.rules("", rs), Env: map[string]string{
		"INTERCOM_CLIENT_SECRET": leakIntercomSecret, "WHMCS_WEBHOOK_SECRET": leakWHMCSSecret,
		"INTERCOM_ACCESS_TOKEN": leakIntercomToken, "WHMCS_API_TOKEN": leakWHMCSToken,
		"BOT_ADMIN_TOKEN": leakAdminToken,
	}})
	logsOnFailure(t, bot)
	sign := func(kind string, body []byte) (string, string) {
		secret := leakIntercomSecret
		if kind == "whmcs" {
			secret = leakWHMCSSecret
		}
		return signatureHeader(kind), signature(kind, []byte(secret), body)
	}
	deliver := func(source string, body []byte, want int) {
		t.Helper()
		h, sig := sign(source, body)
		if code, raw := bot.PostSigned(source, body, h, sig); code != want {
			t.Fatalf("POST /webhooks/%s = %d %s; want %d", source, code, raw, want)
		}
	}

	// Platforms that quote the token back in their errors.
	f.script.add("7300000002", intercomfake.Error(http.StatusUnauthorized, "unauthorized", "Access Token Invalid: Bearer "+leakIntercomToken))
	f.script.add("7300000003", platformfake.Response{Status: http.StatusBadGateway, Body: "upstream said: token=" + leakIntercomToken}, platformfake.Response{})
	f.script.add("5932", whmcsfake.Error(http.StatusOK, "Invalid API token "+leakWHMCSToken))
	f.script.add("5933", platformfake.Response{Status: http.StatusInternalServerError, Body: "Fatal error: bearer " + leakWHMCSToken}, platformfake.Response{})

	for _, target := range []string{"7300000001", "7300000002", "7300000003"} {
		deliver("intercom", conversationEvent(t, "notif_e2e-leak-"+target, target), http.StatusOK)
	}
	for _, target := range []string{"5931", "5932", "5933"} {
		deliver("whmcs", whmcsOpenEvent(t, "TicketOpen-e2e-leak-"+target, target), http.StatusOK)
	}
	// A guest ticket: {{ contact.name }} fails to render.
	deliver("whmcs", payload(t, "whmcs_TicketOpen.json", map[string]any{
		"id": "TicketOpen-e2e-leak-guest", "vars.ticketid": json.Number("5934"), "vars.userid": json.Number("0"),
	}), http.StatusOK)
	// Deliveries signed with a secret the bot does not have, or wrongly.
	body := conversationEvent(t, "notif_e2e-leak-forged", "7300000009")
	for _, sig := range []string{signature("intercom", []byte("guess"), body), "sha1=" + leakIntercomSecret, leakIntercomSecret} {
		if code, _ := bot.PostSigned("intercom", body, signatureHeader("intercom"), sig); code != http.StatusUnauthorized {
			t.Errorf("forged delivery = %d; want 401", code)
		}
	}
	// The admin API with a wrong token, then a reload.
	if code, _ := adminRaw(t, bot, "Bearer "+leakAdminToken[:10], "/admin/dlq"); code != http.StatusUnauthorized {
		t.Errorf("admin API with a wrong token = %d; want 401", code)
	}
	if resp, err := http.Post(bot.URL+"/-/reload", "", nil); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("reload without the admin token = %v %v; want 401", resp, err)
	} else {
		resp.Body.Close()
	}
	reloadReq, _ := http.NewRequest(http.MethodPost, bot.URL+"/-/reload", nil)
	reloadReq.Header.Set("Authorization", "Bearer "+leakAdminToken)
	if resp, err := http.DefaultClient.Do(reloadReq); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("reload = %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// Make sure the scenario did what it is meant to before looking.
	WaitFor(t, 20*time.Second, "every delivery to finish", func() bool {
		return f.accepted("7300000001")+f.accepted("7300000003")+f.accepted("5931")+f.accepted("5933") == 4
	})
	waitIdle(t, bot)
	code, dlq := adminRaw(t, bot, "Bearer "+leakAdminToken, "/admin/dlq")
	if code != http.StatusOK {
		t.Fatalf("GET /admin/dlq = %d %s", code, dlq)
	}
	var list struct {
		DeadLetters []struct {
			Reason string `json:"reason"`
		} `json:"dead_letters"`
	}
	if err := json.Unmarshal([]byte(dlq), &list); err != nil || len(list.DeadLetters) != 3 {
		t.Fatalf("dead letters = %s; want 3 (two platform errors, one render error)", dlq)
	}
	_, hist := adminRaw(t, bot, "Bearer "+leakAdminToken, "/admin/history")
	_, cliDLQ := Run(t, bot.Dir, nil, "dlq", "list", "--data="+bot.Dir+"/data", "--json")
	_, cliHist := Run(t, bot.Dir, nil, "history", "--data="+bot.Dir+"/data", "--json")
	metrics := bot.Metrics()
	if err, _ := bot.Stop(30 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}

	places := map[string]string{
		"stderr (logs)": bot.Logs(), "stdout": bot.Stdout(), "/metrics": metrics,
		"GET /admin/dlq": dlq, "GET /admin/history": hist, "bot dlq list --json": cliDLQ, "bot history --json": cliHist,
	}
	secrets := map[string]string{
		"intercom client secret": leakIntercomSecret, "whmcs webhook secret": leakWHMCSSecret,
		"intercom access token": leakIntercomToken, "whmcs api token": leakWHMCSToken, "admin token": leakAdminToken,
	}
	for where, text := range places {
		if text == "" && where != "stdout" {
			t.Errorf("%s is empty: nothing was checked", where)
		}
		for what, secret := range secrets {
			// A fragment is a leak too (truncated log fields).
			if i := strings.Index(text, secret[:16]); i >= 0 {
				t.Errorf("the %s appears in %s: ...%s...", what, where, text[max(0, i-80):min(len(text), i+80)])
			}
		}
	}
}

// adminRaw calls the admin API with an Authorization header and returns the
// status and the raw body.
func adminRaw(t *testing.T, b *Bot, authorization, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", authorization)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}
