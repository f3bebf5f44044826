package chatwootfake

import (
	"net/http"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/chatwoot"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
)

// Suite is Chatwoot's contract: every example is written to the documented
// payload shapes (there are no captured deliveries in the reference
// folder), the bot's agent bot is DefaultAgentBotID.
func Suite() platformtest.Suite {
	conv84 := event.Target{Type: event.TargetConversation, ID: "84"}
	return platformtest.Suite{
		Platform:       chatwoot.New(),
		Timestamped:    true,
		SourceSettings: map[string]string{"timestamp_tolerance": "5m"},
		Examples: []platformtest.Example{
			{Body: []byte(MessageCreated), Want: platformtest.Want{
				Topic: "message_created", Target: conv84, MessageText: "wrong VAT number", AuthorType: "contact",
				ContactEmail: "maria.lopez@example.org", ContactID: "311", TicketStatus: "open", Tags: []string{"billing"},
			}},
			{Body: agentReply(), Want: platformtest.Want{
				Topic: "message_created", Target: conv84, MessageText: "looking into it", AuthorType: "user",
				ContactEmail: "maria.lopez@example.org",
			}},
			{Body: agentNote(), Want: platformtest.Want{
				Topic: "message_created", Target: conv84, MessageText: "VAT id was mistyped", AuthorType: "user",
			}},
			{Body: otherBot(), Want: platformtest.Want{
				Topic: "message_created", Target: conv84, AuthorType: "agent_bot", Ignored: platform.IgnoredBotAuthor,
			}},
			{Body: activity(), Want: platformtest.Want{
				Topic: "message_created", Target: conv84, MessageText: "marked resolved", Ignored: platform.IgnoredBotAuthor,
			}},
			{Body: edited(), Want: platformtest.Want{
				Topic: "message_updated", Target: conv84, MessageText: "(DE-1)", AuthorType: "contact", ContactID: "311",
			}},
			{Body: []byte(ConversationCreated), Want: platformtest.Want{
				Topic: "conversation_created", Target: event.Target{Type: event.TargetConversation, ID: "91"},
				MessageText: "have not had a refund", AuthorType: "contact", ContactEmail: "sam@example.net",
				ContactID: "377", TicketStatus: "open", Tags: []string{},
			}},
			{Body: []byte(ConversationStatusChanged), Want: platformtest.Want{
				Topic: "conversation_status_changed", Target: conv84, ContactEmail: "maria.lopez@example.org",
				TicketStatus: "resolved", Tags: []string{"billing"},
			}},
			{Body: []byte(ContactCreated), Want: platformtest.Want{
				Topic: "contact_created", ContactEmail: "ana.costa@example.com", ContactID: "402",
			}},
			{Body: []byte(WebwidgetTriggered), Want: platformtest.Want{
				Topic: "webwidget_triggered", ContactID: "418",
			}},
			{Body: []byte(LegacyMessageCreated), Header: http.Header{chatwoot.HeaderDelivery: {"5f0c2c4e-9a3b-4d8e-b1a7-2e6f8d9c0b13"}},
				Want: platformtest.Want{
					Topic: "message_created", Target: event.Target{Type: event.TargetConversation, ID: "1"},
					MessageText: "Hi", AuthorType: "contact", ContactID: "1",
				}},
		},
		OwnPost: platformtest.OwnPost{
			Body:    ownReply(),
			Account: map[string]string{"account_id": DefaultAccountID, "agent_bot_id": DefaultAgentBotID},
		},
		NewFake: func(t *testing.T) platformtest.Fake { return New(t) },
		RateLimitHeader: http.Header{
			"Ratelimit-Limit":     {"100"},
			"Ratelimit-Remaining": {"5"},
			"Ratelimit-Reset":     {"30"},
		},
	}
}
