package e2e

import (
	"testing"

	"github.com/supportops/autoresponder/internal/testpg"
)

// TestMain says once when the PostgreSQL tests of this package are skipped.
func TestMain(m *testing.M) { testpg.Main(m) }
