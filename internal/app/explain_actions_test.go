package app

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/rules"
)

// TestExplainAgreesWithTheIntakeOnActionsOnlyRules: explain --store said an
// actions-only rule was suppressed by the target budget (found by review),
// while the intake, which does not count it there, queued it.
func TestExplainAgreesWithTheIntakeOnActionsOnlyRules(t *testing.T) {
	const src = `
sources:
  helpscout: {kind: helpscout, secret_env: S}
platforms:
  helpscout: {kind: log}
rules:
  - name: ack
    source: helpscout
    when: topic in ["convo.created", "convo.customer.reply.created"]
    reply: {as: note, body: "seen"}
  - name: tagit
    source: helpscout
    when: topic == "convo.created"
    actions:
      - tag: [seen]
`
	ctx := context.Background()
	rs, err := rules.Load([]byte(src), "rules.yaml", rules.Options{Platforms: testPlatforms})
	if err != nil {
		t.Fatal(err)
	}
	store, err := queue.Open(ctx, queue.Options{DataDir: filepath.Join(t.TempDir(), "data"), Policy: func() queue.Policy { return queue.DefaultPolicy }})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ev := func(i int, topic string) *event.Event {
		return &event.Event{Source: "helpscout", Kind: "helpscout", ID: fmt.Sprintf("e%d", i), Topic: topic,
			Target: event.Target{Type: event.TargetConversation, ID: "77"}, ReceivedAt: time.Now()}
	}
	// Three customer replies acknowledged: the conversation's message
	// budget (3 an hour) is used up; no action ran on it yet.
	for i := range 3 {
		e := ev(i, "convo.customer.reply.created")
		if _, err := store.Accept(ctx, intakeOf(e, rs.Evaluate(e), rs)); err != nil {
			t.Fatal(err)
		}
	}
	e := ev(9, "convo.created")
	ex, err := Explain(ctx, rs, store, e)
	if err != nil {
		t.Fatal(err)
	}
	res, err := store.Accept(ctx, intakeOf(e, rs.Evaluate(e), rs))
	if err != nil {
		t.Fatal(err)
	}
	// Three replies filled the target's message budget: the reply rule
	// is suppressed, the actions-only rule still acts; explain says so.
	if res.Actions[1].Outcome != queue.Queued || ex.Rules[1].Delivery != "would be sent now" {
		t.Errorf("actions-only rule: explain %q, intake %s; want both to queue it", ex.Rules[1].Delivery, res.Actions[1].Outcome)
	}
	if res.Actions[0].Outcome != queue.Suppressed || ex.Rules[0].Delivery != "suppressed now: "+queue.ReasonTargetBudget {
		t.Errorf("reply rule: explain %q, intake %s; want both to suppress it (target budget)", ex.Rules[0].Delivery, res.Actions[0].Outcome)
	}
}
