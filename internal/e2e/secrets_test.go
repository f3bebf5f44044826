package e2e

// Secrets and trust (issue 7). TestSecretsNeverLeakOnTheMainPath
// (leak_test.go, the main-path suite) covers accepted and forged
// deliveries, platform errors quoting the token, a render error, admin
// calls and a reload; the leak test here takes the paths it does not: a
// secret file, shadow mode, explain, dlq show, unreadable 2xx, 429,
// timeouts, retries to the end, failed reloads, a failed start, PostgreSQL
// credentials, CLI output.

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom"
	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
	"github.com/supportops/autoresponder/internal/testpg"
)

// trustSecrets are distinctive values: any ten characters of one of them
// showing up anywhere is a leak.
var trustSecrets = map[string]string{
	"intercom client secret": "icsec-T7qWm2Zr9LxP-secret",
	"whmcs webhook secret":   "whsec-N4vKs8Jd1QyB-secret",
	"intercom access token":  "ictok-H6pGc3Xn5RzM-token",
	"whmcs api token":        "whtok-D2bFw7Ly4VkS-token",
	"admin token":            "admtok-Q9jTe1Uh8CoA-admin",
	"database password":      "dbpw-R3mYx6Nq2WsE-password",
}

// trustLeaks reports every secret, or ten-character piece of one, found in
// text.
func trustLeaks(t *testing.T, where, text string) {
	t.Helper()
	if strings.TrimSpace(text) == "" {
		t.Errorf("%s is empty: nothing was checked", where)
		return
	}
	for what, secret := range trustSecrets {
		for i := 0; i+10 <= len(secret); i++ {
			if j := strings.Index(text, secret[i:i+10]); j >= 0 {
				t.Errorf("%s: part of the %s (%q): ...%s...", where, what, secret[i:i+10], text[max(0, j-100):min(len(text), j+100)])
				break
			}
		}
	}
}

// trustEnv is the bot's environment with the distinctive secrets.
func trustEnv() map[string]string {
	return map[string]string{
		"INTERCOM_CLIENT_SECRET": trustSecrets["intercom client secret"],
		"INTERCOM_ACCESS_TOKEN":  trustSecrets["intercom access token"],
		"BOT_ADMIN_TOKEN":        trustSecrets["admin token"],
		// The WHMCS secrets come from files; these must not be used.
		"WHMCS_WEBHOOK_SECRET": "", "WHMCS_API_TOKEN": "",
	}
}

func trustEnvList() []string {
	var out []string
	for k, v := range trustEnv() {
		out = append(out, k+"="+v)
	}
	return out
}

// trustRules is the leak test's rules file: Intercom secrets from the
// environment, WHMCS secrets from files next to the rules file, quick
// retries, a shadow rule and a rule that cannot render.
func trustRules(icURL, whURL, extraSettings string) string {
	return fmt.Sprintf(`settings:
  target_max_per_hour: 1000
  delivery:
    max_attempts: 3
    backoff_initial: 50ms
    backoff_max: 100ms
    timeout: 500ms
    max_rate_limit_wait: 5s
%ssources:
  intercom:
    kind: intercom
    secret_env: INTERCOM_CLIENT_SECRET
  whmcs:
    kind: whmcs
    secret_file: whmcs.secret
platforms:
  intercom:
    kind: intercom
    base_url: %s
    token_env: INTERCOM_ACCESS_TOKEN
    api_version: "2.14"
    admin_id: %q
  whmcs:
    kind: whmcs
    base_url: %s
    token_file: whmcs.token
    admin_id: "7"
    admin_name: Support Bot
rules:
  - name: leak-note
    source: intercom
    when: topic == "conversation.user.created" && target.id != "9800000009"
    reply: {as: note, body: "<p>{{ message.text }}</p>"}
  - name: leak-shadow
    source: intercom
    mode: shadow
    when: topic == "conversation.user.created"
    reply: {as: comment, body: "shadow reply to {{ contact.email }}"}
  - name: leak-render
    source: intercom
    when: target.id == "9800000009"
    reply: {as: note, body: "{{ item.missing.deeper }}"}
  - name: leak-whmcs
    source: whmcs
    when: topic == "TicketOpen"
    reply: {as: comment, body: "Ticket {{ ticket.number }}"}
`, extraSettings, icURL, BotAdminID, whURL)
}

// trustAdmin calls the admin API with an Authorization header (empty: none)
// and returns the status, header and raw body.
func trustAdmin(t *testing.T, b *Bot, method, path, authorization string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, b.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := hostileNoRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(out)
}

// TestSecretsNeverLeakOnEveryPath drives every path that handles a secret
// or an error with the distinctive values above, then looks for them in
// the logs, stdout, /metrics, /readyz, every admin answer, the dead letters
// and the CLI's output.
func TestSecretsNeverLeakOnEveryPath(t *testing.T) {
	icToken, whToken := trustSecrets["intercom access token"], trustSecrets["whmcs api token"]
	var icScript, whScript faultScript
	ic := intercomfake.New(intercomfake.Options{Token: icToken, APIVersion: "2.14", AdminID: BotAdminID, Hook: icScript.hook})
	wh := whmcsfake.New(whmcsfake.Options{Token: whToken, Hook: whScript.hook})
	defer ic.Close()
	defer wh.Close()

	// Platforms that quote the token back, every way they can.
	echo := "Authorization: Bearer " + icToken
	icScript.add("9800000002", answer(intercomfake.Error(401, "unauthorized", "Access Token Invalid: "+echo)))
	icScript.add("9800000003", answer(platformfake.Response{Body: "<html><pre>" + echo + "</pre></html>", Header: http.Header{"Content-Type": {"text/html"}}}))
	icScript.add("9800000004", answer(platformfake.Response{Status: 503, Body: "upstream: token=" + icToken}), answer(platformfake.Response{}))
	icScript.add("9800000005", answer(platformfake.Response{Status: 429, Body: "slow down, " + icToken, Header: http.Header{"Retry-After": {"1"}}}), answer(platformfake.Response{}))
	icScript.add("9800000006", answer(platformfake.Response{Delay: 2 * time.Second, Drop: true}), answer(platformfake.Response{}))
	for range 3 {
		icScript.add("9800000007", answer(intercomfake.Error(500, "server_error", "failed for "+echo)))
	}
	whScript.add("98002", answer(whmcsfake.Error(200, "Invalid API token "+whToken)))
	whScript.add("98003", answer(platformfake.Response{Status: 500, Body: "Fatal error: bearer " + whToken + " rejected"}), answer(platformfake.Response{}))

	dir := t.TempDir()
	for name, v := range map[string]string{"whmcs.secret": trustSecrets["whmcs webhook secret"], "whmcs.token": whToken} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	good := trustRules(ic.URL(), wh.URL(), "")
	bot := Start(t, Config{Dir: dir, Rules: good, Env: trustEnv()})
	hostileLogsOnFailure(t, bot)
	places := map[string]string{}
	add := func(where, text string) { places[where] += text + "\n" }

	post := func(kind string, body []byte, secret string) (int, string) {
		h := hostileSign(kind, secret, body)
		h.Set("Content-Type", "application/json")
		code, _, out := (&hostileKit{t: t, bot: bot}).request(http.MethodPost, "/webhooks/"+kind, h, body)
		add("webhook answers", out)
		return code, out
	}
	var events [][]byte
	for i := 1; i <= 9; i++ {
		if i == 8 {
			continue
		}
		body := hostileIntercomEvent(fmt.Sprintf("notif_leak-%d", i), fmt.Sprintf("98000000%02d", i))
		events = append(events, body)
		if code, out := post("intercom", body, trustSecrets["intercom client secret"]); code != 200 {
			t.Fatalf("event %d: %d %s", i, code, out)
		}
	}
	for i := 1; i <= 3; i++ {
		body := hostileWHMCSEvent(fmt.Sprintf("TicketOpen-leak-%d", i), 98000+i)
		if code, out := post("whmcs", body, trustSecrets["whmcs webhook secret"]); code != 200 {
			t.Fatalf("whmcs event %d: %d %s", i, code, out)
		}
	}
	// Forgeries: wrong secret, the secret itself as a signature, and the
	// WHMCS secret in the Intercom header.
	forged := hostileIntercomEvent("notif_leak-forged", "9800000099")
	for _, h := range []http.Header{
		hostileSign("intercom", "guess", forged),
		{intercom.HeaderSignature: {"sha1=" + trustSecrets["intercom client secret"]}},
		{intercom.HeaderSignature: {trustSecrets["whmcs webhook secret"]}},
	} {
		code, _, out := (&hostileKit{t: t, bot: bot}).request(http.MethodPost, "/webhooks/intercom", h, forged)
		if code != http.StatusUnauthorized {
			t.Errorf("forged delivery = %d %s", code, out)
		}
		add("webhook answers", out)
	}

	// Every delivery reaches its end: five replies get a 2xx from Intercom
	// (one of them unreadable), three from WHMCS (one an error), and five
	// are dead-lettered.
	admin := "Bearer " + trustSecrets["admin token"]
	WaitFor(t, 30*time.Second, "every delivery's outcome", func() bool {
		_, _, out := trustAdmin(t, bot, http.MethodGet, "/admin/dlq", admin)
		return ic.Stats().Accepted >= 5 && wh.Stats().Accepted >= 3 && strings.Count(out, `"reason"`) >= 5
	})
	hostileWaitIdle(t, bot)

	get := func(path string) string {
		t.Helper()
		code, _, out := trustAdmin(t, bot, http.MethodGet, path, admin)
		if code != http.StatusOK {
			t.Errorf("GET %s = %d %s", path, code, out)
		}
		add("admin API", out)
		return out
	}
	var dlq struct {
		DeadLetters []struct {
			ID     int64  `json:"id"`
			Reason string `json:"reason"`
		} `json:"dead_letters"`
	}
	if err := json.Unmarshal([]byte(get("/admin/dlq")), &dlq); err != nil {
		t.Fatal(err)
	}
	reasons := map[string]int{}
	for _, d := range dlq.DeadLetters {
		reasons[d.Reason]++
		add("dead-letter records", get(fmt.Sprintf("/admin/dlq/%d", d.ID)))
		_, out := Run(t, dir, trustEnvList(), "dlq", "show", "--data", filepath.Join(dir, "data"), fmt.Sprint(d.ID))
		add("bot dlq show", out)
	}
	want := map[string]int{"client_error": 2, "invalid_response": 1, "server_error": 1, "render_error": 1}
	for r, n := range want {
		if reasons[r] != n {
			t.Errorf("%d dead letters %s; want %d (all: %v)", reasons[r], r, n, reasons)
		}
	}
	get("/admin/history")
	for i := 1; i <= 9; i++ {
		if i != 8 {
			get(fmt.Sprintf("/admin/explain/intercom/notif_leak-%d", i))
		}
	}
	// Wrong admin tokens: close to the real one.
	for _, auth := range []string{"", trustSecrets["admin token"], "Bearer " + trustSecrets["admin token"][:12], admin + "x"} {
		code, _, out := trustAdmin(t, bot, http.MethodGet, "/admin/dlq", auth)
		if code != http.StatusUnauthorized {
			t.Errorf("admin API with %q = %d", auth, code)
		}
		add("admin API", out)
	}

	// Reloads that fail: broken YAML, a missing token variable, a missing
	// secret file. Each answers 400 naming the problem, not a value.
	rulesPath := filepath.Join(dir, "rules.yaml")
	reload := func(content, wantInError string) {
		t.Helper()
		if err := os.WriteFile(rulesPath, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, bot.URL+"/-/reload", nil)
		req.Header.Set("Authorization", "Bearer "+trustSecrets["admin token"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		add("reload answers", string(out))
		if wantInError == "" {
			if resp.StatusCode != http.StatusOK {
				t.Errorf("reload = %d %s", resp.StatusCode, out)
			}
			return
		}
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(out), wantInError) {
			t.Errorf("reload = %d %s; want 400 saying %q", resp.StatusCode, out, wantInError)
		}
	}
	reload(good+"  - name: [broken\n", "rules.yaml")
	reload(strings.Replace(good, "token_env: INTERCOM_ACCESS_TOKEN", "token_env: TRUST_MISSING_TOKEN", 1), "TRUST_MISSING_TOKEN is not set")
	reload(strings.Replace(good, "secret_file: whmcs.secret", "secret_file: missing.secret", 1), "missing.secret")
	reload(good, "")

	// The CLI on the same store and rules.
	eventFile := filepath.Join(dir, "event.json")
	if err := os.WriteFile(eventFile, events[0], 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	for _, args := range [][]string{
		{"dlq", "list", "--data", data},
		{"dlq", "list", "--json", "--data", data},
		{"history", "--data", data},
		{"explain", "--rules", rulesPath, "--source", "intercom", "--store", "--data", data, eventFile},
		{"explain", "--rules", rulesPath, "--source", "intercom", "--json", eventFile},
		{"check", rulesPath},
	} {
		code, out := Run(t, dir, trustEnvList(), args...)
		if code != 0 {
			t.Errorf("bot %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
		add("bot "+args[0], out)
	}

	// A start that fails on a missing variable, with every other secret set.
	failDir := t.TempDir()
	for _, name := range []string{"whmcs.secret", "whmcs.token"} {
		raw, _ := os.ReadFile(filepath.Join(dir, name))
		_ = os.WriteFile(filepath.Join(failDir, name), raw, 0o600)
	}
	failed, err := StartErr(t, Config{Dir: failDir, Env: trustEnv(),
		Rules: strings.Replace(good, "secret_env: INTERCOM_CLIENT_SECRET", "secret_env: TRUST_MISSING_SECRET", 1)})
	if err == nil {
		failed.Kill()
		t.Fatal("the bot started without its Intercom secret")
	}
	if !strings.Contains(failed.Logs(), "TRUST_MISSING_SECRET is not set") {
		t.Errorf("startup failure does not name the variable:\n%s", failed.Logs())
	}
	add("failed start (stderr)", failed.Logs())

	resp, err := http.Get(bot.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	readyz, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	add("/readyz", string(readyz))
	add("/metrics", bot.Metrics())
	if err, _ := bot.Stop(30 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	add("bot stderr (logs)", bot.Logs())
	add("bot stdout", bot.Stdout()+"(stdout is empty: no log platform)")

	// The scenario really went through the paths it claims.
	logs := bot.Logs()
	for _, want := range []string{"reply failed, will retry", "reply rate limited, waiting", "\"reason\":\"timeout\"",
		"shadow: would send", "reply dead-lettered", "reload failed", "\"outcome\":\"bad_signature\""} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs never say %q: that path was not exercised", want)
		}
	}
	for where, text := range places {
		trustLeaks(t, where, text)
	}
	ic.AssertNoViolations(t)
	wh.AssertNoViolations(t)
}

// TestDatabasePasswordNeverLeaks runs the bot on PostgreSQL with a password
// in the URL (the test server trusts local connections, so any password
// works), and starts it once against a closed port: the password is in
// none of the logs, /metrics or /readyz.
func TestDatabasePasswordNeverLeaks(t *testing.T) {
	u, err := url.Parse(testpg.Fresh(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), trustSecrets["database password"])
	k := &hostileKit{t: t}
	k.bot = Start(t, Config{DatabaseURL: u.String(), Rules: RulesFile("", "", "", hostileRules)})
	hostileLogsOnFailure(t, k.bot)
	if code, body := k.bot.Post("intercom", "intercom", hostileIntercomEvent("notif_pw-1", "9700000001")); code != http.StatusOK {
		t.Fatalf("POST = %d %s", code, body)
	}
	WaitFor(t, 20*time.Second, "the reply in the log platform", func() bool { return strings.Contains(k.bot.Stdout(), "9700000001") })
	_, _, readyz := k.request(http.MethodGet, "/readyz", nil, nil)
	trustLeaks(t, "/readyz", readyz)
	trustLeaks(t, "/metrics", k.bot.Metrics())
	trustLeaks(t, "logs", k.bot.Logs())

	u.Host = freeAddr(t) // nothing listens there
	failed, err := StartErr(t, Config{DatabaseURL: u.String(), Rules: RulesFile("", "", "", hostileRules)})
	if err == nil {
		failed.Kill()
		t.Fatal("the bot started without its database")
	}
	trustLeaks(t, "failed start (stderr)", failed.Logs())
	for _, args := range [][]string{{"dlq", "list", "--database-url", u.String()}, {"migrate", "--database-url", u.String()}} {
		code, out := Run(t, t.TempDir(), nil, args...)
		if code == 0 {
			t.Errorf("bot %s succeeded against a closed port", args[0])
		}
		trustLeaks(t, "bot "+args[0]+" against a closed port", out)
	}
}

// TestRefusesUnsignedSourceUnlessInsecure: a source with neither
// secret_env nor secret_file does not load unless it says
// insecure_skip_verify: true, and then every start warns about it.
func TestRefusesUnsignedSourceUnlessInsecure(t *testing.T) {
	unsigned := strings.Replace(RulesFile("", "", "", hostileRules), "    secret_env: INTERCOM_CLIENT_SECRET\n", "", 1)
	b, err := StartErr(t, Config{Rules: unsigned})
	if err == nil {
		b.Kill()
		t.Fatal("the bot started with a source that verifies nothing")
	}
	if !strings.Contains(b.Logs(), `source \"intercom\": secret_env or secret_file is required`) {
		t.Errorf("the refusal does not say why:\n%s", b.Logs())
	}

	insecure := strings.Replace(RulesFile("", "", "", hostileRules), "    secret_env: INTERCOM_CLIENT_SECRET\n", "    insecure_skip_verify: true\n", 1)
	bot := Start(t, Config{Rules: insecure})
	const warning = "SIGNATURES ARE NOT VERIFIED"
	for start := 1; start <= 2; start++ {
		lines := hostileLogLines(bot, warning, `"source":"intercom"`, `"level":"WARN"`)
		if len(lines) != 1 {
			t.Errorf("start %d: %d warnings about the unverified source; want 1:\n%s", start, len(lines), bot.Logs())
		}
		if len(hostileLogLines(bot, warning, `"source":"whmcs"`)) != 0 {
			t.Errorf("start %d: the signed source is reported unverified", start)
		}
		// Anyone can post to it: an unsigned event is accepted.
		code, _, body := (&hostileKit{t: t, bot: bot}).request(http.MethodPost, "/webhooks/intercom",
			http.Header{"Content-Type": {"application/json"}}, hostileIntercomEvent(fmt.Sprintf("notif_insecure-%d", start), fmt.Sprintf("970000010%d", start)))
		if code != http.StatusOK {
			t.Errorf("start %d: unsigned event to the insecure source = %d %s", start, code, body)
		}
		// ...but not to the signed one.
		code, _, _ = (&hostileKit{t: t, bot: bot}).request(http.MethodPost, "/webhooks/whmcs",
			http.Header{"Content-Type": {"application/json"}}, hostileWHMCSEvent("TicketOpen-insecure", 97001))
		if code != http.StatusUnauthorized {
			t.Errorf("start %d: unsigned event to the signed source = %d", start, code)
		}
		if start == 1 {
			bot = bot.Restart(t)
		}
	}
}

// TestAdminAPIAccess: without BOT_ADMIN_TOKEN the admin routes do not
// exist (404, whatever the request says); with it, every route wants
// exactly "Bearer <token>" (401 otherwise, with WWW-Authenticate).
func TestAdminAPIAccess(t *testing.T) {
	routes := []struct{ method, path string }{
		{http.MethodGet, "/admin/dlq"}, {http.MethodGet, "/admin/dlq/1"}, {http.MethodGet, "/admin/history"},
		{http.MethodGet, "/admin/explain/intercom/x"}, {http.MethodPost, "/admin/dlq/replay"}, {http.MethodPost, "/admin/dlq/drop"},
	}
	token := trustSecrets["admin token"]
	t.Run("no token configured", func(t *testing.T) {
		bot := Start(t, Config{Rules: RulesFile("", "", "", hostileRules), Env: map[string]string{"BOT_ADMIN_TOKEN": ""}})
		for _, r := range routes {
			for _, auth := range []string{"", "Bearer ", "Bearer " + token, "Bearer " + AdminToken} {
				if code, _, body := trustAdmin(t, bot, r.method, r.path, auth); code != http.StatusNotFound {
					t.Errorf("%s %s with %q = %d %s; want 404", r.method, r.path, auth, code, body)
				}
			}
		}
	})
	t.Run("token configured", func(t *testing.T) {
		bot := Start(t, Config{Rules: RulesFile("", "", "", hostileRules), Env: map[string]string{"BOT_ADMIN_TOKEN": token}})
		wrong := []string{"", "Bearer", "Bearer ", token, "bearer " + token, "Bearer  " + token, "Bearer " + token[:len(token)-1],
			"Bearer " + token + "x", "Basic " + token, "Bearer " + AdminToken}
		for _, r := range routes {
			for _, auth := range wrong {
				code, header, body := trustAdmin(t, bot, r.method, r.path, auth)
				if code != http.StatusUnauthorized || !strings.HasPrefix(header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s %s with %q = %d (WWW-Authenticate %q) %s; want 401", r.method, r.path, auth, code, header.Get("WWW-Authenticate"), body)
				}
			}
			code, _, body := trustAdmin(t, bot, r.method, r.path, "Bearer "+token)
			if code == http.StatusUnauthorized || code >= 500 {
				t.Errorf("%s %s with the token = %d %s", r.method, r.path, code, body)
			}
		}
		n := 0.0
		for _, line := range strings.Split(bot.Metrics(), "\n") {
			if strings.HasPrefix(line, `autoresponder_admin_requests_total{code="401"`) {
				var v float64
				_, _ = fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
				n += v
			}
		}
		if want := float64(len(routes) * len(wrong)); n != want {
			t.Errorf("autoresponder_admin_requests_total{code=\"401\"} sums to %v; want %v", n, want)
		}
	})
}

// TestTemplatedTargetCannotChangePath: a target id from a template or from
// the payload that would move the request off /conversations/{id}/reply is
// dead-lettered as invalid_request and nothing is sent; ids that are
// merely odd are escaped into the one path segment.
func TestTemplatedTargetCannotChangePath(t *testing.T) {
	ic := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID})
	defer ic.Close()
	tests := []struct {
		name, id string
		sent     bool // false: dead-lettered invalid_request, nothing sent
	}{
		{"parent directory", "../admins", false},
		{"dot-dot", "..", false},
		{"dot", ".", false},
		{"nested traversal", "1/../../admins", false},
		{"slash", "1/reply", false},
		{"backslash", `1\..\admins`, false},
		{"percent-encoded traversal", "%2e%2e%2fadmins", false},
		{"space inside", "1 2", false},
		{"newline inside", "1\nHost: evil", false},
		{"query", "1?admin=1", true},
		{"fragment", "1#admin", true},
		{"plain id", "12345", true},
	}
	var rules strings.Builder
	for i, tt := range tests {
		// An expr string literal inside a template, as a YAML scalar.
		tpl, _ := json.Marshal("{{ " + strconv.Quote(tt.id) + " }}")
		fmt.Fprintf(&rules, "  - name: target-%d\n    source: intercom\n    when: target.id == \"97%08d\"\n    reply:\n      as: note\n      body: x\n      to: {type: conversation, id: %s}\n",
			i, i, tpl)
	}
	// The payload's own conversation id is checked the same way.
	rules.WriteString("  - name: payload-id\n    source: intercom\n    when: target.id startsWith \"..\"\n    reply: {as: note, body: x}\n")
	bot := Start(t, Config{Rules: RulesFile(ic.URL(), "", "", rules.String())})
	hostileLogsOnFailure(t, bot)
	for i := range tests {
		if code, body := bot.Post("intercom", "intercom", hostileIntercomEvent(fmt.Sprintf("notif_target-%d", i), fmt.Sprintf("97%08d", i))); code != http.StatusOK {
			t.Fatalf("POST = %d %s", code, body)
		}
	}
	if code, body := bot.Post("intercom", "intercom", hostileIntercomEvent("notif_target-payload", "../../admins")); code != http.StatusOK {
		t.Fatalf("POST = %d %s", code, body)
	}
	WaitFor(t, 20*time.Second, "every outcome", func() bool { return len(history(t, bot, "limit=100")) >= len(tests)+1 })
	hostileWaitIdle(t, bot)

	paths := map[string]string{} // target id -> path requested
	for _, r := range ic.Requests() {
		paths[r.TargetID] = r.Path
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := history(t, bot, fmt.Sprintf("event_id=notif_target-%d", i))
			if len(h) != 1 {
				t.Fatalf("history %+v", h)
			}
			if tt.sent {
				want := "/conversations/" + url.PathEscape(tt.id) + "/reply"
				if h[0].Outcome != "sent" || paths[tt.id] != want {
					t.Errorf("outcome %s, path %q; want sent to %q", h[0].Outcome, paths[tt.id], want)
				}
				return
			}
			if h[0].Outcome != "dead_lettered" || h[0].Reason != "invalid_request" {
				t.Errorf("outcome %s (%s); want dead_lettered (invalid_request)", h[0].Outcome, h[0].Reason)
			}
			if p, ok := paths[tt.id]; ok {
				t.Errorf("sent to %q", p)
			}
		})
	}
	if h := history(t, bot, "event_id=notif_target-payload"); len(h) != 1 || h[0].Reason != "invalid_request" {
		t.Errorf("payload id ../../admins: history %+v; want dead_lettered (invalid_request)", h)
	}
	if st := ic.Stats(); st.Requests != 3 || st.Violations != 0 {
		t.Errorf("the platform saw %d requests (%d violations); want only the 3 legitimate ones", st.Requests, st.Violations)
	}
	for id, p := range paths {
		if !strings.HasPrefix(p, "/conversations/") || strings.Count(p, "/") != 3 || !strings.HasSuffix(p, "/reply") {
			t.Errorf("target %q was sent to %q", id, p)
		}
	}
}

// TestTLS: with --tls-cert and --tls-key the bot serves HTTPS: a client
// trusting the certificate delivers a signed event and it is replied to;
// plain HTTP on the same port gets no event in.
func TestTLS(t *testing.T) {
	ic := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID})
	defer ic.Close()
	dir := t.TempDir()
	cert, key, pool := hostileSelfSigned(t, dir)
	rulesPath := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesPath, []byte(RulesFile(ic.URL(), "", "", hostileRules)), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(Binary(t), "serve", "--rules", rulesPath, "--listen", addr, "--data", filepath.Join(dir, "data"),
		"--watch-interval", "0", "--tls-cert", cert, "--tls-key", key)
	cmd.Env = append(os.Environ(), "INTERCOM_CLIENT_SECRET="+IntercomSecret, "WHMCS_WEBHOOK_SECRET="+WHMCSSecret,
		"INTERCOM_ACCESS_TOKEN="+IntercomToken, "WHMCS_API_TOKEN="+WHMCSToken)
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	base := "https://" + addr
	WaitFor(t, 30*time.Second, "the bot to serve HTTPS", func() bool {
		resp, err := client.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if !strings.Contains(logs.String(), `"tls":true`) {
		t.Errorf("the serving line does not say tls:\n%s", logs.String())
	}

	body := hostileIntercomEvent("notif_tls-1", "9700000200")
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/intercom", bytes.NewReader(body))
	req.Header = hostileSign("intercom", IntercomSecret, body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST over HTTPS: %v", err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Fatalf("POST over HTTPS = %d %s (TLS %v)", resp.StatusCode, out, resp.TLS != nil)
	}
	t.Logf("served %s with %s", tls.VersionName(resp.TLS.Version), tls.CipherSuiteName(resp.TLS.CipherSuite))
	WaitFor(t, 20*time.Second, "the reply", func() bool { return ic.Stats().Accepted == 1 })

	plainBody := hostileIntercomEvent("notif_tls-plain", "9700000201")
	plain, err := http.Post("http://"+addr+"/webhooks/intercom", "application/json", bytes.NewReader(plainBody))
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode == http.StatusOK {
			t.Error("plain HTTP was accepted on the TLS port")
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := ic.Stats().Requests; n != 1 {
		t.Errorf("the platform got %d requests; want 1", n)
	}
	ic.AssertNoViolations(t)
}
