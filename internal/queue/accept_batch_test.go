package queue

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/replier"
)

// TestLockKeys: a batch locks its events, claims and timers, and a rule or
// a target only when a budget counts it (or, for a rule, when its reply
// has attachments), so that events sharing a popular rule do not wait for
// each other.
func TestLockKeys(t *testing.T) {
	withMax := func(a Action, n int) Action { a.MaxPerHour = n; return a }
	withOnce := func(a Action) Action { a.Once = true; return a }
	withCooldown := func(a Action) Action { a.Cooldown = time.Hour; return a }
	withShadow := func(a Action) Action { a.Shadow = true; return a }
	withAttachment := func(a Action) Action {
		r := *a.Request
		r.Attachments = []replier.Attachment{{Name: "a.pdf", Data: []byte("x")}}
		a.Request = &r
		return a
	}
	noBudgets, targetBudget := fastPolicy(), fastPolicy()
	noBudgets.TargetMaxPerHour, targetBudget.TargetMaxPerHour = 0, 3
	cases := []struct {
		name  string
		pol   Policy
		batch []*Intake
		want  []string
	}{
		{"plain actions lock only their event", noBudgets,
			[]*Intake{intake("e1", action("r1", "c1"), action("r2", "c1")), intake("e2", action("r1", "c2"))},
			[]string{"event:intercom/e1", "event:intercom/e2"}},
		{"the target budget locks targets", targetBudget,
			[]*Intake{intake("e1", action("r1", "c1"), action("r2", "c1"))},
			[]string{"event:intercom/e1", "target:intercom:conversation:c1"}},
		{"a rule budget locks the rule", noBudgets,
			[]*Intake{intake("e1", withMax(action("r1", "c1"), 5), action("r2", "c1"))},
			[]string{"event:intercom/e1", "rule:r1"}},
		{"attachments lock the rule", noBudgets,
			[]*Intake{intake("e1", withAttachment(action("r1", "c1")))},
			[]string{"event:intercom/e1", "rule:r1"}},
		{"once and cooldown lock their claim", noBudgets,
			[]*Intake{intake("e1", withOnce(action("r1", "c1")), withCooldown(action("r2", "c1")))},
			[]string{"claim:r1/intercom:conversation:c1", "claim:r2/intercom:conversation:c1", "event:intercom/e1"}},
		{"shadowed actions lock nothing", targetBudget,
			[]*Intake{intake("e1", withShadow(withMax(action("r1", "c1"), 5)))},
			[]string{"event:intercom/e1"}},
		{"timers lock their rule and target", noBudgets,
			[]*Intake{{Source: "intercom", EventID: "e1", Timers: []TimerStart{{Rule: "t1", TargetKey: "k1"}},
				Cancels: []TimerCancel{{Rule: "t2", TargetKey: "k2"}}}},
			[]string{"event:intercom/e1", "timer:t1/k1", "timer:t2/k2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := lockKeys(tc.batch, tc.pol); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("lockKeys = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestBatchDecisionsSeeEarlierOnes: events committed in one transaction
// are decided in order, each seeing what the ones before it did: sends
// still held for the batch's single insert count toward the budgets, a
// pause set in the batch holds for the rest of it, claims and duplicate
// ids within the batch are honoured.
func TestBatchDecisionsSeeEarlierOnes(t *testing.T) {
	withOnce := func(a Action) Action { a.Once = true; return a }
	withMax := func(a Action, n int) Action { a.MaxPerHour = n; return a }
	cases := []struct {
		name  string
		pol   func(*Policy)
		batch []*Intake
		want  [][]string // per intake, per action: outcome or reason; nil: duplicate
		sends int
	}{
		{"target budget", func(p *Policy) { p.TargetMaxPerHour = 2 }, []*Intake{
			intake("a", action("r1", "c1"), action("r2", "c1")),
			intake("b", action("r3", "c1"), action("r1", "c2")),
		}, [][]string{{Queued, Queued}, {ReasonTargetBudget, Queued}}, 3},
		{"rule budget trips and pauses", func(p *Policy) { p.PauseAfter = 1; p.PauseFor = time.Hour }, []*Intake{
			intake("a", withMax(action("noisy", "c1"), 1)),
			intake("b", withMax(action("noisy", "c2"), 1)),
			intake("c", withMax(action("noisy", "c3"), 1), action("quiet", "c3")),
		}, [][]string{{Queued}, {ReasonRuleBudget}, {ReasonPaused, Queued}}, 2},
		{"once across events", nil, []*Intake{
			intake("a", withOnce(action("welcome", "c1"))),
			intake("b", withOnce(action("welcome", "c1")), withOnce(action("welcome", "c2"))),
		}, [][]string{{Queued}, {ReasonOnce, Queued}}, 2},
		{"a duplicate id in the batch", nil, []*Intake{
			intake("a", action("r1", "c1")),
			intake("a", action("r1", "c1")),
		}, [][]string{{Queued}, nil}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storeKinds(t, func(t *testing.T, opts Options) {
				pol := fastPolicy()
				pol.TargetMaxPerHour = 0
				if tc.pol != nil {
					tc.pol(&pol)
				}
				s := openTestStore(t, opts, nil, pol)
				res, err := s.acceptTx(tc.batch)
				if err != nil {
					t.Fatal(err)
				}
				for i, r := range res {
					if tc.want[i] == nil {
						if !r.Duplicate {
							t.Errorf("event %d: got %+v, want a duplicate", i, r)
						}
						continue
					}
					var got []string
					for _, a := range r.Actions {
						o := a.Outcome
						if o == Suppressed {
							o = a.Reason
						}
						if o == Queued && a.JobID == 0 {
							o = "queued without a job id"
						}
						got = append(got, o)
					}
					if !reflect.DeepEqual(got, tc.want[i]) {
						t.Errorf("event %d: got %q, want %q", i, got, tc.want[i])
					}
				}
				var n int
				if err := s.backend.pool().queryRow(context.Background(), `SELECT COUNT(*) FROM bot_sends`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != tc.sends {
					t.Errorf("%d sends recorded, want %d", n, tc.sends)
				}
			})
		})
	}
}

// TestLimitsExactUnderConcurrency: many events racing through several
// stores on one database (replicas; one store on SQLite), each with
// several committers, never queue more than once, cooldown and the
// budgets allow, and queue exactly that much when demand exceeds it.
func TestLimitsExactUnderConcurrency(t *testing.T) {
	const targets, events = 4, 120
	cases := []struct {
		name      string
		targetMax int
		// want is the number of replies queued per rule (all targets).
		want map[string]int
	}{
		// Budgets off: the rules' own limits.
		{"claims and rule budget", 0, map[string]int{"once": targets, "cool": targets, "budget": 7, "free": events}},
		// Every action counts toward its target's budget of 3.
		{"target budget", 3, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storeKinds(t, func(t *testing.T, opts Options) {
				pol := fastPolicy()
				pol.TargetMaxPerHour, pol.PauseAfter = tc.targetMax, 0
				stores := []*Store{openTestStore(t, opts, nil, pol)}
				if opts.DatabaseURL != "" {
					stores = append(stores, openTestStore(t, opts, nil, pol), openTestStore(t, opts, nil, pol))
				}
				var mu sync.Mutex
				queued := map[string]int{}
				perTarget := map[string]int{}
				var wg sync.WaitGroup
				for i := range events {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c := fmt.Sprintf("c%d", i%targets)
						once, cool, budget := action("once", c), action("cool", c), action("budget", c)
						once.Once, cool.Cooldown, budget.MaxPerHour = true, time.Hour, 7
						in := intake(fmt.Sprintf("e%d", i), once, cool, budget, action("free", c))
						res, err := stores[i%len(stores)].Accept(context.Background(), in)
						if err != nil {
							t.Errorf("accept: %v", err)
							return
						}
						mu.Lock()
						defer mu.Unlock()
						for j, a := range res.Actions {
							if a.Outcome == Queued {
								queued[in.Actions[j].Rule]++
								perTarget[c]++
							}
						}
					}()
				}
				wg.Wait()
				if tc.want != nil && !reflect.DeepEqual(queued, tc.want) {
					t.Errorf("queued per rule: %v, want %v", queued, tc.want)
				}
				if tc.targetMax > 0 {
					for c := range targets {
						if n := perTarget[fmt.Sprintf("c%d", c)]; n != tc.targetMax {
							t.Errorf("target c%d: %d replies queued, want %d (per-target budget)", c, n, tc.targetMax)
						}
					}
				}
			})
		})
	}
}
