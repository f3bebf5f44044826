package ruletest

import "github.com/supportops/autoresponder/internal/platform/all"

var testRegistry = all.Registry()
