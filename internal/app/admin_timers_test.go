package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/rules"
)

// TestAdminTimers: GET /admin/timers lists pending timers in snake_case,
// POST /admin/timers/cancel cancels the selected ones (recorded as manual)
// and refuses to cancel without a selection.
func TestAdminTimers(t *testing.T) {
	ctx := context.Background()
	rs, err := rules.Load([]byte(timedRules), "rules.yaml", rules.Options{Platforms: testPlatforms})
	if err != nil {
		t.Fatal(err)
	}
	store, err := queue.Open(ctx, queue.Options{DataDir: filepath.Join(t.TempDir(), "data"), Policy: func() queue.Policy { return queue.DefaultPolicy }})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, id := range []string{"77", "78"} {
		ev := &event.Event{Source: "helpscout", Kind: "helpscout", ID: "e" + id, Topic: "convo.created",
			Target: event.Target{Type: event.TargetConversation, ID: id}, ReceivedAt: time.Now()}
		if _, err := store.Accept(ctx, intakeOf(ev, rs.Evaluate(ev), rs)); err != nil {
			t.Fatal(err)
		}
	}
	a := &App{store: store, log: slog.New(slog.DiscardHandler)}
	call := func(h http.HandlerFunc, method, target string) (int, map[string]json.RawMessage) {
		rec := httptest.NewRecorder()
		h(rec, httptest.NewRequest(method, target, nil))
		var body map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s %s: %v: %s", method, target, err, rec.Body.String())
		}
		return rec.Code, body
	}
	code, body := call(a.adminTimersList, http.MethodGet, "/admin/timers?rule=nudge")
	var list []struct {
		ID     int64        `json:"id"`
		Rule   string       `json:"rule"`
		Target event.Target `json:"target"`
	}
	if err := json.Unmarshal(body["timers"], &list); code != http.StatusOK || err != nil || len(list) != 2 || list[0].Rule != "nudge" {
		t.Fatalf("list: %d %s (%v)", code, body["timers"], err)
	}
	if code, body := call(a.adminTimersCancel, http.MethodPost, "/admin/timers/cancel"); code != http.StatusBadRequest {
		t.Errorf("cancel without a selection: %d %s; want 400", code, body["error"])
	}
	if code, body := call(a.adminTimersCancel, http.MethodPost, "/admin/timers/cancel?target=78"); code != http.StatusOK || string(body["cancelled"]) != "1" {
		t.Errorf("cancel target 78: %d %v; want 200, 1 cancelled", code, body)
	}
	left, _ := store.Timers(ctx, queue.TimerFilter{})
	if len(left) != 1 || left[0].Target.ID != "77" {
		t.Fatalf("timers left %+v; want the one on 77", left)
	}
	h, _ := store.History(ctx, queue.HistoryFilter{Outcome: queue.TimerCancelled})
	if len(h) != 1 || h[0].Reason != queue.TimerReasonManual || h[0].Target.ID != "78" {
		t.Errorf("history %+v; want one manual cancellation on 78", h)
	}
}
