package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
)

const explainRules = `
  - name: refund
    source: intercom
    when: topic == "conversation.user.created" && message.text contains "refund"
    cooldown: 1h
    reply: {as: note, body: "refund"}
  - name: greet
    source: intercom
    when: topic == "conversation.user.created"
    once: true
    reply: {as: note, body: "hello {{ contact?.name ?? 'there' }}"}
  - name: whmcs-only
    source: whmcs
    when: "true"
    reply: {as: note, body: x}
`

// TestExplainStoredEvent: the admin API explains an event the bot received,
// as of when it arrived, including what once/cooldown would do now.
func TestExplainStoredEvent(t *testing.T) {
	fake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID})
	defer fake.Close()
	bot := Start(t, Config{Rules: RulesFile(fake.URL(), "", "", explainRules)})
	if status, body := bot.Post("intercom", "intercom", conversationCreated("notif_explain", "conv-explain")); status != 200 {
		t.Fatalf("POST = %d %s", status, body)
	}
	WaitFor(t, 10*time.Second, "the greeting", func() bool { return fake.Count() == 1 })

	var ex struct {
		EventID string `json:"event_id"`
		Rules   []struct {
			Rule     string `json:"rule"`
			Verdict  string `json:"verdict"`
			Why      string `json:"why"`
			Delivery string `json:"delivery"`
			False    []struct {
				Expr   string `json:"expr"`
				Values []struct {
					Name  string `json:"name"`
					Value any    `json:"value"`
				} `json:"values"`
			} `json:"false"`
		} `json:"rules"`
	}
	status, err := bot.Admin(http.MethodGet, "/admin/explain/intercom/notif_explain", &ex)
	if err != nil || status != 200 {
		t.Fatalf("explain: %d %v", status, err)
	}
	if len(ex.Rules) != 3 || ex.EventID != "notif_explain" {
		t.Fatalf("explanation = %+v", ex)
	}
	refund, greet, other := ex.Rules[0], ex.Rules[1], ex.Rules[2]
	if refund.Verdict != "no_match" || len(refund.False) != 1 || refund.False[0].Expr != `message.text contains "refund"` ||
		refund.False[0].Values[0].Value != "Hello, I need help" {
		t.Errorf("refund: %+v", refund)
	}
	if greet.Verdict != "matched" || greet.Delivery != "suppressed now: once" {
		t.Errorf("greet (already sent once): %+v", greet)
	}
	if other.Verdict != "skipped" || !strings.Contains(other.Why, "whmcs") {
		t.Errorf("whmcs-only: %+v", other)
	}
	if status, _ := bot.Admin(http.MethodGet, "/admin/explain/intercom/notif_never_seen", nil); status != http.StatusNotFound {
		t.Errorf("unknown event: %d, want 404", status)
	}

	// The CLI explains a payload file, reading the same store.
	payload := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(payload, conversationCreated("notif_other", "conv-explain"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := Run(t, bot.Dir, []string{"INTERCOM_CLIENT_SECRET=" + IntercomSecret},
		"explain", "--rules", filepath.Join(bot.Dir, "rules.yaml"), "--source", "intercom", "--data", filepath.Join(bot.Dir, "data"), payload)
	if code != 0 {
		t.Fatalf("bot explain: exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"no    refund", `false: message.text contains "refund"`, `message.text = "Hello, I need help"`,
		"MATCH greet", "note to conversation conv-explain on intercom", "delivery: suppressed now: once",
		"skip  whmcs-only", "only for source whmcs",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bot explain output lacks %q:\n%s", want, out)
		}
	}
}
