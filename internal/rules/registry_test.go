package rules

import "github.com/supportops/autoresponder/internal/platform/all"

// testRegistry is every platform, as main builds it.
var testRegistry = all.Registry()
