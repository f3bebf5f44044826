package delivery

import (
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/replier"
)

// TestSnoozeEndsAsOfTheSend: a snooze step that waited (behind a retried
// reply, a rate limit, or a replay the next day) still snoozes for the
// length written, from when it is sent; the stored request is unchanged.
func TestSnoozeEndsAsOfTheSend(t *testing.T) {
	rendered := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	sent := rendered.Add(26 * time.Hour) // replayed the next day
	req := &replier.Request{Action: "status", Fields: map[string]replier.Value{
		replier.FieldStatus:  {Text: "snoozed"},
		replier.FieldUntil:   {Text: rendered.Add(2 * time.Hour).Format(time.RFC3339)},
		replier.FieldUntilIn: {Text: "2h0m0s"},
	}}
	got := untilFromNow(req, sent)
	if want := sent.Add(2 * time.Hour).Format(time.RFC3339); got.Text(replier.FieldUntil) != want {
		t.Fatalf("until %s; want %s (2h from the send)", got.Text(replier.FieldUntil), want)
	}
	if _, left := got.Fields[replier.FieldUntilIn]; left {
		t.Error("until_in reached the platform")
	}
	if req.Text(replier.FieldUntil) != rendered.Add(2*time.Hour).Format(time.RFC3339) || len(req.Fields) != 3 {
		t.Errorf("the stored request changed: %+v", req.Fields)
	}
	plain := &replier.Request{Action: "status", Fields: map[string]replier.Value{replier.FieldStatus: {Text: "closed"}}}
	if untilFromNow(plain, sent) != plain {
		t.Error("a step without until_in was copied")
	}
}
