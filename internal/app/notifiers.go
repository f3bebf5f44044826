package app

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/notify"
	"github.com/supportops/autoresponder/internal/replier"
	"github.com/supportops/autoresponder/internal/rules"
)

// notifierReplier lets a notify action travel the delivery path of every
// other step (durable job, retries, dead letters, history): the queue
// sees a replier named NotifierPrefix + the notifier's name.
type notifierReplier struct {
	name string
	n    notify.Notifier
}

func (r notifierReplier) Kind() string                 { return "notifier" }
func (r notifierReplier) Supports(string, string) bool { return false }

func (r notifierReplier) Send(ctx context.Context, req *replier.Request) (replier.Result, error) {
	if req.Action != replier.ActionNotify {
		return replier.Result{}, &replier.Error{Reason: replier.ReasonInvalidRequest,
			Message: fmt.Sprintf("notifier %q only sends notify actions, not %q", r.name, req.Action+req.As)}
	}
	n := notify.Notification{
		ID: req.Text("id"), Text: req.Text(replier.FieldText), Rule: req.Text("rule"),
		Platform: req.Text("platform"), Target: event.Target{Type: req.Target.Type, ID: req.Target.ID},
	}
	if err := r.n.Notify(ctx, n); err != nil {
		return replier.Result{}, err
	}
	return replier.Result{}, nil
}

// buildNotifiers reads each notifier's URL and secret and builds it. In a
// dry run a notifier prints what it would send, like a platform.
func buildNotifiers(rs *rules.Ruleset, secrets secretReader, dryRun bool, logOut io.Writer) (map[string]replier.Replier, []string) {
	out := map[string]replier.Replier{}
	var problems []string
	names := make([]string, 0, len(rs.Config.Notifiers))
	for name := range rs.Config.Notifiers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		cfg := rs.Config.Notifiers[name]
		key := replier.NotifierPrefix + name
		if dryRun {
			out[key] = dryRunLog{replier.NewLog(key, logOut)}
			continue
		}
		what := "notifier " + name
		url := []byte(cfg.URL)
		if cfg.URL == "" {
			var err error
			if url, err = secrets.read(what+" url", cfg.URLEnv, cfg.URLFile); err != nil {
				problems = append(problems, err.Error())
				continue
			}
		}
		opts := notify.Options{AllowPrivate: cfg.AllowPrivate, Timeout: rs.Settings.Timeout}
		var n notify.Notifier
		var err error
		switch cfg.Kind {
		case rules.NotifierSlack:
			n, err = notify.NewSlack(notify.SlackConfig{Name: name, URL: string(url), Options: opts})
		case rules.NotifierWebhook:
			var secret []byte
			if secret, err = secrets.read(what+" secret", cfg.SecretEnv, cfg.SecretFile); err == nil {
				n, err = notify.NewWebhook(notify.WebhookConfig{Name: name, URL: string(url), Secret: string(secret), Options: opts})
			}
		default:
			err = fmt.Errorf("%s: unknown kind %q", what, cfg.Kind)
		}
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		out[key] = notifierReplier{name: name, n: n}
	}
	return out, problems
}
