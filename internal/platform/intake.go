package platform

import (
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// Parse turns one delivery to a source of platform p into an event: the
// generic decoding (UTF-8, depth, exact numbers; see payload.Decode), then
// the platform's Build. It does not verify the delivery (see Verify). A
// body that cannot be an event is a *payload.BadRequestError.
func Parse(p Platform, source string, d *Delivery, receivedAt time.Time) (*event.Event, error) {
	root, err := payload.Decode(d.Body)
	if err != nil {
		return nil, err
	}
	spec := p.Spec()
	ev := &event.Event{Source: source, Kind: spec.Name, ReceivedAt: receivedAt, Payload: root, Raw: d.Body}
	if err := p.Build(ev, root, d); err != nil {
		return nil, err
	}
	headers, err := keptHeaders(spec.EventHeaders, d.Header)
	if err != nil {
		return nil, err
	}
	ev.Headers = headers
	return ev, nil
}

// IsPing reports whether ev's topic is one of p's subscription checks.
func IsPing(p Platform, ev *event.Event) bool {
	for _, t := range p.Spec().Topics {
		if t.Ping && t.Name == ev.Topic {
			return true
		}
	}
	return false
}
