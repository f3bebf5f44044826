package zendesk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// Replier posts comments and notes to one Zendesk account with
// PUT /api/v2/tickets/{id}.json: {"ticket": {"comment": {"body" or
// "html_body", "public", "author_id"}}}, and performs actions (actionsend.go).
type Replier struct {
	base     *url.URL
	auth     string // the Authorization header value
	authorID int64  // 0: author_id is not sent
	client   *httpapi.Client
}

var _ replier.Replier = (*Replier)(nil)

// NewReplier implements platform.Platform. Errors never quote a secret.
func (Platform) NewReplier(a *platform.Account) (replier.Replier, error) {
	wrap := func(err error) error { return fmt.Errorf("zendesk %q: %w", a.Name, err) }
	base, err := httpapi.ParseBaseURL(a.BaseURL)
	if err != nil {
		return nil, wrap(err)
	}
	if strings.HasSuffix(base.Path, "/api/v2") {
		return nil, wrap(fmt.Errorf("base_url %q: give the account URL (https://{subdomain}.zendesk.com), without /api/v2", a.BaseURL))
	}
	if problems := (Platform{}).ValidateAccount(a.Settings); len(problems) > 0 {
		p := problems[0]
		return nil, wrap(fmt.Errorf("%s: %s", strings.Join(p.Path, "."), p.Message))
	}
	auth, secrets, err := authorization(a)
	if err != nil {
		return nil, wrap(err)
	}
	r := &Replier{base: base, auth: auth}
	if a.Settings.Get(SettingSendAuthorID) != "false" {
		// ValidateAccount proved agent_id is digits; it may still overflow.
		if r.authorID, err = strconv.ParseInt(a.Settings.Get(SettingAgentID), 10, 64); err != nil || r.authorID <= 0 {
			return nil, wrap(fmt.Errorf("%s %q is not a Zendesk user id", SettingAgentID, a.Settings.Get(SettingAgentID)))
		}
	}
	r.client, err = httpapi.New(httpapi.Config{
		HTTPClient: a.Client, Timeout: a.Timeout, Now: a.Now,
		Secrets: secrets, RateLimit: rateLimit,
	})
	if err != nil {
		return nil, wrap(err)
	}
	return r, nil
}

// authorization builds the Authorization header from the account's auth
// mode, and lists every form of the secret that could be echoed back.
func authorization(a *platform.Account) (header string, secrets []string, err error) {
	if a.Secret == nil {
		return "", nil, errors.New("no secrets configured")
	}
	switch authMode(a.Settings) {
	case AuthOAuth:
		tok, err := readSecret(a, SettingOAuthToken)
		if err != nil {
			return "", nil, err
		}
		return "Bearer " + tok, []string{tok, "Bearer " + tok}, nil
	default:
		tok, err := readSecret(a, SettingToken)
		if err != nil {
			return "", nil, err
		}
		creds := base64.StdEncoding.EncodeToString([]byte(a.Settings.Get(SettingEmail) + "/token:" + tok))
		return "Basic " + creds, []string{tok, creds, "Basic " + creds}, nil
	}
}

func readSecret(a *platform.Account, key string) (string, error) {
	b, err := a.Secret(key)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", key, err)
	}
	s := string(b)
	if err := httpapi.CheckSecret(key, s); err != nil {
		return "", err
	}
	return s, nil
}

// Kind implements replier.Replier.
func (*Replier) Kind() string { return Kind }

// Supports implements replier.Replier from the capability table.
func (*Replier) Supports(as, targetType string) bool {
	for _, c := range spec.Capabilities {
		if c.As == as && c.Target == targetType {
			return true
		}
	}
	return false
}

// Send implements replier.Replier.
func (r *Replier) Send(ctx context.Context, req *replier.Request) (replier.Result, error) {
	res, e := r.send(ctx, req)
	if e != nil {
		return replier.Result{}, r.client.Redact(e)
	}
	return res, nil
}

func (r *Replier) send(ctx context.Context, req *replier.Request) (replier.Result, *replier.Error) {
	if req == nil {
		return replier.Result{}, r.client.InvalidRequest("nil request")
	}
	if req.Action != "" {
		return r.sendAction(ctx, req)
	}
	if !r.Supports(req.As, req.Target.Type) {
		return replier.Result{}, r.client.InvalidRequest("zendesk cannot post %q to a %q (comment and note go to a ticket)", req.As, req.Target.Type)
	}
	if !isDigits(req.Target.ID) {
		return replier.Result{}, r.client.InvalidRequest("ticket id %q is not a Zendesk ticket number", clip(req.Target.ID))
	}
	if strings.TrimSpace(req.Body) == "" {
		return replier.Result{}, r.client.InvalidRequest("%s to ticket %s: the body is empty, and Zendesk refuses an empty comment", req.As, req.Target.ID)
	}
	endpoint, err := httpapi.EndpointURL(r.base, "api", "v2", "tickets", req.Target.ID+".json")
	if err != nil {
		return replier.Result{}, r.client.InvalidRequest("%v", err)
	}
	body, err := json.Marshal(r.body(req))
	if err != nil {
		return replier.Result{}, r.client.InvalidRequest("encoding the request: %v", err)
	}
	resp, e := r.client.Do(ctx, httpapi.Request{
		Method: http.MethodPut, URL: endpoint, ContentType: "application/json", Body: body,
		Header: http.Header{"Authorization": {r.auth}},
	})
	if e != nil {
		return replier.Result{}, e
	}
	if !resp.OK() {
		return replier.Result{}, r.client.StatusError(resp, r.errorMessage(resp))
	}
	if resp.ReadErr != nil {
		return replier.Result{}, r.client.InvalidResponse(resp, "HTTP %d but %v", resp.Status, resp.ReadErr)
	}
	id, err := responseID(resp.Body)
	if err != nil {
		return replier.Result{}, r.client.InvalidResponse(resp, "%v: %s", err, r.client.Snippet(resp.Body))
	}
	return replier.Result{ResponseID: id, Status: resp.Status, RateLimit: resp.RateLimit}, nil
}

// updateRequest is the body of PUT /api/v2/tickets/{id}.json.
type updateRequest struct {
	Ticket struct {
		Comment comment `json:"comment"`
	} `json:"ticket"`
}

type comment struct {
	Body     string `json:"body,omitempty"`
	HTMLBody string `json:"html_body,omitempty"`
	// Public is always sent: Zendesk's default is a public comment, and a
	// note must never become one by omission.
	Public   bool  `json:"public"`
	AuthorID int64 `json:"author_id,omitempty"`
}

func (r *Replier) body(req *replier.Request) *updateRequest {
	var u updateRequest
	c := &u.Ticket.Comment
	if req.Flag(FieldHTML) {
		c.HTMLBody = req.Body
	} else {
		c.Body = req.Body
	}
	c.Public = req.As == platform.AsComment
	c.AuthorID = r.authorID
	return &u
}
