package delivery_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/delivery"
	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/replier"
	"github.com/supportops/autoresponder/internal/testpg"
)

// TestMain says once when the PostgreSQL tests of this package are skipped.
func TestMain(m *testing.M) { testpg.Main(m) }

// acceptingReplier takes every request and remembers what it took; after
// is called once it has taken one (a reload between two steps).
type acceptingReplier struct {
	kind  string
	mu    sync.Mutex
	took  []replier.Request
	after func()
}

func (r *acceptingReplier) Kind() string                 { return r.kind }
func (r *acceptingReplier) Supports(string, string) bool { return true }

func (r *acceptingReplier) Send(_ context.Context, req *replier.Request) (replier.Result, error) {
	r.mu.Lock()
	r.took = append(r.took, *req)
	r.mu.Unlock()
	if r.after != nil {
		r.after()
	}
	return replier.Result{ResponseID: "part-1"}, nil
}

func (r *acceptingReplier) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.took)
}

// TestLaterStepOfARemovedRuleOrPlatformIsDeadLettered: when a reload
// removes the rule, or the platform a later step goes to, while the rule's
// chain is running, that step is dead-lettered with the reason and keeps
// the steps after it; nothing after it is sent, on SQLite and PostgreSQL.
func TestLaterStepOfARemovedRuleOrPlatformIsDeadLettered(t *testing.T) {
	for _, tc := range []struct {
		name string
		// reloadAfterReply removes the rule once the reply was posted.
		reloadAfterReply bool
		// notifier is in the running configuration.
		notifier bool
		wantErr  string
	}{
		{name: "rule removed after the reply", reloadAfterReply: true, notifier: true,
			wantErr: `rule "refund" is not in the running configuration`},
		{name: "notifier not configured", notifier: false,
			wantErr: `platform "notifier:ops-slack" is not in the running configuration`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for kind, opts := range map[string]func(t *testing.T) queue.Options{
				"sqlite":   func(t *testing.T) queue.Options { return queue.Options{DataDir: t.TempDir()} },
				"postgres": func(t *testing.T) queue.Options { return queue.Options{DatabaseURL: testpg.Fresh(t)} },
			} {
				t.Run(kind, func(t *testing.T) { runRemovedStep(t, opts(t), tc.reloadAfterReply, tc.notifier, tc.wantErr) })
			}
		})
	}
}

func runRemovedStep(t *testing.T, opts queue.Options, reloadAfterReply, notifier bool, wantErr string) {
	ctx := context.Background()
	var removed atomic.Bool
	desk := &acceptingReplier{kind: "intercom"}
	if reloadAfterReply {
		desk.after = func() { removed.Store(true) }
	}
	slack := &acceptingReplier{kind: "notifier"}
	repliers := map[string]replier.Replier{"intercom": desk}
	if notifier {
		repliers["notifier:ops-slack"] = slack
	}
	snd := &delivery.Sender{
		Repliers: func() map[string]replier.Replier { return repliers },
		Mode: func(rule, platform string) delivery.Mode {
			if removed.Load() {
				return delivery.RuleRemoved
			}
			return delivery.Live
		},
		Logger: slog.New(slog.DiscardHandler),
	}
	opts.Sender = snd
	opts.FetchPollInterval = 10 * time.Millisecond
	pol := queue.DefaultPolicy
	opts.Policy = func() queue.Policy { return pol }
	s, err := queue.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = s.Stop(stop)
		s.Close()
	})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	target := event.Target{Type: event.TargetConversation, ID: "c1"}
	notify := &replier.Request{V: replier.RequestVersion, Platform: "notifier:ops-slack", Action: replier.ActionNotify,
		Target: target, Fields: map[string]replier.Value{replier.FieldText: {Text: "refund on c1"}}}
	tag := &replier.Request{V: replier.RequestVersion, Platform: "intercom", Action: "tag", Target: target,
		Fields: map[string]replier.Value{replier.FieldTags: {List: []string{"refund"}}}}
	in := &queue.Intake{Source: "intercom", EventID: "e1", Topic: "conversation.user.created", ReceivedAt: time.Now(),
		Actions: []queue.Action{{Rule: "refund", Platform: "intercom", TargetKey: "intercom:conversation:c1",
			ClaimKey: "intercom:conversation:c1", Once: true,
			Request: &replier.Request{V: replier.RequestVersion, Platform: "intercom", As: replier.AsNote, Body: "Routing to billing.", Target: target},
			Steps:   []*replier.Request{notify, tag}}}}
	if _, err := s.Accept(ctx, in); err != nil {
		t.Fatal(err)
	}
	var dead []queue.DeadLetter
	deadline := time.Now().Add(20 * time.Second)
	for len(dead) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if dead, err = s.DeadLetters(ctx, queue.DLQFilter{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(dead) != 1 {
		t.Fatalf("%d dead letters; want the notify step's", len(dead))
	}
	d := dead[0]
	if d.Step != 1 || d.Request.Action != replier.ActionNotify || d.Platform != "notifier:ops-slack" ||
		len(d.Next) != 1 || d.Next[0].Action != "tag" || !strings.Contains(d.Error, wantErr) {
		t.Errorf("dead letter: step %d %q on %q, %d next, error %q; want step 1 notify on notifier:ops-slack, the tag after it, error naming %s",
			d.Step, d.Request.Action, d.Platform, len(d.Next), d.Error, wantErr)
	}
	time.Sleep(300 * time.Millisecond)
	if desk.count() != 1 || slack.count() != 0 {
		t.Errorf("the helpdesk took %d requests and the notifier %d; want the reply only", desk.count(), slack.count())
	}
}
