package replier

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

// KindIntercom is the Kind of the Intercom replier.
const KindIntercom = "intercom"

// DefaultIntercomBaseURL is Intercom's US API; EU and AU workspaces set
// https://api.eu.intercom.io or https://api.au.intercom.io.
const DefaultIntercomBaseURL = "https://api.intercom.io"

// IntercomConfig configures one Intercom workspace.
type IntercomConfig struct {
	Name    string // platform name in the rules file; defaults to "intercom"
	BaseURL string // defaults to DefaultIntercomBaseURL
	Token   string // access token, sent as a Bearer token
	// APIVersion is sent as Intercom-Version when set; empty leaves the
	// app's own setting in force.
	APIVersion string
	// AdminID is the admin (the bot's teammate account) that authors
	// comments, notes and quick replies.
	AdminID    string
	Timeout    time.Duration // per request; defaults to 10s
	HTTPClient *http.Client  // defaults to a plain client; redirects are never followed
}

// Intercom posts replies and notes through Intercom's REST API
// (POST /conversations/{id}/reply and POST /tickets/{id}/reply).
type Intercom struct {
	name       string
	base       *url.URL
	apiVersion string
	adminID    string
	t          *transport
}

var _ Replier = (*Intercom)(nil)

// NewIntercom checks cfg and builds the replier. Errors never quote the token.
func NewIntercom(cfg IntercomConfig) (*Intercom, error) {
	name := cfg.Name
	if name == "" {
		name = KindIntercom
	}
	wrap := func(err error) error { return fmt.Errorf("intercom %q: %w", name, err) }

	rawBase := cfg.BaseURL
	if rawBase == "" {
		rawBase = DefaultIntercomBaseURL
	}
	base, err := parseBaseURL(rawBase)
	if err != nil {
		return nil, wrap(err)
	}
	if strings.ContainsFunc(cfg.APIVersion, isControlOrSpace) {
		return nil, wrap(fmt.Errorf("api version %q contains whitespace or control characters", cfg.APIVersion))
	}
	if cfg.AdminID == "" {
		return nil, wrap(errors.New("admin id is empty (replies are authored by this admin)"))
	}
	t, err := newTransport(cfg.HTTPClient, cfg.Timeout, cfg.Token)
	if err != nil {
		return nil, wrap(err)
	}
	return &Intercom{name: name, base: base, apiVersion: cfg.APIVersion, adminID: cfg.AdminID, t: t}, nil
}

// Name is the platform name from the configuration.
func (i *Intercom) Name() string { return i.name }

// Kind implements Replier.
func (i *Intercom) Kind() string { return KindIntercom }

// Supports implements Replier (see Capability).
func (i *Intercom) Supports(as, targetType string) bool {
	return Supports(KindIntercom, as, targetType)
}

// Send implements Replier.
func (i *Intercom) Send(ctx context.Context, req *Request) (Result, error) {
	res, e := i.send(ctx, req)
	if e != nil {
		return Result{}, i.t.redact(e)
	}
	return res, nil
}

func (i *Intercom) send(ctx context.Context, req *Request) (Result, *Error) {
	if req == nil {
		return Result{}, &Error{Reason: ReasonInvalidRequest, Message: "nil request"}
	}
	endpoint, err := i.endpoint(req)
	if err != nil {
		return Result{}, &Error{Reason: ReasonInvalidRequest, Message: err.Error()}
	}
	body, err := i.body(req)
	if err != nil {
		return Result{}, &Error{Reason: ReasonInvalidRequest, Message: fmt.Sprintf("%s to %s %s: %v", req.As, req.Target.Type, req.Target.ID, err)}
	}
	header := http.Header{}
	if i.apiVersion != "" {
		header.Set("Intercom-Version", i.apiVersion)
	}
	resp, e := i.t.post(ctx, endpoint, "application/json", body, header)
	if e != nil {
		return Result{}, e
	}
	if !resp.ok() {
		return Result{}, i.t.statusError(resp, intercomErrorMessage(resp, i.t.token))
	}
	if resp.readErr != nil {
		return Result{}, invalidResponse(resp, "HTTP %d but %v", resp.status, resp.readErr)
	}
	id, err := intercomResponseID(req.Target.Type, resp.body)
	if err != nil {
		return Result{}, invalidResponse(resp, "%v: %s", err, snippet(resp.body, i.t.token))
	}
	return Result{ResponseID: id, Status: resp.status, RateLimit: resp.rateLimit}, nil
}

// endpoint builds the reply URL for req's target.
func (i *Intercom) endpoint(req *Request) (string, error) {
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
	if id == "last" && (req.Target.Type != event.TargetConversation || req.As != AsContactReply || req.Contact == nil) {
		// "last" means the contact's last conversation: only meaningful
		// with a contact, and only documented for conversations.
		return "", errors.New(`target id "last" needs a contact_reply with a contact to a conversation`)
	}
	if err := checkPathID(id); err != nil {
		return "", err
	}
	return endpointURL(i.base, collection, id, "reply")
}
