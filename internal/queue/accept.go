package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/supportops/autoresponder/internal/replier"
)

// neverExpires is the expiry of a once claim.
const neverExpires = int64(1) << 62

// deliveryQueue is the River queue delivery jobs run on.
const deliveryQueue = "deliveries"

// pendingJob is a delivery job decided inside an accept transaction, to be
// inserted with the rest of the batch.
type pendingJob struct {
	intake, action int
	args           *DeliveryArgs
}

// acceptBatch applies intakes in order inside one transaction: dedup,
// budgets, claims, history of suppressed and shadowed actions, dead letters
// of render failures, and the delivery jobs. Everything commits or nothing.
func (s *Store) acceptBatch(ctx context.Context, tx txn, batch []*Intake, pol Policy, now time.Time) ([]AcceptResult, error) {
	if err := s.lockBatch(ctx, tx, batch, pol); err != nil {
		return nil, err
	}
	results := make([]AcceptResult, len(batch))
	var jobs []pendingJob
	st := &txState{}
	for i, in := range batch {
		res, pend, err := s.acceptOne(ctx, tx, st, in, pol, now)
		if err == nil && !res.Duplicate {
			err = s.acceptTimers(ctx, tx, in, &res, now)
		}
		if err != nil {
			return nil, fmt.Errorf("event %s/%s: %w", in.Source, in.EventID, err)
		}
		for j := range pend {
			pend[j].intake = i
		}
		results[i] = res
		jobs = append(jobs, pend...)
	}
	if err := st.flush(ctx, tx); err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		return results, nil
	}
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		if err := storeAttachments(ctx, tx, j.args, now); err != nil {
			return nil, err
		}
		params[i] = river.InsertManyParams{Args: *j.args, InsertOpts: &river.InsertOpts{
			Queue: deliveryQueue, MaxAttempts: riverMaxAttempts(j.args.MaxAttempts),
		}}
	}
	ids, err := s.backend.insertJobs(ctx, tx, params)
	if err != nil {
		return nil, fmt.Errorf("insert delivery jobs: %w", err)
	}
	for i, j := range jobs {
		results[j.intake].Actions[j.action].JobID = ids[i]
	}
	return results, nil
}

// lockBatch serializes what must be decided by one transaction at a time
// across concurrent ones (PostgreSQL: committers and replicas); keys are
// taken in sorted order so two batches never deadlock. SQLite has one
// writer and needs none.
//
// Only what needs it is locked, so that events sharing a popular rule do
// not queue behind each other:
//   - the event (its dedup row);
//   - a rule with an hourly budget (its count of sends, trips and pause),
//     and a rule whose reply has attachments (their rows in bot_blobs are
//     touched in the batch's order);
//   - the target, when the per-target budget is on (its count of sends);
//   - a once or cooldown claim. The claim's own upsert is already exact
//     (a unique key), the lock orders it so batches cannot deadlock;
//   - timers.
//
// A rule's pause is read without its lock: only a rule with a budget is
// ever paused, and that one is locked.
func (s *Store) lockBatch(ctx context.Context, tx txn, batch []*Intake, pol Policy) error {
	if !s.backend.needsLocks() {
		return nil
	}
	keys := lockKeys(batch, pol)
	if err := s.backend.lock(ctx, tx, keys); err != nil {
		return fmt.Errorf("lock %d keys: %w", len(keys), err)
	}
	return nil
}

// lockKeys are the advisory lock keys of a batch, sorted (see lockBatch).
func lockKeys(batch []*Intake, pol Policy) []string {
	keys := map[string]bool{}
	for _, in := range batch {
		keys["event:"+in.Source+"/"+in.EventID] = true
		for _, a := range in.Actions {
			if a.Shadow || a.RenderError != "" {
				continue
			}
			if a.MaxPerHour > 0 || (a.Request != nil && len(a.Request.Attachments) > 0) {
				keys["rule:"+a.Rule] = true
			}
			if pol.TargetMaxPerHour > 0 {
				keys["target:"+a.TargetKey] = true
			}
			if a.Once || a.Cooldown > 0 {
				keys["claim:"+a.Rule+"/"+a.ClaimKey] = true
			}
		}
		for _, t := range in.Timers {
			keys[timerLockKey(t.Rule, t.TargetKey)] = true
		}
		for _, c := range in.Cancels {
			keys[timerLockKey(c.Rule, c.TargetKey)] = true
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	return sorted
}

// txState is what one write transaction has read once or still has to
// write, so that an action needs no statement of its own for it: the
// rules' pauses, read once, and the sends of queued actions, written
// together at the end. The budgets count the sends still held here as if
// they were written, so every decision sees the ones before it.
type txState struct {
	pauses map[string]int64 // rule -> paused_until; nil until read
	sends  []send
}

type send struct {
	rule, target string
	at           int64
}

// pausedUntil is when rule's pause ends (0: not paused).
func (st *txState) pausedUntil(ctx context.Context, q querier, rule string, nowMs int64) (int64, error) {
	if st.pauses == nil {
		rows, err := q.query(ctx, `SELECT rule, paused_until FROM bot_rule_pauses WHERE paused_until > ?`, nowMs)
		if err != nil {
			return 0, fmt.Errorf("read pauses: %w", err)
		}
		defer rows.Close()
		st.pauses = map[string]int64{}
		for rows.Next() {
			var r string
			var until int64
			if err := rows.Scan(&r, &until); err != nil {
				return 0, fmt.Errorf("read pauses: %w", err)
			}
			st.pauses[r] = until
		}
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("read pauses: %w", err)
		}
	}
	return st.pauses[rule], nil
}

// paused records a pause this transaction wrote.
func (st *txState) paused(rule string, until int64) {
	if st.pauses != nil {
		st.pauses[rule] = until
	}
}

// pending counts the sends held here that match (rule or target) after
// since.
func (st *txState) pending(rule, target string, since int64) int {
	n := 0
	for _, sd := range st.sends {
		if sd.at > since && ((rule != "" && sd.rule == rule) || (target != "" && sd.target == target)) {
			n++
		}
	}
	return n
}

// sendsPerInsert bounds the rows of one INSERT (3 parameters each, well
// under either store's limit).
const sendsPerInsert = 300

// flush writes the sends held here.
func (st *txState) flush(ctx context.Context, q querier) error {
	for len(st.sends) > 0 {
		chunk := st.sends[:min(len(st.sends), sendsPerInsert)]
		var b strings.Builder
		b.WriteString(`INSERT INTO bot_sends (rule, target_key, at) VALUES `)
		args := make([]any, 0, 3*len(chunk))
		for i, sd := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, sd.rule, sd.target, sd.at)
		}
		if _, err := q.exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("record sends: %w", err)
		}
		st.sends = st.sends[len(chunk):]
	}
	return nil
}

func (s *Store) acceptOne(ctx context.Context, q querier, st *txState, in *Intake, pol Policy, now time.Time) (AcceptResult, []pendingJob, error) {
	headers, err := encodeHeaders(in.Headers)
	if err != nil {
		return AcceptResult{}, nil, err
	}
	// A row older than the dedup window is a new delivery of an old id.
	n, err := q.exec(ctx, `INSERT INTO bot_events (source, event_id, topic, received_at, matched, payload, headers)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, event_id) DO UPDATE SET topic = excluded.topic, received_at = excluded.received_at,
			matched = excluded.matched, payload = excluded.payload, headers = excluded.headers
		WHERE bot_events.received_at < ?`,
		in.Source, in.EventID, in.Topic, in.ReceivedAt.UnixMilli(), len(in.Actions), string(in.Payload), headers,
		now.Add(-pol.DedupWindow).UnixMilli())
	if err != nil {
		return AcceptResult{}, nil, fmt.Errorf("record event: %w", err)
	}
	if n == 0 {
		return AcceptResult{Duplicate: true}, nil, nil
	}
	res := AcceptResult{Actions: make([]ActionResult, len(in.Actions))}
	var jobs []pendingJob
	for i := range in.Actions {
		a := &in.Actions[i]
		r, args, err := s.applyAction(ctx, q, st, in, a, pol, now)
		if err != nil {
			return AcceptResult{}, nil, err
		}
		res.Actions[i] = r
		if args != nil {
			jobs = append(jobs, pendingJob{action: i, args: args})
		}
	}
	return res, jobs, nil
}

// applyAction decides one action and records its consequence: a queued
// action's send in the budget ledger (its delivery job is returned for the
// caller to insert), a dead letter, or a history record. Intake and firing
// timers both go through it, so a timer is held to the same rules. The
// send is held in st: the caller flushes it before committing.
func (s *Store) applyAction(ctx context.Context, q querier, st *txState, in *Intake, a *Action, pol Policy, now time.Time) (ActionResult, *DeliveryArgs, error) {
	nowMs := now.UnixMilli()
	r, err := s.decide(ctx, q, st, in, a, pol, now)
	if err != nil {
		return ActionResult{}, nil, fmt.Errorf("rule %s: %w", a.Rule, err)
	}
	var args *DeliveryArgs
	switch r.Outcome {
	case Queued:
		next, err := stepsOf(a)
		if err != nil {
			return ActionResult{}, nil, err
		}
		args = &DeliveryArgs{
			Source: in.Source, EventID: in.EventID, Topic: in.Topic, Rule: a.Rule, Platform: firstPlatform(a),
			Request: *a.Request, ClaimKey: claimKeyIf(a), ClaimTTL: a.Cooldown, TargetKey: a.TargetKey,
			ReceivedAt: in.ReceivedAt, Deadline: in.ReceivedAt.Add(pol.MaxAge), MaxAttempts: pol.MaxAttempts,
			Next: next,
		}
		st.recordSend(a, nowMs)
	case DeadLettered:
		if err := s.deadLetterAtIntake(ctx, q, in, a, now); err != nil {
			return ActionResult{}, nil, err
		}
	default:
		h := historyFromAction(in, a, r.Outcome, r.Reason, now)
		if err := insertHistory(ctx, q, h); err != nil {
			return ActionResult{}, nil, err
		}
	}
	return r, args, nil
}

// firstPlatform is the replier the rule's first job goes to: the one its
// request names, as chain.go picks each later step's (a rule without a
// reply may notify first, and a notifier is not the rule's platform).
func firstPlatform(a *Action) string {
	if a.Request != nil && a.Request.Platform != "" {
		return a.Request.Platform
	}
	return a.Platform
}

// stepsOf is the rule's steps after its first request, as a job carries
// them.
func stepsOf(a *Action) ([]replier.Request, error) {
	if len(a.Steps) == 0 {
		return nil, nil
	}
	out := make([]replier.Request, len(a.Steps))
	for i, r := range a.Steps {
		if r == nil {
			return nil, fmt.Errorf("rule %s: step %d has no request", a.Rule, i+1)
		}
		out[i] = *r
	}
	return out, nil
}

// budgetKey is what the per-target budget counts a rule's firing under. A
// rule that posts no message (actions only) has its own count per target,
// with the same limit: it never uses up the bot's messages on a
// conversation, yet it cannot act on one conversation without end (a rule
// triggered by its own action on a platform whose webhooks do not say who
// acted).
func budgetKey(a *Action) string {
	if a.NoMessage {
		return "actions:" + a.TargetKey
	}
	return a.TargetKey
}

// recordSend counts a queued action toward the budgets (written by flush).
func (st *txState) recordSend(a *Action, nowMs int64) {
	st.sends = append(st.sends, send{rule: a.Rule, target: budgetKey(a), at: nowMs})
}

func claimKeyIf(a *Action) string {
	if a.Once || a.Cooldown > 0 {
		return a.ClaimKey
	}
	return ""
}

// decide applies shadow mode, pauses, budgets and claims to one action.
func (s *Store) decide(ctx context.Context, q querier, st *txState, in *Intake, a *Action, pol Policy, now time.Time) (ActionResult, error) {
	switch {
	case a.RenderError != "":
		return ActionResult{Outcome: DeadLettered, Reason: "render_error"}, nil
	case a.Shadow:
		return ActionResult{Outcome: Shadowed}, nil
	}
	nowMs := now.UnixMilli()
	hourAgo := now.Add(-time.Hour).UnixMilli()

	pausedUntil, err := st.pausedUntil(ctx, q, a.Rule, nowMs)
	if err != nil {
		return ActionResult{}, err
	}
	if pausedUntil > nowMs {
		return ActionResult{Outcome: Suppressed, Reason: ReasonPaused}, nil
	}

	if a.MaxPerHour > 0 {
		var sent int
		if err := q.queryRow(ctx, `SELECT COUNT(*) FROM bot_sends WHERE rule = ? AND at > ?`, a.Rule, hourAgo).Scan(&sent); err != nil {
			return ActionResult{}, fmt.Errorf("count rule sends: %w", err)
		}
		if sent += st.pending(a.Rule, "", hourAgo); sent >= a.MaxPerHour {
			paused, err := s.trip(ctx, q, st, a.Rule, pol, now)
			if err != nil {
				return ActionResult{}, err
			}
			return ActionResult{Outcome: Suppressed, Reason: ReasonRuleBudget, Paused: paused}, nil
		}
	}
	if pol.TargetMaxPerHour > 0 {
		var sent int
		if err := q.queryRow(ctx, `SELECT COUNT(*) FROM bot_sends WHERE target_key = ? AND at > ?`, budgetKey(a), hourAgo).Scan(&sent); err != nil {
			return ActionResult{}, fmt.Errorf("count target sends: %w", err)
		}
		if sent += st.pending("", budgetKey(a), hourAgo); sent >= pol.TargetMaxPerHour {
			return ActionResult{Outcome: Suppressed, Reason: ReasonTargetBudget}, nil
		}
	}

	eventKey := in.Source + "/" + in.EventID
	switch {
	case a.Once:
		n, err := q.exec(ctx, `INSERT INTO bot_claims (rule, claim_key, claimed_at, expires_at, event_key)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (rule, claim_key) DO NOTHING`,
			a.Rule, a.ClaimKey, nowMs, neverExpires, eventKey)
		if err != nil {
			return ActionResult{}, fmt.Errorf("claim: %w", err)
		}
		if n == 0 {
			return ActionResult{Outcome: Suppressed, Reason: ReasonOnce}, nil
		}
	case a.Cooldown > 0:
		n, err := q.exec(ctx, `INSERT INTO bot_claims (rule, claim_key, claimed_at, expires_at, event_key)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (rule, claim_key) DO UPDATE SET
				claimed_at = excluded.claimed_at, expires_at = excluded.expires_at, event_key = excluded.event_key
			WHERE bot_claims.claimed_at <= ?`,
			a.Rule, a.ClaimKey, nowMs, now.Add(a.Cooldown).UnixMilli(), eventKey, now.Add(-a.Cooldown).UnixMilli())
		if err != nil {
			return ActionResult{}, fmt.Errorf("claim: %w", err)
		}
		if n == 0 {
			return ActionResult{Outcome: Suppressed, Reason: ReasonCooldown}, nil
		}
	}
	return ActionResult{Outcome: Queued}, nil
}

// trip records a rule going over its hourly budget and pauses it when that
// happened PauseAfter times within the hour.
func (s *Store) trip(ctx context.Context, q querier, st *txState, rule string, pol Policy, now time.Time) (bool, error) {
	if _, err := q.exec(ctx, `INSERT INTO bot_rule_trips (rule, at) VALUES (?, ?)`, rule, now.UnixMilli()); err != nil {
		return false, fmt.Errorf("record budget trip: %w", err)
	}
	if pol.PauseAfter <= 0 {
		return false, nil
	}
	var trips int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM bot_rule_trips WHERE rule = ? AND at > ?`,
		rule, now.Add(-time.Hour).UnixMilli()).Scan(&trips); err != nil {
		return false, fmt.Errorf("count budget trips: %w", err)
	}
	if trips < pol.PauseAfter {
		return false, nil
	}
	if _, err := q.exec(ctx, `INSERT INTO bot_rule_pauses (rule, paused_at, paused_until) VALUES (?, ?, ?)
		ON CONFLICT (rule) DO UPDATE SET paused_at = excluded.paused_at, paused_until = excluded.paused_until`,
		rule, now.UnixMilli(), now.Add(pol.PauseFor).UnixMilli()); err != nil {
		return false, fmt.Errorf("pause rule: %w", err)
	}
	st.paused(rule, now.Add(pol.PauseFor).UnixMilli())
	// Start counting afresh once the pause ends.
	if _, err := q.exec(ctx, `DELETE FROM bot_rule_trips WHERE rule = ?`, rule); err != nil {
		return false, fmt.Errorf("reset budget trips: %w", err)
	}
	return true, nil
}

// deadLetterAtIntake keeps an action whose reply could not be rendered.
func (s *Store) deadLetterAtIntake(ctx context.Context, q querier, in *Intake, a *Action, now time.Time) error {
	reqJSON, err := json.Marshal(a.Request)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	d := &DeadLetter{
		Source: in.Source, EventID: in.EventID, Topic: in.Topic, Rule: a.Rule, Platform: a.Platform,
		TargetKey: a.TargetKey, Reason: "render_error", Error: a.RenderError, Attempts: 0,
		ReceivedAt: in.ReceivedAt, DeadAt: now, RequestJSON: reqJSON,
	}
	// The steps are kept with the letter, for people to see what the rule
	// would have done (a render failure is not replayed).
	if d.Next, err = stepsOf(a); err != nil {
		return err
	}
	if err := insertDeadLetter(ctx, q, d); err != nil {
		return err
	}
	h := historyFromAction(in, a, DeadLettered, "render_error", now)
	h.Error = a.RenderError
	return insertHistory(ctx, q, h)
}
