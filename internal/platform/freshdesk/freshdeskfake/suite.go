package freshdeskfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/freshdesk"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/replier"
)

// Render fills freshdesk.RecommendedBody as Freshdesk would: every
// placeholder by its value as a JSON string, placeholders not in values by
// "" (what Freshdesk renders for an empty field).
func Render(values map[string]string) []byte {
	out := freshdesk.RecommendedBody
	for {
		i := strings.Index(out, "{{")
		if i < 0 {
			return []byte(out)
		}
		j := strings.Index(out[i:], "}}")
		if j < 0 {
			return []byte(out)
		}
		name := out[i+2 : i+j]
		quoted, _ := json.Marshal(values[name])
		out = out[:i] + string(quoted[1:len(quoted)-1]) + out[i+j+2:]
	}
}

// NewTicket is the recommended body as a rule on ticket creation renders it.
func NewTicket() []byte {
	return Render(map[string]string{
		"triggered_event":        "{ticket_action:created}",
		"ticket.id":              "4242",
		"ticket.url":             "https://yourco.freshdesk.com/helpdesk/tickets/4242",
		"ticket.ticket_type":     "Question",
		"ticket.subject":         "Invoice \"March\" is wrong",
		"ticket.description":     "<div>My invoice for March is wrong &amp; twice the usual.</div>",
		"ticket.status":          "Open",
		"ticket.priority":        "Medium",
		"ticket.tags":            "billing, vip",
		"ticket.requester.name":  "Ada Customer",
		"ticket.requester.email": "ada@example.com",
	})
}

// ownNote is a private note the bot agent added, sent by a rule on agent
// notes whose admin named the performer.
const ownNote = `{"freshdesk_webhook": {
  "triggered_event": "{note_type:private}",
  "ticket_id": "4242",
  "ticket_status": "Open",
  "ticket_latest_private_comment": "<p>Auto-triage: billing</p>",
  "requester_email": "ada@example.com",
  "user_type": "agent",
  "user_id": "` + BotAgentID + `"
}}`

// botStatusChanged is the bot's own status change coming back: Freshdesk's
// webhook names no performer, so the rule that reports changes the bot
// agent performs (event performer: Agent, the bot) writes its id.
const botStatusChanged = `{"freshdesk_webhook": {
  "triggered_event": "{status:{from:2,to:4}}",
  "ticket_id": "4242",
  "ticket_status": "Resolved",
  "ticket_priority": "Medium",
  "requester_email": "ada@example.com",
  "user_type": "agent",
  "user_id": "` + BotAgentID + `"
}}`

// botPriorityChanged is the same for a priority change, the bot named by
// its email address.
const botPriorityChanged = `{"freshdesk_webhook": {
  "triggered_event": "{priority:{from:2,to:4}}",
  "ticket_id": "4242",
  "ticket_status": "Open",
  "ticket_priority": "Urgent",
  "requester_email": "ada@example.com",
  "user_type": "agent",
  "user_email": "Bot@YourCo.com"
}}`

// Suite is Freshdesk's contract.
func Suite() platformtest.Suite {
	bob := "requester-bob@example.com"
	return platformtest.Suite{
		Platform:     freshdesk.New(),
		BodyUnsigned: true,
		Examples: []platformtest.Example{
			{File: "freshdesk/webhooks/ticket_created.json", Want: platformtest.Want{
				Topic: freshdesk.TopicTicketCreated, Target: target("11"),
				MessageText: "Test ticket description ☃.", AuthorType: freshdesk.AuthorRequester,
				ContactEmail: bob, TicketStatus: "Pending",
			}},
			{File: "freshdesk/webhooks/public_note.json", Want: platformtest.Want{
				Topic: freshdesk.TopicPublicNote, Target: target("11"), ContactEmail: bob, TicketStatus: "Open",
			}},
			{File: "freshdesk/webhooks/status_changed.json", Want: platformtest.Want{
				Topic: freshdesk.TopicStatus, Target: target("11"), ContactEmail: bob, TicketStatus: "Waiting on Customer",
			}},
			{Body: NewTicket(), Want: platformtest.Want{
				Topic: freshdesk.TopicTicketCreated, Target: target("4242"),
				MessageText: "My invoice for March is wrong & twice the usual.", AuthorType: freshdesk.AuthorRequester,
				ContactEmail: "ada@example.com", TicketStatus: "Open", Tags: []string{"billing", "vip"},
			}},
		},
		OwnPost: platformtest.OwnPost{
			Body:    []byte(ownNote),
			Account: map[string]string{freshdesk.SettingAgentID: BotAgentID},
		},
		// Freshdesk names custom fields cf_<name>.
		ActionSample: func(row platform.ActionCapability, req *replier.Request) {
			if row.Action == platform.ActionSet {
				req.Set(replier.FieldSet, replier.Value{Map: map[string]string{"cf_plan": "gold"}})
			}
		},
		BotActions: []platformtest.OwnPost{
			{Body: []byte(botStatusChanged), Account: map[string]string{freshdesk.SettingAgentID: BotAgentID}},
			{Body: []byte(botPriorityChanged), Account: map[string]string{freshdesk.SettingAgentEmail: "bot@yourco.com"}},
		},
		NewFake:  func(t *testing.T) platformtest.Fake { return New(t) },
		TargetID: "4242",
		RateLimitHeader: http.Header{
			"X-Ratelimit-Total":               {"100"},
			"X-Ratelimit-Remaining":           {"5"},
			"X-Ratelimit-Used-Currentrequest": {"1"},
		},
	}
}

func target(id string) event.Target { return event.Target{Type: event.TargetTicket, ID: id} }
