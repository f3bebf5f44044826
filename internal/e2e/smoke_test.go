package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
)

func TestSmokeNoteReachesIntercom(t *testing.T) {
	fake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID})
	defer fake.Close()
	bot := Start(t, Config{Rules: RulesFile(fake.URL(), "", "", `
  - name: greet
    when: topic == "conversation.user.created"
    reply:
      as: note
      body: "<p>New conversation from {{ contact?.name ?? 'someone' }}</p>"
`)})
	status, body := bot.Post("intercom", "intercom", SharedPayload(t, "conversation_user_created.json"))
	if status != 200 || !strings.Contains(body, `"accepted"`) {
		t.Fatalf("POST = %d %s", status, body)
	}
	WaitFor(t, 10*time.Second, "the note at the fake platform", func() bool { return fake.Count() == 1 })
	fake.AssertNoViolations(t)
	got := fake.Requests()[0]
	if got.Path != "/conversations/21321941764/reply" || got.Body["message_type"] != "note" {
		t.Errorf("request = %s %v", got.Path, got.Body)
	}
}
