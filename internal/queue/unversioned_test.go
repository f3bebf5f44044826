package queue

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

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
