package zendesk_test

import (
	"testing"

	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/zendesk/zendeskfake"
)

func TestContract(t *testing.T) {
	platformtest.Run(t, zendeskfake.Suite())
}
