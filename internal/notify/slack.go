package notify

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/supportops/autoresponder/internal/platform/httpapi"
)

// SlackConfig configures a Slack notifier.
type SlackConfig struct {
	Name string
	// URL is the incoming webhook's URL. Whoever has it can post to the
	// channel, so it is a secret: it is never quoted in an error.
	URL string
	Options
}

// Slack posts a notification as a Slack incoming-webhook message.
type Slack struct {
	url    string
	client *httpapi.Client
}

// slackMessage is the smallest documented incoming-webhook payload.
type slackMessage struct {
	Text string `json:"text"`
}

// NewSlack checks cfg and builds the notifier.
func NewSlack(cfg SlackConfig) (*Slack, error) {
	what := "slack notifier " + strconv.Quote(cfg.Name) + " url"
	if cfg.URL == "" {
		return nil, errors.New(what + " is empty")
	}
	u, err := parseTarget(what, cfg.URL, cfg.Options, false)
	if err != nil {
		return nil, err
	}
	client, err := newClient(cfg.Options, slackSecrets(cfg.URL, u))
	if err != nil {
		return nil, err
	}
	return &Slack{url: u.String(), client: client}, nil
}

// slackSecrets are every spelling of the URL an error could quote: net/http
// quotes the whole URL, a server may echo the path, and each path segment
// long enough to be a token (/services/T…/B…/<token>) could show alone.
// The whole URL comes first so that it is redacted as one.
func slackSecrets(raw string, u *url.URL) []string {
	out := []string{raw, u.String(), u.EscapedPath(), u.Path}
	for _, seg := range strings.Split(u.Path, "/") {
		if len(seg) >= 8 {
			out = append(out, seg)
		}
	}
	return out
}

// Notify posts n.Text. Slack answers "ok" with 200, and failures as a
// plain-text code: 400 invalid_payload or no_text, 403 invalid_token or
// action_prohibited, 404 no_service or channel_not_found, 410
// channel_is_archived, 429 with Retry-After, 5xx rollup_error.
func (s *Slack) Notify(ctx context.Context, n Notification) error {
	if n.Text == "" {
		return s.client.InvalidRequest("notification text is empty")
	}
	body, err := httpapi.EncodeJSON(slackMessage{Text: n.Text})
	if err != nil {
		return s.client.InvalidRequest("encoding slack message: %v", err)
	}
	resp, rerr := send(ctx, s.client, httpapi.Request{
		URL: s.url, ContentType: "application/json", Body: body,
		Header: http.Header{"Accept": {"text/plain"}},
	})
	if rerr != nil {
		return rerr
	}
	answer := strings.TrimSpace(string(resp.Body))
	if !resp.OK() {
		msg := s.client.BodyMessage(resp)
		if answer != "" && resp.ReadErr == nil {
			msg = "slack: " + s.client.PlatformMessage(answer)
		}
		return s.client.StatusError(resp, msg)
	}
	if resp.ReadErr != nil || answer != "ok" {
		// Slack may have posted it: never retried (a duplicate in the
		// channel is worse than a miss).
		return s.client.InvalidResponse(resp, "slack answered %d without \"ok\": %s", resp.Status, s.client.BodyMessage(resp))
	}
	return nil
}

// EscapeSlack makes s literal text in a Slack message: Slack reads &, <
// and > as markup, so a customer's "<!channel>" or "<https://x|click>"
// would ping the channel or show a disguised link. Apply it to values
// interpolated into a Slack notification, not to the rule author's text.
func EscapeSlack(s string) string {
	return slackEscaper.Replace(s)
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

var _ Notifier = (*Slack)(nil)
