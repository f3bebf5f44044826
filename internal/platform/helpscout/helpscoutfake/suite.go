package helpscoutfake

import (
	"net/http"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/helpscout"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/replier"
)

// Reference payloads, relative to ../shared/reference.
const (
	FileConversation = "helpscout/webhooks/convo_body_helpscout_php_sdk_test.json"
	FileWithThread   = "helpscout/webhooks/conversation_with_embedded_thread_helpscout_php_sdk_test.json"
)

// EventHeader is the X-HelpScout-Event header of a delivery.
func EventHeader(name string) http.Header {
	h := http.Header{}
	h.Set(helpscout.HeaderEvent, name)
	return h
}

// OwnReplyBody is an agent reply thread the bot's user (UserID) wrote, as
// it comes back in convo.agent.reply.created.
var OwnReplyBody = []byte(`{
  "id": 321, "number": 77, "threads": 2, "type": "email", "status": "active", "state": "published",
  "subject": "Order status", "preview": "Thanks for writing in", "mailboxId": 85,
  "createdBy": {"id": 12, "type": "customer", "email": "bear@acme.com"},
  "primaryCustomer": {"id": 12, "first": "Vernon", "last": "Bear", "email": "bear@acme.com"},
  "_embedded": {"threads": [
    {"id": 902, "type": "message", "status": "active", "state": "published",
     "action": {"type": "default", "associatedEntities": []},
     "body": "<p>Thanks for writing in</p>",
     "createdBy": {"id": ` + UserID + `, "type": "user", "first": "Support", "last": "Bot", "email": "bot@example.com"},
     "createdAt": "2024-05-02T10:00:05Z"},
    {"id": 901, "type": "customer", "status": "active", "state": "published",
     "body": "Where is my order?",
     "createdBy": {"id": 12, "type": "customer", "email": "bear@acme.com"},
     "createdAt": "2024-05-02T10:00:00Z"}
  ]}
}`)

// BotClosed is convo.status for a conversation the bot's user (UserID)
// closed: the conversation's closedBy names the user.
var BotClosed = []byte(`{
  "id": 321, "number": 77, "threads": 2, "type": "email", "status": "closed", "state": "published",
  "subject": "Order status", "mailboxId": 85,
  "createdBy": {"id": 12, "type": "customer", "email": "bear@acme.com"},
  "closedBy": ` + UserID + `, "closedAt": "2024-05-02T10:05:00Z",
  "primaryCustomer": {"id": 12, "email": "bear@acme.com"},
  "tags": [{"id": 9150, "color": "#929499", "tag": "vip"}]
}`)

// BotAssigned is convo.assigned with its threads embedded: the newest is
// the line item Help Scout writes for the assignment, created by the
// bot's user.
var BotAssigned = []byte(`{
  "id": 321, "number": 77, "threads": 3, "type": "email", "status": "active", "state": "published",
  "subject": "Order status", "mailboxId": 85,
  "assignee": {"id": 256, "first": "Mr", "last": "Robot", "email": "none@nowhere.com"},
  "createdBy": {"id": 12, "type": "customer", "email": "bear@acme.com"},
  "primaryCustomer": {"id": 12, "email": "bear@acme.com"},
  "_embedded": {"threads": [
    {"id": 903, "type": "lineitem", "status": "active", "state": "published",
     "action": {"type": "changed-ticket-assignee", "text": "Support Bot assigned to Mr Robot"},
     "assignedTo": {"id": 256, "first": "Mr", "last": "Robot"},
     "createdBy": {"id": ` + UserID + `, "type": "user", "first": "Support", "last": "Bot", "email": "bot@example.com"},
     "createdAt": "2024-05-02T10:06:00Z"},
    {"id": 901, "type": "customer", "status": "active", "state": "published", "body": "Where is my order?",
     "createdBy": {"id": 12, "type": "customer", "email": "bear@acme.com"}, "createdAt": "2024-05-02T10:00:00Z"}
  ]}
}`)

// Suite is the contract of the Help Scout platform.
func Suite() platformtest.Suite {
	conversation := event.Target{Type: event.TargetConversation, ID: "123"}
	withThread := event.Target{Type: event.TargetConversation, ID: "1"}
	return platformtest.Suite{
		Platform: helpscout.New(),
		Examples: []platformtest.Example{
			// The SDK's webhook body has no embedded threads: the message
			// is the conversation's preview.
			{File: FileConversation, Header: EventHeader(helpscout.TopicCreated), Want: platformtest.Want{
				Topic: helpscout.TopicCreated, Target: conversation,
				MessageText: "I'm having a hard time resolving this", AuthorType: helpscout.AuthorCustomer,
				ContactID: "238604", TicketStatus: "closed", Tags: []string{"vip"},
			}},
			{File: FileConversation, Header: EventHeader(helpscout.TopicCustomerReply), Want: platformtest.Want{
				Topic: helpscout.TopicCustomerReply, Target: conversation,
				MessageText: "I'm having a hard time resolving this", AuthorType: helpscout.AuthorCustomer,
				ContactID: "238604", TicketStatus: "closed", Tags: []string{"vip"},
			}},
			// An agent reply or note whose author the body does not show
			// may be the bot's own.
			{File: FileConversation, Header: EventHeader(helpscout.TopicAgentReply), Want: platformtest.Want{
				Topic: helpscout.TopicAgentReply, Target: conversation, AuthorType: helpscout.AuthorUser,
				Ignored: platform.IgnoredOwnReply,
			}},
			{File: FileConversation, Header: EventHeader(helpscout.TopicNote), Want: platformtest.Want{
				Topic: helpscout.TopicNote, Target: conversation, Ignored: platform.IgnoredOwnReply,
			}},
			{File: FileConversation, Header: EventHeader("convo.status"), Want: platformtest.Want{
				Topic: "convo.status", Target: conversation, ContactID: "238604", TicketStatus: "closed",
			}},
			// The Test button: answered, never a rule's business.
			{File: FileConversation, Header: EventHeader(helpscout.TopicTest), Want: platformtest.Want{
				Topic: helpscout.TopicTest,
			}},
			// With an embedded thread, the thread is the message: here
			// a thread written by user 1 (an agent, not the bot).
			{File: FileWithThread, Header: EventHeader(helpscout.TopicCustomerReply), Want: platformtest.Want{
				Topic: helpscout.TopicCustomerReply, Target: withThread,
				MessageText: "This is a test", AuthorType: helpscout.AuthorUser, ContactID: "238604",
				TicketStatus: "closed", Tags: []string{"vip"},
			}},
			{File: FileWithThread, Header: EventHeader(helpscout.TopicAgentReply), Want: platformtest.Want{
				Topic: helpscout.TopicAgentReply, Target: withThread,
				MessageText: "This is a test", AuthorType: helpscout.AuthorUser,
			}},
			{Body: []byte(`{"id": 123}`), Header: EventHeader(helpscout.TopicDeleted), Want: platformtest.Want{
				Topic: helpscout.TopicDeleted, Target: conversation,
			}},
		},
		OwnPost: platformtest.OwnPost{
			Body:    OwnReplyBody,
			Header:  EventHeader(helpscout.TopicAgentReply),
			Account: map[string]string{helpscout.SettingUserID: UserID},
		},
		NewFake: func(t *testing.T) platformtest.Fake { return New(t) },
		Sample: func(row platform.Capability, req *replier.Request) {
			if row.As == platform.AsComment {
				req.Set(helpscout.FieldCustomer, replier.Value{Text: "238604"})
			}
		},
		ActionSample: func(row platform.ActionCapability, req *replier.Request) {
			if row.Action == platform.ActionSet {
				// Custom fields are set by id; 6688 is one of the fake
				// inbox's Fields.
				req.Set(replier.FieldSet, replier.Value{Map: map[string]string{"6688": "33077"}})
			}
		},
		BotActions: []platformtest.OwnPost{
			{Body: BotClosed, Header: EventHeader("convo.status"), Account: map[string]string{helpscout.SettingUserID: UserID}},
			{Body: BotAssigned, Header: EventHeader("convo.assigned"), Account: map[string]string{helpscout.SettingUserID: UserID}},
		},
		RateLimitHeader: http.Header{
			"X-Ratelimit-Limit-Minute":     {"100"},
			"X-Ratelimit-Remaining-Minute": {"5"},
		},
	}
}
