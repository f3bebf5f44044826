package queue

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/supportops/autoresponder/internal/replier"
)

// TestJobOfTheUnversionedFormatDelivers: a job the previous release queued
// (its request without "v", the platform's fields at the top level: quick
// reply options with their uuids, a contact, skip_notifications) is read
// from the store row as written, upgraded, and delivered with the very
// same fields and uuids, on SQLite and PostgreSQL.
func TestJobOfTheUnversionedFormatDelivers(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(nil)
		s, start := openStopped(t, opts, snd, fastPolicy())
		ctx := context.Background()
		// The arguments exactly as the previous release wrote them.
		const old = `{"source":"intercom","event_id":"v1-1","topic":"conversation.user.created","rule":"ask",` +
			`"platform":"intercom","request":{"platform":"intercom","as":"quick_reply","target":{"type":"conversation","id":"c-v1"},` +
			`"body":"<p>Pick one</p>","options":[{"text":"Yes","uuid":"1b0c7c5e-6f0e-5d2b-9a8f-3c1d2e4f5a6b"},` +
			`{"text":"No","uuid":"2c1d8d6f-7a1f-5e3c-8b9a-4d2e3f5a6b7c"}],"skip_notifications":true},` +
			`"target_key":"intercom:conversation:c-v1","received_at":"2026-11-30T10:00:00Z","deadline":"2099-01-01T00:00:00Z",` +
			`"max_attempts":12}`
		var args DeliveryArgs
		if err := json.Unmarshal([]byte(old), &args); err != nil {
			t.Fatal(err)
		}
		tx, err := s.backend.begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := s.backend.insertJobs(ctx, tx, []river.InsertManyParams{{Args: args,
			InsertOpts: &river.InsertOpts{Queue: deliveryQueue, MaxAttempts: args.MaxAttempts}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.commit(ctx); err != nil {
			t.Fatal(err)
		}
		// The row holds the old bytes, not a re-encoding of them.
		if _, err := s.backend.pool().exec(ctx, `UPDATE river_job SET args = ? WHERE id = ?`, old, ids[0]); err != nil {
			t.Fatal(err)
		}
		start()
		waitFor(t, "the old job's reply", func() bool { return snd.sentCount() == 1 })
		snd.mu.Lock()
		got := snd.sent[0].Args.Request
		snd.mu.Unlock()
		want := map[string]replier.Value{
			"options":            {List: []string{"Yes", "No"}},
			"option_uuids":       {List: []string{"1b0c7c5e-6f0e-5d2b-9a8f-3c1d2e4f5a6b", "2c1d8d6f-7a1f-5e3c-8b9a-4d2e3f5a6b7c"}},
			"skip_notifications": {Bool: true},
		}
		if got.V != replier.RequestVersion || got.As != "quick_reply" || got.Body != "<p>Pick one</p>" || !reflect.DeepEqual(got.Fields, want) {
			t.Errorf("old job sent %+v; want version %d with fields %+v", got, replier.RequestVersion, want)
		}
		waitFor(t, "its history", func() bool {
			h, _ := s.History(ctx, HistoryFilter{EventID: "v1-1"})
			return len(h) == 1 && h[0].Outcome == Sent
		})
	})
}

// TestDeadLetterOfTheUnversionedFormatReplays: a dead letter the previous
// release stored (its request without "v") is listed, and `bot dlq replay`
// queues it with the fields and uuids it had, upgraded, on SQLite and
// PostgreSQL.
func TestDeadLetterOfTheUnversionedFormatReplays(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		snd := newRecordingSender(nil)
		s := openTestStore(t, opts, snd, fastPolicy())
		ctx := context.Background()
		const old = `{"platform":"billing","as":"comment","target":{"type":"ticket","id":"5013"},"body":"We got it",` +
			`"markdown":true,"from":{"contact_id":"5","name":"Billing Desk","email":"billing@example.com"},` +
			`"custom_fields":{"12":"ABC"},"status":"In Progress","no_email":true}`
		now := time.Now()
		if err := insertDeadLetter(ctx, s.backend.pool(), &DeadLetter{Source: "whmcs", EventID: "v1-dead", Topic: "TicketOpen",
			Rule: "ack", Platform: "billing", TargetKey: "billing:ticket:5013", RequestJSON: []byte(old),
			Reason: "client_error", Status: 403, Attempts: 1, ReceivedAt: now, DeadAt: now}); err != nil {
			t.Fatal(err)
		}
		dead, err := s.DeadLetters(ctx, DLQFilter{Rule: "ack"})
		if err != nil || len(dead) != 1 {
			t.Fatalf("dead letters: %+v %v", dead, err)
		}
		if _, err := s.Replay(ctx, DLQFilter{IDs: []int64{dead[0].ID}}, fastPolicy(), ReplayOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the replayed reply", func() bool { return snd.sentCount() == 1 })
		snd.mu.Lock()
		got := snd.sent[0].Args.Request
		snd.mu.Unlock()
		want := map[string]replier.Value{
			"markdown":      {Bool: true},
			"from":          {Map: map[string]string{"contact_id": "5", "name": "Billing Desk", "email": "billing@example.com"}},
			"custom_fields": {Map: map[string]string{"12": "ABC"}},
			"status":        {Text: "In Progress"},
			"no_email":      {Bool: true},
		}
		if got.V != replier.RequestVersion || got.Body != "We got it" || got.Target.ID != "5013" || !reflect.DeepEqual(got.Fields, want) {
			t.Errorf("replayed %+v; want version %d with fields %+v", got, replier.RequestVersion, want)
		}
	})
}
