package whmcsfake

import (
	"testing"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
	"github.com/supportops/autoresponder/internal/replier"
)

// StockSuite describes WHMCS with replies through the stock External API
// (api: whmcs) to the contract. Intake is the same hook file as Suite's,
// so the signatures, examples and loop guard are Suite's; every capability
// row, status and rate-limit header goes to the Stock fake, with a sender,
// status and custom field id a fresh installation accepts (StockSample),
// and every action row goes to its UpdateTicket.
func StockSuite() platformtest.Suite {
	s := Suite()
	s.Platform = whmcs.New()
	s.NewFake = func(t *testing.T) platformtest.Fake { return NewStock(t) }
	s.Sample = StockSample
	s.ActionSample = StockActionSample
	return s
}

// StockActionSample fills an action request with values the fake
// accepts: set takes custom field ids, not names.
func StockActionSample(row platform.ActionCapability, req *replier.Request) {
	if row.Action == platform.ActionSet {
		req.Set(replier.FieldSet, replier.Value{Map: map[string]string{"1": "sample"}})
	}
}

var _ platformtest.Fake = (*Stock)(nil)
