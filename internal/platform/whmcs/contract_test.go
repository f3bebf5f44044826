package whmcs_test

import (
	"testing"

	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
)

func TestContract(t *testing.T) { platformtest.Run(t, whmcsfake.Suite()) }
