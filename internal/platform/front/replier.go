package front

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// Replier posts to one Front company: replies through
// POST /conversations/{id}/messages, internal comments through
// POST /conversations/{id}/comments, as the account's teammate.
type Replier struct {
	base       *url.URL
	auth       string // the Authorization header value
	teammateID string
	channelID  string
	client     *httpapi.Client
}

var _ replier.Replier = (*Replier)(nil)

// NewReplier implements platform.Platform. Errors never quote the token.
func (Platform) NewReplier(a *platform.Account) (replier.Replier, error) {
	wrap := func(err error) error { return fmt.Errorf("front %q: %w", a.Name, err) }
	raw := a.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := httpapi.ParseBaseURL(raw)
	if err != nil {
		return nil, wrap(err)
	}
	if a.Secret == nil {
		return nil, wrap(errors.New("no way to read the token"))
	}
	token, err := a.Secret(settingToken)
	if err != nil {
		return nil, wrap(fmt.Errorf("reading the token: %w", err))
	}
	if err := httpapi.CheckSecret("token", string(token)); err != nil {
		return nil, wrap(err)
	}
	teammate := a.Settings.Get(settingTeammateID)
	if p := checkID(teammate, "tea_"); p != "" {
		return nil, wrap(fmt.Errorf("teammate_id %s", p))
	}
	channel := a.Settings.Get(settingChannelID)
	if channel != "" {
		if p := checkID(channel, "cha_"); p != "" {
			return nil, wrap(fmt.Errorf("channel_id %s", p))
		}
	}
	auth := "Bearer " + string(token)
	client, err := httpapi.New(httpapi.Config{
		HTTPClient: a.Client,
		Timeout:    a.Timeout,
		Secrets:    []string{string(token), auth},
		RateLimit:  rateLimit,
		Now:        a.Now,
	})
	if err != nil {
		return nil, wrap(err)
	}
	return &Replier{base: base, auth: auth, teammateID: teammate, channelID: channel, client: client}, nil
}

// Kind implements replier.Replier.
func (*Replier) Kind() string { return Kind }

// Supports implements replier.Replier from the capability table.
func (*Replier) Supports(as, targetType string) bool {
	_, ok := capability(as, targetType)
	return ok
}

// replyBody is create-message-reply's JSON body: the fields we send.
type replyBody struct {
	Body     string       `json:"body"`
	AuthorID string       `json:"author_id"`
	Channel  string       `json:"channel_id,omitempty"`
	Options  replyOptions `json:"options"`
}

// replyOptions is always sent: Front archives the conversation on a reply
// unless archive is false.
type replyOptions struct {
	Archive bool `json:"archive"`
}

// commentBody is add-comment's JSON body.
type commentBody struct {
	Body     string `json:"body"`
	AuthorID string `json:"author_id"`
}

// Send implements replier.Replier.
func (r *Replier) Send(ctx context.Context, req *replier.Request) (replier.Result, error) {
	if req == nil {
		return replier.Result{}, r.client.InvalidRequest("nil request")
	}
	if req.Action != "" {
		return r.act(ctx, req)
	}
	row, ok := capability(req.As, req.Target.Type)
	if !ok {
		return replier.Result{}, r.client.InvalidRequest("front cannot post %q to a %q target", req.As, req.Target.Type)
	}
	for key := range req.Fields {
		if !slices.Contains(row.Fields, key) {
			return replier.Result{}, r.client.InvalidRequest("reply field %q does not apply to %s", key, req.As)
		}
	}
	if req.Body == "" {
		return replier.Result{}, r.client.InvalidRequest("%s to %s %s: body is empty", req.As, req.Target.Type, req.Target.ID)
	}
	if err := httpapi.CheckPathID(req.Target.ID); err != nil {
		return replier.Result{}, r.client.InvalidRequest("%v", err)
	}

	collection, body := "messages", any(replyBody{
		Body: req.Body, AuthorID: r.teammateID, Channel: r.channelID,
		Options: replyOptions{Archive: req.Flag(fieldArchive)},
	})
	if req.As == platform.AsNote {
		collection, body = "comments", commentBody{Body: req.Body, AuthorID: r.teammateID}
	}
	endpoint, err := httpapi.EndpointURL(r.base, "conversations", req.Target.ID, collection)
	if err != nil {
		return replier.Result{}, r.client.InvalidRequest("%v", err)
	}
	data, err := httpapi.EncodeJSON(body) // HTML bodies go out as written
	if err != nil {
		return replier.Result{}, r.client.InvalidRequest("encoding the %s: %v", req.As, err)
	}

	resp, e := r.client.Do(ctx, httpapi.Request{
		URL: endpoint, ContentType: "application/json", Body: data,
		Header: map[string][]string{"Authorization": {r.auth}},
	})
	if e != nil {
		return replier.Result{}, e
	}
	if !resp.OK() {
		return replier.Result{}, r.client.StatusError(resp, errorMessage(r.client, resp))
	}
	if resp.ReadErr != nil {
		return replier.Result{}, r.client.InvalidResponse(resp, "HTTP %d but %v", resp.Status, resp.ReadErr)
	}
	id, err := responseID(req.As, resp.Body)
	if err != nil {
		return replier.Result{}, r.client.InvalidResponse(resp, "%v: %s", err, r.client.Snippet(resp.Body))
	}
	return replier.Result{ResponseID: id, Status: resp.Status, RateLimit: resp.RateLimit}, nil
}
