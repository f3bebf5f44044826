package whmcsfake

import (
	"net/http"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
	"github.com/supportops/autoresponder/internal/replier"
)

// suiteToken is the reseller API token of the contract's account.
const suiteToken = "contract-whmcs-token-7c2d"

// Suite describes WHMCS (the hook file and the reseller API, api: keliweb)
// to the contract every platform runs (internal/platform/platformtest).
// Its platform is WHMCS as an api: keliweb account sees it: with no action
// rows, since the reseller API documents no ticket update.
// The hook file's deliveries are the bot's own format, so the examples are
// the bodies it sends.
func Suite() platformtest.Suite {
	ticket := func(id string) event.Target { return event.Target{Type: event.TargetTicket, ID: id} }
	return platformtest.Suite{
		Platform: keliwebView(),
		Examples: []platformtest.Example{
			{Body: []byte(`{"event":"TicketUserReply","id":"TicketUserReply-1042-9001","occurred_at":"2026-01-15T10:10:00+01:00",` +
				`"vars":{"ticketid":1042,"replyid":9001,"userid":17,"deptid":2,"deptname":"Billing","subject":"Refund for invoice #5531",` +
				`"message":"Any news? It&#039;s been a day.","priority":"Medium","status":"Customer-Reply"}}`),
				Want: platformtest.Want{Topic: "TicketUserReply", Target: ticket("1042"), MessageText: "Any news? It's been a day.",
					AuthorType: "client", ContactID: "17", TicketStatus: "Customer-Reply"}},
			{Body: []byte(`{"event":"TicketOpen","id":"TicketOpen-5014-1","occurred_at":"2026-01-15T10:00:00Z",` +
				`"vars":{"ticketid":"5014","ticketmask":"ABC-123","userid":"0","subject":"Help","message":"Hello"}}`),
				Want: platformtest.Want{Topic: "TicketOpen", Target: ticket("5014"), MessageText: "Hello", AuthorType: "client"}},
		},
		OwnPost: platformtest.OwnPost{
			Body: []byte(`{"event":"TicketAdminReply","id":"TicketAdminReply-1042-9002","occurred_at":"2026-01-15T10:20:00Z",` +
				`"vars":{"ticketid":1042,"replyid":9002,"message":"The refund is on its way.","admin":"Support Bot","status":"Answered"}}`),
			Account: map[string]string{"admin_name": "Support Bot"},
		},
		BotActions: BotActions(),
		NewFake: func(t *testing.T) platformtest.Fake {
			f := New(Options{Token: suiteToken})
			t.Cleanup(f.Close)
			return suiteFake{f}
		},
		Sample: func(row platform.Capability, req *replier.Request) {
			if _, ok := req.Fields[whmcs.FieldFrom]; ok {
				req.Set(whmcs.FieldFrom, replier.Value{Map: map[string]string{"client_id": "7", "name": "Support Bot"}})
			}
			if _, ok := req.Fields[whmcs.FieldStatus]; ok {
				req.Set(whmcs.FieldStatus, replier.Value{Text: "Answered"})
			}
		},
		TargetID:        "1042",
		RateLimitHeader: http.Header{"X-Ratelimit-Limit": {"100"}, "X-Ratelimit-Remaining": {"5"}},
	}
}

// suiteFake is the fake as the contract drives it.
type suiteFake struct{ *Fake }

func (f suiteFake) BaseURL() string { return f.URL() }

func (f suiteFake) Settings() map[string]string { return map[string]string{"api": whmcs.APIKeliweb} }

func (f suiteFake) Secrets() map[string]string { return map[string]string{"token": suiteToken} }

func (f suiteFake) Answer(status int, header http.Header, body string) {
	f.Enqueue(platformfake.Response{Status: status, Header: header, Body: body})
}

func (f suiteFake) Accepted() int { return f.Count() }

func (f suiteFake) Problems() []string { return f.Violations() }

func (f suiteFake) ErrorBody(message string) string { return Error(http.StatusOK, message).Body }

// keliwebPlatform is WHMCS with the Spec an api: keliweb account sees.
type keliwebPlatform struct {
	*whmcs.Platform
	spec *platform.Spec
}

func keliwebView() platform.Platform {
	p := whmcs.New()
	return keliwebPlatform{Platform: p, spec: p.AccountSpec(whmcs.APIKeliweb)}
}

// Spec is the api: keliweb account's Spec.
func (k keliwebPlatform) Spec() *platform.Spec { return k.spec }

// BotActions are hook deliveries reporting an action the bot's own admin
// (admin_id 7) took. Only TicketStatusChange names who acted: TicketClose,
// TicketPriorityChange and TicketDepartmentChange carry no admin, so the
// bot's own priority, department and close changes cannot be withheld
// (a documented limitation, not listed here).
func BotActions() []platformtest.OwnPost {
	bot := map[string]string{"admin_id": "7", "admin_name": "Support Bot"}
	return []platformtest.OwnPost{
		{Body: []byte(`{"event":"TicketStatusChange","id":"TicketStatusChange-1042-0a9b8c7d6e5f4a3b","occurred_at":"2026-01-15T10:30:00Z",` +
			`"vars":{"adminid":7,"status":"Closed","ticketid":1042}}`), Account: bot},
		{Body: []byte(`{"event":"TicketStatusChange","id":"TicketStatusChange-1042-1b2c3d4e5f6a7b8c","occurred_at":"2026-01-15T10:31:00Z",` +
			`"vars":{"adminid":"7","status":"On Hold","ticketid":"1042"}}`), Account: bot},
	}
}
