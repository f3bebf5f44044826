package queue

import (
	"context"
	"testing"

	"github.com/supportops/autoresponder/internal/replier"
)

// withholdingSender posts nothing and says so.
type withholdingSender struct{ outcome string }

func (w withholdingSender) Send(_ context.Context, job *Job) (replier.Result, *replier.Error) {
	return replier.Result{ResponseID: "withheld-" + job.Args.EventID, Withheld: w.outcome}, nil
}

// TestWithheldRepliesAreRecordedAsSuch checks the outcome a Sender reports
// for a reply it did not post: history says shadow or dry_run, never sent.
// A shadowed reply gives its once claim back (the rule answers the next
// event once it is live again); a dry run keeps it, like a sent reply.
func TestWithheldRepliesAreRecordedAsSuch(t *testing.T) {
	cases := []struct {
		outcome        string
		secondOutcome  string // of a second event with the same once claim
		secondEventRef string
	}{
		{Shadowed, Queued, "the claim was released"},
		{DryRun, Suppressed, "the claim was kept"},
	}
	for _, c := range cases {
		t.Run(c.outcome, func(t *testing.T) {
			storeKinds(t, func(t *testing.T, opts Options) {
				s := openTestStore(t, opts, withholdingSender{c.outcome}, fastPolicy())
				a := action("greet", "c1")
				a.Once = true
				if res := mustAccept(t, s, intake("e1", a)); res.Actions[0].Outcome != Queued {
					t.Fatalf("first event: %+v, want queued", res.Actions[0])
				}
				var h []History
				waitFor(t, "the history record", func() bool {
					h, _ = s.History(context.Background(), HistoryFilter{Rule: "greet"})
					return len(h) == 1
				})
				if h[0].Outcome != c.outcome || h[0].ResponseID != "withheld-e1" {
					t.Errorf("history = %+v, want outcome %s", h[0], c.outcome)
				}
				res := mustAccept(t, s, intake("e2", a))
				if res.Actions[0].Outcome != c.secondOutcome {
					t.Errorf("a second event for the same once claim: %+v, want %s (%s)", res.Actions[0], c.secondOutcome, c.secondEventRef)
				}
			})
		})
	}
}
