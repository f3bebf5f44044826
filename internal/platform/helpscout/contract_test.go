package helpscout_test

import (
	"testing"

	"github.com/supportops/autoresponder/internal/platform/helpscout/helpscoutfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
)

func TestContract(t *testing.T) {
	platformtest.Run(t, helpscoutfake.Suite())
}
