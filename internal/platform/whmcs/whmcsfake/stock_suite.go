package whmcsfake

import (
	"testing"

	"github.com/supportops/autoresponder/internal/platform/platformtest"
)

// StockSuite describes WHMCS with replies through the stock External API
// (api: whmcs) to the contract. Intake is the same hook file as Suite's,
// so the signatures, examples and loop guard are Suite's; every capability
// row, status and rate-limit header goes to the Stock fake, with a sender,
// status and custom field id a fresh installation accepts (StockSample).
func StockSuite() platformtest.Suite {
	s := Suite()
	s.NewFake = func(t *testing.T) platformtest.Fake { return NewStock(t) }
	s.Sample = StockSample
	return s
}

var _ platformtest.Fake = (*Stock)(nil)
