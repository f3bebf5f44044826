package app

import (
	"bytes"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/rules"
	"github.com/supportops/autoresponder/internal/webhook"
)

// The store keeps the body as received: key order, spacing and number
// text intact (it used to be re-encoded from the parsed document, with the
// encoding error ignored).
func TestIntakeKeepsTheRawBody(t *testing.T) {
	body := []byte(`{"vars": {"ticketid": 9007199254740993, "subject": "Help"}, "id": "TicketOpen-raw",` +
		` "event": "TicketOpen", "occurred_at": "2026-01-15T10:00:00Z", "ratio": 1.50}`)
	ev, err := webhook.Parse(event.KindWHMCS, "whmcs", body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	in := intakeOf(ev, rules.Evaluation{}, nil)
	if !bytes.Equal(in.Payload, body) {
		t.Errorf("stored payload\n got %s\nwant %s", in.Payload, body)
	}
}
