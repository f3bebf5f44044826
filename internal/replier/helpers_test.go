package replier

import (
	"context"
	"errors"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
)

const uuidYes = "a5e1c524-5ddd-4c3e-9328-6bca5d6e3edb"

func conv(id string) event.Target   { return event.Target{Type: event.TargetConversation, ID: id} }
func ticket(id string) event.Target { return event.Target{Type: event.TargetTicket, ID: id} }

func ctx(t *testing.T) context.Context { return t.Context() }

// wantError asserts err is an *Error with reason and retry.
func wantError(t *testing.T, err error, reason Reason, retry bool) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", reason)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not an *Error", err, err)
	}
	if e.Reason != reason || e.Retry != retry {
		t.Fatalf("got %s retry=%v (%v), want %s retry=%v", e.Reason, e.Retry, err, reason, retry)
	}
	return e
}
