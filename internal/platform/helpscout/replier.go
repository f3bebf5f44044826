package helpscout

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// Client posts replies and notes to one Help Scout account:
// POST /v2/conversations/{id}/reply and /notes, authorised by a
// client-credentials token it fetches, caches until shortly before it
// expires, and fetches again once when the API refuses it (401).
type Client struct {
	name      string
	base      *url.URL
	tokenURL  string
	appID     string
	appSecret string
	http      *http.Client
	timeout   time.Duration
	now       func() time.Time
	// tokenAPI calls the token endpoint; its secrets are the app secret
	// as configured and as form-encoded.
	tokenAPI *httpapi.Client

	mu      sync.Mutex
	current *session
	// fetching lets one caller at a time fetch a token; the others wait
	// for it (or for their context) and use what it got.
	fetching chan struct{}
}

var _ replier.Replier = (*Client)(nil)

// NewReplier builds the client of one account. Errors never quote a secret.
func (Platform) NewReplier(a *platform.Account) (replier.Replier, error) {
	wrap := func(err error) error { return fmt.Errorf("helpscout %q: %w", a.Name, err) }
	raw := a.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := httpapi.ParseBaseURL(raw)
	if err != nil {
		return nil, wrap(err)
	}
	tokenURL, err := httpapi.EndpointURL(base, "v2", "oauth2", "token")
	if err != nil {
		return nil, wrap(err)
	}
	appID := a.Settings.Get(SettingAppID)
	if err := httpapi.CheckSecret(SettingAppID, appID); err != nil {
		return nil, wrap(err)
	}
	if a.Secret == nil {
		return nil, wrap(fmt.Errorf("%s is not configured", SettingAppSecret))
	}
	secret, err := a.Secret(SettingAppSecret)
	if err != nil {
		return nil, wrap(err)
	}
	if err := httpapi.CheckSecret(SettingAppSecret, string(secret)); err != nil {
		return nil, wrap(err)
	}
	now := a.Now
	if now == nil {
		now = time.Now
	}
	c := &Client{
		name: a.Name, base: base, tokenURL: tokenURL, appID: appID, appSecret: string(secret),
		http: a.Client, timeout: a.Timeout, now: now, fetching: make(chan struct{}, 1),
	}
	if c.http == nil {
		// One pool for the token client and every token's API client.
		c.http = &http.Client{Transport: pooledTransport()}
	}
	c.tokenAPI, err = c.apiClient(c.appSecret, url.QueryEscape(c.appSecret))
	if err != nil {
		return nil, wrap(err)
	}
	return c, nil
}

// apiClient builds the shared HTTP client with these secrets kept out of
// its errors.
func (c *Client) apiClient(secrets ...string) (*httpapi.Client, error) {
	return httpapi.New(httpapi.Config{
		HTTPClient: c.http, Timeout: c.timeout, Now: c.now, RateLimit: rateLimit,
		Secrets: append(secrets, c.appSecret),
	})
}

func (c *Client) Kind() string { return Kind }

// Supports answers from the Spec's capability table.
func (c *Client) Supports(as, targetType string) bool {
	return slices.ContainsFunc(spec.Capabilities, func(row platform.Capability) bool {
		return row.As == as && row.Target == targetType
	})
}

// Send posts one reply or note, or performs one action.
func (c *Client) Send(ctx context.Context, req *replier.Request) (replier.Result, error) {
	if req.Action != "" {
		return c.act(ctx, req)
	}
	path, body, rerr := c.render(req)
	if rerr != nil {
		return replier.Result{}, rerr
	}
	endpoint, err := httpapi.EndpointURL(c.base, "v2", "conversations", req.Target.ID, path)
	if err != nil {
		return replier.Result{}, c.invalid("%v", err)
	}

	s, resp, rerr := c.call(ctx, http.MethodPost, endpoint, body)
	if rerr != nil {
		return replier.Result{}, rerr
	}
	if !resp.OK() {
		return replier.Result{}, statusError(s.api, resp)
	}
	id, rerr := responseID(s.api, resp)
	if rerr != nil {
		return replier.Result{}, rerr
	}
	return replier.Result{ResponseID: id, Status: resp.Status, RateLimit: resp.RateLimit}, nil
}

// call sends one API call with the current token. When Help Scout refuses
// a cached token (401), it did nothing with the request, so the call is
// sent again once with a new token; a token fetched for this very call is
// not retried: the credentials themselves are refused. The caller reads
// the status.
func (c *Client) call(ctx context.Context, method, endpoint string, body []byte) (*session, *httpapi.Response, *replier.Error) {
	s, fresh, rerr := c.session(ctx)
	if rerr != nil {
		return nil, nil, rerr
	}
	resp, rerr := s.do(ctx, method, endpoint, body)
	if rerr == nil && resp.Status == http.StatusUnauthorized && !fresh {
		c.invalidate(s)
		if s, _, rerr = c.session(ctx); rerr != nil {
			return nil, nil, rerr
		}
		resp, rerr = s.do(ctx, method, endpoint, body)
	}
	if rerr != nil {
		return nil, nil, rerr
	}
	return s, resp, nil
}

// invalid is a request refused before sending (never retried).
func (c *Client) invalid(format string, args ...any) *replier.Error {
	return c.tokenAPI.InvalidRequest(format, args...)
}

// Bodies of the two endpoints.
type (
	replyBody struct {
		Text     string      `json:"text"`
		Customer customerRef `json:"customer"`
		Status   string      `json:"status,omitempty"`
		Draft    bool        `json:"draft,omitempty"`
	}
	customerRef struct {
		ID int64 `json:"id"`
	}
	noteBody struct {
		Text   string `json:"text"`
		Status string `json:"status,omitempty"`
	}
)

// render checks req and returns the endpoint (reply or notes) and body.
func (c *Client) render(req *replier.Request) (string, []byte, *replier.Error) {
	if !c.Supports(req.As, req.Target.Type) {
		return "", nil, c.invalid("Help Scout cannot post a %q to a %q", req.As, req.Target.Type)
	}
	if err := httpapi.CheckPathID(req.Target.ID); err != nil {
		return "", nil, c.invalid("%v", err)
	}
	if !isPositiveInt(req.Target.ID) {
		return "", nil, c.invalid("conversation id %q is not a Help Scout id (a positive whole number)", req.Target.ID)
	}
	if strings.TrimSpace(req.Body) == "" {
		return "", nil, c.invalid("the body is empty: Help Scout requires text")
	}
	status := req.Text(FieldStatus)
	if status != "" && !slices.Contains(replyStatuses, status) {
		return "", nil, c.invalid("status %q is not one of %s", status, strings.Join(replyStatuses, ", "))
	}
	var path string
	var v any
	switch req.As {
	case platform.AsComment:
		raw := strings.TrimSpace(req.Text(FieldCustomer))
		if !isPositiveInt(raw) {
			return "", nil, c.invalid("customer %q is not a Help Scout customer id (write customer: \"{{ contact.id }}\")", raw)
		}
		id, _ := strconv.ParseInt(raw, 10, 64) // isPositiveInt: fits
		path = "reply"
		v = replyBody{Text: req.Body, Customer: customerRef{ID: id}, Status: status, Draft: req.Flag(FieldDraft)}
	default: // AsNote, the only other row
		path = "notes"
		v = noteBody{Text: req.Body, Status: status}
	}
	body, err := json.Marshal(v)
	if err != nil {
		return "", nil, c.invalid("encoding the body: %v", err)
	}
	return path, body, nil
}

// rateLimit reads Help Scout's per-minute headers; X-RateLimit-Retry-After
// (seconds) is when the window frees up, which the 429 handling waits for
// when there is no Retry-After.
func rateLimit(h http.Header, now time.Time) replier.RateLimit {
	return httpapi.RateLimitFrom(h, "X-RateLimit-Limit-Minute", "X-RateLimit-Remaining-Minute",
		"X-RateLimit-Retry-After", httpapi.ResetDeltaSeconds, now)
}

// statusError is a failed answer: the platform's message, and the wait it
// asked for. Help Scout says how long in X-RateLimit-Retry-After; a
// standard Retry-After, when present, wins.
func statusError(api *httpapi.Client, r *httpapi.Response) *replier.Error {
	e := api.StatusError(r, platformMessage(api, r))
	if e.Retry && r.Header.Get("Retry-After") == "" {
		if secs, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get("X-RateLimit-Retry-After")), 10, 64); err == nil && secs > 0 {
			const maxSecs = int64(24 * time.Hour / time.Second)
			e.RetryAfter = time.Duration(min(secs, maxSecs)) * time.Second
		}
	}
	return e
}

// pooledTransport keeps more idle connections to the one API host than
// net/http's default of 2.
func pooledTransport() http.RoundTripper {
	dt, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t := dt.Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}
