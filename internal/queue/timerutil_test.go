package queue

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

// testFirer renders a timer as action(rule, target) (a note to the test
// sender), or as act says.
type testFirer struct {
	mu    sync.Mutex
	calls []int64 // timer ids it was asked to fire
	act   func(t *Timer) (Action, string)
	// started, when set, gets each timer id as Fire begins, and Fire
	// then waits for release(id).
	started chan int64
	gates   map[int64]chan struct{}
}

// gate is the channel Fire of timer id waits on.
func (f *testFirer) gate(id int64) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gates == nil {
		f.gates = map[int64]chan struct{}{}
	}
	if f.gates[id] == nil {
		f.gates[id] = make(chan struct{})
	}
	return f.gates[id]
}

// release lets Fire of timer id go on.
func (f *testFirer) release(id int64) { close(f.gate(id)) }

func (f *testFirer) Fire(_ context.Context, t *Timer, _ time.Time) (Action, string) {
	f.mu.Lock()
	f.calls = append(f.calls, t.ID)
	f.mu.Unlock()
	if f.started != nil {
		f.started <- t.ID
		<-f.gate(t.ID)
	}
	if f.act != nil {
		return f.act(t)
	}
	return action(t.Rule, t.Target.ID), ""
}

func (f *testFirer) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// timerStart asks for a timer of rule on conversation target, due in due.
func timerStart(rule, target string, due time.Duration) TimerStart {
	return TimerStart{
		Rule: rule, TargetKey: "intercom:conversation:" + target, Platform: "intercom",
		Target: event.Target{Type: event.TargetConversation, ID: target},
		DueAt:  time.Now().Add(due), MaxLate: time.Hour,
	}
}

// timerIntake is an event that starts the given timers and nothing else.
func timerIntake(id string, starts ...TimerStart) *Intake {
	in := intake(id)
	in.Timers = starts
	return in
}

// cancelIntake is an event whose cancel_when matched rule on target.
func cancelIntake(id, rule, target string) *Intake {
	in := intake(id)
	in.Topic = "conversation.admin.replied"
	in.Cancels = []TimerCancel{{Rule: rule, TargetKey: "intercom:conversation:" + target, Reason: TimerReasonCancelWhen}}
	return in
}

// openTimerStore opens a started store that fires timers with f.
func openTimerStore(t *testing.T, opts Options, snd Sender, f Firer) *Store {
	t.Helper()
	opts.Firer = f
	return openTestStore(t, opts, snd, fastPolicy())
}

// timerHistory is the history of rule with a timer outcome, newest first.
func timerHistory(t *testing.T, s *Store, rule string) []History {
	t.Helper()
	var out []History
	h, err := s.History(context.Background(), HistoryFilter{Rule: rule, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range h {
		switch r.Outcome {
		case TimerFired, TimerCancelled, TimerDropped:
			out = append(out, r)
		}
	}
	return out
}

// jobExists says whether River still has the job with id.
func jobExists(t *testing.T, s *Store, id int64) bool {
	t.Helper()
	var n int
	if err := s.backend.pool().queryRow(context.Background(), `SELECT COUNT(*) FROM river_job WHERE id = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}
