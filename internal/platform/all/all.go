// Package all lists the platforms the bot is built with. main builds the
// registry once and passes it down; adding a platform is one line here.
package all

import (
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/chatwoot"
	"github.com/supportops/autoresponder/internal/platform/freshdesk"
	"github.com/supportops/autoresponder/internal/platform/front"
	"github.com/supportops/autoresponder/internal/platform/helpscout"
	"github.com/supportops/autoresponder/internal/platform/intercom"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
	"github.com/supportops/autoresponder/internal/platform/zendesk"
)

// Registry returns a registry of every platform, one line each.
func Registry() *platform.Registry {
	return platform.NewRegistry(
		chatwoot.New(),
		freshdesk.New(),
		front.New(),
		helpscout.New(),
		intercom.New(),
		whmcs.New(),
		zendesk.New(),
	)
}
