package queue

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/supportops/autoresponder/internal/metrics"
	"github.com/supportops/autoresponder/internal/replier"
)

// signallingWithholder withholds every reply as outcome and reports each
// call on sent.
type signallingWithholder struct {
	outcome string
	sent    chan string
}

func (w signallingWithholder) Send(_ context.Context, job *Job) (replier.Result, *replier.Error) {
	w.sent <- job.Args.EventID
	return replier.Result{ResponseID: "withheld-" + job.Args.EventID, Withheld: w.outcome}, nil
}

func claimCount(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.backend.pool().queryRow(context.Background(), `SELECT count(*) FROM bot_claims`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestShadowedReplyKeepsItsClaimUntilRecorded: a shadowed reply gives its
// once claim back in the transaction that records it, not before: while
// its history record cannot be written, the claim is still held (the job
// is still queued and may yet be posted), and it is released once the
// outcome is recorded.
func TestShadowedReplyKeepsItsClaimUntilRecorded(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := signallingWithholder{outcome: Shadowed, sent: make(chan string, 100)}
		s, start := openStopped(t, opts, snd, fastPolicy())
		ctx := context.Background()
		a := action("greet", "c1")
		a.Once = true
		mustAccept(t, s, intake("e1", a))
		if n := claimCount(t, s); n != 1 {
			t.Fatalf("%d claims after intake; want 1", n)
		}
		// Shadow records cannot be written for now.
		var create, drop []string
		if s.Kind() == "sqlite" {
			create = []string{`CREATE TRIGGER fail_shadow BEFORE INSERT ON bot_history WHEN NEW.outcome = 'shadow'
				BEGIN SELECT RAISE(ABORT, 'history unwritable'); END`}
			drop = []string{`DROP TRIGGER fail_shadow`}
		} else {
			create = []string{`CREATE FUNCTION fail_shadow() RETURNS trigger LANGUAGE plpgsql AS
				'BEGIN RAISE EXCEPTION ''history unwritable''; END'`,
				`CREATE TRIGGER fail_shadow BEFORE INSERT ON bot_history FOR EACH ROW WHEN (NEW.outcome = 'shadow')
				EXECUTE FUNCTION fail_shadow()`}
			drop = []string{`DROP TRIGGER fail_shadow ON bot_history`}
		}
		for _, q := range create {
			if _, err := s.backend.pool().exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		start()
		select {
		case <-snd.sent:
		case <-time.After(20 * time.Second):
			t.Fatal("the reply was never handed to the sender")
		}
		// The worker now tries to record the outcome and fails.
		time.Sleep(500 * time.Millisecond)
		if n := claimCount(t, s); n != 1 {
			t.Errorf("%d claims while the shadow outcome is not recorded; want 1 (released only with the outcome)", n)
		}
		for _, q := range drop {
			if _, err := s.backend.pool().exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "the shadow outcome", func() bool {
			h, _ := s.History(ctx, HistoryFilter{EventID: "e1"})
			return len(h) == 1 && h[0].Outcome == Shadowed
		})
		if n := claimCount(t, s); n != 0 {
			t.Errorf("%d claims after the shadow outcome was recorded; want 0 (given back)", n)
		}
	})
}

// TestUnknownWithheldKindIsNotSent: a reply the Sender withholds under a
// kind the store does not know is dead-lettered with that said, never
// recorded or counted as sent, and keeps its once claim.
func TestUnknownWithheldKindIsNotSent(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		opts.Metrics = metrics.New()
		s := openTestStore(t, opts, withholdingSender{"held_for_review"}, fastPolicy())
		ctx := context.Background()
		a := action("greet", "c1")
		a.Once = true
		mustAccept(t, s, intake("e1", a))
		var dead []DeadLetter
		waitFor(t, "the dead letter", func() bool {
			dead, _ = s.DeadLetters(ctx, DLQFilter{})
			return len(dead) == 1
		})
		if dead[0].Reason != reasonUnknownWithheld {
			t.Errorf("dead letter %+v; want reason %q", dead[0], reasonUnknownWithheld)
		}
		h, err := s.History(ctx, HistoryFilter{EventID: "e1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 1 || h[0].Outcome != DeadLettered {
			t.Errorf("history %+v; want one dead_lettered record", h)
		}
		replies := opts.Metrics.RepliesTotal
		if sent, dl := testutil.ToFloat64(replies.WithLabelValues("intercom", "greet", metrics.ReplySent)),
			testutil.ToFloat64(replies.WithLabelValues("intercom", "greet", metrics.ReplyDeadLettered)); sent != 0 || dl != 1 {
			t.Errorf("replies_total sent=%v dead_lettered=%v; want 0 and 1", sent, dl)
		}
		if r := mustAccept(t, s, intake("e2", a)); r.Actions[0].Outcome != Suppressed {
			t.Errorf("a second event for the same once claim: %+v; want suppressed (the claim is kept)", r.Actions[0])
		}
	})
}
