package intercomfake

import (
	"net/http"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/intercom"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/replier"
)

// What the contract's account is configured with.
const (
	suiteToken   = "contract-intercom-token-5f1e"
	suiteAdminID = "814860"
	suiteVersion = "2.14"
)

// Suite describes Intercom to the contract every platform runs
// (internal/platform/platformtest).
func Suite() platformtest.Suite {
	conv := func(id string) event.Target { return event.Target{Type: event.TargetConversation, ID: id} }
	ticket := func(id string) event.Target { return event.Target{Type: event.TargetTicket, ID: id} }
	return platformtest.Suite{
		Platform: intercom.New(),
		Examples: []platformtest.Example{
			{File: "intercom/webhooks/conversation_user_created.json", Want: platformtest.Want{
				Topic: "conversation.user.created", Target: conv("21321941764"), AuthorType: "user", ContactID: "5c9553cb27e377f24eed49f7"}},
			{File: "intercom/webhooks/conversation_user_replied.json", Want: platformtest.Want{
				Topic: "conversation.user.replied", Target: conv("21322009097"), AuthorType: "user", ContactEmail: "jerryguitarist@gmail.com"}},
			{File: "intercom/webhooks/conversation_user_replied_2x_composed.json", Want: platformtest.Want{
				Topic: "conversation.user.replied", Target: conv("524"), AuthorType: "user", ContactEmail: "joe@bloggs.com"}},
			{File: "intercom/webhooks/ticket_created.json", Want: platformtest.Want{
				Topic: "ticket.created", Target: ticket("215472629311235"), ContactID: "696346bbaebb5a479d3851a3"}},
			{File: "intercom/webhooks/ticket_contact_replied.json", Want: platformtest.Want{
				Topic: "ticket.contact.replied", Target: ticket("215472629548109"), AuthorType: "user"}},
		},
		OwnPost: platformtest.OwnPost{
			Body: []byte(`{"type":"notification_event","id":"notif_own","topic":"conversation.admin.replied","created_at":1767225600,` +
				`"data":{"item":{"type":"conversation","id":"7100000401","conversation_parts":{"conversation_parts":[` +
				`{"id":"p1","part_type":"comment","body":"<p>Thanks!</p>","author":{"type":"admin","id":"` + suiteAdminID + `","name":"Support Bot"}}]}}}}`),
			Account: map[string]string{"admin_id": suiteAdminID},
		},
		BotActions: botActions(),
		NewFake: func(t *testing.T) platformtest.Fake {
			f := New(Options{Token: suiteToken, AdminID: suiteAdminID, APIVersion: suiteVersion})
			t.Cleanup(f.Close)
			return suiteFake{f}
		},
		Sample: func(row platform.Capability, req *replier.Request) {
			if _, ok := req.Fields[intercom.FieldAttachmentURLs]; ok {
				req.Set(intercom.FieldAttachmentURLs, replier.Value{List: []string{"https://example.com/a.png"}})
			}
		},
		RateLimitHeader: http.Header{"X-Ratelimit-Limit": {"100"}, "X-Ratelimit-Remaining": {"5"}, "X-Ratelimit-Reset": {"1900000000"}},
	}
}

// botActions are the webhooks the bot's own actions cause, shaped like
// Intercom's (PLATFORMS.md; part types from the 2.16 examples): a
// conversation change is its newest conversation part, a ticket change
// its newest ticket part, each authored by the admin_id the action sent.
func botActions() []platformtest.OwnPost {
	account := map[string]string{"admin_id": suiteAdminID}
	bot := `{"type":"admin","id":"` + suiteAdminID + `","name":"Support Bot","email":"bot@example.com"}`
	human := `{"type":"admin","id":"991267001","name":"Ana","email":"ana@example.com"}`
	conversation := func(topic, partType string) platformtest.OwnPost {
		return platformtest.OwnPost{Account: account, Body: []byte(`{"type":"notification_event","app_id":"i6wc9ipe","id":"notif_` + topic + `",` +
			`"topic":"` + topic + `","created_at":1767225600,"data":{"type":"notification_event_data","item":{"type":"conversation","id":"7100000402",` +
			`"state":"closed","open":false,"contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"5c9553cb27e377f24eed49f7"}]},` +
			`"conversation_parts":{"type":"conversation_part.list","total_count":2,"conversation_parts":[` +
			`{"type":"conversation_part","id":"p1","part_type":"comment","body":"<p>Help?</p>","created_at":1767225000,"author":{"type":"user","id":"5c9553cb27e377f24eed49f7"}},` +
			`{"type":"conversation_part","id":"p2","part_type":"` + partType + `","body":null,"created_at":1767225600,"author":` + bot + `}]}}}}`)}
	}
	ticket := func(topic, partType string) platformtest.OwnPost {
		return platformtest.OwnPost{Account: account, Body: []byte(`{"type":"notification_event","app_id":"i6wc9ipe","id":"notif_` + topic + `",` +
			`"topic":"` + topic + `","created_at":1767225600,"data":{"type":"notification_event_data","item":{"type":"ticket","id":"215472629311235",` +
			`"ticket_id":"42","ticket_state":{"type":"ticket_state","id":"8537","category":"resolved"},"open":false,` +
			`"contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"696346bbaebb5a479d3851a3"}]},` +
			`"ticket_parts":{"type":"ticket_part.list","total_count":2,"ticket_parts":[` +
			`{"type":"ticket_part","id":"t1","part_type":"assignment","created_at":1767225000,"author":` + human + `},` +
			`{"type":"ticket_part","id":"t2","part_type":"` + partType + `","created_at":1767225600,"author":` + bot + `}]}}}}`)}
	}
	return []platformtest.OwnPost{
		conversation("conversation.admin.closed", "close"),
		conversation("conversation.admin.assigned", "assignment"),
		conversation("conversation.admin.snoozed", "snoozed"),
		conversation("conversation.admin.opened", "open"),
		ticket("ticket.closed", "ticket_state_updated_by_admin"),
		ticket("ticket.state.updated", "ticket_state_updated_by_admin"),
		ticket("ticket.admin.assigned", "assignment"),
		ticket("ticket.team.assigned", "assignment"),
		ticket("ticket.attribute.updated", "ticket_attribute_updated_by_admin"),
	}
}

// suiteFake is the fake as the contract drives it.
type suiteFake struct{ *Fake }

func (f suiteFake) BaseURL() string { return f.URL() }

func (f suiteFake) Settings() map[string]string {
	return map[string]string{"admin_id": suiteAdminID, "api_version": suiteVersion}
}

func (f suiteFake) Secrets() map[string]string { return map[string]string{"token": suiteToken} }

func (f suiteFake) Answer(status int, header http.Header, body string) {
	f.Enqueue(platformfake.Response{Status: status, Header: header, Body: body})
}

func (f suiteFake) Accepted() int { return f.Count() }

func (f suiteFake) Problems() []string { return f.Violations() }

func (f suiteFake) ErrorBody(message string) string {
	return Error(http.StatusUnprocessableEntity, "parameter_invalid", message).Body
}
