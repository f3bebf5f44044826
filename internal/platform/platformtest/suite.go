// Package platformtest is the contract every platform package runs, the way
// Alertmanager's notifiers share notify/test: signatures, the reference
// payloads, the loop guard, every capability row against the platform's
// strict fake, status classification, and secrets kept out of errors.
//
// A platform's contract_test.go fills a Suite and calls Run.
package platformtest

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
)

// Suite describes one platform to the contract.
type Suite struct {
	Platform platform.Platform

	// Timestamped says the signature covers a timestamp that Verify
	// checks for staleness: a delivery signed an hour ago is refused.
	Timestamped bool
	// BodyUnsigned says the platform proves the sender with a shared
	// secret but signs nothing (Freshdesk's Basic credentials): a changed
	// body cannot be detected, so the tampered-body cases are not run.
	BodyUnsigned bool
	// SourceSettings are the source settings deliveries are verified
	// with (nil: none).
	SourceSettings map[string]string

	// Examples are the reference payloads and what they normalise to.
	Examples []Example

	// OwnPost is a delivery the bot's own account authored, with the
	// account settings that make it the bot's: LoopGuard must say
	// own_reply.
	OwnPost OwnPost

	// NewFake starts the platform's strict fake for one test.
	NewFake func(t *testing.T) Fake

	// Sample fills the platform-specific fields of a request for one
	// capability row with values the platform accepts (nil: the suite's
	// defaults: "sample" texts, true flags, one-item lists and maps, the
	// first key of an object).
	Sample func(row platform.Capability, req *replier.Request)
	// ActionSample fills an action request for one action row with
	// values the platform's fake accepts (nil: the suite's defaults: tags
	// ["sample"], the first assign key with id "1", the first value, until
	// an hour from now, set {"sample": "sample"}).
	ActionSample func(row platform.ActionCapability, req *replier.Request)
	// BotActions are deliveries reporting an action the bot's own account
	// performed (closed, assigned, tagged, snoozed...), with the account
	// settings naming the bot: LoopGuard must withhold each, so the bot's
	// own actions never trigger rules or cancel timers. Required when the
	// platform lists Actions and its webhooks report actions.
	BotActions []OwnPost
	// TargetID is the target id requests are sent to (default "123").
	TargetID string

	// RateLimitHeader is what the platform sends to say that 5 requests
	// of a window of 100 remain, in its own header names: the replier
	// must read it into Result.RateLimit.
	RateLimitHeader http.Header
}

// Example is one reference payload.
type Example struct {
	// File is a path relative to ../shared/reference (from the repository
	// root); the example is skipped when ../shared is absent.
	File string
	// Body is used instead of File when set (payloads the bot's docs
	// ship, such as a Zendesk trigger body).
	Body []byte
	// Header carries what the platform sends besides the signature (Help
	// Scout's X-HelpScout-Event).
	Header http.Header
	Want   Want
}

// Want are the normalised fields an example must produce; empty fields
// are not checked, except Topic and Target, which every event has.
type Want struct {
	Topic        string
	Target       event.Target
	MessageText  string // a substring of Message.Text
	AuthorType   string
	ContactEmail string
	ContactID    string
	TicketStatus string
	Tags         []string
	Ignored      string // what LoopGuard says with no own identity
}

// OwnPost is a delivery of the bot's own post.
type OwnPost struct {
	Body    []byte
	Header  http.Header
	Account map[string]string // account settings naming the bot
}

// Fake is a running strict fake of the platform.
type Fake interface {
	// BaseURL is what the account's base_url is set to.
	BaseURL() string
	// Settings and Secrets configure an account the fake accepts.
	Settings() map[string]string
	Secrets() map[string]string
	// Answer makes the fake answer the next valid request with status,
	// header and body (the platform's own error shape for non-2xx).
	// Status 0 is the fake's normal success answer, with header added.
	Answer(status int, header http.Header, body string)
	// Accepted counts the valid requests; Problems lists what the strict
	// checks refused (every refusal is a test failure).
	Accepted() int
	Problems() []string
	// ErrorBody is the platform's own error body carrying message.
	ErrorBody(message string) string
}

// Run runs the contract.
func Run(t *testing.T, s Suite) {
	t.Helper()
	if s.TargetID == "" {
		s.TargetID = "123"
	}
	t.Run("signatures", func(t *testing.T) { testSignatures(t, &s) })
	t.Run("examples", func(t *testing.T) { testExamples(t, &s) })
	t.Run("loop guard", func(t *testing.T) { testOwnPost(t, &s) })
	t.Run("spec", func(t *testing.T) { testSpec(t, &s) })
	if s.NewFake == nil {
		t.Fatal("Suite.NewFake is required: every platform ships a strict fake")
	}
	t.Run("capabilities", func(t *testing.T) { testCapabilities(t, &s) })
	t.Run("actions", func(t *testing.T) { testActions(t, &s) })
	t.Run("bot actions", func(t *testing.T) { testBotActions(t, &s) })
	t.Run("statuses", func(t *testing.T) { testStatuses(t, &s) })
	t.Run("rate-limit headers", func(t *testing.T) { testRateLimitHeaders(t, &s) })
}

func testRateLimitHeaders(t *testing.T, s *Suite) {
	if s.RateLimitHeader == nil {
		t.Fatal("Suite.RateLimitHeader is required: say how the platform reports its rate limit")
	}
	f := s.NewFake(t)
	r, err := s.Platform.NewReplier(account(f))
	if err != nil {
		t.Fatalf("NewReplier: %v", err)
	}
	f.Answer(0, s.RateLimitHeader, "")
	res, err := r.Send(context.Background(), request(s, s.Platform.Spec().Capabilities[0]))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if rl := res.RateLimit; !rl.Known || rl.Limit != 100 || rl.Remaining != 5 {
		t.Fatalf("RateLimit = %+v, want limit 100 with 5 remaining", rl)
	}
}

var (
	secret = []byte("contract-secret-0123456789")
	body   = []byte(`{"contract":"body","n":1}`)
)

func settings(m map[string]string) *platform.Settings {
	s := &platform.Settings{Values: map[string]string{}, Secrets: map[string]bool{}}
	for k, v := range m {
		s.Values[k] = v
	}
	return s
}

func delivery(s *Suite, h http.Header, b, sec []byte, now time.Time) *platform.Delivery {
	return &platform.Delivery{Header: h, Body: b, Secret: sec, Settings: settings(s.SourceSettings), Now: now}
}

// signatureCase is one delivery Verify must accept (ok) or refuse.
type signatureCase struct {
	name   string
	header http.Header
	body   []byte
	secret []byte
	now    time.Time
	ok     bool
	// noSecret: the refusal must be platform.ErrNoSecret, which the intake
	// counts apart from a wrong signature (a misconfigured source).
	noSecret bool
}

func testSignatures(t *testing.T, s *Suite) {
	p := s.Platform
	now := time.Now()
	signed := p.Sign(secret, body, now, settings(s.SourceSettings))
	cases := []signatureCase{
		{name: "genuine", header: signed, body: body, secret: secret, now: now, ok: true},
		{name: "wrong secret", header: signed, body: body, secret: []byte("another-secret"), now: now},
		{name: "empty secret", header: signed, body: body, now: now, noSecret: true},
		{name: "tampered body", header: signed, body: append(bytes.Clone(body), ' '), secret: secret, now: now},
		{name: "no headers", header: http.Header{}, body: body, secret: secret, now: now},
		{name: "signed for an empty body", header: p.Sign(secret, nil, now, settings(s.SourceSettings)), body: body, secret: secret, now: now},
	}
	if s.Timestamped {
		cases = append(cases,
			signatureCase{name: "stale timestamp", header: p.Sign(secret, body, now.Add(-time.Hour), settings(s.SourceSettings)), body: body, secret: secret, now: now},
			signatureCase{name: "timestamp from the future", header: p.Sign(secret, body, now.Add(time.Hour), settings(s.SourceSettings)), body: body, secret: secret, now: now},
		)
	}
	for _, c := range cases {
		if s.BodyUnsigned && (c.name == "tampered body" || c.name == "signed for an empty body") {
			continue // nothing binds the credentials to the body
		}
		t.Run(c.name, func(t *testing.T) {
			err := p.Verify(delivery(s, c.header.Clone(), c.body, c.secret, c.now))
			if c.ok && err != nil {
				t.Fatalf("Verify refused a genuine delivery: %v", err)
			}
			if !c.ok {
				if err == nil {
					t.Fatal("Verify accepted it")
				}
				if !errors.Is(err, platform.ErrBadSignature) {
					t.Fatalf("error %v is not a *platform.SignatureError", err)
				}
				if strings.Contains(err.Error(), string(secret)) {
					t.Fatalf("error quotes the secret: %v", err)
				}
			}
			if c.noSecret && !errors.Is(err, platform.ErrNoSecret) {
				t.Fatalf("Verify = %v, want platform.ErrNoSecret: the intake counts a source without a secret as no_secret, not as a bad signature", err)
			}
		})
	}
}

// referenceDir finds ../shared/reference from the package directory.
func referenceDir(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "reference")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// Load returns the example's body: Body, or File read from
// ../shared/reference. The test is skipped when that folder is absent.
func (ex Example) Load(t *testing.T) []byte {
	t.Helper()
	if ex.Body != nil {
		return ex.Body
	}
	b, err := os.ReadFile(filepath.Join(referenceDir(t), ex.File))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not found: ../shared is absent", ex.File)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Deliver is body as a genuine sender delivers it, at now, to a source
// with the suite's settings: signed, with header's values added.
func (s *Suite) Deliver(body []byte, header http.Header, now time.Time) *platform.Delivery {
	h := s.Platform.Sign(secret, body, now, settings(s.SourceSettings))
	for k, v := range header {
		h[k] = v
	}
	return delivery(s, h, body, secret, now)
}

func testExamples(t *testing.T, s *Suite) {
	if len(s.Examples) == 0 {
		t.Fatal("Suite.Examples is empty: list the reference payloads")
	}
	for _, ex := range s.Examples {
		name := ex.File
		if name == "" {
			name = ex.Want.Topic
		}
		t.Run(name, func(t *testing.T) {
			now := time.Now()
			d := s.Deliver(ex.Load(t), ex.Header, now)
			if err := s.Platform.Verify(d); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			ev, err := platform.Parse(s.Platform, "src", d, now)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkWant(t, ev, ex.Want)
			if got := s.Platform.LoopGuard(ev, nil); got != ex.Want.Ignored {
				t.Errorf("LoopGuard = %q, want %q", got, ex.Want.Ignored)
			}
		})
	}
}

func checkWant(t *testing.T, ev *event.Event, w Want) {
	t.Helper()
	if ev.Topic != w.Topic {
		t.Errorf("topic = %q, want %q", ev.Topic, w.Topic)
	}
	if ev.Target != w.Target {
		t.Errorf("target = %+v, want %+v", ev.Target, w.Target)
	}
	if w.MessageText != "" && (ev.Message == nil || !strings.Contains(ev.Message.Text, w.MessageText)) {
		t.Errorf("message.text = %q, want it to contain %q", messageText(ev), w.MessageText)
	}
	if w.AuthorType != "" && (ev.Message == nil || ev.Message.Author.Type != w.AuthorType) {
		t.Errorf("message.author = %+v, want type %q", ev.Message, w.AuthorType)
	}
	if w.ContactEmail != "" && (ev.Contact == nil || ev.Contact.Email != w.ContactEmail) {
		t.Errorf("contact = %+v, want email %q", ev.Contact, w.ContactEmail)
	}
	if w.ContactID != "" && (ev.Contact == nil || ev.Contact.ID != w.ContactID) {
		t.Errorf("contact = %+v, want id %q", ev.Contact, w.ContactID)
	}
	if w.TicketStatus != "" && (ev.Ticket == nil || ev.Ticket.Status != w.TicketStatus) {
		t.Errorf("ticket = %+v, want status %q", ev.Ticket, w.TicketStatus)
	}
	if w.Tags != nil && !slices.Equal(ev.Tags, w.Tags) {
		t.Errorf("tags = %q, want %q", ev.Tags, w.Tags)
	}
}

func messageText(ev *event.Event) string {
	if ev.Message == nil {
		return "<no message>"
	}
	return ev.Message.Text
}

func testOwnPost(t *testing.T, s *Suite) {
	if s.OwnPost.Body == nil {
		t.Fatal("Suite.OwnPost is required: the loop guard must recognise the bot's own posts")
	}
	now := time.Now()
	ev, err := platform.Parse(s.Platform, "src", s.Deliver(s.OwnPost.Body, s.OwnPost.Header, now), now)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	self := s.Platform.Identity(&platform.Account{Name: "bot", Settings: settings(s.OwnPost.Account)})
	if got := s.Platform.LoopGuard(ev, []platform.Identity{self}); got != platform.IgnoredOwnReply {
		t.Fatalf("LoopGuard(own post) = %q, want %q", got, platform.IgnoredOwnReply)
	}
}

func testSpec(t *testing.T, s *Suite) {
	sp := s.Platform.Spec()
	if sp.Name == "" || sp.Title == "" {
		t.Fatal("Spec needs Name and Title")
	}
	if len(sp.Topics) == 0 || len(sp.Capabilities) == 0 {
		t.Fatal("Spec needs Topics and Capabilities")
	}
	fields := map[string]bool{}
	for _, f := range sp.ReplyFields {
		if fields[f.Key] {
			t.Errorf("reply field %q declared twice", f.Key)
		}
		fields[f.Key] = true
	}
	seen := map[string]bool{}
	for _, c := range sp.Capabilities {
		key := c.As + "/" + c.Target
		if seen[key] {
			t.Errorf("capability %s listed twice", key)
		}
		seen[key] = true
		if c.Target != event.TargetConversation && c.Target != event.TargetTicket {
			t.Errorf("capability %s: unknown target type", key)
		}
		for _, f := range append(slices.Clone(c.Fields), c.Requires...) {
			if !fields[f] {
				t.Errorf("capability %s names field %q, which ReplyFields lacks", key, f)
			}
		}
		if c.Attachments && !sp.Attachments {
			t.Errorf("capability %s takes attachments, Spec.Attachments is false", key)
		}
	}
}

// account builds the platform.Account of a fake.
func account(f Fake) *platform.Account {
	set := settings(f.Settings())
	secrets := f.Secrets()
	for k := range secrets {
		set.Secrets[k] = true
	}
	return &platform.Account{
		Name: "contract", BaseURL: f.BaseURL(), Settings: set, Timeout: 5 * time.Second, Now: time.Now,
		Secret: func(key string) ([]byte, error) {
			v, ok := secrets[key]
			if !ok {
				return nil, errors.New("secret " + key + " not configured")
			}
			return []byte(v), nil
		},
	}
}

// request builds a request for one capability row with every field the row
// takes filled.
func request(s *Suite, row platform.Capability) *replier.Request {
	sp := s.Platform.Spec()
	req := &replier.Request{
		Platform: "contract", As: row.As, Target: event.Target{Type: row.Target, ID: s.TargetID},
		Body: "Thanks for writing in <b>&</b> 'quotes'",
	}
	if row.Attachments {
		req.Attachments = []replier.Attachment{{Name: "hello.txt", ContentType: "text/plain", Data: []byte("hello")}}
	}
	for _, f := range sp.ReplyFields {
		if !slices.Contains(row.Fields, f.Key) {
			continue
		}
		switch f.Type {
		case platform.FieldText:
			v := "sample"
			if len(f.Enum) > 0 {
				v = f.Enum[0]
			}
			req.Set(f.Key, replier.Value{Text: v})
		case platform.FieldBool:
			req.Set(f.Key, replier.Value{Bool: true})
		case platform.FieldTextList:
			req.Set(f.Key, replier.Value{List: []string{"sample"}})
		case platform.FieldTextMap:
			req.Set(f.Key, replier.Value{Map: map[string]string{"1": "sample"}})
		case platform.FieldObject:
			req.Set(f.Key, replier.Value{Map: map[string]string{f.Keys[0]: "sample"}})
		}
	}
	if s.Sample != nil {
		s.Sample(row, req)
	}
	s.Platform.Prepare(req, "contract-seed")
	return req
}

// testCapabilities is the property behind `bot check --strict`: every row
// of the table, with every field it allows, is a request the strict fake
// accepts.
func testCapabilities(t *testing.T, s *Suite) {
	for _, row := range s.Platform.Spec().Capabilities {
		t.Run(row.As+" to "+row.Target, func(t *testing.T) {
			f := s.NewFake(t)
			r, err := s.Platform.NewReplier(account(f))
			if err != nil {
				t.Fatalf("NewReplier: %v", err)
			}
			if !r.Supports(row.As, row.Target) {
				t.Errorf("the replier does not support %s to %s, which the table lists", row.As, row.Target)
			}
			req := request(s, row)
			if _, err := r.Send(context.Background(), req); err != nil {
				t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
			}
			if f.Accepted() != 1 || len(f.Problems()) > 0 {
				t.Fatalf("fake accepted %d requests, problems %q", f.Accepted(), f.Problems())
			}
		})
	}
}

// testStatuses checks the classification of the platform's answers and that
// the platform's message and no secret reaches the error.
func testStatuses(t *testing.T, s *Suite) {
	row := s.Platform.Spec().Capabilities[0]
	cases := []struct {
		status int
		header http.Header
		reason replier.Reason
		retry  bool
		after  time.Duration
	}{
		{http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}, replier.ReasonRateLimited, true, 7 * time.Second},
		{http.StatusServiceUnavailable, nil, replier.ReasonServerError, true, 0},
		{http.StatusInternalServerError, nil, replier.ReasonServerError, true, 0},
		{http.StatusUnprocessableEntity, nil, replier.ReasonClientError, false, 0},
		{http.StatusNotFound, nil, replier.ReasonClientError, false, 0},
		{http.StatusUnauthorized, nil, replier.ReasonClientError, false, 0},
	}
	for _, c := range cases {
		t.Run(http.StatusText(c.status), func(t *testing.T) {
			f := s.NewFake(t)
			r, err := s.Platform.NewReplier(account(f))
			if err != nil {
				t.Fatalf("NewReplier: %v", err)
			}
			const said = "the platform says no: field xyz"
			f.Answer(c.status, c.header, f.ErrorBody(said))
			_, err = r.Send(context.Background(), request(s, row))
			var e *replier.Error
			if !errors.As(err, &e) {
				t.Fatalf("Send error %v is not a *replier.Error", err)
			}
			if e.Reason != c.reason || e.Retry != c.retry {
				t.Errorf("reason %s retry %v, want %s %v", e.Reason, e.Retry, c.reason, c.retry)
			}
			if c.after != 0 && e.RetryAfter != c.after {
				t.Errorf("RetryAfter %v, want %v", e.RetryAfter, c.after)
			}
			if !strings.Contains(e.Message, said) {
				t.Errorf("message %q does not carry the platform's %q", e.Message, said)
			}
			for _, sec := range f.Secrets() {
				if sec != "" && strings.Contains(err.Error(), sec) {
					t.Errorf("error quotes a secret: %v", err)
				}
			}
		})
	}
}

// ActionRequest builds a request for one action row with the suite's
// sample values.
func ActionRequest(s *Suite, row platform.ActionCapability) *replier.Request {
	req := &replier.Request{
		V: replier.RequestVersion, Platform: "contract", Action: row.Action,
		Target: event.Target{Type: row.Target, ID: s.TargetID},
	}
	switch row.Action {
	case platform.ActionTag:
		req.Set(replier.FieldTags, replier.Value{List: []string{"sample"}})
	case platform.ActionAssign:
		req.Set(replier.FieldAssignee, replier.Value{Map: map[string]string{row.Keys[0]: "1"}})
	case platform.ActionPriority:
		req.Set(replier.FieldPriority, replier.Value{Text: row.Values[0]})
	case platform.ActionStatus:
		req.Set(replier.FieldStatus, replier.Value{Text: row.Values[0]})
		if slices.Contains(row.Until, row.Values[0]) {
			req.Set(replier.FieldUntil, replier.Value{Text: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
		}
	case platform.ActionSet:
		key := "sample"
		if len(row.Keys) > 0 {
			key = row.Keys[0]
		}
		req.Set(replier.FieldSet, replier.Value{Map: map[string]string{key: "sample"}})
	}
	if s.ActionSample != nil {
		s.ActionSample(row, req)
	}
	return req
}

// testActions sends every action row, and every value of priority and
// status, to the strict fake: the table and the replier agree, and what
// the replier sends is what the platform documents.
func testActions(t *testing.T, s *Suite) {
	sp := s.Platform.Spec()
	seen := map[string]bool{}
	for _, row := range sp.Actions {
		key := row.Action + "/" + row.Target
		if seen[key] {
			t.Errorf("action %s listed twice", key)
		}
		seen[key] = true
		if !slices.Contains(platform.ActionNames, row.Action) {
			t.Errorf("action %s: unknown action", key)
		}
		if row.Target != event.TargetConversation && row.Target != event.TargetTicket {
			t.Errorf("action %s: unknown target type", key)
		}
		if row.Doc == "" {
			t.Errorf("action %s: Doc is empty; the generated reference shows it", key)
		}
		values := []string{""}
		switch row.Action {
		case platform.ActionPriority, platform.ActionStatus:
			if len(row.Values) == 0 {
				t.Errorf("action %s lists no Values", key)
				continue
			}
			values = row.Values
		case platform.ActionAssign:
			if len(row.Keys) == 0 {
				t.Errorf("action %s lists no Keys", key)
				continue
			}
		}
		for _, v := range values {
			name := key
			if v != "" {
				name += "=" + v
			}
			t.Run(name, func(t *testing.T) {
				f := s.NewFake(t)
				r, err := s.Platform.NewReplier(account(f))
				if err != nil {
					t.Fatalf("NewReplier: %v", err)
				}
				req := ActionRequest(s, row)
				if v != "" {
					req.Set(row.Action, replier.Value{Text: v})
					delete(req.Fields, replier.FieldUntil)
					if slices.Contains(row.Until, v) {
						req.Set(replier.FieldUntil, replier.Value{Text: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
					}
				}
				if err := sp.CheckAction(req); err != nil {
					t.Fatalf("CheckAction refuses the suite's own sample: %v", err)
				}
				if _, err := r.Send(context.Background(), req); err != nil {
					t.Fatalf("Send: %v (fake: %q)", err, f.Problems())
				}
				if f.Accepted() < 1 || len(f.Problems()) > 0 {
					t.Fatalf("fake accepted %d requests, problems %q", f.Accepted(), f.Problems())
				}
			})
		}
	}
}

// testBotActions checks that the loop guard withholds events reporting the
// bot's own actions.
func testBotActions(t *testing.T, s *Suite) {
	if len(s.Platform.Spec().Actions) > 0 && len(s.BotActions) == 0 {
		t.Skip("Suite.BotActions is empty: the platform's webhooks report no action the bot can take")
	}
	for i, p := range s.BotActions {
		now := time.Now()
		ev, err := platform.Parse(s.Platform, "src", s.Deliver(p.Body, p.Header, now), now)
		if err != nil {
			t.Fatalf("bot action %d: Parse: %v", i, err)
		}
		self := s.Platform.Identity(&platform.Account{Name: "bot", Settings: settings(p.Account)})
		if got := s.Platform.LoopGuard(ev, []platform.Identity{self}); got != platform.IgnoredOwnReply {
			t.Errorf("bot action %d (topic %s): LoopGuard = %q, want %q", i, ev.Topic, got, platform.IgnoredOwnReply)
		}
	}
}
