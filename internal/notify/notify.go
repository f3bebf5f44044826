// Package notify sends notifications to people rather than to helpdesks:
// a signed JSON webhook (Webhook) or a Slack incoming-webhook message
// (Slack). Both go through the shared httpapi client (one deadline, no
// redirects, bounded reads, the one status table, secrets redacted) over a
// transport that refuses loopback, private, link-local, unspecified and
// multicast addresses at dial time unless AllowPrivate is set.
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform/httpapi"
	"github.com/supportops/autoresponder/internal/replier"
)

// Notifier sends one notification. A non-nil error is always a
// *replier.Error, classified like a reply's: 429 and 5xx are retryable,
// other 4xx and refused addresses are permanent.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// Notification is what a rule's notify action rendered.
type Notification struct {
	// ID is stable across retries of one notification (the job's key), so
	// that a receiver can drop a duplicate.
	ID string
	// Text is the rendered message; it must not be empty.
	Text string
	// Rule, Platform and Target say what the notification is about.
	Rule     string
	Platform string
	Target   event.Target
}

// Options are shared by every kind of notifier.
type Options struct {
	// AllowPrivate permits plain http and loopback, private, link-local,
	// unspecified and multicast addresses (a receiver on the same
	// network, or a test server).
	AllowPrivate bool
	// Timeout bounds one send; 0 is httpapi.DefaultTimeout.
	Timeout time.Duration
	// Now defaults to time.Now; the webhook signs with it.
	Now func() time.Time
}

// parseTarget checks a notifier URL: https (http only with AllowPrivate),
// a host, no credentials or fragment, and no literal address the guard
// would refuse anyway. what names the URL in errors; quote says whether
// the URL may be quoted (a Slack URL is a secret and never is).
func parseTarget(what, raw string, opt Options, quote bool) (*url.URL, error) {
	shown := "(not shown: it is a secret)"
	if quote {
		shown = fmt.Sprintf("%q", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		if quote {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		return nil, fmt.Errorf("%s does not parse %s", what, shown)
	}
	switch {
	case u.Scheme != "https" && !(opt.AllowPrivate && u.Scheme == "http"):
		if opt.AllowPrivate {
			return nil, fmt.Errorf("%s %s: scheme must be http or https", what, shown)
		}
		return nil, fmt.Errorf("%s %s: scheme must be https (http only with allow_private)", what, shown)
	case u.Hostname() == "":
		return nil, fmt.Errorf("%s %s: no host", what, shown)
	case u.User != nil:
		return nil, fmt.Errorf("%s: must not contain credentials", what)
	case u.Fragment != "":
		return nil, fmt.Errorf("%s %s: must not have a fragment", what, shown)
	}
	if !opt.AllowPrivate {
		if err := checkLiteralHost(u.Hostname()); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	return u, nil
}

// CheckURL checks a notifier URL written in the rules file as NewWebhook
// will when the bot starts (scheme, host, and no literal address the guard
// refuses), so that `bot check` refuses what `bot serve` would.
func CheckURL(raw string, allowPrivate bool) error {
	_, err := parseTarget("url", raw, Options{AllowPrivate: allowPrivate}, true)
	return err
}

// newClient builds the httpapi client over the guarded transport.
func newClient(opt Options, secrets []string) (*httpapi.Client, error) {
	return httpapi.New(httpapi.Config{
		HTTPClient: newHTTPClient(opt.AllowPrivate),
		Timeout:    opt.Timeout,
		Secrets:    secrets,
		Now:        opt.Now,
	})
}

// send is httpapi's Do, except that a connection the guard refused is a
// permanent invalid request naming the address, not a retryable network
// error: sending again would be refused again.
func send(ctx context.Context, c *httpapi.Client, r httpapi.Request) (*httpapi.Response, *replier.Error) {
	ctx, refused := withRefusals(ctx)
	resp, err := c.Do(ctx, r)
	if err != nil {
		var blocked *BlockedAddressError
		if first := refused.first(); first != nil && errors.As(first, &blocked) {
			return nil, c.InvalidRequest("%v", blocked)
		}
		return nil, err
	}
	return resp, nil
}
