package queue

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/replier"
	"github.com/supportops/autoresponder/internal/testpg"
)

// storeKinds runs f once per store: SQLite always, PostgreSQL when
// configured, each on a fresh database.
func storeKinds(t *testing.T, f func(t *testing.T, opts Options)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		f(t, Options{DataDir: t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, Options{DatabaseURL: testpg.Fresh(t)})
	})
}

// recordingSender answers with scripted errors and records what it sent.
type recordingSender struct {
	mu     sync.Mutex
	sent   []*Job
	script func(job *Job) *replier.Error
	ch     chan *Job
}

func newRecordingSender(script func(*Job) *replier.Error) *recordingSender {
	return &recordingSender{script: script, ch: make(chan *Job, 1000)}
}

func (r *recordingSender) Send(_ context.Context, job *Job) (replier.Result, *replier.Error) {
	var err *replier.Error
	if r.script != nil {
		err = r.script(job)
	}
	if err == nil {
		r.mu.Lock()
		r.sent = append(r.sent, job)
		r.mu.Unlock()
	}
	r.ch <- job
	if err != nil {
		return replier.Result{}, err
	}
	return replier.Result{ResponseID: "part-" + job.Args.EventID}, nil
}

func (r *recordingSender) sentCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func openTestStore(t *testing.T, opts Options, sender Sender, pol Policy) *Store {
	t.Helper()
	opts.Sender = sender
	opts.Policy = func() Policy { return pol }
	if opts.FetchPollInterval == 0 {
		opts.FetchPollInterval = 10 * time.Millisecond
	}
	s, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	if sender != nil {
		if err := s.Start(context.Background()); err != nil {
			t.Fatalf("start: %v", err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
		s.Close()
	})
	return s
}

func intake(id string, actions ...Action) *Intake {
	return &Intake{Source: "intercom", EventID: id, Topic: "conversation.user.created",
		ReceivedAt: time.Now(), Payload: []byte(`{"id":"` + id + `"}`), Actions: actions}
}

func action(rule, target string) Action {
	return Action{
		Rule: rule, Platform: "intercom", ClaimKey: "intercom:conversation:" + target, TargetKey: "intercom:conversation:" + target,
		Request: &replier.Request{Platform: "intercom", As: replier.AsNote, Body: "hello",
			Target: event.Target{Type: event.TargetConversation, ID: target}},
	}
}
