package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/rules"
)

const timedRules = `
sources:
  helpscout: {kind: helpscout, secret_env: S}
platforms:
  helpscout: {kind: log}
rules:
  - name: nudge
    source: helpscout
    when: topic == "convo.created"
    after: 4h
    cancel_when: topic == "convo.agent.reply.created"
    reply: {as: note, body: "nobody answered"}
`

// TestExplainSaysWhatAnEventDoesToTimers: with a store, explain names the
// pending timer an event would cancel or find already pending, and what
// became of the timers an event started (why one did not fire).
func TestExplainSaysWhatAnEventDoesToTimers(t *testing.T) {
	ctx := context.Background()
	rs, err := rules.Load([]byte(timedRules), "rules.yaml", rules.Options{Platforms: testPlatforms})
	if err != nil {
		t.Fatal(err)
	}
	store, err := queue.Open(ctx, queue.Options{DataDir: filepath.Join(t.TempDir(), "data"), Policy: func() queue.Policy { return queue.DefaultPolicy }})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	target := event.Target{Type: event.TargetConversation, ID: "77"}
	ev := func(id, topic string) *event.Event {
		return &event.Event{Source: "helpscout", Kind: "helpscout", ID: id, Topic: topic, Target: target, ReceivedAt: time.Now()}
	}
	created := ev("e1", "convo.created")
	eval := rs.Evaluate(created)
	in := intakeOf(created, eval, rs)
	if _, err := store.Accept(ctx, in); err != nil {
		t.Fatal(err)
	}
	timers, err := store.Timers(ctx, queue.TimerFilter{Rule: "nudge"})
	if err != nil || len(timers) != 1 {
		t.Fatalf("timers %+v, %v", timers, err)
	}
	id := timers[0].ID

	// A second customer message finds the timer pending.
	ex, err := Explain(ctx, rs, store, ev("e2", "convo.created"))
	if err != nil {
		t.Fatal(err)
	}
	if d := ex.Rules[0].Delivery; !strings.Contains(d, "already pending (retrigger: keep)") {
		t.Errorf("second trigger: delivery %q", d)
	}
	// An agent's reply would cancel it, and says which.
	reply := ev("e3", "convo.agent.reply.created")
	ex, err = Explain(ctx, rs, store, reply)
	if err != nil {
		t.Fatal(err)
	}
	if c := ex.Rules[0].Cancel; c == nil || !c.Matches || !strings.Contains(c.Pending, "would cancel timer") {
		t.Fatalf("agent reply: cancel %+v", c)
	}
	if _, err := store.Accept(ctx, intakeOf(reply, rs.Evaluate(reply), rs)); err != nil {
		t.Fatal(err)
	}
	// Explaining the first event now says why its timer did not fire.
	ex, err = Explain(ctx, rs, store, created)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.TimerHistory) != 1 || ex.TimerHistory[0].Outcome != queue.TimerCancelled || ex.TimerHistory[0].Reason != queue.TimerReasonCancelWhen {
		t.Fatalf("timer history %+v (timer %d)", ex.TimerHistory, id)
	}
}
