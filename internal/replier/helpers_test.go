package replier

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platformfake"
)

const (
	testToken   = "tok-SECRET-7f3a9c"
	testAdminID = "991267696"
	testVersion = "2.16"
	uuidYes     = "a5e1c524-5ddd-4c3e-9328-6bca5d6e3edb"
	uuidNo      = "f4a98af1-be56-4948-a57e-e1a83f8484c6"
)

// newIntercomPair starts a strict fake and a replier pointed at it; the
// test fails if the replier sent anything the fake found invalid.
func newIntercomPair(t *testing.T, opts platformfake.IntercomOptions, cfg IntercomConfig) (*platformfake.Intercom, *Intercom) {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	if opts.AdminID == "" {
		opts.AdminID = testAdminID
	}
	if opts.APIVersion == "" {
		opts.APIVersion = testVersion
	}
	fake := platformfake.NewIntercom(opts)
	t.Cleanup(func() {
		fake.AssertNoViolations(t)
		fake.Close()
	})
	cfg.BaseURL = fake.URL()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	if cfg.AdminID == "" {
		cfg.AdminID = testAdminID
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = testVersion
	}
	r, err := NewIntercom(cfg)
	if err != nil {
		t.Fatalf("NewIntercom: %v", err)
	}
	return fake, r
}

// newWHMCSPair is newIntercomPair for WHMCS.
func newWHMCSPair(t *testing.T, cfg WHMCSConfig) (*platformfake.WHMCS, *WHMCS) {
	t.Helper()
	fake := platformfake.NewWHMCS(platformfake.WHMCSOptions{Token: testToken})
	t.Cleanup(func() {
		fake.AssertNoViolations(t)
		fake.Close()
	})
	cfg.BaseURL = fake.URL()
	cfg.Token = testToken
	r, err := NewWHMCS(cfg)
	if err != nil {
		t.Fatalf("NewWHMCS: %v", err)
	}
	return fake, r
}

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

// stubServer answers every request with handler and counts hits.
type stubServer struct {
	*httptest.Server
	mu   sync.Mutex
	hits []*http.Request
}

func newStub(t *testing.T, handler http.HandlerFunc) *stubServer {
	t.Helper()
	s := &stubServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits = append(s.hits, r)
		s.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *stubServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.hits)
}

// sleepy holds the answer for d or until the client goes away.
func sleepy(d time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// Only once the body is read does net/http notice a client hanging up.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }
