package queue

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/replier"
)

// stepRequest is an action request of the kind act on target, with the
// fields a rule would have rendered; a notify goes to the ops-slack
// notifier, everything else to the conversation's platform.
func stepRequest(act, target string) *replier.Request {
	r := &replier.Request{V: replier.RequestVersion, Platform: "intercom", Action: act,
		Target: event.Target{Type: event.TargetConversation, ID: target}}
	switch act {
	case "tag":
		r.Fields = map[string]replier.Value{replier.FieldTags: {List: []string{"refund", "billing"}}}
	case "assign":
		r.Fields = map[string]replier.Value{replier.FieldAssignee: {Map: map[string]string{"team": "5678"}}}
	case replier.ActionNotify:
		r.Platform = replier.NotifierPrefix + "ops-slack"
		r.Fields = map[string]replier.Value{replier.FieldText: {Text: "Refund from " + target}}
	}
	return r
}

// chainAction is a rule that posts a note on target, then runs acts.
func chainAction(rule, target string, acts ...string) Action {
	a := action(rule, target)
	for _, act := range acts {
		a.Steps = append(a.Steps, stepRequest(act, target))
	}
	return a
}

// actionsOnly is a rule that posts nothing and runs acts on target.
func actionsOnly(rule, target string, acts ...string) Action {
	a := chainAction(rule, target, acts[1:]...)
	a.Request = stepRequest(acts[0], target)
	a.NoMessage = true
	return a
}

// sentFor is what snd sent for event id, in order.
func sentFor(snd *recordingSender, id string) []*Job {
	snd.mu.Lock()
	defer snd.mu.Unlock()
	var out []*Job
	for _, j := range snd.sent {
		if j.Args.EventID == id {
			out = append(out, j)
		}
	}
	return out
}

// actionsOf names what each job or record did, "" for a post.
func actionsOf(jobs []*Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.Args.Request.Action
	}
	return out
}

// historyOldestFirst is the event's history in the order it happened.
func historyOldestFirst(t *testing.T, s *Store, id string) []History {
	t.Helper()
	h, err := s.History(context.Background(), HistoryFilter{EventID: id})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(h)
	return h
}

// settle gives a wrongly queued extra step time to run before a test
// asserts it did not.
func settle() { time.Sleep(300 * time.Millisecond) }

// TestStepsRunInOrderEachOnce: a rule's reply and actions are delivered in
// the order written, each once, each from its own job on its own platform
// with the fields the rule rendered, and history has one sent record per
// step naming its action.
func TestStepsRunInOrderEachOnce(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(nil)
		s := openTestStore(t, opts, snd, fastPolicy())
		for _, tc := range []struct {
			name string
			a    Action
			want []string // actions in order, "" for the post
		}{
			{"reply then actions", chainAction("refund", "c1", "tag", "assign", replier.ActionNotify), []string{"", "tag", "assign", "notify"}},
			{"actions only", actionsOnly("triage", "c2", "tag", replier.ActionNotify, "assign"), []string{"tag", "notify", "assign"}},
			{"reply alone", action("greet", "c3"), []string{""}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ev := "chain-" + tc.a.Rule
				mustAccept(t, s, intake(ev, tc.a))
				waitFor(t, "every step recorded", func() bool {
					return len(historyOldestFirst(t, s, ev)) >= len(tc.want)
				})
				settle()
				sent := sentFor(snd, ev)
				if got := actionsOf(sent); !slices.Equal(got, tc.want) {
					t.Fatalf("sent %q; want %q, in that order, each once", got, tc.want)
				}
				wantReqs := append([]*replier.Request{tc.a.Request}, tc.a.Steps...)
				for i, j := range sent {
					w := wantReqs[i]
					if j.Args.Step != i || j.Args.Platform != w.Platform || j.Args.Request.Platform != w.Platform ||
						!reflect.DeepEqual(j.Args.Request.Fields, w.Fields) || j.Args.Request.Target != w.Target {
						t.Errorf("step %d sent as step %d on %q with %+v to %v; want %q with %+v to %v", i, j.Args.Step,
							j.Args.Platform, j.Args.Request.Fields, j.Args.Request.Target, w.Platform, w.Fields, w.Target)
					}
					if j.Args.Rule != tc.a.Rule || j.Args.EventID != ev || len(j.Args.AttachmentRefs) != 0 {
						t.Errorf("step %d: rule %q event %q refs %v; want the rule's and event's, no attachments",
							i, j.Args.Rule, j.Args.EventID, j.Args.AttachmentRefs)
					}
				}
				h := historyOldestFirst(t, s, ev)
				if len(h) != len(tc.want) {
					t.Fatalf("%d history records; want %d", len(h), len(tc.want))
				}
				for i, r := range h {
					if r.Outcome != Sent || r.Action != tc.want[i] || r.Rule != tc.a.Rule {
						t.Errorf("history %d = %s %q (rule %s); want sent %q", i, r.Outcome, r.Action, r.Rule, tc.want[i])
					}
				}
			})
		}
	})
}

// TestFailedStepStopsTheChainAndReplayResumes: a step the platform refuses
// for good is dead-lettered with the steps after it, which are not run;
// the once claim is given back only when the failed step is the first (a
// later step follows a reply that was posted). A replay runs the failed
// step and then the rest, in order, each once.
func TestFailedStepStopsTheChainAndReplayResumes(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		var failing failSwitch
		snd := newRecordingSender(func(j *Job) *replier.Error {
			if failing.is(j.Args.EventID, j.Args.Step) {
				return &replier.Error{Reason: replier.ReasonClientError, Status: 404, Message: "conversation not found"}
			}
			return nil
		})
		s := openTestStore(t, opts, snd, fastPolicy())
		ctx := context.Background()
		all := []string{"", "assign", "notify"}
		for _, tc := range []struct {
			fail      int // the step the platform refuses
			claimLeft int // once claims held after the dead letter
		}{
			{fail: 0, claimLeft: 0},
			{fail: 1, claimLeft: 1},
			{fail: 2, claimLeft: 1},
		} {
			t.Run(fmt.Sprintf("step %d of 3", tc.fail+1), func(t *testing.T) {
				rule, ev := fmt.Sprintf("route-%d", tc.fail), fmt.Sprintf("fail-%d", tc.fail)
				a := chainAction(rule, "c-"+ev, "assign", replier.ActionNotify)
				a.Once = true
				failing.set(ev, tc.fail)
				mustAccept(t, s, intake(ev, a))
				var dead []DeadLetter
				waitFor(t, "the dead letter", func() bool {
					dead, _ = s.DeadLetters(ctx, DLQFilter{Rule: rule})
					return len(dead) == 1
				})
				settle()
				d := dead[0]
				if got := actionsOf(sentFor(snd, ev)); !slices.Equal(got, all[:tc.fail]) {
					t.Errorf("sent %q before and after the failure; want only the steps before it, %q", got, all[:tc.fail])
				}
				var nextActs []string
				for _, r := range d.Next {
					nextActs = append(nextActs, r.Action)
				}
				if d.Step != tc.fail || d.Request.Action != all[tc.fail] || !slices.Equal(nextActs, all[tc.fail+1:]) ||
					d.Reason != string(replier.ReasonClientError) || !strings.Contains(d.Error, "conversation not found") {
					t.Errorf("dead letter: step %d %q, next %q, %s %q; want step %d %q, next %q, client_error naming the platform's message",
						d.Step, d.Request.Action, nextActs, d.Reason, d.Error, tc.fail, all[tc.fail], all[tc.fail+1:])
				}
				if tc.fail+1 < len(all) && d.Next[0].Platform != stepRequest(all[tc.fail+1], "c-"+ev).Platform {
					t.Errorf("the next step lost its platform: %q", d.Next[0].Platform)
				}
				if n := ruleClaims(t, s, rule); n != tc.claimLeft {
					t.Errorf("%d once claims after step %d failed; want %d", n, tc.fail+1, tc.claimLeft)
				}
				h := historyOldestFirst(t, s, ev)
				if last := h[len(h)-1]; last.Outcome != DeadLettered || last.Action != all[tc.fail] {
					t.Errorf("last history record %s %q; want dead_lettered %q", last.Outcome, last.Action, all[tc.fail])
				}

				failing.set(ev, -1) // the platform takes it now
				res, err := s.Replay(ctx, DLQFilter{IDs: []int64{d.ID}}, fastPolicy(), ReplayOptions{})
				if err != nil || len(res) != 1 || res[0].JobID == 0 {
					t.Fatalf("replay = %+v, %v; want the letter queued", res, err)
				}
				waitFor(t, "the rest of the chain", func() bool { return len(sentFor(snd, ev)) >= len(all) })
				settle()
				if got := actionsOf(sentFor(snd, ev)); !slices.Equal(got, all) {
					t.Errorf("sent %q after the replay; want %q, each once", got, all)
				}
				if left, _ := s.DeadLetters(ctx, DLQFilter{Rule: rule}); len(left) != 0 {
					t.Errorf("%d dead letters left after the replay; want 0", len(left))
				}
				if n := ruleClaims(t, s, rule); n != 1 {
					t.Errorf("%d once claims after the replay; want 1", n)
				}
			})
		}
	})
}

// failSwitch says which step of which event the fake platform refuses.
type failSwitch struct{ v atomic.Value }

func (f *failSwitch) set(ev string, step int) { f.v.Store(fmt.Sprintf("%s#%d", ev, step)) }

func (f *failSwitch) is(ev string, step int) bool {
	cur, _ := f.v.Load().(string)
	return cur == fmt.Sprintf("%s#%d", ev, step)
}

func ruleClaims(t *testing.T, s *Store, rule string) int {
	t.Helper()
	var n int
	if err := s.backend.pool().queryRow(context.Background(), `SELECT COUNT(*) FROM bot_claims WHERE rule = ?`, rule).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStepAfterACrashIsQueuedOnce: when the process stops after the
// platform took a step but before its outcome committed, the outcome is
// recorded from the sent mark (by the job's next run, or by the sweep of a
// job River gave up on) and the rest of the chain runs once: the first
// step is not posted again and no later step runs twice.
func TestStepAfterACrashIsQueuedOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		// gaveUp: River discarded the job (its rescuer, after crashes)
		// instead of running it again.
		gaveUp bool
	}{
		{"job runs again", false},
		{"job River gave up on", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storeKinds(t, func(t *testing.T, opts Options) {
				ctx := context.Background()
				first := newRecordingSender(nil)
				s, _ := openStopped(t, opts, first, fastPolicy())
				res := mustAccept(t, s, intake("e1", chainAction("refund", "c1", "tag", replier.ActionNotify)))
				id := res.Actions[0].JobID
				if !s.marks.reserve(id) {
					t.Fatal("no sent-mark slot")
				}
				if err := s.marks.put(ctx, id, mark{state: markSent, text: "part-accepted"}); err != nil {
					t.Fatal(err)
				}
				// The job ran once (River counted the attempt) and the
				// process ended before its outcome committed.
				crash, args := `UPDATE river_job SET attempt = 1 WHERE id = ?`, []any{id}
				if tc.gaveUp {
					crash = `UPDATE river_job SET attempt = 1, state = 'discarded', finalized_at = ? WHERE id = ?`
					args = []any{sqlTime(s, time.Now()), id}
				}
				if _, err := s.backend.pool().exec(ctx, crash, args...); err != nil {
					t.Fatal(err)
				}
				s.Close()

				again := newRecordingSender(nil)
				s2, start := openStopped(t, opts, again, fastPolicy())
				start()
				waitFor(t, "the chain to finish", func() bool { return len(historyOldestFirst(t, s2, "e1")) >= 3 })
				settle()
				if got := actionsOf(sentFor(again, "e1")); !slices.Equal(got, []string{"tag", "notify"}) || first.sentCount() != 0 {
					t.Errorf("sent %q after the restart; want [tag notify] once each, the reply not again", got)
				}
				h := historyOldestFirst(t, s2, "e1")
				if len(h) != 3 || h[0].Outcome != Sent || h[0].ResponseID != "part-accepted" || h[0].Action != "" {
					t.Fatalf("history %+v; want the reply sent (from its mark) then two actions", h)
				}
				for i, act := range []string{"tag", "notify"} {
					if h[i+1].Outcome != Sent || h[i+1].Action != act {
						t.Errorf("history %d = %s %q; want sent %q", i+1, h[i+1].Outcome, h[i+1].Action, act)
					}
				}
			})
		})
	}
}

// TestActionsOnlyRulesAndBudgets: a rule that posts no message is neither
// stopped by nor counted toward the per-target message budget, but its own
// max_per_hour still counts its actions.
func TestActionsOnlyRulesAndBudgets(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		pol := fastPolicy()
		pol.TargetMaxPerHour = 2
		s := openTestStore(t, opts, nil, pol)
		reply := func(target string) Action { return action("greet", target) }
		triage := func(target string) Action {
			a := actionsOnly("triage", target, "tag")
			a.MaxPerHour = 2
			return a
		}
		sort := func(target string) Action {
			a := actionsOnly("sort", target, "tag")
			a.MaxPerHour = 0
			return a
		}
		for i, step := range []struct {
			what   string
			a      Action
			want   string
			reason string
		}{
			{"a first reply on c1", reply("c1"), Queued, ""},
			{"a second reply fills c1's budget of 2", reply("c1"), Queued, ""},
			{"actions on c1 are not stopped by the full message budget", triage("c1"), Queued, ""},
			{"the rule's second action this hour", triage("c1"), Queued, ""},
			{"the rule's own max_per_hour counts its actions", triage("c1"), Suppressed, ReasonRuleBudget},
			{"actions-only rules have their own per-target cap: no endless acting on c1", sort("c1"), Suppressed, ReasonTargetBudget},
			{"a third reply on c1 is over the target budget", reply("c1"), Suppressed, ReasonTargetBudget},
			{"actions on c2 (another rule, no rule budget)", sort("c2"), Queued, ""},
			{"a reply on c2 finds the message budget unused by actions", reply("c2"), Queued, ""},
		} {
			r := mustAccept(t, s, intake(fmt.Sprintf("b%d", i), step.a)).Actions[0]
			if r.Outcome != step.want || r.Reason != step.reason {
				t.Errorf("%s: %s %s; want %s %s", step.what, r.Outcome, r.Reason, step.want, step.reason)
			}
		}
	})
}

// TestJobWithoutStepsFromThePreviousReleaseDelivers: a job the previous
// release queued (a v2 request, no "next" or "step") is delivered once as
// a chain of one, recorded as a post.
func TestJobWithoutStepsFromThePreviousReleaseDelivers(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(nil)
		s, start := openStopped(t, opts, snd, fastPolicy())
		ctx := context.Background()
		const old = `{"source":"intercom","event_id":"v2-1","topic":"conversation.user.created","rule":"greet",` +
			`"platform":"intercom","request":{"v":2,"platform":"intercom","as":"note","target":{"type":"conversation","id":"c-v2"},` +
			`"body":"hello"},"claim_key":"intercom:conversation:c-v2","target_key":"intercom:conversation:c-v2",` +
			`"received_at":"2026-11-30T10:00:00Z","deadline":"2099-01-01T00:00:00Z","max_attempts":12}`
		res := mustAccept(t, s, intake("placeholder", action("greet", "c-v2")))
		// The row holds the previous release's bytes.
		if _, err := s.backend.pool().exec(ctx, `UPDATE river_job SET args = ? WHERE id = ?`, old, res.Actions[0].JobID); err != nil {
			t.Fatal(err)
		}
		start()
		waitFor(t, "the old job's reply", func() bool { return len(sentFor(snd, "v2-1")) == 1 })
		settle()
		sent := sentFor(snd, "v2-1")
		if len(sent) != 1 || sent[0].Args.Request.Body != "hello" || sent[0].Args.Step != 0 || len(sent[0].Args.Next) != 0 {
			t.Fatalf("sent %d jobs for the old event; want its one reply, step 0 with nothing after", len(sent))
		}
		h := historyOldestFirst(t, s, "v2-1")
		if len(h) != 1 || h[0].Outcome != Sent || h[0].Action != "" {
			t.Errorf("history %+v; want one sent post", h)
		}
	})
}

// TestDeadLetterFromBeforeStepsReplays: a dead letter stored before steps
// existed (no step, no next steps) lists as step 0 with nothing after it,
// and its replay sends it once, retaking its claim.
func TestDeadLetterFromBeforeStepsReplays(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(nil)
		s := openTestStore(t, opts, snd, fastPolicy())
		ctx := context.Background()
		now := time.Now().UnixMilli()
		// As the previous release wrote it: without the new columns.
		if _, err := s.backend.pool().exec(ctx, `INSERT INTO bot_dead_letters (job_id, source, event_id, topic, rule, platform,
				target_key, claim_key, claim_ttl_ms, request, reason, status, error, attempts, received_at, dead_at)
			VALUES (7, 'intercom', 'old-dead', 'conversation.user.created', 'greet', 'intercom', 'intercom:conversation:c9',
				'intercom:conversation:c9', 0, ?, 'server_error', 503, 'unavailable', 12, ?, ?)`,
			`{"v":2,"platform":"intercom","as":"note","target":{"type":"conversation","id":"c9"},"body":"hello"}`, now, now); err != nil {
			t.Fatal(err)
		}
		dead, err := s.DeadLetters(ctx, DLQFilter{Rule: "greet"})
		if err != nil || len(dead) != 1 || dead[0].Step != 0 || dead[0].Next != nil {
			t.Fatalf("dead letters %+v, %v; want the old one as step 0 with no steps after", dead, err)
		}
		if _, err := s.Replay(ctx, DLQFilter{IDs: []int64{dead[0].ID}}, fastPolicy(), ReplayOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the replayed reply", func() bool { return len(sentFor(snd, "old-dead")) == 1 })
		settle()
		if n := len(sentFor(snd, "old-dead")); n != 1 {
			t.Errorf("%d sends of the replayed letter; want 1", n)
		}
		if n := ruleClaims(t, s, "greet"); n != 1 {
			t.Errorf("%d claims after replaying a first step; want 1 (retaken)", n)
		}
	})
}

// TestReplayOfALaterStepLeavesTheClaimAlone: the claim belongs to the
// first step, whose reply was posted. When another event holds the rule's
// claim by the time a later step's letter is replayed (the cooldown ran
// out and the rule answered again), the replay still runs the step, for
// the event it belongs to, and leaves the other event's claim as it is.
func TestReplayOfALaterStepLeavesTheClaimAlone(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		var failing failSwitch
		snd := newRecordingSender(func(j *Job) *replier.Error {
			if failing.is(j.Args.EventID, j.Args.Step) {
				return &replier.Error{Reason: replier.ReasonClientError, Status: 403, Message: "missing scope"}
			}
			return nil
		})
		s := openTestStore(t, opts, snd, fastPolicy())
		ctx := context.Background()
		a := chainAction("route", "c1", "assign")
		a.Cooldown = time.Hour
		failing.set("e1", 1)
		mustAccept(t, s, intake("e1", a))
		var dead []DeadLetter
		waitFor(t, "the dead letter", func() bool {
			dead, _ = s.DeadLetters(ctx, DLQFilter{Rule: "route"})
			return len(dead) == 1
		})
		if _, err := s.backend.pool().exec(ctx, `UPDATE bot_claims SET event_key = 'intercom/e2' WHERE rule = 'route'`); err != nil {
			t.Fatal(err)
		}
		failing.set("e1", -1)
		res, err := s.Replay(ctx, DLQFilter{IDs: []int64{dead[0].ID}}, fastPolicy(), ReplayOptions{})
		if err != nil || len(res) != 1 || res[0].Skipped != "" {
			t.Fatalf("replay = %+v, %v; want the step queued (its claim is the first step's)", res, err)
		}
		waitFor(t, "the replayed step", func() bool { return len(sentFor(snd, "e1")) == 2 })
		var holder string
		if err := s.backend.pool().queryRow(ctx, `SELECT event_key FROM bot_claims WHERE rule = 'route'`).Scan(&holder); err != nil {
			t.Fatal(err)
		}
		if holder != "intercom/e2" {
			t.Errorf("the claim is held by %q after the replay; want the other event's, intercom/e2", holder)
		}
	})
}

// shadowLater posts a rule's first step and withholds the later ones as
// shadow (the rule was switched to shadow mode in between).
type shadowLater struct{ sent chan int }

func (w shadowLater) Send(_ context.Context, job *Job) (replier.Result, *replier.Error) {
	w.sent <- job.Args.Step
	if job.Args.Step == 0 {
		return replier.Result{ResponseID: "part-1"}, nil
	}
	return replier.Result{Withheld: Shadowed}, nil
}

// TestShadowedLaterStepKeepsTheClaim: a later step withheld because the
// rule went into shadow mode counts as done (the chain goes on) and does
// not give back the once claim of the reply that was posted.
func TestShadowedLaterStepKeepsTheClaim(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		s := openTestStore(t, opts, shadowLater{sent: make(chan int, 10)}, fastPolicy())
		a := chainAction("greet", "c1", "tag", "assign")
		a.Once = true
		mustAccept(t, s, intake("e1", a))
		waitFor(t, "every step", func() bool { return len(historyOldestFirst(t, s, "e1")) == 3 })
		h := historyOldestFirst(t, s, "e1")
		if h[0].Outcome != Sent || h[1].Outcome != Shadowed || h[1].Action != "tag" || h[2].Outcome != Shadowed || h[2].Action != "assign" {
			t.Errorf("history %s %q, %s %q, %s %q; want sent post, shadow tag, shadow assign",
				h[0].Outcome, h[0].Action, h[1].Outcome, h[1].Action, h[2].Outcome, h[2].Action)
		}
		if n := ruleClaims(t, s, "greet"); n != 1 {
			t.Errorf("%d once claims; want 1 (the posted reply's)", n)
		}
	})
}

// TestARunThatLostItsJobRecordsNothing: when another run took the job over
// while this one was sending (a replica rescued it after rescue_after), this
// run records no outcome and queues no next step: the run that owns the job
// does, so nothing is recorded or sent twice.
func TestARunThatLostItsJobRecordsNothing(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		var s *Store
		snd := newRecordingSender(func(j *Job) *replier.Error {
			if j.Args.Step == 0 {
				// Another worker fetched the job again: River counts an
				// attempt at every fetch.
				if _, err := s.backend.pool().exec(context.Background(),
					`UPDATE river_job SET attempt = attempt + 1 WHERE id = ?`, j.ID); err != nil {
					t.Errorf("take the job over: %v", err)
				}
			}
			return nil
		})
		s = openTestStore(t, opts, snd, fastPolicy())
		mustAccept(t, s, intake("lost", chainAction("refund", "c1", "tag")))
		waitFor(t, "the reply sent", func() bool { return snd.sentCount() >= 1 })
		settle()
		settle()
		if got := actionsOf(sentFor(snd, "lost")); !slices.Equal(got, []string{""}) {
			t.Fatalf("sent %q; want only the reply: the next step belongs to the run that owns the job", got)
		}
		if h := historyOldestFirst(t, s, "lost"); len(h) != 0 {
			t.Fatalf("history %+v; want none from a run that lost its job", h)
		}
	})
}
