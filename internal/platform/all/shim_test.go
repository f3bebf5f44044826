package all

import (
	"net/http"
	"slices"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/intercom"
	"github.com/supportops/autoresponder/internal/platform/payload"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
)

// The intake tests of both platforms were written against one function
// per step, taking the source kind; these are those functions over the
// registry, so that the tests read as before.

var registry = Registry()

// Names the tests use.
type (
	BadRequestError = payload.BadRequestError
	SignatureError  = platform.SignatureError
)

var ErrBadSignature = platform.ErrBadSignature

const (
	MaxDepth                   = payload.MaxDepth
	TopicPing                  = intercom.TopicPing
	HookTicketOpen             = whmcs.HookTicketOpen
	HookTicketOpenAdmin        = whmcs.HookTicketOpenAdmin
	HookTicketUserReply        = whmcs.HookTicketUserReply
	HookTicketAdminReply       = whmcs.HookTicketAdminReply
	HookTicketAddNote          = whmcs.HookTicketAddNote
	HookTicketStatusChange     = whmcs.HookTicketStatusChange
	HookTicketClose            = whmcs.HookTicketClose
	HookTicketPriorityChange   = whmcs.HookTicketPriorityChange
	HookTicketDepartmentChange = whmcs.HookTicketDepartmentChange
)

var (
	errIntercomFormat = &SignatureError{Reason: intercom.HeaderSignature + ` must be "sha1=" and 40 lowercase hex digits`}
	errWHMCSFormat    = &SignatureError{Reason: whmcs.HeaderSignature + ` must be "sha256=" and 64 lowercase hex digits`}
)

func lookup(kind string) (platform.Platform, bool) { return registry.Lookup(kind) }

// Parse normalises a delivery of a source of kind, unverified.
func Parse(kind, source string, body []byte, at time.Time) (*event.Event, error) {
	p, ok := lookup(kind)
	if !ok {
		return nil, errUnknownKind(kind)
	}
	return platform.Parse(p, source, &platform.Delivery{Body: body, Now: at}, at)
}

// Verify checks a delivery's signature for a source of kind.
func Verify(kind string, secret, body []byte, header http.Header) error {
	p, ok := lookup(kind)
	if !ok {
		return errUnknownKind(kind)
	}
	return p.Verify(&platform.Delivery{Header: header, Body: body, Secret: secret, Now: time.Now()})
}

// Sign is the signature header value of kind on body ("" for an unknown
// kind).
func Sign(kind string, secret, body []byte) string {
	p, ok := lookup(kind)
	if !ok {
		return ""
	}
	for _, v := range p.Sign(secret, body, time.Now(), nil) {
		return v[0]
	}
	return ""
}

// SignatureHeader names kind's signature header ("" for an unknown kind).
func SignatureHeader(kind string) string {
	p, ok := lookup(kind)
	if !ok {
		return ""
	}
	for k := range p.Sign([]byte("x"), nil, time.Now(), nil) {
		return k
	}
	return ""
}

type unknownKindError string

func (e unknownKindError) Error() string { return "unknown source kind " + string(e) }

func errUnknownKind(kind string) error { return unknownKindError(kind) }

// topicNames lists the topics a kind's Spec declares.
func topicNames(kind string) []string {
	p, ok := lookup(kind)
	if !ok {
		return nil
	}
	var out []string
	for _, t := range p.Spec().Topics {
		out = append(out, t.Name)
	}
	return out
}

// knownTopic reports whether a source of kind sends topic.
func knownTopic(kind, topic string) bool { return slices.Contains(topicNames(kind), topic) }
