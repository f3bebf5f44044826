package whmcs_test

import (
	"testing"

	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
)

// TestContract runs the contract once per API replies can go through: the
// reseller API (api: keliweb, the default) and WHMCS's own External API
// (api: whmcs). Both share the capability table, so both must take every
// row of it.
func TestContract(t *testing.T) {
	t.Run("api: keliweb", func(t *testing.T) { platformtest.Run(t, whmcsfake.Suite()) })
	t.Run("api: whmcs", func(t *testing.T) { platformtest.Run(t, whmcsfake.StockSuite()) })
}
