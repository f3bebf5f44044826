package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/replier"
)

// History is the record of one action's final outcome. Action names the
// action a step of a rule did (replier.Request.Action); empty for a post.
type History struct {
	ID         int64        `json:"id"`
	JobID      int64        `json:"job_id,omitempty"`
	Source     string       `json:"source"`
	EventID    string       `json:"event_id"`
	Rule       string       `json:"rule"`
	Platform   string       `json:"platform"`
	Target     event.Target `json:"target"`
	Action     string       `json:"action,omitempty"`
	Outcome    string       `json:"outcome"`
	Reason     string       `json:"reason,omitempty"`
	Attempts   int          `json:"attempts"`
	ResponseID string       `json:"response_id,omitempty"`
	Error      string       `json:"error,omitempty"`
	ReceivedAt time.Time    `json:"received_at"`
	FinishedAt time.Time    `json:"finished_at"`

	// releaseClaim, set on the record of a reply that was not posted,
	// says its once/cooldown claim is given back in the outcome's
	// transaction (a dead letter says so itself).
	releaseClaim bool
	claimKey     string
}

// Outcomes recorded in history besides the intake ones.
const (
	Sent     = "sent"
	Replayed = "replayed"
)

func historyFromAction(in *Intake, a *Action, outcome, reason string, now time.Time) *History {
	h := &History{
		Source: in.Source, EventID: in.EventID, Rule: a.Rule, Platform: a.Platform,
		Outcome: outcome, Reason: reason, ReceivedAt: in.ReceivedAt, FinishedAt: now,
	}
	if a.Request != nil {
		h.Target, h.Action = a.Request.Target, a.Request.Action
	}
	return h
}

func historyFromJob(job *Job, outcome, reason string, now time.Time) *History {
	a := job.Args
	return &History{
		JobID: job.ID, Source: a.Source, EventID: a.EventID, Rule: a.Rule, Platform: a.Platform,
		Target: a.Request.Target, Action: a.Request.Action, Outcome: outcome, Reason: reason, Attempts: job.Attempt,
		ReceivedAt: a.ReceivedAt, FinishedAt: now,
	}
}

func insertHistory(ctx context.Context, q querier, h *History) error {
	_, err := q.exec(ctx, `INSERT INTO bot_history (job_id, source, event_id, rule, platform, target_type, target_id,
			action, outcome, reason, attempts, response_id, error, received_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		h.JobID, h.Source, h.EventID, h.Rule, h.Platform, h.Target.Type, indexable(h.Target.ID), h.Action,
		h.Outcome, h.Reason, h.Attempts, storable(h.ResponseID), storable(h.Error), h.ReceivedAt.UnixMilli(), h.FinishedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	return nil
}

// HistoryFilter selects history records; zero fields match everything.
type HistoryFilter struct {
	Rule    string
	Target  string // target id
	Source  string
	EventID string
	Outcome string
	Since   time.Time
	Limit   int // default 100
}

// History lists records, newest first.
func (s *Store) History(ctx context.Context, f HistoryFilter) ([]History, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.Rule != "" {
		add("rule = ?", f.Rule)
	}
	if f.Target != "" {
		add("target_id = ?", f.Target)
	}
	if f.Source != "" {
		add("source = ?", f.Source)
	}
	if f.EventID != "" {
		add("event_id = ?", f.EventID)
	}
	if f.Outcome != "" {
		add("outcome = ?", f.Outcome)
	}
	if !f.Since.IsZero() {
		add("finished_at >= ?", f.Since.UnixMilli())
	}
	q := `SELECT id, job_id, source, event_id, rule, platform, target_type, target_id, action, outcome, reason, attempts,
		response_id, error, received_at, finished_at FROM bot_history`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limitOr(f.Limit))
	rows, err := s.backend.pool().query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list history: %w", err)
	}
	defer rows.Close()
	var out []History
	for rows.Next() {
		var h History
		var jobID *int64
		var action *string // NULL in records written before actions
		var recv, fin int64
		if err := rows.Scan(&h.ID, &jobID, &h.Source, &h.EventID, &h.Rule, &h.Platform, &h.Target.Type, &h.Target.ID,
			&action, &h.Outcome, &h.Reason, &h.Attempts, &h.ResponseID, &h.Error, &recv, &fin); err != nil {
			return nil, fmt.Errorf("list history: %w", err)
		}
		if jobID != nil {
			h.JobID = *jobID
		}
		if action != nil {
			h.Action = *action
		}
		h.ReceivedAt, h.FinishedAt = time.UnixMilli(recv).UTC(), time.UnixMilli(fin).UTC()
		out = append(out, h)
	}
	return out, rows.Err()
}

func limitOr(n int) int {
	if n <= 0 {
		return 100
	}
	return n
}

// DeadLetter is a reply that will not be retried, kept with everything
// needed to understand and replay it.
type DeadLetter struct {
	ID          int64           `json:"id"`
	JobID       int64           `json:"job_id,omitempty"`
	Source      string          `json:"source"`
	EventID     string          `json:"event_id"`
	Topic       string          `json:"topic"`
	Rule        string          `json:"rule"`
	Platform    string          `json:"platform"`
	TargetKey   string          `json:"target_key"`
	ClaimKey    string          `json:"claim_key,omitempty"`
	ClaimTTL    time.Duration   `json:"claim_ttl,omitempty"`
	Request     replier.Request `json:"request"`
	RequestJSON []byte          `json:"-"`
	Reason      string          `json:"reason"`
	Status      int             `json:"status,omitempty"`
	Error       string          `json:"error"`
	Attempts    int             `json:"attempts"`
	ReceivedAt  time.Time       `json:"received_at"`
	DeadAt      time.Time       `json:"dead_at"`

	// Step is the letter's place in its rule's chain (0: the reply, or
	// the first action); Next are the steps after it, which a replay runs
	// once this one succeeds.
	Step int               `json:"step,omitempty"`
	Next []replier.Request `json:"next,omitempty"`

	// keepClaim leaves the once/cooldown claim in place (the reply may
	// have been posted).
	keepClaim bool
}

func insertDeadLetter(ctx context.Context, q querier, d *DeadLetter) error {
	var next *string // NULL: no steps after this one
	if len(d.Next) > 0 {
		b, err := json.Marshal(d.Next)
		if err != nil {
			return fmt.Errorf("record dead letter: encode next steps: %w", err)
		}
		js := string(b)
		next = &js
	}
	_, err := q.exec(ctx, `INSERT INTO bot_dead_letters (job_id, source, event_id, topic, rule, platform, target_key,
			claim_key, claim_ttl_ms, request, reason, status, error, attempts, received_at, dead_at, step, next_steps)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.JobID, d.Source, d.EventID, d.Topic, d.Rule, d.Platform, d.TargetKey, d.ClaimKey, d.ClaimTTL.Milliseconds(), string(d.RequestJSON),
		d.Reason, d.Status, storable(d.Error), d.Attempts, d.ReceivedAt.UnixMilli(), d.DeadAt.UnixMilli(), d.Step, next)
	if err != nil {
		return fmt.Errorf("record dead letter: %w", err)
	}
	return nil
}

// DLQFilter selects dead letters; zero fields match everything.
type DLQFilter struct {
	IDs   []int64
	Rule  string
	Since time.Time
	Limit int // default 100
}

func (f DLQFilter) where() (string, []any) {
	var where []string
	var args []any
	if len(f.IDs) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(f.IDs)), ", ")
		where = append(where, "id IN ("+ph+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if f.Rule != "" {
		where = append(where, "rule = ?")
		args = append(args, f.Rule)
	}
	if !f.Since.IsZero() {
		where = append(where, "dead_at >= ?")
		args = append(args, f.Since.UnixMilli())
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// DeadLetters lists dead letters, newest first.
func (s *Store) DeadLetters(ctx context.Context, f DLQFilter) ([]DeadLetter, error) {
	return s.deadLetters(ctx, s.backend.pool(), f)
}

func (s *Store) deadLetters(ctx context.Context, q querier, f DLQFilter) ([]DeadLetter, error) {
	where, args := f.where()
	args = append(args, limitOr(f.Limit))
	rows, err := q.query(ctx, `SELECT id, job_id, source, event_id, topic, rule, platform, target_key, claim_key,
			claim_ttl_ms, request, reason, status, error, attempts, received_at, dead_at, step, next_steps
		FROM bot_dead_letters`+where+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		var d DeadLetter
		var jobID *int64
		var req string
		var next *string
		var recv, dead, ttl int64
		if err := rows.Scan(&d.ID, &jobID, &d.Source, &d.EventID, &d.Topic, &d.Rule, &d.Platform, &d.TargetKey,
			&d.ClaimKey, &ttl, &req, &d.Reason, &d.Status, &d.Error, &d.Attempts, &recv, &dead, &d.Step, &next); err != nil {
			return nil, fmt.Errorf("list dead letters: %w", err)
		}
		if next != nil {
			if err := json.Unmarshal([]byte(*next), &d.Next); err != nil {
				return nil, fmt.Errorf("dead letter %d: decode next steps: %w", d.ID, err)
			}
		}
		if jobID != nil {
			d.JobID = *jobID
		}
		d.ClaimTTL = time.Duration(ttl) * time.Millisecond
		d.RequestJSON = []byte(req)
		if err := json.Unmarshal(d.RequestJSON, &d.Request); err != nil {
			return nil, fmt.Errorf("dead letter %d: decode request: %w", d.ID, err)
		}
		d.ReceivedAt, d.DeadAt = time.UnixMilli(recv).UTC(), time.UnixMilli(dead).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeadLetter returns one dead letter.
func (s *Store) DeadLetter(ctx context.Context, id int64) (*DeadLetter, error) {
	list, err := s.DeadLetters(ctx, DLQFilter{IDs: []int64{id}, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("dead letter %d: %w", id, ErrNotFound)
	}
	return &list[0], nil
}

// ErrNotFound is returned for an id that does not exist.
var ErrNotFound = fmt.Errorf("not found")

// ReplayResult is what became of one selected dead letter.
type ReplayResult struct {
	DeadLetterID int64 `json:"dead_letter_id"`
	JobID        int64 `json:"job_id,omitempty"`
	// Skipped says why the letter was not replayed.
	Skipped string `json:"skipped,omitempty"`
}

// ReplayOptions tune Replay.
type ReplayOptions struct {
	// DryRun reports what would happen and changes nothing.
	DryRun bool
	// Force replays even when another event now holds the rule's once or
	// cooldown claim on the target.
	Force bool
}

// Replay queues the selected dead letters again with a fresh deadline and
// attempt count and the same request (quick-reply uuids included), retakes
// their once/cooldown claims, and removes them from the dead-letter queue,
// all in one transaction. A letter is skipped when it cannot be sent (a
// render failure: fix the rule), when another event has since taken its
// claim (unless Force), or when a concurrent replay or drop took it first.
// A letter of a rule's step resumes the chain there: the step runs, then
// the steps after it, in order.
func (s *Store) Replay(ctx context.Context, f DLQFilter, pol Policy, o ReplayOptions) ([]ReplayResult, error) {
	if len(f.IDs) == 0 && f.Rule == "" && f.Since.IsZero() {
		return nil, fmt.Errorf("replay: select dead letters by id, rule or since")
	}
	tx, err := s.backend.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer tx.rollback(ctx)
	if f.Limit == 0 {
		f.Limit = 10000
	}
	letters, err := s.deadLetters(ctx, tx, f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]ReplayResult, 0, len(letters))
	var params []river.InsertManyParams
	var queued []int // indexes in out of the letters queued
	for _, d := range letters {
		res, args, err := s.replayOne(ctx, tx, &d, pol, o, now)
		if err != nil {
			return nil, fmt.Errorf("replay %d: %w", d.ID, err)
		}
		out = append(out, res)
		if args != nil {
			if err := storeAttachments(ctx, tx, args, now); err != nil {
				return nil, fmt.Errorf("replay %d: %w", d.ID, err)
			}
			queued = append(queued, len(out)-1)
			params = append(params, river.InsertManyParams{Args: *args, InsertOpts: &river.InsertOpts{
				Queue: deliveryQueue, MaxAttempts: riverMaxAttempts(pol.MaxAttempts),
			}})
		}
	}
	if o.DryRun || len(params) == 0 {
		return out, nil // the deferred rollback undoes a dry run
	}
	ids, err := s.backend.insertJobs(ctx, tx, params)
	if err != nil {
		return nil, fmt.Errorf("replay: insert jobs: %w", err)
	}
	for j, i := range queued {
		out[i].JobID = ids[j]
	}
	if err := tx.commit(ctx); err != nil {
		return nil, fmt.Errorf("replay: commit: %w", err)
	}
	return out, nil
}

// replayOne takes one letter out of the queue and retakes its claim, inside
// a savepoint so a skipped letter leaves no trace; it returns the job to
// insert, or nil when the letter is skipped.
func (s *Store) replayOne(ctx context.Context, tx txn, d *DeadLetter, pol Policy, o ReplayOptions, now time.Time) (ReplayResult, *DeliveryArgs, error) {
	res := ReplayResult{DeadLetterID: d.ID}
	if d.Reason == "render_error" {
		res.Skipped = "the reply could not be rendered: fix the rule; there is no request to send"
		return res, nil, nil
	}
	if _, err := tx.exec(ctx, `SAVEPOINT replay_letter`); err != nil {
		return res, nil, err
	}
	skip := func(why string) (ReplayResult, *DeliveryArgs, error) {
		res.Skipped = why
		_, err := tx.exec(ctx, `ROLLBACK TO SAVEPOINT replay_letter`)
		return res, nil, err
	}
	// Only one of two concurrent replays (or a replay and a drop) gets the
	// row; the other skips it.
	n, err := tx.exec(ctx, `DELETE FROM bot_dead_letters WHERE id = ?`, d.ID)
	if err != nil {
		return res, nil, err
	}
	if n == 0 {
		return skip("already replayed or dropped")
	}
	eventKey := d.Source + "/" + d.EventID
	// A later step's claim is the first step's, which succeeded and still
	// holds it: only a letter of the first step retakes it.
	if d.ClaimKey != "" && d.Step == 0 {
		expires := neverExpires
		if d.ClaimTTL > 0 {
			expires = now.Add(d.ClaimTTL).UnixMilli()
		}
		q := `INSERT INTO bot_claims (rule, claim_key, claimed_at, expires_at, event_key)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (rule, claim_key) DO UPDATE SET
				claimed_at = excluded.claimed_at, expires_at = excluded.expires_at, event_key = excluded.event_key`
		args := []any{d.Rule, d.ClaimKey, now.UnixMilli(), expires, eventKey}
		if !o.Force {
			q += ` WHERE bot_claims.event_key = excluded.event_key OR bot_claims.expires_at <= ?`
			args = append(args, now.UnixMilli())
		}
		n, err := tx.exec(ctx, q, args...)
		if err != nil {
			return res, nil, fmt.Errorf("retake claim: %w", err)
		}
		if n == 0 {
			return skip("another event now holds the rule's once/cooldown claim on this target (replay with force to send anyway)")
		}
	}
	h := &History{Source: d.Source, EventID: d.EventID, Rule: d.Rule, Platform: d.Platform,
		Target: d.Request.Target, Action: d.Request.Action, Outcome: Replayed, Reason: fmt.Sprintf("dead letter %d", d.ID),
		Attempts: d.Attempts, ReceivedAt: d.ReceivedAt, FinishedAt: now}
	if err := insertHistory(ctx, tx, h); err != nil {
		return res, nil, err
	}
	if _, err := tx.exec(ctx, `RELEASE SAVEPOINT replay_letter`); err != nil {
		return res, nil, err
	}
	return res, &DeliveryArgs{
		Source: d.Source, EventID: d.EventID, Topic: d.Topic, Rule: d.Rule, Platform: d.Platform,
		Request: d.Request, ClaimKey: d.ClaimKey, ClaimTTL: d.ClaimTTL, TargetKey: d.TargetKey,
		ReceivedAt: d.ReceivedAt, Deadline: now.Add(pol.MaxAge), MaxAttempts: pol.MaxAttempts,
		Next: d.Next, Step: d.Step,
	}, nil
}

// Drop deletes the selected dead letters and returns how many went.
func (s *Store) Drop(ctx context.Context, f DLQFilter) (int64, error) {
	if len(f.IDs) == 0 && f.Rule == "" && f.Since.IsZero() {
		return 0, fmt.Errorf("drop: select dead letters by id, rule or since")
	}
	where, args := f.where()
	n, err := s.backend.pool().exec(ctx, `DELETE FROM bot_dead_letters`+where, args...)
	if err != nil {
		return 0, fmt.Errorf("drop dead letters: %w", err)
	}
	return n, nil
}

// StoredEvent is a delivery the store kept.
type StoredEvent struct {
	Source     string
	EventID    string
	Topic      string
	ReceivedAt time.Time
	Matched    int
	Payload    []byte
	// Headers are the delivery headers kept with Payload (nil when the
	// platform reads none, or the event was stored before they were kept).
	Headers http.Header
}

// Event returns a kept delivery.
func (s *Store) Event(ctx context.Context, source, eventID string) (*StoredEvent, error) {
	e := &StoredEvent{Source: source, EventID: eventID}
	var recv int64
	var payload, headers *string
	err := s.backend.pool().queryRow(ctx, `SELECT topic, received_at, matched, payload, headers FROM bot_events
		WHERE source = ? AND event_id = ?`, source, eventID).Scan(&e.Topic, &recv, &e.Matched, &payload, &headers)
	if isNoRows(err) {
		return nil, fmt.Errorf("event %s/%s: %w", source, eventID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("event %s/%s: %w", source, eventID, err)
	}
	e.ReceivedAt = time.UnixMilli(recv).UTC()
	if payload != nil {
		e.Payload = []byte(*payload)
	}
	if e.Headers, err = decodeHeaders(headers); err != nil {
		return nil, fmt.Errorf("event %s/%s: %w", source, eventID, err)
	}
	return e, nil
}

// Preview says what the store would do with the actions of in right now
// (once, cooldown, budgets, pauses), without changing anything and without
// the dedup check.
func (s *Store) Preview(ctx context.Context, in *Intake) ([]ActionResult, error) {
	tx, err := s.backend.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	defer tx.rollback(ctx)
	pol := s.policy()
	now := s.now()
	out := make([]ActionResult, len(in.Actions))
	st := &txState{}
	for i := range in.Actions {
		a := &in.Actions[i]
		if out[i], err = s.decide(ctx, tx, st, in, a, pol, now); err != nil {
			return nil, fmt.Errorf("preview rule %s: %w", a.Rule, err)
		}
		if out[i].Outcome == Queued {
			// Later actions see this one's send, as they would for real.
			st.recordSend(a, now.UnixMilli())
		}
	}
	return out, nil
}

// indexable cuts a value bound for an indexed column to event.MaxIDBytes:
// a longer one (a target a rule built from customer text, dead-lettered
// for that reason) must still leave its record instead of failing the
// whole transaction on PostgreSQL.
func indexable(s string) string {
	if len(s) <= event.MaxIDBytes {
		return s
	}
	return strings.ToValidUTF8(s[:event.MaxIDBytes], "")
}

// storable replaces NUL, which PostgreSQL text cannot hold, in strings that
// come from a platform's answer.
func storable(s string) string {
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}
