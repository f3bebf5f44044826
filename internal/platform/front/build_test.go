package front_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/front"
	"github.com/supportops/autoresponder/internal/platform/front/frontfake"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

func parse(t *testing.T, body []byte) (*event.Event, error) {
	t.Helper()
	d := delivery(header(), body, vecSecret, vecNow, settings("signing", "app"))
	return platform.Parse(front.New(), "front-src", d, vecNow)
}

func TestBuildRefusesBadBodies(t *testing.T) {
	long := strings.Repeat("x", event.MaxIDBytes+1)
	cases := []struct {
		name, body, reason string
	}{
		{"not an object", `[1]`, "must be a JSON object"},
		{"no type", `{"id":"evt_1","conversation":{"id":"cnv_1"}}`, "type missing"},
		{"type not a string", `{"type":7,"id":"evt_1","conversation":{"id":"cnv_1"}}`, "type must be a string"},
		{"no id", `{"type":"inbound","conversation":{"id":"cnv_1"}}`, "id missing"},
		{"id an object", `{"type":"inbound","id":{},"conversation":{"id":"cnv_1"}}`, "id must be a string or a number"},
		{"no conversation", `{"type":"inbound","id":"evt_1"}`, "conversation missing"},
		{"conversation null", `{"type":"inbound","id":"evt_1","conversation":null}`, "conversation is null"},
		{"conversation a string", `{"type":"inbound","id":"evt_1","conversation":"cnv_1"}`, "conversation must be an object"},
		{"no conversation id", `{"type":"inbound","id":"evt_1","conversation":{}}`, "conversation.id missing"},
		{"empty conversation id", `{"type":"inbound","id":"evt_1","conversation":{"id":""}}`, "conversation.id is empty"},
		{"overlong conversation id", `{"type":"inbound","id":"evt_1","conversation":{"id":"` + long + `"}}`, "conversation.id is 1025 bytes"},
		{"overlong event id", `{"type":"inbound","id":"` + long + `","conversation":{"id":"cnv_1"}}`, "id is 1025 bytes"},
		{"overlong contact id", `{"type":"inbound","id":"evt_1","conversation":{"id":"cnv_1","recipient":{"_links":{"related":{"contact":"https://x/contacts/` + long + `"}}}}}`, "conversation.recipient._links.related.contact is"},
		{"app payload not an object", `{"type":"inbound_received","payload":"evt_1"}`, "payload must be an object"},
		{"app payload null", `{"type":"inbound_received","payload":null}`, "payload is null"},
		{"app payload without id", `{"type":"inbound_received","payload":{"type":"inbound","conversation":{"id":"cnv_1"}}}`, "payload.id missing"},
		{"app payload without conversation id", `{"type":"inbound_received","payload":{"type":"inbound","id":"evt_1","conversation":{}}}`, "payload.conversation.id missing"},
		{"app envelope without any type", `{"payload":{"id":"evt_1","conversation":{"id":"cnv_1"}}}`, "type missing"},
		{"overlong app payload type", `{"type":"x","payload":{"type":"` + long + `","id":"evt_1","conversation":{"id":"cnv_1"}}}`, "payload.type is 1025 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, []byte(c.body))
			var bad *payload.BadRequestError
			if !errors.As(err, &bad) {
				t.Fatalf("Parse = %v, want a *payload.BadRequestError", err)
			}
			if !strings.Contains(bad.Reason, c.reason) {
				t.Errorf("reason %q, want it to name %q", bad.Reason, c.reason)
			}
		})
	}
}

// referenceFile reads a payload from ../shared/reference, skipping when
// the shared folder is absent.
func referenceFile(t *testing.T, name string) []byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
	b, err := os.ReadFile(filepath.Join(dir, "..", "shared", "reference", "front", "webhooks", name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not found: ../shared is absent", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The fields the contract's Want does not check.
func TestBuildFillsTheSharedFields(t *testing.T) {
	t.Run("rule webhook, comment", func(t *testing.T) {
		ev, err := parse(t, referenceFile(t, "comment.json"))
		if err != nil {
			t.Fatal(err)
		}
		if ev.ID != "evt_28duvr6" {
			t.Errorf("id %q, want the event id evt_28duvr6 (the dedup key)", ev.ID)
		}
		if want := time.Unix(1518309749, 673e6).UTC(); ev.OccurredAt.Sub(want).Abs() > time.Millisecond {
			t.Errorf("occurred_at %v, want %v", ev.OccurredAt, want)
		}
		want := event.Author{Type: "teammate", ID: "tea_40z6", Name: "Bender Rodriguez", Email: "bender@planet-express.com"}
		if ev.Message == nil || ev.Message.ID != "com_shgc2" || ev.Message.Author != want {
			t.Errorf("message %+v, want comment com_shgc2 by %+v", ev.Message, want)
		}
		if ev.Ticket == nil || ev.Ticket.ID != "cnv_keocka" || ev.Ticket.Subject != "Re: Being a robot is great, but..." {
			t.Errorf("ticket %+v, want the conversation's id and subject", ev.Ticket)
		}
		if ev.Item["id"] != "cnv_keocka" {
			t.Errorf("item id %v, want the conversation", ev.Item["id"])
		}
	})
	t.Run("rule webhook, inbound message", func(t *testing.T) {
		ev, err := parse(t, referenceFile(t, "inbound_message.json"))
		if err != nil {
			t.Fatal(err)
		}
		m := ev.Message
		if m == nil || m.ID != "msg_1176r8y" || m.HTML != "<div>We don't have emotions, and sometimes that makes me very sad.</div>" {
			t.Fatalf("message %+v, want msg_1176r8y with its HTML body", m)
		}
		if m.Author != (event.Author{Type: "contact", Email: "calculon@momsbot.com"}) {
			t.Errorf("author %+v, want the contact by its from handle", m.Author)
		}
	})
	t.Run("application webhook", func(t *testing.T) {
		ev, err := parse(t, frontfake.AppInbound)
		if err != nil {
			t.Fatal(err)
		}
		if ev.ID != "evt_app1" || ev.Topic != "inbound" || ev.Message == nil || ev.Message.ID != "msg_app1" {
			t.Errorf("event %q topic %q message %+v, want evt_app1, inbound, msg_app1", ev.ID, ev.Topic, ev.Message)
		}
		if want := time.Unix(1718000000, 250e6).UTC(); !ev.OccurredAt.Equal(want) {
			t.Errorf("occurred_at %v, want %v", ev.OccurredAt, want)
		}
	})
	t.Run("application webhook preview without the event's type", func(t *testing.T) {
		ev, err := parse(t, []byte(`{"type":"inbound_received","payload":{"id":"evt_p","conversation":{"id":"cnv_p"}}}`))
		if err != nil {
			t.Fatal(err)
		}
		if ev.Topic != "inbound_received" || ev.Message != nil || ev.Target.ID != "cnv_p" {
			t.Errorf("topic %q message %+v target %+v, want the envelope's type, no message, cnv_p", ev.Topic, ev.Message, ev.Target)
		}
	})
	t.Run("sync is a ping", func(t *testing.T) {
		ev, err := parse(t, referenceFile(t, "app_webhook_sync_validation.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !platform.IsPing(front.New(), ev) {
			t.Errorf("topic %q is not a ping", ev.Topic)
		}
	})
}

func TestLoopGuard(t *testing.T) {
	bot := []platform.Identity{front.New().Identity(&platform.Account{Settings: settings("teammate_id", "tea_bot1")})}
	messageEvent := func(source, author, inbound string) []byte {
		a := "null"
		if author != "" {
			a = `{"id":"` + author + `","first_name":"A"}`
		}
		return []byte(`{"id":"evt_1","type":"out_reply","conversation":{"id":"cnv_1"},
			"source":{"_meta":{"type":"` + source + `"}},
			"target":{"_meta":{"type":"message"},"data":{"id":"msg_1","body":"hi","is_inbound":` + inbound + `,"author":` + a + `}}}`)
	}
	comment := []byte(`{"id":"evt_2","type":"comment","conversation":{"id":"cnv_1"},
		"source":{"_meta":{"type":"teammate"},"data":{"id":"tea_bot1"}},
		"target":{"_meta":{"type":"comment"},"data":{"id":"com_1","body":"note","author":{"id":"tea_bot1"}}}}`)
	ruleTag := []byte(`{"id":"evt_3","type":"tag","conversation":{"id":"cnv_1"},"source":{"_meta":{"type":"rule"}},"target":{"_meta":{"type":"tag"},"data":{"id":"tag_1"}}}`)
	cases := []struct {
		name string
		body []byte
		self []platform.Identity
		want string
	}{
		{"the bot's reply through the API", messageEvent("api", "tea_bot1", "false"), bot, platform.IgnoredOwnReply},
		{"the bot's comment", comment, bot, platform.IgnoredOwnReply},
		{"the bot's reply, another bot configured", messageEvent("api", "tea_bot1", "false"), []platform.Identity{{IDs: []string{"tea_other"}}}, platform.IgnoredBotAuthor},
		{"a human teammate's reply", messageEvent("teammate", "tea_human", "false"), bot, ""},
		{"a reply by another integration", messageEvent("oauth_client", "", "false"), bot, platform.IgnoredBotAuthor},
		{"a change by a Front rule", ruleTag, bot, platform.IgnoredBotAuthor},
		{"a customer's message through a custom channel", messageEvent("api", "", "true"), bot, ""},
		{"a customer's email", messageEvent("inboxes", "", "true"), bot, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := parse(t, c.body)
			if err != nil {
				t.Fatal(err)
			}
			if got := front.New().LoopGuard(ev, c.self); got != c.want {
				t.Errorf("LoopGuard = %q, want %q", got, c.want)
			}
		})
	}
}
