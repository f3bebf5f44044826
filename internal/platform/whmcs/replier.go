package whmcs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// The reseller API's endpoints, one URL per method under the base URL.
const (
	replyPath = "add-ticket-reply"
	notePath  = "add-ticket-note"
)

// Config configures one reseller-style WHMCS API (api: keliweb): a
// front-end such as Keliweb's v2 that exposes AddTicketReply and
// AddTicketNote as {base}/add-ticket-reply and {base}/add-ticket-note with
// Bearer tokens.
type Config struct {
	Name       string // platform name in the rules file; defaults to "whmcs"
	BaseURL    string // required
	Token      string // sent as a Bearer token
	Timeout    time.Duration
	HTTPClient *http.Client
	Now        func() time.Time
}

// Replier posts ticket replies and private notes as multipart forms
// through a reseller API.
type Replier struct {
	name  string
	base  *url.URL
	token string
	c     *httpapi.Client
	spec  *platform.Spec
}

var _ replier.Replier = (*Replier)(nil)

// NewReplier checks cfg and builds the replier. Errors never quote the token.
func NewReplier(cfg Config) (*Replier, error) {
	name := cfg.Name
	if name == "" {
		name = Kind
	}
	wrap := func(err error) error { return fmt.Errorf("whmcs %q: %w", name, err) }
	if cfg.BaseURL == "" {
		return nil, wrap(errors.New("base URL is empty"))
	}
	base, err := httpapi.ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, wrap(err)
	}
	if err := httpapi.CheckSecret("token", cfg.Token); err != nil {
		return nil, wrap(err)
	}
	c, err := httpapi.New(httpapi.Config{HTTPClient: cfg.HTTPClient, Timeout: cfg.Timeout, Secrets: []string{cfg.Token}, Now: cfg.Now})
	if err != nil {
		return nil, wrap(err)
	}
	return &Replier{name: name, base: base, token: cfg.Token, c: c, spec: newSpec()}, nil
}

// Name is the platform name from the configuration.
func (w *Replier) Name() string { return w.name }

// Kind implements replier.Replier.
func (w *Replier) Kind() string { return Kind }

// Supports implements replier.Replier from the Spec's capability table.
func (w *Replier) Supports(as, targetType string) bool { return w.spec.Supports(as, targetType) }

// Send implements replier.Replier.
func (w *Replier) Send(ctx context.Context, req *replier.Request) (replier.Result, error) {
	res, e := w.send(ctx, req)
	if e != nil {
		return replier.Result{}, w.c.Redact(e)
	}
	return res, nil
}

func (w *Replier) send(ctx context.Context, req *replier.Request) (replier.Result, *replier.Error) {
	if req == nil {
		return replier.Result{}, w.c.InvalidRequest("nil request")
	}
	if req.Action != "" {
		// The reseller API documents no call that changes a ticket; the
		// loader refuses such rules (ValidateAction), and a job stored
		// otherwise is refused here, before anything is sent.
		return replier.Result{}, w.c.InvalidRequest("%s on ticket %s: %s", req.Action, req.Target.ID, keliwebNoAction(req.Action))
	}
	method, err := method(req)
	if err != nil {
		return replier.Result{}, w.c.InvalidRequest("%v", err)
	}
	if err := checkFields(w.spec, req); err != nil {
		return replier.Result{}, w.c.InvalidRequest("%s to ticket %s: %v", req.As, req.Target.ID, err)
	}
	contentType, body, err := form(req)
	if err != nil {
		return replier.Result{}, w.c.InvalidRequest("%s to ticket %s: %v", req.As, req.Target.ID, err)
	}
	endpoint, err := httpapi.EndpointURL(w.base, method)
	if err != nil {
		return replier.Result{}, w.c.InvalidRequest("%v", err)
	}
	resp, e := w.c.Do(ctx, httpapi.Request{URL: endpoint, ContentType: contentType, Body: body,
		Header: http.Header{"Authorization": {"Bearer " + w.token}}})
	if e != nil {
		return replier.Result{}, e
	}
	return w.result(resp)
}

// method picks the endpoint and checks the target.
func method(req *replier.Request) (string, error) {
	if req.Target.Type != event.TargetTicket {
		return "", fmt.Errorf("target type %q: whmcs replies go to tickets", req.Target.Type)
	}
	if !isDigits(req.Target.ID) {
		return "", fmt.Errorf("ticket id %q is not a number (use the ticket id, not the mask)", req.Target.ID)
	}
	switch req.As {
	case platform.AsComment:
		return replyPath, nil
	case platform.AsNote:
		return notePath, nil
	default:
		return "", fmt.Errorf("reply kind %q: whmcs takes comment or note", req.As)
	}
}

// response is the JSON every WHMCS API method answers with.
type response struct {
	Result  string     `json:"result"`
	Message string     `json:"message"`
	ReplyID httpapi.ID `json:"replyid"`
	NoteID  httpapi.ID `json:"noteid"`
	ID      httpapi.ID `json:"id"`
}

// result reads the response. WHMCS reports errors in the body, often with
// HTTP 200, so "result" decides before the status does.
func (w *Replier) result(resp *httpapi.Response) (replier.Result, *replier.Error) {
	var body response
	parseErr := json.Unmarshal(resp.Body, &body)

	if !resp.OK() {
		msg := w.c.BodyMessage(resp)
		if parseErr == nil && body.Message != "" {
			msg = w.c.PlatformMessage(body.Message)
		}
		return replier.Result{}, w.c.StatusError(resp, msg)
	}
	if resp.ReadErr != nil {
		return replier.Result{}, w.c.InvalidResponse(resp, "HTTP %d but %v", resp.Status, resp.ReadErr)
	}
	if parseErr != nil {
		return replier.Result{}, w.c.InvalidResponse(resp, "reply may have been posted but the response is not JSON: %s", w.c.Snippet(resp.Body))
	}
	switch body.Result {
	case "success":
		id := body.ReplyID
		for _, alt := range []httpapi.ID{body.NoteID, body.ID} {
			if id == "" {
				id = alt
			}
		}
		return replier.Result{ResponseID: string(id), Status: resp.Status, RateLimit: resp.RateLimit}, nil
	case "error":
		msg := w.c.PlatformMessage(body.Message)
		if msg == "" {
			msg = "whmcs reported an error without a message"
		}
		return replier.Result{}, &replier.Error{Reason: replier.ReasonClientError, Status: resp.Status, Message: msg, RateLimit: resp.RateLimit}
	default:
		return replier.Result{}, w.c.InvalidResponse(resp, "reply may have been posted but result is %q: %s", body.Result, w.c.Snippet(resp.Body))
	}
}

func isDigits(s string) bool {
	if s == "" || len(s) > 19 { // fits an int64, as WHMCS ids do
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
