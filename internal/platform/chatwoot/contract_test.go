package chatwoot_test

import (
	"testing"

	"github.com/supportops/autoresponder/internal/platform/chatwoot/chatwootfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
)

func TestContract(t *testing.T) {
	platformtest.Run(t, chatwootfake.Suite())
}
