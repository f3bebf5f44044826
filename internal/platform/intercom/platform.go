// Package intercom is everything the bot knows about Intercom: the
// signature of its webhooks, its notification payloads, how to tell the
// bot's own and other bots' messages apart, what it can post and how.
package intercom

import (
	"crypto/sha1"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/hexsig"
	"github.com/supportops/autoresponder/internal/replier"
)

// Kind is the platform's name in the rules file.
const Kind = "intercom"

// HeaderSignature is "sha1=" and 40 lowercase hex digits of the HMAC-SHA1
// of the body, keyed by the app's client secret.
const HeaderSignature = "X-Hub-Signature"

// Platform is Intercom. It is stateless; build it with New.
type Platform struct {
	spec *platform.Spec
	// Scheme is Verify and Sign: Intercom signs the body alone.
	*hexsig.Scheme
}

var _ platform.Platform = (*Platform)(nil)

// New returns the Intercom platform.
func New() *Platform {
	return &Platform{
		spec:   newSpec(),
		Scheme: hexsig.New(HeaderSignature, "sha1=", sha1.New, `"sha1=" and 40 lowercase hex digits`),
	}
}

// Spec implements platform.Platform.
func (p *Platform) Spec() *platform.Spec { return p.spec }

// Identity implements platform.Platform: the bot posts as its admin.
func (*Platform) Identity(a *platform.Account) platform.Identity {
	if id := a.Settings.Get(settingAdminID); id != "" {
		return platform.Identity{IDs: []string{id}}
	}
	return platform.Identity{}
}

// LoopGuard implements platform.Platform: Fin's operator replies, the
// bot's own admin's messages and actions (a close, assignment or snooze is
// a conversation part it authored; a ticket change is a ticket part it
// authored) and other bots' messages never reach ordinary rules.
func (*Platform) LoopGuard(ev *event.Event, self []platform.Identity) string {
	if ev.Topic == TopicOperatorReplied {
		return platform.IgnoredOperator
	}
	if ev.Message == nil {
		if typ, id := ticketActor(ev); typ == "admin" && isSelf(id, self) {
			return platform.IgnoredOwnReply
		}
		return ""
	}
	a := ev.Message.Author
	if a.Type == "admin" && isSelf(a.ID, self) {
		return platform.IgnoredOwnReply
	}
	// Fin creates tickets on a customer's behalf: a bot-authored part on
	// ticket.created is the customer's request, not a bot talking.
	if a.Type == "bot" && ev.Topic != TopicTicketCreated {
		return platform.IgnoredBotAuthor
	}
	return ""
}

// isSelf reports whether an admin id is one of the bot's own.
func isSelf(id string, self []platform.Identity) bool {
	if id == "" {
		return false
	}
	for _, s := range self {
		if slices.Contains(s.IDs, id) {
			return true
		}
	}
	return false
}

// BodyFormat implements platform.Platform: Intercom bodies are HTML.
func (*Platform) BodyFormat(string, map[string]bool) platform.Format { return platform.FormatHTML }

// quickReplyNamespace derives stable quick-reply uuids from the event and
// rule, so a retried or replayed request carries the same buttons.
var quickReplyNamespace = uuid.MustParse("6f1c1b0e-9a57-4d6b-9a39-2b1f3d0e7c11")

// Prepare implements platform.Platform: it gives every quick-reply option
// a uuid derived from seed (source/event id/rule) and its position.
func (*Platform) Prepare(req *replier.Request, seed string) {
	opts := req.List(FieldOptions)
	if len(opts) == 0 {
		return
	}
	ids := make([]string, len(opts))
	for i := range opts {
		ids[i] = uuid.NewSHA1(quickReplyNamespace, fmt.Appendf(nil, "%s/%d", seed, i)).String()
	}
	req.Set(FieldOptionUUIDs, replier.Value{List: ids})
}

// ValidateSource implements platform.Platform: nothing beyond the table.
func (*Platform) ValidateSource(*platform.Settings) []platform.Problem { return nil }

// ValidateAccount implements platform.Platform.
func (*Platform) ValidateAccount(s *platform.Settings) []platform.Problem {
	if v := s.Get(settingAPIVersion); strings.ContainsFunc(v, isControlOrSpace) {
		return []platform.Problem{{Path: []string{settingAPIVersion}, Message: fmt.Sprintf("api_version %q contains whitespace or control characters", v)}}
	}
	return nil
}

// ValidateReply implements platform.Platform: "last" (the contact's last
// conversation) is a target only a contact reply can name.
func (*Platform) ValidateReply(r *platform.ReplyView) []platform.Problem {
	if r.ToID == "last" && (r.As != AsContactReply || r.ToType != event.TargetConversation) {
		return []platform.Problem{{Path: []string{"to", "id"}, Message: `reply.to.id "last" only works for a contact_reply to a conversation`}}
	}
	return nil
}

// NewReplier implements platform.Platform.
func (*Platform) NewReplier(a *platform.Account) (replier.Replier, error) {
	token, err := a.Secret(settingToken)
	if err != nil {
		return nil, fmt.Errorf("intercom %q: %w", a.Name, err)
	}
	return NewReplier(Config{
		Name: a.Name, BaseURL: a.BaseURL, Token: string(token),
		APIVersion: a.Settings.Get(settingAPIVersion), AdminID: a.Settings.Get(settingAdminID),
		Timeout: a.Timeout, HTTPClient: a.Client, Now: a.Now,
	})
}

func isControlOrSpace(r rune) bool { return r <= ' ' || r == 0x7f }
