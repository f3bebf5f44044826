package whmcs_test

import (
	"context"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
	"github.com/supportops/autoresponder/internal/replier"
)

// The replier tests were written when a request carried WHMCS's fields as
// struct fields; they pin the exact forms sent, so they stay as they were
// and build the request the replier reads now.

const (
	testToken      = "tok-SECRET-7f3a9c"
	AsComment      = platform.AsComment
	AsNote         = platform.AsNote
	AsQuickReply   = "quick_reply"
	AsContactReply = "contact_reply"
)

func conv(id string) event.Target   { return event.Target{Type: event.TargetConversation, ID: id} }
func ticket(id string) event.Target { return event.Target{Type: event.TargetTicket, ID: id} }

// Sender attributes a reply.
type Sender struct{ ClientID, ContactID, Name, Email, AdminUsername string }

// Request is a rendered reply in the tests' terms.
type Request struct {
	As           string
	Target       event.Target
	Body         string
	Attachments  []replier.Attachment
	Markdown     bool
	From         *Sender
	CustomFields map[string]string
	Status       string
	NoEmail      bool
	// Fields of another platform, which WHMCS must refuse.
	CrossPost      bool
	AttachmentURLs []string
}

func (q *Request) build() *replier.Request {
	if q == nil {
		return nil
	}
	r := &replier.Request{V: replier.RequestVersion, As: q.As, Target: q.Target, Body: q.Body, Attachments: q.Attachments}
	if q.Markdown {
		r.Set(whmcs.FieldMarkdown, replier.Value{Bool: true})
	}
	if f := q.From; f != nil {
		m := map[string]string{}
		for k, v := range map[string]string{"client_id": f.ClientID, "contact_id": f.ContactID, "name": f.Name, "email": f.Email, "admin_username": f.AdminUsername} {
			if v != "" {
				m[k] = v
			}
		}
		r.Set(whmcs.FieldFrom, replier.Value{Map: m})
	}
	if len(q.CustomFields) > 0 {
		r.Set(whmcs.FieldCustomFields, replier.Value{Map: q.CustomFields})
	}
	if q.Status != "" {
		r.Set(whmcs.FieldStatus, replier.Value{Text: q.Status})
	}
	if q.NoEmail {
		r.Set(whmcs.FieldNoEmail, replier.Value{Bool: true})
	}
	if q.CrossPost {
		r.Set("cross_post", replier.Value{Bool: true})
	}
	if q.AttachmentURLs != nil {
		r.Set("attachment_urls", replier.Value{List: q.AttachmentURLs})
	}
	return r
}

// WHMCSConfig is whmcs.Config, by the tests' name.
type WHMCSConfig = whmcs.Config

type testReplier struct{ *whmcs.Replier }

func (r testReplier) Send(ctx context.Context, q *Request) (replier.Result, error) {
	return r.Replier.Send(ctx, q.build())
}

func NewWHMCS(cfg whmcs.Config) (testReplier, error) {
	r, err := whmcs.NewReplier(cfg)
	return testReplier{r}, err
}

// newWHMCSPair starts the strict fake and a replier pointed at it.
func newWHMCSPair(t *testing.T, cfg WHMCSConfig) (*whmcsfake.Fake, testReplier) {
	t.Helper()
	fake := whmcsfake.New(whmcsfake.Options{Token: testToken})
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

func ctx(t *testing.T) context.Context { return t.Context() }
