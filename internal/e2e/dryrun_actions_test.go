package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/queue"
)

// TestDryRunPrintsActions: with --dry-run, a rule's reply, platform
// actions and notification are printed, one line each in the rule's
// order, and recorded as dry_run; nothing reaches Intercom or the
// notifier's receiver.
func TestDryRunPrintsActions(t *testing.T) {
	f := newFakes(t)
	crm := newReceiver(t)
	const target = "7100008801"
	rules := f.rules("", rulesYAML(
		rule{name: "act", source: "intercom", target: target, reply: "as: note\nbody: Seen.",
			extra: "actions:\n  - tag: [refund]\n  - status: closed\n  - notify: {to: crm, text: \"Refund in {{ target.id }}\"}\n"},
	)) + "notifiers:\n  crm: {kind: webhook, url: \"" + crm.srv.URL + "/hook\", secret_env: E2E_CRM_SECRET, allow_private: true}\n"
	dry := Start(t, Config{Rules: rules, Args: []string{"--dry-run"}, Env: map[string]string{"E2E_CRM_SECRET": crmSecret}})
	logsOnFailure(t, dry)

	ans := post(t, dry, "intercom", "intercom", conversationEvent(t, "notif_dry_act", target), "accepted")
	var h []queue.History
	WaitFor(t, 15*time.Second, "four steps in history", func() bool {
		h = history(t, dry, "event_id="+ans.EventID)
		return len(h) >= 4
	})
	waitIdle(t, dry)

	type line struct {
		DryRun   bool   `json:"dry_run"`
		Action   string `json:"action"`
		Platform string `json:"platform"`
		Body     string `json:"body"`
		Tags     []string
		Status   string
		Text     string
		HTTP     *struct{ Method, URL string }
	}
	var got []line
	for _, l := range strings.Split(strings.TrimSpace(dry.Stdout()), "\n") {
		var d line
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("dry-run line is not JSON: %v\n%s", err, l)
		}
		got = append(got, d)
	}
	if len(got) != 4 {
		t.Fatalf("%d dry-run lines; want 4 (reply, tag, status, notify):\n%s", len(got), dry.Stdout())
	}
	if d := got[0]; !d.DryRun || d.Action != "" || d.Body != "Seen." || d.HTTP == nil || !strings.HasSuffix(d.HTTP.URL, "/conversations/"+target+"/reply") {
		t.Errorf("line 1 = %+v; want the reply with its HTTP request", d)
	}
	if d := got[1]; !d.DryRun || d.Action != "tag" || !slices.Equal(d.Tags, []string{"refund"}) || d.HTTP == nil {
		t.Errorf("line 2 = %+v; want the tag action with its HTTP request", d)
	}
	if d := got[2]; !d.DryRun || d.Action != "status" || d.Status != "closed" || d.HTTP == nil || !strings.HasSuffix(d.HTTP.URL, "/conversations/"+target+"/parts") {
		t.Errorf("line 3 = %+v; want the status action with its HTTP request", d)
	}
	if d := got[3]; !d.DryRun || d.Action != "notify" || d.Platform != "notifier:crm" || d.Text != "Refund in "+target {
		t.Errorf("line 4 = %+v; want the notification to crm", d)
	}
	slices.SortFunc(h, func(a, b queue.History) int { return int(a.ID - b.ID) })
	var steps []string
	for _, r := range h {
		steps = append(steps, cmpOr(r.Action, "reply")+":"+r.Outcome)
	}
	if want := []string{"reply:dry_run", "tag:dry_run", "status:dry_run", "notify:dry_run"}; !slices.Equal(steps, want) {
		t.Errorf("history = %v; want %v", steps, want)
	}
	if n := len(f.to(target)); n != 0 {
		t.Errorf("--dry-run sent %d requests to Intercom", n)
	}
	if n := crm.conns.Load(); n != 0 {
		t.Errorf("--dry-run opened %d connections to the notifier", n)
	}
	if strings.Contains(dry.Stdout(), crmSecret) {
		t.Error("--dry-run printed the notifier's secret")
	}
}
