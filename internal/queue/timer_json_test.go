package queue

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestTimerJSON: the admin API and bot timers list --json write timers in
// snake_case like every other record, with max_late as a duration and no
// empty payload.
func TestTimerJSON(t *testing.T) {
	b, err := json.Marshal(Timer{ID: 7, Rule: "nudge", MaxLate: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"id":7`, `"rule":"nudge"`, `"max_late":"24h0m0s"`, `"due_at":`} {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %s", s, want)
		}
	}
	for _, bad := range []string{`"ID"`, `"MaxLate"`, `"payload"`} {
		if strings.Contains(s, bad) {
			t.Errorf("%s has %s", s, bad)
		}
	}
}
