package replier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// WithheldDryRun is Result.Withheld for a reply printed instead of posted.
const WithheldDryRun = "dry_run"

// DryRunToken stands in for a platform's token in dry-run mode: the
// Authorization header is printed redacted, so the real token is not needed.
const DryRunToken = "dry-run-token"

// HTTPRequest is an HTTP request as a dry run prints it.
type HTTPRequest struct {
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Header http.Header `json:"header"`
	Body   string      `json:"body"`
}

// DryRun wraps a platform's real replier, built with DryRunClient: every
// request is built by the real code, stopped at the HTTP client, and
// printed instead of sent, so the output cannot drift from what would be
// posted. Requests the real code refuses fail as they would for real.
type DryRun struct {
	name  string
	inner Replier
	now   func() time.Time
	out   lineWriter
}

var _ Replier = (*DryRun)(nil)

// NewDryRun wraps inner (built with DryRunClient) for platform name,
// printing to w (standard output when nil).
func NewDryRun(name string, inner Replier, w io.Writer) *DryRun {
	if w == nil {
		w = os.Stdout
	}
	return &DryRun{name: name, inner: inner, out: lineWriter{w: w}, now: time.Now}
}

// Kind implements Replier: the wrapped platform's.
func (d *DryRun) Kind() string { return d.inner.Kind() }

// Supports implements Replier.
func (d *DryRun) Supports(as, targetType string) bool { return d.inner.Supports(as, targetType) }

// Send implements Replier: it prints the request the platform would get.
func (d *DryRun) Send(ctx context.Context, req *Request) (Result, error) {
	slot := &captured{}
	_, err := d.inner.Send(context.WithValue(ctx, capturedKey{}, slot), req)
	if slot.req == nil {
		if err == nil {
			err = &Error{Reason: ReasonInvalidRequest, Message: "dry run: the replier sent no HTTP request"}
		}
		return Result{}, err
	}
	id := randomID()
	line := newLogLine(d.now(), d.name, id, req)
	line.HTTP = slot.req
	if err := d.out.write(line); err != nil {
		return Result{}, err
	}
	return Result{ResponseID: id, Status: http.StatusOK, Withheld: WithheldDryRun}, nil
}

// captured receives the request a dry-run client stopped.
type captured struct{ req *HTTPRequest }

type capturedKey struct{}

// errDryRun stops a request at the dry-run client.
var errDryRun = errors.New("dry run: request not sent")

// DryRunClient is an HTTP client that sends nothing: it records the
// request for the DryRun wrapping the replier and fails it.
func DryRunClient() *http.Client {
	return &http.Client{Transport: dryRunTransport{}}
}

type dryRunTransport struct{}

func (dryRunTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		defer r.Body.Close()
	}
	slot, ok := r.Context().Value(capturedKey{}).(*captured)
	if !ok {
		return nil, errDryRun
	}
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, fmt.Errorf("dry run: read request body: %w", err)
		}
		body = b
	}
	slot.req = &HTTPRequest{Method: r.Method, URL: r.URL.String(), Header: redactHeader(r.Header), Body: string(body)}
	return nil, errDryRun
}

// redactHeader copies h with credentials replaced: the Authorization
// scheme stays, so the output still says how the bot authenticates.
func redactHeader(h http.Header) http.Header {
	out := h.Clone()
	for name, vs := range out {
		lower := strings.ToLower(name)
		secret := lower == "authorization" || lower == "cookie" || strings.Contains(lower, "token") ||
			strings.Contains(lower, "secret") || strings.Contains(lower, "api-key") || strings.Contains(lower, "signature")
		if !secret {
			continue
		}
		for i, v := range vs {
			if scheme, _, ok := strings.Cut(v, " "); ok && lower == "authorization" {
				vs[i] = scheme + " [redacted]"
			} else {
				vs[i] = "[redacted]"
			}
		}
	}
	return out
}
