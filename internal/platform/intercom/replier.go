package intercom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// DefaultBaseURL is Intercom's US API; EU and AU workspaces set
// https://api.eu.intercom.io or https://api.au.intercom.io.
const DefaultBaseURL = "https://api.intercom.io"

// Config configures one Intercom workspace.
type Config struct {
	Name    string // platform name in the rules file; defaults to "intercom"
	BaseURL string // defaults to DefaultBaseURL
	Token   string // access token, sent as a Bearer token
	// APIVersion is sent as Intercom-Version when set; empty leaves the
	// app's own setting in force.
	APIVersion string
	// AdminID is the admin (the bot's teammate account) that authors
	// comments, notes and quick replies.
	AdminID    string
	Timeout    time.Duration    // per request; defaults to 10s
	HTTPClient *http.Client     // defaults to a pooled client; redirects are never followed
	Now        func() time.Time // defaults to time.Now
}

// Replier posts replies and notes through Intercom's REST API
// (POST /conversations/{id}/reply and POST /tickets/{id}/reply), and
// takes actions (replier_action.go).
type Replier struct {
	name       string
	base       *url.URL
	token      string
	apiVersion string
	adminID    string
	c          *httpapi.Client
	spec       *platform.Spec
	states     *stateCache // GET /ticket_states, for ticket status actions
}

var _ replier.Replier = (*Replier)(nil)

// NewReplier checks cfg and builds the replier. Errors never quote the token.
func NewReplier(cfg Config) (*Replier, error) {
	name := cfg.Name
	if name == "" {
		name = Kind
	}
	wrap := func(err error) error { return fmt.Errorf("intercom %q: %w", name, err) }

	rawBase := cfg.BaseURL
	if rawBase == "" {
		rawBase = DefaultBaseURL
	}
	base, err := httpapi.ParseBaseURL(rawBase)
	if err != nil {
		return nil, wrap(err)
	}
	if strings.ContainsFunc(cfg.APIVersion, isControlOrSpace) {
		return nil, wrap(fmt.Errorf("api version %q contains whitespace or control characters", cfg.APIVersion))
	}
	if cfg.AdminID == "" {
		return nil, wrap(errors.New("admin id is empty (replies are authored by this admin)"))
	}
	if err := httpapi.CheckSecret("token", cfg.Token); err != nil {
		return nil, wrap(err)
	}
	c, err := httpapi.New(httpapi.Config{HTTPClient: cfg.HTTPClient, Timeout: cfg.Timeout, Secrets: []string{cfg.Token}, Now: cfg.Now})
	if err != nil {
		return nil, wrap(err)
	}
	return &Replier{
		name: name, base: base, token: cfg.Token, apiVersion: cfg.APIVersion, adminID: cfg.AdminID, c: c,
		spec: newSpec(), states: newStateCache(),
	}, nil
}

// Name is the platform name from the configuration.
func (i *Replier) Name() string { return i.name }

// Kind implements replier.Replier.
func (i *Replier) Kind() string { return Kind }

// Supports implements replier.Replier from the Spec's capability table.
func (i *Replier) Supports(as, targetType string) bool { return i.spec.Supports(as, targetType) }

// Send implements replier.Replier.
func (i *Replier) Send(ctx context.Context, req *replier.Request) (replier.Result, error) {
	res, e := i.send(ctx, req)
	if e != nil {
		return replier.Result{}, i.c.Redact(e)
	}
	return res, nil
}

func (i *Replier) send(ctx context.Context, req *replier.Request) (replier.Result, *replier.Error) {
	if req == nil {
		return replier.Result{}, i.c.InvalidRequest("nil request")
	}
	if req.Action != "" {
		return i.sendAction(ctx, req)
	}
	endpoint, err := i.endpoint(req)
	if err != nil {
		return replier.Result{}, i.c.InvalidRequest("%v", err)
	}
	body, err := i.body(req)
	if err != nil {
		return replier.Result{}, i.c.InvalidRequest("%s to %s %s: %v", req.As, req.Target.Type, req.Target.ID, err)
	}
	resp, e := i.c.Do(ctx, httpapi.Request{URL: endpoint, ContentType: "application/json", Body: body, Header: i.header()})
	if e != nil {
		return replier.Result{}, e
	}
	if !resp.OK() {
		return replier.Result{}, i.c.StatusError(resp, i.errorMessage(resp))
	}
	if resp.ReadErr != nil {
		return replier.Result{}, i.c.InvalidResponse(resp, "HTTP %d but %v", resp.Status, resp.ReadErr)
	}
	id, err := responseID(req.Target.Type, resp.Body)
	if err != nil {
		return replier.Result{}, i.c.InvalidResponse(resp, "%v: %s", err, i.c.Snippet(resp.Body))
	}
	return replier.Result{ResponseID: id, Status: resp.Status, RateLimit: resp.RateLimit}, nil
}

// header is what every call carries: the token and, when set, the
// pinned API version.
func (i *Replier) header() http.Header {
	h := http.Header{"Authorization": {"Bearer " + i.token}}
	if i.apiVersion != "" {
		h.Set("Intercom-Version", i.apiVersion)
	}
	return h
}

// endpoint builds the reply URL for req's target.
func (i *Replier) endpoint(req *replier.Request) (string, error) {
	var collection string
	switch req.Target.Type {
	case event.TargetConversation:
		collection = "conversations"
	case event.TargetTicket:
		collection = "tickets"
	default:
		return "", fmt.Errorf("target type %q: intercom replies go to a conversation or a ticket", req.Target.Type)
	}
	id := req.Target.ID
	if id == "last" && (req.Target.Type != event.TargetConversation || req.As != AsContactReply || req.Map(FieldContact) == nil) {
		// "last" means the contact's last conversation: only meaningful
		// with a contact, and only documented for conversations.
		return "", errors.New(`target id "last" needs a contact_reply with a contact to a conversation`)
	}
	if err := checkTargetID(id); err != nil {
		return "", err
	}
	return httpapi.EndpointURL(i.base, collection, id, "reply")
}

// checkTargetID is httpapi.CheckPathID, except that a query or fragment
// character is sent escaped inside the one path segment, as the bot always
// did for Intercom (EndpointURL proves the URL stays on the base).
func checkTargetID(id string) error {
	return httpapi.CheckPathID(strings.Map(func(r rune) rune {
		if r == '?' || r == '#' {
			return '_'
		}
		return r
	}, id))
}
