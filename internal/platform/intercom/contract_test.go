package intercom_test

import (
	"testing"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
)

func TestContract(t *testing.T) { platformtest.Run(t, intercomfake.Suite()) }
