package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/all"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// payloadSet is everything loadgen knows about one platform: the
// deliveries it sends, the rules that do (and do not) match them, and the
// strict fake of the platform's API that the bot replies to. The harness,
// the drivers, the baseline and the report only talk to this interface
// and to the platform's own Verify and Sign (internal/platform), so adding
// another platform's payloads is one file implementing it and one line in
// payloadSets.
type payloadSet interface {
	// Kind is the platform kind in internal/platform/all: it verifies,
	// signs and parses the deliveries.
	Kind() string
	// Templates returns the delivery templates, deterministic for seed.
	// One in 20 carries a hit feature (template.hit, one of HitKinds in
	// turn), so that the hit rules match about 5 % of events; a few are
	// the bot's own replies coming back (template.echo).
	Templates(seed uint64) ([]*template, error)
	// HitKinds names the hit features, one hit rule each.
	HitKinds() []string
	// HitRule is the rule matching events that carry hit feature kind;
	// with noMatch it does the same work but asks for a value no event
	// has.
	HitRule(kind string, noMatch bool) (name, when string)
	// OrdinaryRule is non-hit rule i: conditions these payloads never
	// satisfy, in a realistic mix of operators; extra is YAML added to
	// the rule (cooldown, once...), indented by the caller.
	OrdinaryRule(i int) (name, when, extra string)
	// PlatformSettings are the platform section's settings besides kind,
	// base_url and token_env (API version, the bot's identity).
	PlatformSettings() [][2]string
	// NewFake starts a strict fake of the platform's reply API that
	// accepts token; Close it when done. It keeps counters only.
	NewFake(token string) *platformfake.Server
}

// payloadSets are the payload sets --payloads chooses from; the first is
// the default. A platform's set is added here.
func payloadSets() []payloadSet { return []payloadSet{intercomPayloads{}} }

// lookupPayloads finds a payload set by its platform kind.
func lookupPayloads(kind string) (payloadSet, error) {
	var names []string
	for _, s := range payloadSets() {
		if s.Kind() == kind {
			return s, nil
		}
		names = append(names, s.Kind())
	}
	return nil, fmt.Errorf("--payloads: no payload set %q (have %s)", kind, strings.Join(names, ", "))
}

// platformOf is the registry's implementation of a set's platform.
func platformOf(s payloadSet) (platform.Platform, error) {
	p, ok := all.Registry().Lookup(s.Kind())
	if !ok {
		return nil, fmt.Errorf("payload set %q: no such platform in the registry", s.Kind())
	}
	return p, nil
}

// idSentinel marks the event id while a template is marshalled.
const idSentinel = "LOADGEN-EVENT-ID"

// idLen is the length of an event id: "notif_" and a UUID-shaped string
// whose last group is the event number (see pool.appendID).
const idLen = len("notif_") + 36

// template is one delivery with a hole where the event id goes. Event i
// of a run is template i % len(templates) with its own id, so a run sends
// hundreds of thousands of distinct deliveries from a few megabytes of
// templates.
type template struct {
	prefix, suffix []byte
	topic          string
	target         string // conversation or ticket id
	hit            string // the hit feature it carries, or ""
	echo           bool   // written by the bot itself: the loop guard ignores it
}

// size is the length of the delivery with an id.
func (t *template) size() int { return len(t.prefix) + idLen + len(t.suffix) }

// body returns the whole delivery with the given id (for signing, tests
// and the in-process prediction; the load drivers never copy bodies).
func (t *template) body(id string) []byte {
	return t.appendBody(make([]byte, 0, t.size()), id)
}

func (t *template) appendBody(b []byte, id string) []byte {
	b = append(b, t.prefix...)
	b = append(b, id...)
	return append(b, t.suffix...)
}

// cutTemplate splits a marshalled delivery at the quoted id sentinel,
// which must occur exactly once.
func cutTemplate(b []byte, topic, target, hit string, echo bool) (*template, error) {
	quoted := []byte(`"` + idSentinel + `"`)
	i := bytes.Index(b, quoted)
	if i < 0 || bytes.Count(b, quoted) != 1 {
		return nil, fmt.Errorf("id sentinel not found exactly once")
	}
	return &template{
		prefix: append([]byte(nil), b[:i+1]...), suffix: append([]byte(nil), b[i+len(quoted)-1:]...),
		topic: topic, target: target, hit: hit, echo: echo,
	}, nil
}
