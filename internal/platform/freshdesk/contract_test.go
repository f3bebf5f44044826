package freshdesk_test

import (
	"testing"

	"github.com/supportops/autoresponder/internal/platform/freshdesk/freshdeskfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
)

func TestContract(t *testing.T) {
	platformtest.Run(t, freshdeskfake.Suite())
}
