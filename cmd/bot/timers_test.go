package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/queue"
)

// TestTimersListAndCancel: `bot timers list` shows the pending timers,
// `bot timers cancel` refuses to run without a selection and cancels the
// ones selected, which then no longer list.
func TestTimersListAndCancel(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	store, err := queue.Open(ctx, queue.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c1", "c2"} {
		_, err = store.Accept(ctx, &queue.Intake{Source: "s", EventID: "e-" + id, Topic: "created", ReceivedAt: time.Now(),
			Timers: []queue.TimerStart{{Rule: "nudge", TargetKey: "s:conversation:" + id, Platform: "s",
				Target: event.Target{Type: event.TargetConversation, ID: id}, DueAt: time.Now().Add(time.Hour), MaxLate: time.Hour}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	run := func(f func([]string, *bytes.Buffer, *bytes.Buffer) error, args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := f(append([]string{"--data", dir}, args...), &out, &errb)
		return out.String(), err
	}
	list := func(a []string, o, e *bytes.Buffer) error { return runTimersList(a, o, e) }
	cancel := func(a []string, o, e *bytes.Buffer) error { return runTimersCancel(a, o, e) }

	out, err := run(list)
	if err != nil || !strings.Contains(out, "nudge") || !strings.Contains(out, "conversation c1") || !strings.Contains(out, "conversation c2") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if _, err := run(cancel); err == nil {
		t.Error("cancel without ids, --rule or --target succeeded; want it refused")
	}
	if out, err := run(cancel, "--target", "c2"); err != nil || !strings.Contains(out, "cancelled 1 timer") {
		t.Fatalf("cancel --target c2: %v\n%s", err, out)
	}
	out, err = run(list)
	if err != nil || !strings.Contains(out, "conversation c1") || strings.Contains(out, "conversation c2") {
		t.Fatalf("list after cancel: %v\n%s", err, out)
	}
}
