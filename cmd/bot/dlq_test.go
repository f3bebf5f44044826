package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/replier"
)

// TestDLQAndHistoryListingsNameTheAction: `bot dlq list` and `bot history`
// say which action a step was (or "post"), and the dead-letter list says
// how many steps a replay would run after it; `bot dlq show` prints them.
func TestDLQAndHistoryListingsNameTheAction(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	store, err := queue.Open(ctx, queue.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	target := event.Target{Type: event.TargetConversation, ID: "c1"}
	// An actions-only rule whose first action could not be rendered.
	_, err = store.Accept(ctx, &queue.Intake{Source: "intercom", EventID: "e1", Topic: "conversation.user.created",
		ReceivedAt: time.Now(), Actions: []queue.Action{{Rule: "triage", Platform: "intercom", TargetKey: "intercom:conversation:c1",
			NoMessage: true, RenderError: `set: plan: unknown variable "contact"`,
			Request: &replier.Request{Platform: "intercom", Action: "set", Target: target},
			Steps: []*replier.Request{
				{Platform: "intercom", Action: "tag", Target: target, Fields: map[string]replier.Value{replier.FieldTags: {List: []string{"vip"}}}},
				{Platform: "notifier:ops-slack", Action: replier.ActionNotify, Target: target},
			}}}})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		run  func(args []string, stdout, stderr *bytes.Buffer) error
		args []string
		want []string
	}{
		{"dlq list", func(a []string, o, e *bytes.Buffer) error { return runDLQList(a, o, e) }, nil,
			[]string{"ACTION", "set (+2 steps)", "render_error"}},
		{"dlq show", func(a []string, o, e *bytes.Buffer) error { return runDLQShow(a, o, e) }, []string{"1"},
			[]string{`"action": "set"`, `"next": [`, `"action": "tag"`, `"platform": "notifier:ops-slack"`}},
		{"history", func(a []string, o, e *bytes.Buffer) error { return runHistory(a, o, e) }, nil,
			[]string{"ACTION", " set ", "dead_lettered"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if err := tc.run(append([]string{"--data", dir}, tc.args...), &out, &errb); err != nil {
				t.Fatalf("%v (stderr %s)", err, errb.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
