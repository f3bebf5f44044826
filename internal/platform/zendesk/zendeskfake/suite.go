package zendeskfake

import (
	"net/http"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/zendesk"
	"github.com/supportops/autoresponder/internal/replier"
)

// Suite describes Zendesk to the contract suite.
func Suite() platformtest.Suite {
	ticket := event.Target{Type: event.TargetTicket, ID: "5158"}
	return platformtest.Suite{
		Platform:       zendesk.New(),
		Timestamped:    true,
		SourceSettings: map[string]string{zendesk.SettingMaxSkew: "5m"},
		Examples: []platformtest.Example{
			{File: "zendesk/webhooks/event_ticket_created.json", Want: platformtest.Want{
				Topic: zendesk.TopicTicketCreated, Target: ticket,
				MessageText: "Customer is experiencing login issues with the mobile app", AuthorType: "end_user",
				ContactID: "8447388090494", TicketStatus: "open", Tags: []string{"mobile", "login"},
			}},
			{File: "zendesk/webhooks/event_ticket_comment_added.json", Want: platformtest.Want{
				Topic: zendesk.TopicCommentAdded, Target: ticket,
				MessageText: "We are investigating this issue", AuthorType: "agent",
				ContactID: "8447388090494", TicketStatus: "open", Tags: []string{"mobile", "login", "priority-support"},
			}},
			{Body: RenderTrigger(nil), Want: platformtest.Want{
				Topic: zendesk.TopicTriggerCreated, Target: ticket,
				MessageText: "I cannot log in to the mobile app", AuthorType: "end_user",
				ContactID: "8447388090494", ContactEmail: "jane@example.com", TicketStatus: "open",
				Tags: []string{"mobile", "login"},
			}},
			{Body: []byte(messagingByTrigger), Want: platformtest.Want{
				Topic: zendesk.TopicMessagingMessage, Target: event.Target{Type: event.TargetTicket, ID: "77"},
				MessageText: "Our team will be with you shortly", AuthorType: "trigger", Ignored: platform.IgnoredBotAuthor,
			}},
		},
		OwnPost: platformtest.OwnPost{
			Body:    []byte(ownComment),
			Account: map[string]string{zendesk.SettingAgentID: DefaultAgentID},
		},
		// Zendesk names custom fields by number.
		ActionSample: func(row platform.ActionCapability, req *replier.Request) {
			if row.Action == platform.ActionSet {
				req.Set(replier.FieldSet, replier.Value{Map: map[string]string{"360001234567": "gold"}})
			}
		},
		BotActions: botActions(),
		NewFake:    func(t *testing.T) platformtest.Fake { return New(t, Options{}) },
		RateLimitHeader: http.Header{
			"X-Rate-Limit":           {"100"},
			"X-Rate-Limit-Remaining": {"5"},
		},
	}
}

// triggerValues are the placeholder renderings RenderTrigger uses: a new
// ticket opened by its requester on the web form.
func triggerValues() map[string]string {
	return map[string]string{
		"ticket.id":                        "5158",
		"ticket.updated_at_with_timestamp": "2025-01-08T10:12Z",
		"ticket.title":                     "Cannot login to mobile app",
		"ticket.status":                    "Open",
		"ticket.priority":                  "High",
		"ticket.ticket_type":               "Problem",
		"ticket.via":                       "Web Form",
		"ticket.tags":                      "mobile login",
		"ticket.requester.id":              "8447388090494",
		"ticket.requester.name":            "Jane Customer",
		"ticket.requester.email":           "jane@example.com",
		"current_user.id":                  "8447388090494",
		"current_user.name":                "Jane Customer",
		"current_user.email":               "jane@example.com",
		"current_user.role":                "End-user",
		"ticket.latest_public_comment":     "I cannot log in to the mobile app since the update.",
		"ticket.link":                      "https://example.zendesk.com/agent/tickets/5158",
	}
}

// RenderTrigger is zendesk.TriggerBody as Zendesk sends it: every
// placeholder replaced by values[name], else a new ticket's values. The
// "event" literal is replaced by values["event"] when set. Values go in
// as JSON string contents and must not need escaping.
func RenderTrigger(values map[string]string) []byte {
	body := zendesk.TriggerBody
	if ev, ok := values["event"]; ok {
		body = strings.Replace(body, `"event": "ticket.created"`, `"event": "`+ev+`"`, 1)
	}
	var pairs []string
	for name, def := range triggerValues() {
		v, ok := values[name]
		if !ok {
			v = def
		}
		pairs = append(pairs, "{{"+name+"}}", v)
	}
	return []byte(strings.NewReplacer(pairs...).Replace(body))
}

// ownComment is the bot's own public reply coming back as an event.
const ownComment = `{
  "account_id": 22129848,
  "detail": {"actor_id": "9001", "id": "5158", "requester_id": "8447388090494", "status": "OPEN", "subject": "Cannot login to mobile app", "tags": []},
  "event": {"comment": {"id": "9876543299", "body": "Thanks, we received your request.", "is_public": true,
    "author": {"id": "9001", "is_staff": true, "name": "Support Bot"}}},
  "id": "0b7c8f7e-5d0e-4a51-9d8e-2f1f3c1e9a10",
  "subject": "zen:ticket:5158",
  "time": "2025-01-08T14:26:01.000000000Z",
  "type": "zen:event-type:ticket.comment_added",
  "zendesk_event_version": "2022-11-06"
}`

// messagingByTrigger is a messaging message posted by a trigger (the shape
// of event.actor and event.message is from Zendesk's messaging events).
const messagingByTrigger = `{
  "account_id": 22129848,
  "detail": {"id": "77", "requester_id": "555", "status": "NEW"},
  "event": {"actor": {"id": "zd:trigger", "type": "trigger", "name": "Welcome"},
    "message": {"id": "65a0f3c2b1", "body": "Our team will be with you shortly."}},
  "id": "01HMZ5W7Q3J8KX2V9T4N6B1C0D",
  "subject": "zen:ticket:77",
  "time": "2025-01-08T14:30:00Z",
  "type": "zen:event-type:messaging_ticket.message_added",
  "zendesk_event_version": "2022-11-06"
}`

// botActions are changes the bot's own actions come back as: event
// subscriptions whose detail.actor_id is the bot's user (the shapes of
// Zendesk's ticket events), and a "Ticket is Updated" trigger whose
// current user is the bot.
func botActions() []platformtest.OwnPost {
	bot := map[string]string{zendesk.SettingAgentID: DefaultAgentID}
	trigger := RenderTrigger(map[string]string{
		"event": zendesk.TopicTriggerUpdated, "ticket.status": "Solved",
		"current_user.id": DefaultAgentID, "current_user.name": "Support Bot",
		"current_user.email": DefaultEmail, "current_user.role": "Agent",
		"ticket.updated_at_with_timestamp": "2025-01-08T16:45Z",
	})
	return []platformtest.OwnPost{
		{Body: []byte(botStatusChanged), Account: bot},
		{Body: []byte(botAssigned), Account: bot},
		{Body: trigger, Account: bot},
	}
}

// botStatusChanged: the bot solved the ticket.
const botStatusChanged = `{
  "account_id": 22129848,
  "detail": {"actor_id": "9001", "assignee_id": "8447388090495", "id": "5158", "priority": "HIGH",
    "requester_id": "8447388090494", "status": "SOLVED", "subject": "Cannot login to mobile app",
    "tags": ["mobile", "login"], "updated_at": "2025-01-08T16:45:20Z", "via": {"channel": "api"}},
  "event": {"current": "SOLVED", "previous": "OPEN"},
  "id": "a8b9c1d2-3e4f-5a6b-7c8d-9e0f1a2b3c99",
  "subject": "zen:ticket:5158",
  "time": "2025-01-08T16:45:20.987654321Z",
  "type": "zen:event-type:ticket.status_changed",
  "zendesk_event_version": "2022-11-06"
}`

// botAssigned: the bot assigned the ticket to an agent.
const botAssigned = `{
  "account_id": 22129848,
  "detail": {"actor_id": "9001", "assignee_id": "8447388090496", "id": "5158", "priority": "URGENT",
    "requester_id": "8447388090494", "status": "OPEN", "subject": "Cannot login to mobile app",
    "updated_at": "2025-01-08T12:15:45Z"},
  "event": {"current": 8447388090496, "previous": 8447388090494},
  "id": "c6d7e8f9-0a1b-2c3d-4e5f-6a7b8c9d0e99",
  "subject": "zen:ticket:5158",
  "time": "2025-01-08T12:15:45.789012345Z",
  "type": "zen:event-type:ticket.agent_assignment_changed",
  "zendesk_event_version": "2022-11-06"
}`
