package platformtest

import (
	"errors"
	"testing"

	"github.com/supportops/autoresponder/internal/replier"
)

// WantError fails t unless err is a *replier.Error with reason and retry,
// and returns it for further checks (its message, its retry delay).
func WantError(t testing.TB, err error, reason replier.Reason, retry bool) *replier.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", reason)
	}
	var e *replier.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not a *replier.Error", err, err)
	}
	if e.Reason != reason || e.Retry != retry {
		t.Fatalf("got %s retry=%v (%v), want %s retry=%v", e.Reason, e.Retry, err, reason, retry)
	}
	return e
}
