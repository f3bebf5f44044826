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
