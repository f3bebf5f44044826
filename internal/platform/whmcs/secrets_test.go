package whmcs_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
	"github.com/supportops/autoresponder/internal/replier"
)

var leakRequest = replier.Request{As: replier.AsComment, Target: event.Target{Type: event.TargetTicket, ID: "1"}, Body: "x"}

// TestWHMCSTokenNeverLeaks: whatever the reseller API (api: keliweb), or a
// proxy in front of it, echoes back, in a body, a header or a redirect,
// and however the send fails, the token stays out of the error.
func TestWHMCSTokenNeverLeaks(t *testing.T) {
	const token = "leak-canary-0d9f8e7c6b5a"
	platformtest.SecretsNeverLeak(t, platformtest.LeakCheck{
		New: func(t *testing.T, baseURL string, timeout time.Duration) replier.Replier {
			r, err := whmcs.NewReplier(whmcs.Config{BaseURL: baseURL, Token: token, Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
		Secrets: []string{token},
		Request: leakRequest,
	})
}

// TestStockCredentialsNeverLeak is the same for WHMCS's own API (api:
// whmcs), whose credentials travel form-encoded in the body: neither
// spelling of the identifier, the secret or the access key reaches an
// error.
func TestStockCredentialsNeverLeak(t *testing.T) {
	secrets := map[string]string{
		"identifier": whmcsfake.StockIdentifier, "secret": whmcsfake.StockSecret, "accesskey": whmcsfake.StockAccessKey,
	}
	var spellings []string
	for _, s := range []string{whmcsfake.StockSecret, whmcsfake.StockIdentifier, whmcsfake.StockAccessKey} {
		spellings = append(spellings, s, url.QueryEscape(s))
	}
	platformtest.SecretsNeverLeak(t, platformtest.LeakCheck{
		New: func(t *testing.T, baseURL string, timeout time.Duration) replier.Replier {
			set := &platform.Settings{
				Values:  map[string]string{"api": whmcs.APIStock, "admin_username": whmcsfake.StockAdmin},
				Secrets: map[string]bool{"identifier": true, "secret": true, "accesskey": true},
			}
			r, err := whmcs.NewStockReplier(&platform.Account{
				Name: "billing", BaseURL: baseURL, Settings: set, Timeout: timeout, Now: time.Now,
				Secret: func(key string) ([]byte, error) { return []byte(secrets[key]), nil },
			})
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
		Secrets: spellings,
		Request: leakRequest,
	})
}
