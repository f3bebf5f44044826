package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/notify"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/testpg"
)

// Secrets of the notifiers: the webhook's signing secret, and the part of
// the Slack URL that makes it a credential.
const (
	crmSecret     = "e2e-crm-signing-secret-5f1c9a"
	slackURLToken = "e2e-slack-url-token-8d2b7e"
)

// received is one request a receiver got.
type received struct {
	path   string
	header http.Header
	body   []byte
}

// receiver is a loopback HTTP server that keeps what it was sent.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []received
	// conns counts the connections opened to it.
	conns atomic.Int64
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.URL.Path, req.Header.Clone(), body})
		r.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	r.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			r.conns.Add(1)
		}
	}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// TestNotifiers runs notify actions through the real binary: a signed
// JSON webhook and a Slack message reach loopback receivers allowed with
// allow_private; a notifier without it, at a name that resolves to
// loopback, is refused without a connection and dead-lettered saying why;
// no notifier secret shows in logs, metrics or dead letters.
func TestNotifiers(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testNotifiers(t, "") })
	t.Run("postgres", func(t *testing.T) { testNotifiers(t, testpg.Fresh(t)) })
}

func testNotifiers(t *testing.T, databaseURL string) {
	f := newFakes(t)
	crm, slack, guarded := newReceiver(t), newReceiver(t), newReceiver(t)
	slackURL := slack.srv.URL + "/services/T0E2E/B0E2E/" + slackURLToken
	// localhost is a name: only the dial-time guard can refuse it.
	_, port, _ := net.SplitHostPort(guarded.srv.Listener.Addr().String())
	guardedURL := "http://localhost:" + port + "/hook"
	const target, guardedTarget = "7100007701", "7100007702"

	notifiers := "notifiers:\n" +
		"  crm: {kind: webhook, url: \"" + crm.srv.URL + "/hook\", secret_env: E2E_CRM_SECRET, allow_private: true}\n" +
		"  ops-slack: {kind: slack, url_env: E2E_SLACK_URL, allow_private: true}\n" +
		"  outside: {kind: webhook, url_env: E2E_OUTSIDE_URL, secret_env: E2E_CRM_SECRET}\n"
	rules := f.rules("", rulesYAML(
		rule{name: "notify-both", source: "intercom", target: target, reply: "as: note\nbody: Seen.",
			extra: "actions:\n" +
				"  - notify: {to: crm, text: \"Refund from {{ contact?.email ?? 'someone' }}\"}\n" +
				"  - notify: {to: ops-slack, text: \"Refund request in {{ target.id }}\"}\n"},
		rule{name: "notify-outside", source: "intercom", target: guardedTarget,
			extra: "actions:\n  - notify: {to: outside, text: \"never sent\"}\n"},
	)) + notifiers
	// The outside notifier's URL comes from the environment: a literal
	// loopback URL without allow_private is refused when the rules load.
	bot := Start(t, Config{Rules: rules, DatabaseURL: databaseURL, Env: map[string]string{
		"E2E_CRM_SECRET": crmSecret, "E2E_SLACK_URL": slackURL, "E2E_OUTSIDE_URL": "https" + strings.TrimPrefix(guardedURL, "http"),
	}})
	logsOnFailure(t, bot)
	f.checkViolations(t)

	ans := post(t, bot, "intercom", "intercom", conversationEvent(t, "notif_e2e_notify_1", target), "accepted")
	outside := post(t, bot, "intercom", "intercom", conversationEvent(t, "notif_e2e_notify_2", guardedTarget), "accepted")
	WaitFor(t, 20*time.Second, "both notifications", func() bool { return len(crm.requests()) > 0 && len(slack.requests()) > 0 })
	var dl []notifyDeadLetter
	WaitFor(t, 20*time.Second, "the refused notification's dead letter", func() bool {
		dl = nil
		for _, d := range deadLettersOf(deadLetters(t, bot, "rule=notify-outside"), outside.EventID) {
			dl = append(dl, notifyDeadLetter{d.Error, d.Attempts, d.Request.Action})
		}
		return len(dl) > 0
	})
	waitIdle(t, bot)

	t.Run("webhook", func(t *testing.T) {
		got := crm.requests()
		if len(got) != 1 {
			t.Fatalf("the webhook receiver got %d requests; want 1", len(got))
		}
		r := got[0]
		if err := notify.Verify([]byte(crmSecret), r.header, r.body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("the signature does not verify with the secret: %v\n%s", err, r.body)
		}
		if err := notify.Verify([]byte("another-secret"), r.header, r.body, time.Now(), 5*time.Minute); err == nil {
			t.Error("the signature verifies with another secret too")
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q; want application/json", ct)
		}
		var body struct {
			ID, Notifier, Rule, Platform, Text string
			Target                             struct{ Type, ID string }
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatalf("body is not JSON: %v\n%s", err, r.body)
		}
		if body.ID == "" || body.Notifier != "crm" || body.Rule != "notify-both" || body.Platform != "intercom" ||
			body.Target.Type != "conversation" || body.Target.ID != target || !strings.HasPrefix(body.Text, "Refund from ") || body.Text == "Refund from someone" {
			t.Errorf("body = %s; want the rule's notification about conversation %s with the contact's email", r.body, target)
		}
	})

	t.Run("slack", func(t *testing.T) {
		got := slack.requests()
		if len(got) != 1 {
			t.Fatalf("the Slack receiver got %d requests; want 1", len(got))
		}
		var body map[string]any
		if err := json.Unmarshal(got[0].body, &body); err != nil {
			t.Fatalf("body is not JSON: %v\n%s", err, got[0].body)
		}
		if len(body) != 1 || body["text"] != "Refund request in "+target {
			t.Errorf("body = %s; want {\"text\": \"Refund request in %s\"}", got[0].body, target)
		}
		if got[0].path != "/services/T0E2E/B0E2E/"+slackURLToken {
			t.Errorf("posted to %s; want the URL from url_env", got[0].path)
		}
	})

	t.Run("steps in order", func(t *testing.T) {
		h := history(t, bot, "event_id="+url.QueryEscape(ans.EventID)+"&outcome=sent")
		slices.SortFunc(h, func(a, b queue.History) int { return int(a.ID - b.ID) })
		var steps []string
		for _, r := range h {
			steps = append(steps, cmpOr(r.Action, "reply")+"@"+r.Platform)
		}
		want := []string{"reply@intercom", "notify@notifier:crm", "notify@notifier:ops-slack"}
		if !slices.Equal(steps, want) {
			t.Errorf("history = %v; want %v", steps, want)
		}
	})

	t.Run("private address refused", func(t *testing.T) {
		if len(dl) != 1 || dl[0].attempts != 1 || dl[0].action != "notify" {
			t.Fatalf("dead letters = %+v; want one notify, after 1 attempt (a refusal is permanent)", dl)
		}
		if !strings.Contains(dl[0].err, "refusing to send to loopback address") || !strings.Contains(dl[0].err, "allow_private: true") {
			t.Errorf("dead letter error %q; want it to say the loopback address is refused and how to allow it", dl[0].err)
		}
		if n := guarded.conns.Load(); n != 0 {
			t.Errorf("%d connections reached the refused address; want none", n)
		}
	})

	t.Run("no secret in logs, metrics or dead letters", func(t *testing.T) {
		var dlq any
		if code, err := bot.Admin(http.MethodGet, "/admin/dlq", &dlq); code != http.StatusOK || err != nil {
			t.Fatalf("GET /admin/dlq = %d, %v", code, err)
		}
		places := map[string]string{
			"the log": decodedLines(bot.Logs()), "stdout": decodedLines(bot.Stdout()), "the metrics": bot.Metrics(),
			"the dead letters": strings.Join(jsonStrings(dlq, nil), "\n"),
		}
		if !strings.Contains(places["the log"], "notifier:ops-slack") {
			t.Fatal("the log never names the Slack notifier: this test reads the wrong text")
		}
		for what, secret := range map[string]string{"the webhook secret": crmSecret, "the Slack URL": slackURLToken} {
			for _, form := range []string{secret, url.QueryEscape(secret)} {
				for where, text := range places {
					if strings.Contains(text, form) {
						t.Errorf("%s holds %s", where, what)
					}
				}
			}
		}
	})
}

// notifyDeadLetter is what the test reads of a dead letter.
type notifyDeadLetter struct {
	err      string
	attempts int
	action   string
}
