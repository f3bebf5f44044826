package helpscout

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// session is one access token and the HTTP client that sends it, which
// keeps the token and its Authorization value out of every error.
type session struct {
	token   string
	expires time.Time // zero: until the API refuses it
	api     *httpapi.Client
}

// do sends one call; a body goes as JSON, a nil body with no Content-Type.
func (s *session) do(ctx context.Context, method, endpoint string, body []byte) (*httpapi.Response, *replier.Error) {
	r := httpapi.Request{Method: method, URL: endpoint, Header: http.Header{"Authorization": {"Bearer " + s.token}}}
	if body != nil {
		r.ContentType, r.Body = "application/json", body
	}
	return s.api.Do(ctx, r)
}

// Token lifetime handling. Help Scout's client-credentials tokens last 48
// hours; one is refreshed a little before it expires, so that it cannot
// lapse between the check and the request.
const (
	maxTokenMargin   = 5 * time.Minute
	maxTokenLifetime = 30 * 24 * time.Hour // bounds an absurd expires_in
)

// cached returns the current token unless it is about to expire.
func (c *Client) cached() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.current; s != nil && (s.expires.IsZero() || c.now().Before(s.expires)) {
		return s
	}
	return nil
}

// invalidate forgets s, unless another caller has replaced it already.
func (c *Client) invalidate(s *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current == s {
		c.current = nil
	}
}

// session returns a usable token; fresh says it was fetched by this call.
func (c *Client) session(ctx context.Context) (s *session, fresh bool, _ *replier.Error) {
	if s := c.cached(); s != nil {
		return s, false, nil
	}
	select {
	case c.fetching <- struct{}{}:
	case <-ctx.Done():
		return nil, false, waitError(ctx)
	}
	defer func() { <-c.fetching }()
	if s := c.cached(); s != nil {
		return s, false, nil // another caller fetched it while we waited
	}
	s, err := c.fetchToken(ctx)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	c.current = s
	c.mu.Unlock()
	return s, true, nil
}

func waitError(ctx context.Context) *replier.Error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &replier.Error{Reason: replier.ReasonTimeout, Retry: true, Message: "waiting for an access token: " + ctx.Err().Error()}
	}
	return &replier.Error{Reason: replier.ReasonNetwork, Retry: true, Message: "waiting for an access token: " + ctx.Err().Error()}
}

// fetchToken asks POST /v2/oauth2/token for a client-credentials token
// (form-encoded: Help Scout refuses JSON there).
func (c *Client) fetchToken(ctx context.Context) (*session, *replier.Error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.appID},
		"client_secret": {c.appSecret},
	}
	issued := c.now()
	resp, rerr := c.tokenAPI.Do(ctx, httpapi.Request{
		Method: http.MethodPost, URL: c.tokenURL,
		ContentType: "application/x-www-form-urlencoded", Body: []byte(form.Encode()),
	})
	if rerr != nil {
		rerr.Message = "getting an access token: " + rerr.Message
		return nil, rerr
	}
	if !resp.OK() {
		e := statusError(c.tokenAPI, resp)
		e.Message = "getting an access token: " + e.Message
		return nil, e
	}
	if resp.ReadErr != nil {
		return nil, c.tokenAPI.InvalidResponse(resp, "getting an access token: %v", resp.ReadErr)
	}
	var answer struct {
		AccessToken any `json:"access_token"`
		TokenType   any `json:"token_type"`
		ExpiresIn   any `json:"expires_in"`
	}
	if err := json.Unmarshal(resp.Body, &answer); err != nil {
		return nil, c.tokenAPI.InvalidResponse(resp, "the token endpoint answered %d with a body that is not JSON: %s", resp.Status, c.tokenAPI.Snippet(resp.Body))
	}
	token, _ := answer.AccessToken.(string)
	if err := httpapi.CheckSecret("access_token", token); err != nil {
		return nil, c.tokenAPI.InvalidResponse(resp, "the token endpoint's answer is unusable: %v", err)
	}
	if typ, ok := answer.TokenType.(string); answer.TokenType != nil && (!ok || !strings.EqualFold(typ, "bearer")) {
		return nil, c.tokenAPI.InvalidResponse(resp, "the token endpoint answered token_type %v, not bearer", answer.TokenType)
	}
	api, err := c.apiClient(token, "Bearer "+token)
	if err != nil {
		return nil, c.tokenAPI.InvalidRequest("%v", err)
	}
	s := &session{token: token, api: api}
	if ttl := lifetime(answer.ExpiresIn); ttl > 0 {
		s.expires = issued.Add(ttl - min(ttl/10, maxTokenMargin))
	}
	return s, nil
}

// lifetime reads expires_in (seconds); 0 when absent or unusable, and the
// token is then kept until the API refuses it.
func lifetime(v any) time.Duration {
	const maxSecs = int64(maxTokenLifetime / time.Second)
	var secs int64
	switch x := v.(type) {
	case float64:
		secs = int64(min(x, float64(maxSecs)))
	case string:
		secs, _ = strconv.ParseInt(x, 10, 64)
	}
	if secs <= 0 {
		return 0
	}
	return time.Duration(min(secs, maxSecs)) * time.Second
}
