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
// The hook file's deliveries are the bot's own format, so the examples are
// the bodies it sends.
func Suite() platformtest.Suite {
	ticket := func(id string) event.Target { return event.Target{Type: event.TargetTicket, ID: id} }
	return platformtest.Suite{
		Platform: whmcs.New(),
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
