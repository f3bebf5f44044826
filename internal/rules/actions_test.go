package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/replier"
)

// stockHeader is header with the WHMCS platform on WHMCS's own API, which
// can act on tickets (UpdateTicket).
var stockHeader = strings.Replace(header, "    token_env: WT\n",
	"    api: whmcs\n    identifier_env: I\n    secret_env: S2\n    admin_username: bot\n", 1)

func TestActionsAreCheckedAgainstThePlatformTable(t *testing.T) {
	rule := func(actions string) string {
		return stockHeader + "  - name: a\n    source: whmcs\n    when: \"true\"\n    actions:\n" + actions
	}
	for _, tc := range []struct{ name, src, want string }{
		{"an action the platform cannot take names what it can",
			rule("      - tag: [vip]\n"),
			"rules.yaml:26:14: rule \"a\": platform \"whmcs\" (whmcs) has no tag action (it has: "},
		{"a value it does not have",
			rule("      - priority: urgent\n"),
			"platform \"whmcs\" (whmcs) has no priority \"urgent\" (it has: low, medium, high)"},
		{"two actions in one item",
			rule("      - priority: high\n        status: closed\n"),
			"an action does one thing, this one has priority and status"},
		{"an empty item",
			rule("      - {}\n"),
			"an action needs one of: tag, assign, priority, status, set, notify"},
		{"until on anything but status",
			rule("      - priority: high\n        until: 2h\n"),
			"until only applies to status"},
		{"a misspelled action key is refused, not ignored",
			rule("      - prority: high\n"),
			"prority"},
		{"notify to an unknown notifier",
			rule("      - notify: {to: ops, text: hi}\n"),
			"no notifier named \"ops\" in notifiers:"},
		{"a rule with neither reply nor actions",
			stockHeader + "  - name: a\n    source: whmcs\n    when: \"true\"\n",
			"a rule needs a reply, actions, or both"},
		{"the reseller API takes no actions",
			header + "  - name: a\n    source: whmcs\n    when: \"true\"\n    actions:\n      - status: closed\n",
			"api: whmcs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.src), "rules.yaml", Options{Platforms: testRegistry})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error:\n%v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestActionsRenderAsStepsAfterTheReply(t *testing.T) {
	rs := mustLoad(t, stockHeader+`  - name: a
    source: whmcs
    when: "true"
    reply: {as: note, body: "Routing."}
    actions:
      - priority: high
      - assign: {department: "{{ '2' }}"}
      - notify: {to: ops, text: "Ticket {{ target.id }} routed"}
  - name: b
    source: whmcs
    when: "true"
    actions:
      - status: closed
notifiers:
  ops: {kind: webhook, url: "https://hooks.example.com/x", secret_env: N}
`)
	ev := &event.Event{Source: "whmcs", Kind: "whmcs", Topic: "TicketOpen", ID: "e1", ReceivedAt: time.Now(),
		Target: event.Target{Type: event.TargetTicket, ID: "77"}}
	got := rs.Evaluate(ev)
	if len(got.Matches) != 2 {
		t.Fatalf("matches %+v errors %+v", got.Matches, got.Errors)
	}
	a := got.Matches[0]
	if a.Err != nil || a.Request.As != "note" || len(a.Steps) != 3 || a.NoMessage {
		t.Fatalf("rule a: %+v (err %v)", a, a.Err)
	}
	if s := a.Steps[0]; s.Action != "priority" || s.Text(replier.FieldPriority) != "high" || s.Platform != "whmcs" {
		t.Errorf("step 1: %+v", s)
	}
	if s := a.Steps[1]; s.Action != "assign" || s.Fields[replier.FieldAssignee].Map["department"] != "2" {
		t.Errorf("step 2: %+v", s)
	}
	if s := a.Steps[2]; s.Platform != replier.NotifierPrefix+"ops" || s.Text(replier.FieldText) != "Ticket 77 routed" || s.Text("id") != "whmcs/e1/a/2" {
		t.Errorf("step 3: %+v", s)
	}
	b := got.Matches[1]
	if b.Err != nil || !b.NoMessage || b.Request.Action != "status" || len(b.Steps) != 0 {
		t.Fatalf("rule b (actions only): %+v (err %v)", b, b.Err)
	}
}

// TestATemplatedValueThePlatformRefusesIsARenderError: a value written
// with {{ }} can only be checked when rendered; the platform's table
// refuses it then, so it becomes a dead letter with the reason rather
// than a call that fails the same way on every retry.
func TestATemplatedValueThePlatformRefusesIsARenderError(t *testing.T) {
	rs := mustLoad(t, stockHeader+`  - name: a
    source: whmcs
    when: "true"
    actions:
      - priority: "{{ 'urgent' }}"
`)
	ev := &event.Event{Source: "whmcs", Kind: "whmcs", Topic: "TicketOpen", ID: "e1", Target: event.Target{Type: event.TargetTicket, ID: "77"}}
	got := rs.Evaluate(ev)
	if len(got.Matches) != 1 || got.Matches[0].Err == nil || !strings.Contains(got.Matches[0].Err.Error(), `priority "urgent" is not one of`) {
		t.Fatalf("%+v", got.Matches)
	}
}

// TestAnActionSomeTargetTypeRefusesIsAWarning: Intercom's events carry
// conversations and tickets, and its rows differ (a ticket takes status
// in_progress, a conversation does not): the loader accepts the rule, and
// bot check --strict fails on the warning that conversations would
// dead-letter it.
func TestAnActionSomeTargetTypeRefusesIsAWarning(t *testing.T) {
	rs := mustLoad(t, header+`  - name: a
    source: intercom
    when: "true"
    once: true
    actions:
      - status: in_progress
`)
	w := rs.Lint()
	if len(w) != 1 || !strings.Contains(w[0].String(), `may be a conversation, and platform "intercom" (intercom) has no status "in_progress" for a conversation`) ||
		!strings.Contains(w[0].String(), "rules.yaml:24:17:") {
		t.Fatalf("warnings: %v", w)
	}
}
