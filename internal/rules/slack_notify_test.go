package rules

import (
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/replier"
)

// TestSlackNotifyEscapesCustomerText: customer text in a Slack notification
// cannot ping the channel or disguise a link (found by review: it reached
// Slack raw); the rule's own literal text is kept as written.
func TestSlackNotifyEscapesCustomerText(t *testing.T) {
	rs := mustLoad(t, stockHeader+`  - name: a
    source: whmcs
    when: "true"
    actions:
      - notify: {to: ops, text: "New ticket: {{ message?.text ?? '' }}"}
notifiers:
  ops: {kind: slack, url_env: SLACK}
`)
	ev := &event.Event{Source: "whmcs", Kind: "whmcs", Topic: "TicketOpen", ID: "e1", ReceivedAt: time.Now(),
		Target:  event.Target{Type: event.TargetTicket, ID: "77"},
		Message: &event.Message{Text: "<!channel> please <https://evil.example|verify your account>"}}
	got := rs.Evaluate(ev)
	if len(got.Matches) != 1 {
		t.Fatalf("matches %+v errors %+v", got.Matches, got.Errors)
	}
	text := got.Matches[0].Request.Text(replier.FieldText)
	t.Logf("slack text: %q", text)
	want := "New ticket: &lt;!channel&gt; please &lt;https://evil.example|verify your account&gt;"
	if text != want {
		t.Errorf("slack text %q; want %q", text, want)
	}
}
