package intercom_test

import (
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform/intercom"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/replier"
)

// TestIntercomTokenNeverLeaks: whatever Intercom (or a proxy in front of
// it) echoes back, in a body, a header or a redirect, and however the
// send fails, the access token stays out of the error.
func TestIntercomTokenNeverLeaks(t *testing.T) {
	const token = "leak-canary-0d9f8e7c6b5a"
	platformtest.SecretsNeverLeak(t, platformtest.LeakCheck{
		New: func(t *testing.T, baseURL string, timeout time.Duration) replier.Replier {
			r, err := intercom.NewReplier(intercom.Config{BaseURL: baseURL, Token: token, AdminID: "1", Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
		Secrets: []string{token},
		Request: replier.Request{As: replier.AsComment, Target: event.Target{Type: event.TargetConversation, ID: "1"}, Body: "x"},
	})
}
