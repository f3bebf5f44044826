package frontfake

import (
	"net/http"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/front"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/replier"
)

// Suite is the contract for sources receiving application webhooks (the
// default, signing: app).
func Suite() platformtest.Suite {
	s := base()
	s.Platform = front.Platform{}
	s.Timestamped = true
	s.SourceSettings = map[string]string{"signing": front.SigningApp, "max_age": "5m"}
	return s
}

// RuleSuite is the contract for sources receiving rule webhooks
// (signing: rule), which carry no timestamp.
func RuleSuite() platformtest.Suite {
	s := base()
	s.Platform = front.Platform{}
	s.SourceSettings = map[string]string{"signing": front.SigningRule}
	return s
}

func base() platformtest.Suite {
	return platformtest.Suite{
		Examples: examples(),
		OwnPost: platformtest.OwnPost{
			Body:    OwnReply,
			Account: map[string]string{"teammate_id": DefaultTeammateID},
		},
		NewFake:  func(t *testing.T) platformtest.Fake { return New(t) },
		TargetID: "cnv_keocka",
		ActionSample: func(row platform.ActionCapability, req *replier.Request) {
			switch row.Action {
			case platform.ActionAssign:
				req.Set(replier.FieldAssignee, replier.Value{Map: map[string]string{"teammate": "tea_agent2"}})
			case platform.ActionSet:
				req.Set(replier.FieldSet, replier.Value{Map: map[string]string{"Plan": "gold"}})
			}
		},
		// Front names no token on a change made through the API: every
		// such change without a message is withheld as the bot's own.
		BotActions: []platformtest.OwnPost{
			{Body: APIArchive, Account: map[string]string{"teammate_id": DefaultTeammateID}},
			{Body: APIAssign, Account: map[string]string{"teammate_id": DefaultTeammateID}},
			{Body: APITag, Account: map[string]string{"teammate_id": DefaultTeammateID}},
		},
		RateLimitHeader: http.Header{
			"X-Ratelimit-Limit":     {"100"},
			"X-Ratelimit-Remaining": {"5"},
			"X-Ratelimit-Reset":     {"1900000000"},
		},
	}
}

func examples() []platformtest.Example {
	conv := func(id string) event.Target { return event.Target{Type: event.TargetConversation, ID: id} }
	return []platformtest.Example{
		{File: "front/webhooks/inbound_message.json", Want: platformtest.Want{
			Topic: "inbound", Target: conv("2x9c5v"),
			MessageText: "We don't have emotions, and sometimes that makes me very sad.",
			AuthorType:  front.AuthorContact, ContactEmail: "calculon@momsbot.com", ContactID: "crd_62euuy",
			TicketStatus: "unassigned", Tags: []string{},
		}},
		{File: "front/webhooks/outbound_reply.json", Want: platformtest.Want{
			Topic: "out_reply", Target: conv("cnv_keocka"),
			MessageText: "Emotions are dumb and should be hated.",
			AuthorType:  front.AuthorTeammate, ContactEmail: "calculon@momsbot.com", ContactID: "crd_62euuy",
			TicketStatus: "assigned", Tags: []string{"Urgent"},
		}},
		{File: "front/webhooks/comment.json", Want: platformtest.Want{
			Topic: "comment", Target: conv("cnv_keocka"), MessageText: "Sure.",
			AuthorType: front.AuthorTeammate, TicketStatus: "assigned", Tags: []string{},
		}},
		{File: "front/webhooks/app_webhook_sync_validation.json", Want: platformtest.Want{Topic: "sync"}},
		{Body: AppInbound, Want: platformtest.Want{
			Topic: "inbound", Target: conv("cnv_app1"), MessageText: "Where is my order?",
			AuthorType: front.AuthorContact, ContactEmail: "ada@example.com", ContactID: "crd_ada",
			TicketStatus: "unassigned", Tags: []string{"vip"},
		}},
		{Body: APIReply, Want: platformtest.Want{
			Topic: "out_reply", Target: conv("cnv_app1"), MessageText: "Sent by another integration",
			Ignored: "bot_author",
		}},
	}
}

// AppInbound is an application webhook: the event wrapped in Front's
// envelope, as Front's sample app reads it.
var AppInbound = []byte(`{
  "type": "inbound_received",
  "authorization": {"id": "cmp_abc"},
  "payload": {
    "_links": {"self": "https://api2.frontapp.com/events/evt_app1"},
    "id": "evt_app1",
    "type": "inbound",
    "emitted_at": 1718000000.25,
    "conversation": {
      "id": "cnv_app1",
      "subject": "Order #1001",
      "status": "unassigned",
      "recipient": {
        "_links": {"related": {"contact": "https://api2.frontapp.com/contacts/crd_ada"}},
        "handle": "ada@example.com",
        "role": "from"
      },
      "tags": [{"id": "tag_1", "name": "vip"}]
    },
    "source": {"_meta": {"type": "inboxes"}, "data": [{"id": "inb_1", "name": "Support"}]},
    "target": {
      "_meta": {"type": "message"},
      "data": {
        "id": "msg_app1",
        "type": "email",
        "is_inbound": true,
        "body": "<p>Where is my order?</p>",
        "author": null,
        "recipients": [{"handle": "ada@example.com", "role": "from"}, {"handle": "support@example.com", "role": "to"}]
      }
    }
  }
}`)

// APIReply is a reply another integration posted through the API, with
// no teammate as author: the loop guard drops it as another bot's.
var APIReply = []byte(`{
  "id": "evt_api1",
  "type": "out_reply",
  "emitted_at": 1718000100,
  "conversation": {"id": "cnv_app1", "status": "assigned", "tags": []},
  "source": {"_meta": {"type": "api"}, "data": {}},
  "target": {
    "_meta": {"type": "message"},
    "data": {"id": "msg_api1", "is_inbound": false, "body": "<div>Sent by another integration</div>", "author": null}
  }
}`)

// APIArchive is a conversation archived through the API (as the bot's
// status action does): a rule webhook's event, with no message.
var APIArchive = []byte(`{
  "_links": {"self": "https://api2.frontapp.com/events/evt_arch1"},
  "id": "evt_arch1",
  "type": "archive",
  "emitted_at": 1718000300.1,
  "conversation": {"id": "cnv_keocka", "subject": "Order #1001", "status": "archived", "tags": []},
  "source": {"_meta": {"type": "api"}, "data": {}},
  "target": null
}`)

// APIAssign is an assignment made through the API: the target is the
// teammate assigned, not who assigned.
var APIAssign = []byte(`{
  "id": "evt_asg1",
  "type": "assign",
  "emitted_at": 1718000301,
  "conversation": {"id": "cnv_keocka", "status": "assigned", "tags": []},
  "source": {"_meta": {"type": "api"}, "data": {}},
  "target": {"_meta": {"type": "teammate"}, "data": {"id": "tea_agent2", "email": "agent@example.com", "username": "agent", "first_name": "Ann", "last_name": "Agent"}}
}`)

// APITag is a tag added through the API, wrapped as an application
// webhook delivers it.
var APITag = []byte(`{
  "type": "tag",
  "authorization": {"id": "cmp_abc"},
  "payload": {
    "id": "evt_tag1",
    "type": "tag",
    "emitted_at": 1718000302,
    "conversation": {"id": "cnv_keocka", "status": "assigned", "tags": [{"id": "tag_2", "name": "vip"}]},
    "source": {"_meta": {"type": "api"}, "data": {}},
    "target": {"_meta": {"type": "tag"}, "data": {"id": "tag_2", "name": "vip"}}
  }
}`)

// OwnReply is a reply the bot's teammate (DefaultTeammateID) sent.
var OwnReply = []byte(`{
  "id": "evt_own1",
  "type": "out_reply",
  "emitted_at": 1718000200.5,
  "conversation": {"id": "cnv_keocka", "status": "assigned", "tags": []},
  "source": {"_meta": {"type": "api"}, "data": {}},
  "target": {
    "_meta": {"type": "message"},
    "data": {
      "id": "msg_own1",
      "is_inbound": false,
      "body": "<p>Thanks for writing in!</p>",
      "author": {"id": "` + DefaultTeammateID + `", "email": "bot@example.com", "username": "bot", "first_name": "Support", "last_name": "Bot"}
    }
  }
}`)
