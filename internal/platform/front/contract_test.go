package front_test

import (
	"testing"

	"github.com/supportops/autoresponder/internal/platform/front/frontfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
)

func TestContractAppWebhooks(t *testing.T) { platformtest.Run(t, frontfake.Suite()) }

func TestContractRuleWebhooks(t *testing.T) { platformtest.Run(t, frontfake.RuleSuite()) }
