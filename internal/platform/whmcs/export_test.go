package whmcs

import "github.com/supportops/autoresponder/internal/platform/httpapi"

// ReplyURLOf is where a replier posts comments, for the external tests.
func ReplyURLOf(r *Replier) string {
	u, _ := httpapi.EndpointURL(r.base, replyPath)
	return u
}

// The stock API's client, for the external tests.
var (
	NewStockReplier   = newStockReplier
	StockCapabilities = stockCapabilities
)

type StockReplier = stockReplier

// The form builders of both APIs, for the external tests: what the
// repliers refuse before sending anything.
var (
	StockForm   = stockForm
	KeliwebForm = form
)
