package queue

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// TestPlainJobsAsRiverInsertsThem: a delivery job the SQLite store writes
// itself is the row River's own insert writes (but for its id and times),
// so that River works it the same; a River upgrade that changes its rows
// fails here.
func TestPlainJobsAsRiverInsertsThem(t *testing.T) {
	s := openTestStore(t, Options{DataDir: t.TempDir()}, nil, fastPolicy())
	b := s.backend.(*sqliteBackend)
	ctx := context.Background()
	args := DeliveryArgs{Source: "intercom", EventID: "e1", Rule: "r1", Platform: "intercom", TargetKey: "intercom:conversation:c1",
		ReceivedAt: time.Now().UTC(), MaxAttempts: 12}
	params := []river.InsertManyParams{{Args: args, InsertOpts: &river.InsertOpts{Queue: deliveryQueue, MaxAttempts: 12}}}
	tx, err := b.begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.rollback(ctx)
	if _, err := b.client.InsertManyFastTx(ctx, tx.(*sqliteTxn).tx, params); err != nil {
		t.Fatal(err)
	}
	if _, err := insertPlainJobs(ctx, tx.(*sqliteTxn), params); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.query(ctx, `SELECT typeof(args) || ':' || CAST(args AS TEXT), kind, max_attempts, typeof(metadata) || ':' || metadata,
		priority, queue, state, typeof(tags) || ':' || tags, attempt, COALESCE(unique_key, 'null'), COALESCE(unique_states, -1),
		typeof(created_at) || length(created_at), typeof(scheduled_at) || length(scheduled_at),
		abs(julianday(scheduled_at) - julianday('now')) < 1.0 / 86400, COALESCE(finalized_at, 'null'), COALESCE(errors, 'null')
		FROM river_job ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][]string
	for rows.Next() {
		cols := make([]string, 16)
		ptrs := make([]any, len(cols))
		for i := range cols {
			ptrs[i] = &cols[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		got = append(got, cols)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d rows, want 2", len(got))
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Fatalf("River's row and ours differ:\nriver %q\nours  %q", got[0], got[1])
	}
}

// TestSQLiteJobIDs: the ids insertJobs returns are the rows' own, in the
// order of the jobs, for plain jobs written in several statements and for
// jobs River inserts.
func TestSQLiteJobIDs(t *testing.T) {
	delivery := func(i int) river.InsertManyParams {
		return river.InsertManyParams{Args: DeliveryArgs{EventID: fmt.Sprintf("e%d", i)},
			InsertOpts: &river.InsertOpts{Queue: deliveryQueue, MaxAttempts: 3}}
	}
	scheduled := func(i int) river.InsertManyParams {
		p := delivery(i)
		p.InsertOpts.ScheduledAt = time.Now().Add(time.Hour)
		return p
	}
	cases := []struct {
		name   string
		params func(i int) river.InsertManyParams
		n      int
		plain  bool
	}{
		{"plain, one statement", delivery, 1, true},
		{"plain, several statements", delivery, 203, true},
		{"scheduled, through River", scheduled, 5, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTestStore(t, Options{DataDir: t.TempDir()}, nil, fastPolicy())
			ctx := context.Background()
			var params []river.InsertManyParams
			for i := range tc.n {
				params = append(params, tc.params(i))
			}
			if got := allPlain(params); got != tc.plain {
				t.Fatalf("allPlain = %v, want %v", got, tc.plain)
			}
			for round := range 2 { // the second round starts after existing rows
				tx, err := s.backend.begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				ids, err := s.backend.insertJobs(ctx, tx, params)
				if err != nil {
					t.Fatal(err)
				}
				for i, id := range ids {
					var args string
					if err := tx.queryRow(ctx, `SELECT CAST(args AS TEXT) FROM river_job WHERE id = ?`, id).Scan(&args); err != nil {
						t.Fatalf("round %d job %d (id %d): %v", round, i, id, err)
					}
					if want := fmt.Sprintf(`"event_id":"e%d"`, i); !strings.Contains(args, want) {
						t.Fatalf("round %d: id %d is not job %d: %s", round, id, i, args)
					}
				}
				if err := tx.commit(ctx); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
