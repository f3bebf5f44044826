package app

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/replier"
	"github.com/supportops/autoresponder/internal/rules"
)

// The store keeps the body as received: key order, spacing and number
// text intact (it used to be re-encoded from the parsed document, with the
// encoding error ignored).
func TestIntakeKeepsTheRawBody(t *testing.T) {
	body := []byte(`{"vars": {"ticketid": 9007199254740993, "subject": "Help"}, "id": "TicketOpen-raw",` +
		` "event": "TicketOpen", "occurred_at": "2026-01-15T10:00:00Z", "ratio": 1.50}`)
	ev, err := parse("whmcs", "whmcs", body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	in := intakeOf(ev, rules.Evaluation{}, nil)
	if !bytes.Equal(in.Payload, body) {
		t.Errorf("stored payload\n got %s\nwant %s", in.Payload, body)
	}
}

// Every value of an action that lands in an indexed column is bounded:
// the target id, the target key and the once/cooldown claim key (which a
// rule keys by contact email, customer text).
func TestKeysTooLong(t *testing.T) {
	long := strings.Repeat("k", event.MaxIDBytes+1)
	ok := strings.Repeat("k", event.MaxIDBytes)
	tests := []struct {
		name, targetID, targetKey, claimKey string
		want                                string // part of the error; "" for none
	}{
		{"all within", ok, ok, ok, ""},
		{"target id", long, "intercom:conversation:1", "k", "target id is 1025 bytes, longer than the 1024"},
		{"target key", "1", long, "k", "target key is 1025 bytes"},
		{"claim key (contact email)", "1", "k", "contact-email:intercom:" + long, "claim key is 1048 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &queue.Action{Request: &replier.Request{Target: event.Target{Type: "conversation", ID: tt.targetID}},
				TargetKey: tt.targetKey, ClaimKey: tt.claimKey}
			err := keysTooLong(a)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}
