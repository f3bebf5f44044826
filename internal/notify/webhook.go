package notify

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
)

// WebhookConfig configures a Webhook.
type WebhookConfig struct {
	// Name is the notifier's name in the rules file; receivers get it.
	Name string
	URL  string
	// Secret keys the signature; it is never sent and never appears in
	// an error.
	Secret string
	Options
}

// Webhook posts a notification as signed JSON (see Sign and Verify, and
// docs/notifiers.md for receivers).
type Webhook struct {
	name   string
	url    string
	secret []byte
	client *httpapi.Client
}

// WebhookBody is the JSON a receiver gets.
type WebhookBody struct {
	ID       string       `json:"id"`
	Notifier string       `json:"notifier"`
	Rule     string       `json:"rule"`
	Platform string       `json:"platform"`
	Target   event.Target `json:"target"`
	Text     string       `json:"text"`
}

// NewWebhook checks cfg and builds the notifier.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if err := httpapi.CheckSecret("webhook notifier "+strconv.Quote(cfg.Name)+" secret", cfg.Secret); err != nil {
		return nil, err
	}
	u, err := parseTarget("webhook notifier "+strconv.Quote(cfg.Name)+" url", cfg.URL, cfg.Options, true)
	if err != nil {
		return nil, err
	}
	client, err := newClient(cfg.Options, []string{cfg.Secret})
	if err != nil {
		return nil, fmt.Errorf("webhook notifier %q: %w", cfg.Name, err)
	}
	return &Webhook{name: cfg.Name, url: u.String(), secret: []byte(cfg.Secret), client: client}, nil
}

// Notify posts n. Any 2xx is success: the receiver owes us no body. Each
// attempt is signed afresh, so a retry carries a current timestamp.
func (w *Webhook) Notify(ctx context.Context, n Notification) error {
	if n.Text == "" {
		return w.client.InvalidRequest("notification text is empty")
	}
	body, err := httpapi.EncodeJSON(WebhookBody{
		ID: n.ID, Notifier: w.name, Rule: n.Rule, Platform: n.Platform, Target: n.Target, Text: n.Text,
	})
	if err != nil {
		return w.client.InvalidRequest("encoding notification: %v", err)
	}
	ts := w.client.Now().Unix()
	header := http.Header{}
	header.Set(TimestampHeader, strconv.FormatInt(ts, 10))
	header.Set(SignatureHeader, Sign(w.secret, ts, body))

	resp, rerr := send(ctx, w.client, httpapi.Request{
		URL: w.url, ContentType: "application/json", Body: body, Header: header,
	})
	if rerr != nil {
		return rerr
	}
	if !resp.OK() {
		return w.client.StatusError(resp, w.client.BodyMessage(resp))
	}
	return nil
}

var _ Notifier = (*Webhook)(nil)
