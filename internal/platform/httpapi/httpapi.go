// Package httpapi is the HTTP plumbing every platform client shares: one
// deadline per request, redirects never followed, bounded response reads,
// the one table that classifies statuses as retryable or permanent,
// rate-limit headers, and secrets kept out of every error.
package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/supportops/autoresponder/internal/replier"
)

const (
	// UserAgent names the bot, so a platform's logs and support staff can
	// tell who is calling.
	UserAgent = "supportops-autoresponder/1 (+https://github.com/supportops/autoresponder)"

	// DefaultTimeout bounds one call when Config.Timeout is 0.
	DefaultTimeout = 10 * time.Second
	// maxResponseBytes bounds what we read back; anything past this is
	// not a reply we understand.
	maxResponseBytes = 16 << 20
	maxSnippetBytes  = 200
	// maxMessageBytes bounds a message the platform wrote for us: longer
	// than a snippet of an unknown body, still bounded because it ends up
	// in logs and dead letters.
	maxMessageBytes = 1000
)

// Config configures a Client.
type Config struct {
	// HTTPClient defaults to a pooled client. It is copied: its redirect
	// policy is replaced so that redirects are never followed.
	HTTPClient *http.Client
	Timeout    time.Duration
	// Secrets are removed from every error message (tokens, passwords,
	// the Basic credentials as sent). Empty strings are ignored.
	Secrets []string
	// RateLimit reads the platform's rate-limit headers; nil reads
	// X-RateLimit-Limit, -Remaining and -Reset (unix seconds).
	RateLimit func(h http.Header, now time.Time) replier.RateLimit
	// Now defaults to time.Now.
	Now func() time.Time
}

// Client sends requests to one platform account.
type Client struct {
	client    *http.Client
	timeout   time.Duration
	secrets   []string
	rateLimit func(http.Header, time.Time) replier.RateLimit
	now       func() time.Time
}

// New builds a Client. It refuses a secret with whitespace or control
// characters, without quoting it: such a header value is a configuration
// mistake better caught at load than on every send.
func New(cfg Config) (*Client, error) {
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("timeout %v is negative", cfg.Timeout)
	}
	c := &Client{timeout: cfg.Timeout, rateLimit: cfg.RateLimit, now: cfg.Now}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.rateLimit == nil {
		c.rateLimit = ParseRateLimit
	}
	if c.now == nil {
		c.now = time.Now
	}
	for _, s := range cfg.Secrets {
		if s != "" {
			c.secrets = append(c.secrets, s)
		}
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		hc.Transport = pooledTransport()
	}
	// A redirect could carry the credentials and the body to another path
	// or host; the 3xx is answered as a client error instead.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.client = &hc
	return c, nil
}

// CheckSecret refuses an empty secret or one with whitespace or control
// characters, without quoting it.
func CheckSecret(what, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if strings.ContainsFunc(s, isControlOrSpace) {
		return fmt.Errorf("%s contains whitespace or control characters", what)
	}
	return nil
}

// Now is the client's clock.
func (c *Client) Now() time.Time { return c.now() }

// Request is one call.
type Request struct {
	Method      string // defaults to POST
	URL         string
	ContentType string // omitted when empty
	Body        []byte
	// Header is sent as given (auth included); Accept defaults to
	// application/json and User-Agent to UserAgent.
	Header http.Header
}

// Response is what the platform answered, whatever the status.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte
	ReadErr   error // the body could not be read completely
	RateLimit replier.RateLimit
}

// OK reports a 2xx status.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Do sends one request. A nil error means the platform answered; the caller
// reads the status. The error is always redacted.
func (c *Client) Do(ctx context.Context, r Request) (*Response, *replier.Error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, body)
	if err != nil {
		return nil, c.Redact(&replier.Error{Reason: replier.ReasonInvalidRequest, Message: "building request: " + err.Error()})
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	req.Header.Set("User-Agent", UserAgent)

	resp, err := c.client.Do(req)
	if err != nil {
		return nil, c.Redact(transportError(ctx, err))
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
	return &Response{
		Status:    resp.StatusCode,
		Header:    resp.Header,
		Body:      data,
		ReadErr:   readErr,
		RateLimit: c.rateLimit(resp.Header, c.now()),
	}, nil
}

// transportError classifies a request that got no response.
func transportError(ctx context.Context, err error) *replier.Error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		return &replier.Error{Reason: replier.ReasonTimeout, Retry: true, Message: err.Error()}
	}
	return &replier.Error{Reason: replier.ReasonNetwork, Retry: true, Message: err.Error()}
}

// StatusError applies the status table to a non-2xx response; message is
// what the platform said (see PlatformMessage and BodyMessage).
func (c *Client) StatusError(r *Response, message string) *replier.Error {
	reason, retry := ClassifyStatus(r.Status)
	e := &replier.Error{Reason: reason, Retry: retry, Status: r.Status, Message: message, RateLimit: r.RateLimit}
	if retry {
		e.RetryAfter = RetryAfter(r.Status, r.Header, r.RateLimit, c.now())
	}
	return c.Redact(e)
}

// InvalidResponse is a 2xx we cannot read. The reply may well have been
// posted, so it is never retried: a duplicate reply is worse than a miss.
func (c *Client) InvalidResponse(r *Response, format string, args ...any) *replier.Error {
	return c.Redact(&replier.Error{
		Reason:    replier.ReasonInvalidResponse,
		Status:    r.Status,
		Message:   fmt.Sprintf(format, args...),
		RateLimit: r.RateLimit,
	})
}

// InvalidRequest is a request the platform would refuse, found before
// sending: it is never retried.
func (c *Client) InvalidRequest(format string, args ...any) *replier.Error {
	return c.Redact(&replier.Error{Reason: replier.ReasonInvalidRequest, Message: fmt.Sprintf(format, args...)})
}

// Redact removes every secret from e's message; it is the last step of
// every failed send, whatever a platform echoed back.
func (c *Client) Redact(e *replier.Error) *replier.Error {
	e.Message = c.redact(e.Message)
	return e
}

func (c *Client) redact(s string) string {
	for _, secret := range c.secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}

// Snippet is a short, single-line, valid UTF-8 excerpt of a body for an
// error message, secrets removed before cutting so that a cut cannot leave
// a fragment of one behind.
func (c *Client) Snippet(body []byte) string {
	return clip(c.redact(string(body)), maxSnippetBytes)
}

// PlatformMessage cleans a message the platform wrote, like a snippet
// with more room.
func (c *Client) PlatformMessage(s string) string {
	return clip(c.redact(s), maxMessageBytes)
}

// BodyMessage is the fallback error message: a snippet of the body, or the
// status text when the body says nothing.
func (c *Client) BodyMessage(r *Response) string {
	if s := c.Snippet(r.Body); s != "" {
		return s
	}
	if r.ReadErr != nil {
		return r.ReadErr.Error()
	}
	if text := http.StatusText(r.Status); text != "" {
		return strings.ToLower(text)
	}
	return "empty response body"
}

func clip(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
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

// ParseBaseURL checks a configured base URL: http(s), a host, no
// credentials, query or fragment (they would leak into errors or be
// silently dropped). The returned URL has no trailing slash.
func ParseBaseURL(raw string) (*url.URL, error) {
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

// CheckPathID rejects a target id that could move a request off the
// endpoint it names. Platform ids are short tokens, so anything with a
// separator, an escape or a control character is a bug upstream, not an id.
func CheckPathID(id string) error {
	switch {
	case id == "":
		return errors.New("target id is empty")
	case id == "." || id == "..":
		return fmt.Errorf("target id %q is a path step", id)
	case strings.ContainsAny(id, `/\%?#`):
		return fmt.Errorf("target id %q contains a path separator or escape", id)
	case strings.ContainsFunc(id, isControlOrSpace):
		return fmt.Errorf("target id %q contains whitespace or control characters", id)
	}
	return nil
}

// EndpointURL joins escaped path segments onto base and proves the result
// still sits on base's scheme, host and path.
func EndpointURL(base *url.URL, segments ...string) (string, error) {
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

// ClassifyStatus is the one table mapping a non-2xx HTTP status to a
// failure reason and whether sending the same request again may succeed.
func ClassifyStatus(status int) (replier.Reason, bool) {
	switch {
	case status == http.StatusRequestTimeout:
		return replier.ReasonTimeout, true
	case status == http.StatusTooManyRequests:
		return replier.ReasonRateLimited, true
	case status >= 500:
		return replier.ReasonServerError, true
	default:
		// Other 4xx, and 1xx/3xx (redirects are never followed): sending
		// the same request again will fail the same way.
		return replier.ReasonClientError, false
	}
}

// ParseRateLimit reads X-RateLimit-Limit, -Remaining and -Reset (unix
// seconds). Known is set when the platform said both the limit and what
// remains of it.
func ParseRateLimit(h http.Header, _ time.Time) replier.RateLimit {
	return RateLimitFrom(h, "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", ResetUnixSeconds, time.Time{})
}

// How a reset header counts.
const (
	ResetUnixSeconds  = iota // an absolute unix time in seconds
	ResetUnixMillis          // an absolute unix time in milliseconds
	ResetDeltaSeconds        // seconds from now
)

// RateLimitFrom reads a rate limit from the named headers; reset may be ""
// when the platform sends none. now is used by ResetDeltaSeconds.
func RateLimitFrom(h http.Header, limitKey, remainingKey, resetKey string, resetKind int, now time.Time) replier.RateLimit {
	var rl replier.RateLimit
	limit, limitErr := strconv.Atoi(strings.TrimSpace(h.Get(limitKey)))
	remaining, remErr := strconv.Atoi(strings.TrimSpace(h.Get(remainingKey)))
	if limitErr == nil && remErr == nil && limit >= 0 && remaining >= 0 {
		rl.Known = true
		rl.Limit = limit
		rl.Remaining = remaining
	}
	if resetKey == "" {
		return rl
	}
	v, err := strconv.ParseInt(strings.TrimSpace(h.Get(resetKey)), 10, 64)
	if err != nil || v <= 0 {
		return rl
	}
	switch resetKind {
	case ResetUnixSeconds:
		rl.Reset = time.Unix(v, 0)
	case ResetUnixMillis:
		rl.Reset = time.UnixMilli(v)
	case ResetDeltaSeconds:
		const maxSecs = int64(24 * time.Hour / time.Second)
		rl.Reset = now.Add(time.Duration(min(v, maxSecs)) * time.Second)
	}
	return rl
}

// RetryAfter says how long the platform asked us to wait: Retry-After in
// seconds or as an HTTP date, else (on a 429) until the rate-limit window
// resets. Zero means it did not say.
func RetryAfter(status int, h http.Header, rl replier.RateLimit, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			if secs < 0 {
				return 0
			}
			// Cap before multiplying so an absurd value cannot overflow.
			const maxSecs = int64(24 * time.Hour / time.Second)
			return time.Duration(min(secs, maxSecs)) * time.Second
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(now), 0)
		}
	}
	if status == http.StatusTooManyRequests && !rl.Reset.IsZero() {
		return max(rl.Reset.Sub(now), 0)
	}
	return 0
}

// EncodeJSON marshals without HTML escaping: bodies are often HTML and
// go out as written (replier.EncodeJSON, which the log replier uses too).
func EncodeJSON(v any) ([]byte, error) { return replier.EncodeJSON(v) }
