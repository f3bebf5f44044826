// Package whmcs is everything the bot knows about WHMCS: the deliveries of
// the shipped PHP hook file (integrations/whmcs), how to tell the bot's own
// replies apart, what it can post, and the clients of the two APIs that
// post it: a reseller front-end's (api: keliweb, the default) and WHMCS's
// own External API (api: whmcs).
package whmcs

import (
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/hexsig"
	"github.com/supportops/autoresponder/internal/replier"
)

// Kind is the platform's name in the rules file.
const Kind = "whmcs"

// HeaderSignature is "sha256=" and 64 lowercase hex digits of the
// HMAC-SHA256 of the body, keyed by the shared secret.
const HeaderSignature = "X-Signature"

// Platform is WHMCS. It is stateless; build it with New.
type Platform struct {
	spec *platform.Spec
	// Scheme is Verify and Sign: the hook file signs the body alone.
	*hexsig.Scheme
}

var _ platform.Platform = (*Platform)(nil)

// New returns the WHMCS platform.
func New() *Platform {
	return &Platform{
		spec:   newSpec(),
		Scheme: hexsig.New(HeaderSignature, "sha256=", sha256.New, `"sha256=" and 64 lowercase hex digits`),
	}
}

// Spec implements platform.Platform.
func (p *Platform) Spec() *platform.Spec { return p.spec }

func (p *Platform) knownTopic(topic string) bool {
	return slices.ContainsFunc(p.spec.Topics, func(t platform.Topic) bool { return t.Name == topic })
}

// Identity implements platform.Platform: WHMCS reports a note's author by
// admin id and an admin reply's by name (TicketAdminReply's "admin").
func (*Platform) Identity(a *platform.Account) platform.Identity {
	var id platform.Identity
	if v := a.Settings.Get(settingAdminID); v != "" {
		id.IDs = []string{v}
	}
	if v := a.Settings.Get(settingAdminName); v != "" {
		id.Names = []string{v}
	}
	return id
}

// LoopGuard implements platform.Platform: replies and notes by the bot's
// own admin never reach ordinary rules, nor do status changes it made
// (TicketStatusChange names the admin who changed it).
func (*Platform) LoopGuard(ev *event.Event, self []platform.Identity) string {
	if ev.Topic == HookTicketStatusChange {
		return statusChangeGuard(ev, self)
	}
	if ev.Message == nil {
		return ""
	}
	a := ev.Message.Author
	if a.Type != "admin" {
		return ""
	}
	for _, id := range self {
		if (a.ID != "" && slices.Contains(id.IDs, a.ID)) || (a.Name != "" && slices.Contains(id.Names, a.Name)) {
			return platform.IgnoredOwnReply
		}
	}
	return ""
}

// BodyFormat implements platform.Platform: plain text, or Markdown when
// the reply says markdown: true.
func (*Platform) BodyFormat(_ string, flags map[string]bool) platform.Format {
	if flags[FieldMarkdown] {
		return platform.FormatMarkdown
	}
	return platform.FormatText
}

// Prepare implements platform.Platform: nothing to derive.
func (*Platform) Prepare(*replier.Request, string) {}

// ValidateSource implements platform.Platform: nothing beyond the table.
func (*Platform) ValidateSource(*platform.Settings) []platform.Problem { return nil }

// ValidateAccount implements platform.Platform: each API has its own
// credentials.
func (*Platform) ValidateAccount(s *platform.Settings) []platform.Problem {
	var ps []platform.Problem
	switch s.Get(settingAPI) {
	case APIKeliweb:
		if !s.Secrets[settingToken] {
			ps = append(ps, platform.Problem{Message: "exactly one of token_env and token_file is required (tokens never go in this file)"})
		}
		for _, k := range []string{settingIdentifier, settingSecret, settingAccessKey} {
			if s.Secrets[k] {
				ps = append(ps, platform.Problem{Path: []string{k + "_env"}, Message: k + " only applies to api: whmcs"})
			}
		}
		if s.Has(settingAdminUser) {
			ps = append(ps, platform.Problem{Path: []string{settingAdminUser}, Message: "admin_username only applies to api: whmcs"})
		}
	case APIStock:
		for _, k := range []string{settingIdentifier, settingSecret} {
			if !s.Secrets[k] {
				ps = append(ps, platform.Problem{Message: fmt.Sprintf("api: whmcs needs exactly one of %s_env and %s_file (secrets never go in this file)", k, k)})
			}
		}
		if s.Get(settingAdminUser) == "" {
			ps = append(ps, platform.Problem{Message: "api: whmcs needs admin_username (WHMCS refuses a reply that names no admin, client or sender)"})
		}
		if s.Secrets[settingToken] {
			ps = append(ps, platform.Problem{Path: []string{settingToken + "_env"}, Message: "token only applies to api: keliweb"})
		}
	}
	return ps
}

// ValidateReply implements platform.Platform: WHMCS tickets are numbered;
// "last" names no ticket. WHMCS's own API takes custom fields by their
// numeric id only (the api: whmcs client refuses other keys). A from
// object the account's API refuses whatever the event is refused here
// (fromProblems); one that depends on the event is checked on sending.
func (*Platform) ValidateReply(r *platform.ReplyView) []platform.Problem {
	ps := fromProblems(r)
	if r.ToID == "last" {
		ps = append(ps, platform.Problem{Path: []string{"to", "id"}, Message: `reply.to.id "last" only works for a contact_reply to a conversation`})
	}
	if r.Account.Get(settingAPI) == APIStock {
		for _, k := range r.Keys[FieldCustomFields] {
			if !stockIsCustomFieldID(k) {
				ps = append(ps, platform.Problem{Path: []string{FieldCustomFields, k},
					Message: fmt.Sprintf("custom_fields key %q is not a custom field id (a whole number, as in Setup > Support > Custom Fields); api: whmcs takes ids only", k)})
			}
		}
	}
	return ps
}

// NewReplier implements platform.Platform.
func (*Platform) NewReplier(a *platform.Account) (replier.Replier, error) {
	switch api := a.Settings.Get(settingAPI); api {
	case APIKeliweb, "":
		token, err := a.Secret(settingToken)
		if err != nil {
			return nil, fmt.Errorf("whmcs %q: %w", a.Name, err)
		}
		return NewReplier(Config{Name: a.Name, BaseURL: a.BaseURL, Token: string(token), Timeout: a.Timeout, HTTPClient: a.Client, Now: a.Now})
	case APIStock:
		return newStockReplier(a)
	default:
		return nil, fmt.Errorf("whmcs %q: unknown api %q", a.Name, api)
	}
}
