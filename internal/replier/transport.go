package replier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	// userAgent names the bot, so a platform's logs and support staff can
	// tell who is calling.
	userAgent = "supportops-autoresponder/1 (+https://github.com/supportops/autoresponder)"

	defaultTimeout = 10 * time.Second
	// maxResponseBytes bounds what we read back; a conversation with 500
	// parts is a few MB, anything past this is not a reply we understand.
	maxResponseBytes = 16 << 20
	maxSnippetBytes  = 200
	// maxMessageBytes bounds a message the platform wrote for us (an
	// error.list, a WHMCS message): longer than a snippet of an unknown body,
	// still bounded because it ends up in logs and dead letters.
	maxMessageBytes = 1000
)

// transport is the HTTP plumbing the platform repliers share: one deadline
// per request, redirects never followed, the token kept out of every error.
type transport struct {
	client  *http.Client
	timeout time.Duration
	token   string
	now     func() time.Time
}

func newTransport(client *http.Client, timeout time.Duration, token string) (*transport, error) {
	if token == "" {
		return nil, errors.New("token is empty")
	}
	if strings.ContainsFunc(token, isControlOrSpace) {
		// Caught here rather than on every send; the token itself is never quoted.
		return nil, errors.New("token contains whitespace or control characters")
	}
	if timeout < 0 {
		return nil, fmt.Errorf("timeout %v is negative", timeout)
	}
	if timeout == 0 {
		timeout = defaultTimeout
	}
	var c http.Client
	if client != nil {
		c = *client // a copy: the caller's client keeps its own redirect policy
	} else {
		c.Transport = pooledTransport()
	}
	// A redirect could carry the token and the body to another path or host;
	// the 3xx is answered as a client error instead.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &transport{client: &c, timeout: timeout, token: token, now: time.Now}, nil
}

// response is what the platform answered, whatever the status.
type response struct {
	status    int
	header    http.Header
	body      []byte
	readErr   error // the body could not be read completely
	rateLimit RateLimit
}

func (r *response) ok() bool { return r.status >= 200 && r.status < 300 }

// post sends body to endpoint. A nil *Error means the platform answered;
// the caller reads the status.
func (t *transport) post(ctx context.Context, endpoint, contentType string, body []byte, header http.Header) (*response, *Error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, &Error{Reason: ReasonInvalidRequest, Message: "building request: " + err.Error()}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+t.token)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)

	resp, err := t.client.Do(req)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer resp.Body.Close()

	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if readErr == nil && len(data) > maxResponseBytes {
		data = data[:maxResponseBytes]
		readErr = fmt.Errorf("response body larger than %d bytes", maxResponseBytes)
	}
	if readErr != nil {
		readErr = fmt.Errorf("reading response body: %w", readErr)
	}
	return &response{
		status:    resp.StatusCode,
		header:    resp.Header,
		body:      data,
		readErr:   readErr,
		rateLimit: parseRateLimit(resp.Header),
	}, nil
}

// transportError classifies a request that got no response.
func transportError(ctx context.Context, err error) *Error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		return &Error{Reason: ReasonTimeout, Retry: true, Message: err.Error()}
	}
	return &Error{Reason: ReasonNetwork, Retry: true, Message: err.Error()}
}

// statusError applies the status table to a non-2xx response.
func (t *transport) statusError(r *response, message string) *Error {
	reason, retry := classifyStatus(r.status)
	e := &Error{Reason: reason, Retry: retry, Status: r.status, Message: message, RateLimit: r.rateLimit}
	if retry {
		e.RetryAfter = retryAfter(r.status, r.header, r.rateLimit, t.now())
	}
	return e
}

// invalidResponse is a 2xx we cannot read. The reply may well have been
// posted, so it is never retried: a duplicate reply is worse than a miss.
func invalidResponse(r *response, format string, args ...any) *Error {
	return &Error{
		Reason:    ReasonInvalidResponse,
		Status:    r.status,
		Message:   fmt.Sprintf(format, args...),
		RateLimit: r.rateLimit,
	}
}

// redact is the last step of every failed send: whatever a platform echoed
// back (headers in an HTML error page, a URL), the token does not leave.
func (t *transport) redact(e *Error) *Error {
	e.Message = redactToken(e.Message, t.token)
	return e
}

func redactToken(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "[redacted]")
}

// snippet is a short, single-line, valid UTF-8 excerpt of a body for an
// error message. The token is removed before cutting, so a cut cannot leave
// a fragment of it behind.
func snippet(body []byte, token string) string {
	return clip(string(body), token, maxSnippetBytes)
}

// platformMessage cleans a message the platform wrote like a snippet, with
// more room.
func platformMessage(s, token string) string {
	return clip(s, token, maxMessageBytes)
}

func clip(s, token string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = redactToken(s, token)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= limit {
		return s
	}
	const ellipsis = "..."
	n := limit - len(ellipsis)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + ellipsis
}

// bodyMessage is the fallback error message: a snippet, or the status text
// when the body says nothing.
func bodyMessage(r *response, token string) string {
	if s := snippet(r.body, token); s != "" {
		return s
	}
	if r.readErr != nil {
		return r.readErr.Error()
	}
	if text := http.StatusText(r.status); text != "" {
		return strings.ToLower(text)
	}
	return "empty response body"
}

// pooledTransport keeps more idle connections per host than net/http's
// default of 2: all of a replier's requests go to one host, concurrently.
func pooledTransport() http.RoundTripper {
	dt, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t := dt.Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

func isControlOrSpace(r rune) bool {
	return r <= ' ' || r == 0x7f
}

// parseBaseURL checks a configured base URL: http(s), a host, no
// credentials, query or fragment (they would leak into errors or be
// silently dropped). The returned URL has no trailing slash.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("base URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("base URL %q: scheme must be http or https", raw)
	case u.Host == "":
		return nil, fmt.Errorf("base URL %q: no host", raw)
	case u.User != nil:
		return nil, errors.New("base URL: must not contain credentials (use the token)")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("base URL %q: must not have a query or fragment", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// checkPathID rejects a target id that could move a request off the
// endpoint it names. Platform ids are short tokens (digits, hex, "last"),
// so anything with a separator, an escape or a control character is a bug
// upstream, not an id.
func checkPathID(id string) error {
	switch {
	case id == "":
		return errors.New("target id is empty")
	case id == "." || id == "..":
		return fmt.Errorf("target id %q is a path step", id)
	case strings.ContainsAny(id, `/\%`):
		return fmt.Errorf("target id %q contains a path separator or escape", id)
	case strings.ContainsFunc(id, isControlOrSpace):
		return fmt.Errorf("target id %q contains whitespace or control characters", id)
	}
	return nil
}

// endpointURL joins escaped path segments onto base and proves the result
// still sits on base's scheme, host and path.
func endpointURL(base *url.URL, segments ...string) (string, error) {
	escaped := make([]string, len(segments))
	for i, s := range segments {
		escaped[i] = url.PathEscape(s)
	}
	prefix := base.EscapedPath()
	rawPath := prefix + "/" + strings.Join(escaped, "/")
	path, err := url.PathUnescape(rawPath)
	if err != nil {
		return "", fmt.Errorf("building path: %w", err)
	}
	u := url.URL{Scheme: base.Scheme, Host: base.Host, Path: path, RawPath: rawPath}
	out := u.String()

	back, err := url.Parse(out)
	if err != nil {
		return "", fmt.Errorf("built URL does not parse: %w", err)
	}
	if back.Scheme != base.Scheme || back.Host != base.Host || back.EscapedPath() != rawPath ||
		!strings.HasPrefix(back.EscapedPath(), prefix+"/") || back.RawQuery != "" || back.Fragment != "" {
		return "", fmt.Errorf("built URL %q leaves the configured base", out)
	}
	return out, nil
}
