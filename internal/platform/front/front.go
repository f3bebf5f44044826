// Package front is the Front platform (kind: front): rule and application
// webhooks in, replies and internal comments out through Front's Core API.
package front

import (
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
)

// Kind is the platform's name in the rules file.
const Kind = "front"

// DefaultBaseURL is Front's Core API host.
const DefaultBaseURL = "https://api2.frontapp.com"

// The two webhook kinds a source may receive (its "signing" setting).
const (
	// SigningApp is an application webhook: X-Front-Signature is the
	// base64 HMAC-SHA256 of "<X-Front-Request-Timestamp>:<body>", keyed
	// by the app's signing secret; the timestamp is in milliseconds.
	SigningApp = "app"
	// SigningRule is a rule webhook ("Send to a Webhook" rule action):
	// X-Front-Signature is the base64 HMAC-SHA1 of the body, keyed by the
	// company's API secret. It carries no timestamp.
	SigningRule = "rule"
)

// Platform is Front. It holds no state: Verify follows each source's
// signing setting, NewReplier builds one client per account.
type Platform struct{}

var (
	_ platform.Platform   = Platform{}
	_ platform.Challenger = Platform{}
)

// New returns the Front platform for the registry.
func New() platform.Platform { return Platform{} }

// Spec implements platform.Platform.
func (Platform) Spec() *platform.Spec { return &spec }

// Identity implements platform.Platform: the bot posts as the teammate of
// its account's teammate_id.
func (Platform) Identity(a *platform.Account) platform.Identity {
	if a == nil {
		return platform.Identity{}
	}
	id := a.Settings.Get(settingTeammateID)
	if id == "" {
		return platform.Identity{}
	}
	return platform.Identity{IDs: []string{id}}
}

// BodyFormat implements platform.Platform: a reply's body is HTML, a
// comment's body is Markdown (Front renders both).
func (Platform) BodyFormat(as string, _ map[string]bool) platform.Format {
	if as == platform.AsNote {
		return platform.FormatMarkdown
	}
	return platform.FormatHTML
}

// Prepare implements platform.Platform: nothing is derived per retry.
func (Platform) Prepare(*replier.Request, string) {}
