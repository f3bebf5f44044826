package queue

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// A stored event keeps the delivery headers it was built from, so that
// explain parses it again as it arrived; events without any, and rows the
// previous release wrote (no headers column then), read back as nil.
func TestEventKeepsHeaders(t *testing.T) {
	storeKinds(t, func(t *testing.T, opts Options) {
		s := openTestStore(t, opts, nil, DefaultPolicy)
		ctx := context.Background()

		with := intake("with-headers", action("r", "1"))
		with.Headers = http.Header{"X-Helpscout-Event": {"convo.created"}, "X-Multi": {"a", "b"}}
		without := intake("without-headers", action("r", "2"))
		for _, in := range []*Intake{with, without} {
			if _, err := s.Accept(ctx, in); err != nil {
				t.Fatalf("accept %s: %v", in.EventID, err)
			}
		}
		// What the previous release's INSERT wrote: no headers.
		if _, err := s.backend.pool().exec(ctx, `INSERT INTO bot_events (source, event_id, topic, received_at, matched, payload)
			VALUES (?, ?, ?, ?, ?, ?)`, "intercom", "old-row", "t", time.Now().UnixMilli(), 1, `{}`); err != nil {
			t.Fatal(err)
		}

		for id, want := range map[string]http.Header{"with-headers": with.Headers, "without-headers": nil, "old-row": nil} {
			e, err := s.Event(ctx, "intercom", id)
			if err != nil {
				t.Fatalf("event %s: %v", id, err)
			}
			if !reflect.DeepEqual(e.Headers, want) {
				t.Errorf("event %s: headers %v, want %v", id, e.Headers, want)
			}
		}
	})
}
