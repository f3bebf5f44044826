package rules

import (
	"testing"

	"github.com/supportops/autoresponder/internal/event"
)

// TestFallbackOnEmptyField: a field the event lacks is empty, not nil, so
// `??` falls back on empty values too; otherwise the fallback the rule's
// author wrote never shows and the reply reads "Your ticket number is .".
func TestFallbackOnEmptyField(t *testing.T) {
	rs := mustLoad(t, header+`  - name: ack
    source: whmcs
    when: (ticket.number ?? "none") == "none"
    reply: {as: note, body: "number {{ ticket.number ?? ('#' + ticket.id) }}, {{ contact?.id ?? 'guest' }}, {{ item.x ?? 'no x' }}, {{ ticket.priority ?? 'normal' }}"}
`)
	ev := &event.Event{
		Source: "whmcs", Kind: "whmcs", Topic: "TicketOpen", ID: "e1",
		Target: event.Target{Type: event.TargetTicket, ID: "2203"},
		Ticket: &event.Ticket{ID: "2203", Priority: "High"},
		Item:   map[string]any{"x": ""},
	}
	got := rs.Evaluate(ev)
	if len(got.Matches) != 1 || got.Matches[0].Err != nil {
		t.Fatalf("matches = %+v, errors %+v; want the rule, rendered", got.Matches, got.Errors)
	}
	if body, want := got.Matches[0].Request.Body, "number #2203, guest, no x, High"; body != want {
		t.Errorf("body = %q; want %q", body, want)
	}
}
