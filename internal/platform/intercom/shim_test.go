package intercom_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/intercom"
	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/replier"
)

// The replier tests were written when a request carried Intercom's fields
// as struct fields; they pin the exact bodies sent, so they stay as they
// were and build the request the replier reads now.

const (
	testToken   = "tok-SECRET-7f3a9c"
	testAdminID = "991267696"
	testVersion = "2.16"
	uuidYes     = "a5e1c524-5ddd-4c3e-9328-6bca5d6e3edb"
	uuidNo      = "f4a98af1-be56-4948-a57e-e1a83f8484c6"
	AsComment   = platform.AsComment
	AsNote      = platform.AsNote
)

// Option is one quick-reply button.
type Option struct{ Text, UUID string }

// ContactRef names the contact of a contact_reply.
type ContactRef struct{ IntercomUserID, UserID, Email string }

// Request is a rendered reply in the tests' terms.
type Request struct {
	As                string
	Target            event.Target
	Body              string
	Options           []Option
	AttachmentURLs    []string
	Attachments       []replier.Attachment
	SkipNotifications bool
	CrossPost         bool
	Contact           *ContactRef
	// Fields of another platform, which Intercom must refuse.
	Markdown bool
	Status   string
}

func (q *Request) build() *replier.Request {
	if q == nil {
		return nil
	}
	r := &replier.Request{V: replier.RequestVersion, As: q.As, Target: q.Target, Body: q.Body, Attachments: q.Attachments}
	if q.Options != nil {
		var texts, ids []string
		for _, o := range q.Options {
			texts, ids = append(texts, o.Text), append(ids, o.UUID)
		}
		r.Set(intercom.FieldOptions, replier.Value{List: texts})
		r.Set(intercom.FieldOptionUUIDs, replier.Value{List: ids})
	}
	if q.AttachmentURLs != nil {
		r.Set(intercom.FieldAttachmentURLs, replier.Value{List: q.AttachmentURLs})
	}
	if q.SkipNotifications {
		r.Set(intercom.FieldSkipNotifications, replier.Value{Bool: true})
	}
	if q.CrossPost {
		r.Set(intercom.FieldCrossPost, replier.Value{Bool: true})
	}
	if c := q.Contact; c != nil {
		m := map[string]string{}
		for k, v := range map[string]string{"intercom_user_id": c.IntercomUserID, "user_id": c.UserID, "email": c.Email} {
			if v != "" {
				m[k] = v
			}
		}
		r.Set(intercom.FieldContact, replier.Value{Map: m})
	}
	if q.Markdown {
		r.Set("markdown", replier.Value{Bool: true})
	}
	if q.Status != "" {
		r.Set("status", replier.Value{Text: q.Status})
	}
	return r
}

// IntercomConfig is intercom.Config, by the tests' name.
type IntercomConfig = intercom.Config

// testReplier sends the tests' requests.
type testReplier struct{ *intercom.Replier }

func (r testReplier) Send(ctx context.Context, q *Request) (replier.Result, error) {
	return r.Replier.Send(ctx, q.build())
}

func NewIntercom(cfg intercom.Config) (testReplier, error) {
	r, err := intercom.NewReplier(cfg)
	return testReplier{r}, err
}

// newIntercomPair starts a strict fake and a replier pointed at it; the
// test fails if the replier sent anything the fake found invalid.
func newIntercomPair(t *testing.T, opts intercomfake.Options, cfg IntercomConfig) (*intercomfake.Fake, testReplier) {
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
	fake := intercomfake.New(opts)
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
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }
