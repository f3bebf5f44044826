package whmcs

import (
	"errors"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
)

// newStockReplier builds the client of WHMCS's own External API (api:
// whmcs).
func newStockReplier(a *platform.Account) (replier.Replier, error) {
	return nil, errors.New("stock WHMCS API: not built yet")
}
