package rules

import (
	"github.com/supportops/autoresponder/internal/notify"
)

// Notifier kinds.
const (
	NotifierSlack   = "slack"
	NotifierWebhook = "webhook"
)

// notifiers checks the notifiers section. URLs and secrets are read when
// the bot starts (like platform tokens), so a check without the
// environment still finds every mistake in the file.
func (c *compiler) notifiers() {
	for _, name := range sortedKeys(c.cfg.Notifiers) {
		at := path{"notifiers", name}
		n := c.cfg.Notifiers[name]
		if !nameRE.MatchString(name) {
			c.errAt(at, "", "notifier name %q must match [a-z0-9-]+", name)
		}
		if n == nil {
			c.errAt(at, "", "notifier %q is empty: give it a kind (slack or webhook) and a url", name)
			continue
		}
		given := 0
		for _, s := range []string{n.URL, n.URLEnv, n.URLFile} {
			if s != "" {
				given++
			}
		}
		if given != 1 {
			c.errAt(at, "", "notifier %q needs exactly one of url, url_env and url_file", name)
		}
		switch n.Kind {
		case NotifierSlack:
			if n.URL != "" {
				c.errAt(append(at, "url"), "", "a Slack incoming-webhook URL is a secret (whoever has it can post): use url_env or url_file, not url")
			}
			if n.SecretEnv != "" || n.SecretFile != "" {
				c.errAt(at, "", "notifier %q: Slack incoming webhooks take no signing secret", name)
			}
		case NotifierWebhook:
			if n.SecretEnv == "" && n.SecretFile == "" {
				c.errAt(at, "", "notifier %q needs secret_env or secret_file: receivers verify the X-Autoresponder-Signature with it", name)
			}
			if n.SecretEnv != "" && n.SecretFile != "" {
				c.errAt(at, "", "notifier %q: give secret_env or secret_file, not both", name)
			}
			if n.URL != "" {
				// The check the notifier makes when the bot starts: a
				// loopback or private literal address, http without
				// allow_private.
				if err := notify.CheckURL(n.URL, n.AllowPrivate); err != nil {
					c.errAt(append(at, "url"), "", "notifier %q %v", name, err)
				}
			}
		case "":
			c.errAt(at, "", "notifier %q needs a kind: slack or webhook", name)
		default:
			c.errAt(append(at, "kind"), "", "notifier kind %q is not slack or webhook", n.Kind)
		}
	}
}
