package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/testpg"
)

// TestTwoWorkspaces: two Intercom sources, each with its own secret and its
// own platform account; each event is verified with its source's secret and
// answered on its own workspace.
func TestTwoWorkspaces(t *testing.T) {
	eu := intercomfake.New(intercomfake.Options{Token: "eu-token", AdminID: "111"})
	defer eu.Close()
	us := intercomfake.New(intercomfake.Options{Token: "us-token", AdminID: "222"})
	defer us.Close()
	rules := fmt.Sprintf(`sources:
  intercom-eu: {kind: intercom, secret_env: EU_SECRET}
  intercom-us: {kind: intercom, secret_env: US_SECRET}
platforms:
  intercom-eu: {kind: intercom, base_url: %s, token_env: EU_TOKEN, admin_id: "111"}
  intercom-us: {kind: intercom, base_url: %s, token_env: US_TOKEN, admin_id: "222"}
rules:
  - name: ack
    when: topic == "conversation.user.created"
    reply: {as: note, body: "ack from {{ source }}"}
`, eu.URL(), us.URL())
	bot := Start(t, Config{Rules: rules, Env: map[string]string{
		"EU_SECRET": "eu-secret", "US_SECRET": "us-secret", "EU_TOKEN": "eu-token", "US_TOKEN": "us-token"}})

	post := func(source, secret, id, conv string) int {
		body := conversationCreated(id, conv)
		status, _ := bot.PostSigned(source, body, signatureHeader("intercom"), signature("intercom", []byte(secret), body))
		return status
	}
	if s := post("intercom-eu", "eu-secret", "notif_eu", "conv-eu"); s != 200 {
		t.Fatalf("EU event = %d", s)
	}
	if s := post("intercom-us", "us-secret", "notif_us", "conv-us"); s != 200 {
		t.Fatalf("US event = %d", s)
	}
	// Each workspace's secret is only good for its own source.
	if s := post("intercom-us", "eu-secret", "notif_cross", "conv-x"); s != 401 {
		t.Errorf("US source with the EU secret = %d, want 401", s)
	}
	// The same notification id in two workspaces is two events.
	if s := post("intercom-us", "us-secret", "notif_eu", "conv-us2"); s != 200 {
		t.Fatalf("US event reusing an EU id = %d", s)
	}
	WaitFor(t, 10*time.Second, "three replies", func() bool { return eu.Count()+us.Count() == 3 })
	time.Sleep(100 * time.Millisecond)
	if eu.Count() != 1 || us.Count() != 2 {
		t.Fatalf("EU got %d, US got %d; want 1 and 2", eu.Count(), us.Count())
	}
	if b := eu.Requests()[0].Body; b["admin_id"] != "111" || !strings.Contains(fmt.Sprint(b["body"]), "intercom-eu") {
		t.Errorf("EU reply = %v", b)
	}
	eu.AssertNoViolations(t)
	us.AssertNoViolations(t)
}

// TestMigrateCommand: `bot migrate` creates the tables of an empty
// PostgreSQL database, says which, and is idempotent.
func TestMigrateCommand(t *testing.T) {
	url := testpg.Fresh(t)
	for i, want := range []string{"created tables: bot_events, bot_claims", "postgres store is up to date"} {
		code, out := Run(t, t.TempDir(), nil, "migrate", "--database-url", url)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("bot migrate (run %d): exit %d\n%s\nwant %q", i+1, code, out, want)
		}
	}
	if strings.Contains(fmt.Sprint(Run(t, t.TempDir(), nil, "migrate", "--database-url", "postgres://nobody:hunter2@127.0.0.1:1/x")), "hunter2") {
		t.Error("a failed migrate printed the database password")
	}
}
