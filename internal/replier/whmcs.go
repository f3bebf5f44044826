package replier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

// KindWHMCS is the Kind of the WHMCS replier.
const KindWHMCS = "whmcs"

// WHMCS endpoint names, one URL per method under the base URL.
const (
	whmcsReplyPath = "add-ticket-reply"
	whmcsNotePath  = "add-ticket-note"
)

// WHMCSConfig configures one WHMCS-style helpdesk API (a reseller API such
// as Keliweb's v2 that exposes AddTicketReply / AddTicketNote as
// {base}/add-ticket-reply and {base}/add-ticket-note with Bearer tokens).
type WHMCSConfig struct {
	Name       string // platform name in the rules file; defaults to "whmcs"
	BaseURL    string // required
	Token      string // sent as a Bearer token
	Timeout    time.Duration
	HTTPClient *http.Client
}

// WHMCS posts ticket replies and private notes as multipart forms.
type WHMCS struct {
	name string
	base *url.URL
	t    *transport
}

var _ Replier = (*WHMCS)(nil)

// NewWHMCS checks cfg and builds the replier. Errors never quote the token.
func NewWHMCS(cfg WHMCSConfig) (*WHMCS, error) {
	name := cfg.Name
	if name == "" {
		name = KindWHMCS
	}
	wrap := func(err error) error { return fmt.Errorf("whmcs %q: %w", name, err) }
	if cfg.BaseURL == "" {
		return nil, wrap(errors.New("base URL is empty"))
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, wrap(err)
	}
	t, err := newTransport(cfg.HTTPClient, cfg.Timeout, cfg.Token)
	if err != nil {
		return nil, wrap(err)
	}
	return &WHMCS{name: name, base: base, t: t}, nil
}

// Name is the platform name from the configuration.
func (w *WHMCS) Name() string { return w.name }

// Kind implements Replier.
func (w *WHMCS) Kind() string { return KindWHMCS }

// Supports implements Replier (see Capability).
func (w *WHMCS) Supports(as, targetType string) bool {
	return Supports(KindWHMCS, as, targetType)
}

// Send implements Replier.
func (w *WHMCS) Send(ctx context.Context, req *Request) (Result, error) {
	res, e := w.send(ctx, req)
	if e != nil {
		return Result{}, w.t.redact(e)
	}
	return res, nil
}

func (w *WHMCS) send(ctx context.Context, req *Request) (Result, *Error) {
	if req == nil {
		return Result{}, &Error{Reason: ReasonInvalidRequest, Message: "nil request"}
	}
	method, err := whmcsMethod(req)
	if err != nil {
		return Result{}, &Error{Reason: ReasonInvalidRequest, Message: err.Error()}
	}
	contentType, body, err := whmcsForm(req)
	if err != nil {
		return Result{}, &Error{Reason: ReasonInvalidRequest, Message: fmt.Sprintf("%s to ticket %s: %v", req.As, req.Target.ID, err)}
	}
	endpoint, err := endpointURL(w.base, method)
	if err != nil {
		return Result{}, &Error{Reason: ReasonInvalidRequest, Message: err.Error()}
	}
	resp, e := w.t.post(ctx, endpoint, contentType, body, nil)
	if e != nil {
		return Result{}, e
	}
	return w.result(resp)
}

// whmcsMethod picks the endpoint and checks the target.
func whmcsMethod(req *Request) (string, error) {
	if req.Target.Type != event.TargetTicket {
		return "", fmt.Errorf("target type %q: whmcs replies go to tickets", req.Target.Type)
	}
	if !isDigits(req.Target.ID) {
		return "", fmt.Errorf("ticket id %q is not a number (use the ticket id, not the mask)", req.Target.ID)
	}
	switch req.As {
	case AsComment:
		return whmcsReplyPath, nil
	case AsNote:
		return whmcsNotePath, nil
	default:
		return "", fmt.Errorf("reply kind %q: whmcs takes comment or note", req.As)
	}
}

// whmcsResponse is the JSON every WHMCS API method answers with.
type whmcsResponse struct {
	Result  string `json:"result"`
	Message string `json:"message"`
	ReplyID jsonID `json:"replyid"`
	NoteID  jsonID `json:"noteid"`
	ID      jsonID `json:"id"`
}

// result reads the response. WHMCS reports errors in the body, often with
// HTTP 200, so "result" decides before the status does.
func (w *WHMCS) result(resp *response) (Result, *Error) {
	var body whmcsResponse
	parseErr := json.Unmarshal(resp.body, &body)

	if !resp.ok() {
		msg := bodyMessage(resp, w.t.token)
		if parseErr == nil && body.Message != "" {
			msg = platformMessage(body.Message, w.t.token)
		}
		return Result{}, w.t.statusError(resp, msg)
	}
	if resp.readErr != nil {
		return Result{}, invalidResponse(resp, "HTTP %d but %v", resp.status, resp.readErr)
	}
	if parseErr != nil {
		return Result{}, invalidResponse(resp, "reply may have been posted but the response is not JSON: %s", snippet(resp.body, w.t.token))
	}
	switch body.Result {
	case "success":
		id := body.ReplyID
		for _, alt := range []jsonID{body.NoteID, body.ID} {
			if id == "" {
				id = alt
			}
		}
		return Result{ResponseID: string(id), Status: resp.status, RateLimit: resp.rateLimit}, nil
	case "error":
		msg := platformMessage(body.Message, w.t.token)
		if msg == "" {
			msg = "whmcs reported an error without a message"
		}
		return Result{}, &Error{Reason: ReasonClientError, Status: resp.status, Message: msg, RateLimit: resp.rateLimit}
	default:
		return Result{}, invalidResponse(resp, "reply may have been posted but result is %q: %s", body.Result, snippet(resp.body, w.t.token))
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
