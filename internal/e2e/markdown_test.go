package e2e

import (
	"encoding/json"
	"testing"
	"time"
)

// TestWHMCSMarkdownEscapesCustomerText: the bot posts a WHMCS Markdown reply
// that quotes a customer's message with the customer's Markdown and HTML
// escaped, so WHMCS shows their text instead of their links, emphasis,
// headings or script; the rule's own raw() Markdown is posted as written.
// A plain-text WHMCS reply quotes the text as it is. (message.html is the
// message as WHMCS sent it; message.text has HTML removed and lines joined.)
func TestWHMCSMarkdownEscapesCustomerText(t *testing.T) {
	const customer = "*urgent* [click here](http://x) `rm -rf`\n# Refund now\n<script>alert(1)</script>_me_ about #5531"
	const escaped = `\*urgent\* \[click here\](http://x) \` + "`" + `rm -rf\` + "`" + "\n" +
		`\# Refund now` + "\n" + `&lt;script&gt;alert(1)&lt;/script&gt;\_me\_ about #5531`
	f := newFakes(t)
	rules := rulesYAML(
		rule{name: "md-quote", source: "whmcs", target: "5901", reply: `as: comment
markdown: true
body: "{{ raw('**You wrote:**') }}\n\n{{ message.html }}\n\n{{ raw('[FAQ](https://faq.example)') }}"`},
		rule{name: "plain-quote", source: "whmcs", target: "5902", reply: `as: comment
body: "You wrote: {{ message.html }}"`},
	)
	bot := Start(t, Config{Rules: f.rules("", rules)})
	logsOnFailure(t, bot)

	for _, c := range []struct{ target, message, markdown string }{
		{"5901", "**You wrote:**\n\n" + escaped + "\n\n[FAQ](https://faq.example)", "1"},
		{"5902", "You wrote: " + customer, ""},
	} {
		body := payload(t, "whmcs_TicketOpen.json", map[string]any{
			"id": "TicketOpen-e2e-md-" + c.target, "vars.ticketid": json.Number(c.target), "vars.message": customer,
		})
		post(t, bot, "whmcs", "whmcs", body, "accepted")
		WaitFor(t, 10*time.Second, "the reply at the fake", func() bool { return len(f.to(c.target)) > 0 })
		got := f.to(c.target)
		if len(got) != 1 {
			t.Fatalf("%d requests for ticket %s; want 1", len(got), c.target)
		}
		if got[0].Form["message"] != c.message || got[0].Form["markdown"] != c.markdown {
			t.Errorf("ticket %s: message = %q (markdown %q)\nwant %q (markdown %q)", c.target, got[0].Form["message"], got[0].Form["markdown"], c.message, c.markdown)
		}
	}
}
