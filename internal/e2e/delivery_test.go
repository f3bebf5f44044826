package e2e

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
	"github.com/supportops/autoresponder/internal/queue"
)

// testRetry: a platform error is retried and the reply arrives once.
func testRetry(t *testing.T, f *fakes, bot *Bot) {
	f.checkViolations(t)
	cases := []struct {
		name, source, id, target string
		body                     func(t *testing.T, id, target string) []byte
		first                    platformfake.Response
	}{
		{"intercom 500", "intercom", "notif_e2e-retry", "7100000501", conversationEvent, platformfake.Response{Status: http.StatusInternalServerError}},
		{"whmcs 503", "whmcs", "TicketOpen-e2e-retry", "5502", whmcsOpenEvent, whmcsfake.Error(http.StatusServiceUnavailable, "Maintenance")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.script.add(c.target, c.first)
			post(t, bot, c.source, c.source, c.body(t, c.id, c.target), "accepted")
			WaitFor(t, 15*time.Second, "the retried reply", func() bool { return f.accepted(c.target) > 0 })
			waitIdle(t, bot)
			got := f.to(c.target)
			if len(got) != 2 || got[0].Status != c.first.Status || got[1].Status != http.StatusOK {
				var st []int
				for _, r := range got {
					st = append(st, r.Status)
				}
				t.Fatalf("answers to %s were %v; want [%d 200]", c.target, st, c.first.Status)
			}
			if a, b := got[0].RawBody, got[1].RawBody; c.source == "intercom" && string(a) != string(b) {
				t.Errorf("the retry sent another body:\n%s\n%s", a, b)
			}
			h := history(t, bot, "event_id="+c.id)
			if len(h) != 1 || h[0].Outcome != "sent" || h[0].Attempts != 2 {
				t.Errorf("history = %+v; want one sent record after 2 attempts", h)
			}
		})
	}
}

// testDeadLetter: a 404 is not retried; the reply is dead-lettered with
// the platform's own message, visible in `bot dlq list` and /admin/dlq.
func testDeadLetter(t *testing.T, f *fakes, bot *Bot) {
	f.checkViolations(t)
	cases := []struct {
		name, rule, source, id, target string
		body                           func(t *testing.T, id, target string) []byte
		answer                         platformfake.Response
		message                        string
		status                         int
	}{
		{"intercom 404", "dead-intercom", "intercom", "notif_e2e-dead", "7100000601", conversationEvent,
			intercomfake.Error(http.StatusNotFound, "not_found", "Conversation was deleted by a teammate"),
			"Conversation was deleted by a teammate", http.StatusNotFound},
		{"whmcs error with HTTP 200", "dead-whmcs", "whmcs", "TicketOpen-e2e-dead", "5602", whmcsOpenEvent,
			whmcsfake.Error(http.StatusOK, "Ticket ID Not Found"), "Ticket ID Not Found", http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.script.add(c.target, c.answer)
			post(t, bot, c.source, c.source, c.body(t, c.id, c.target), "accepted")
			var dl []queue.DeadLetter
			WaitFor(t, 15*time.Second, "the dead letter", func() bool {
				dl = deadLettersOf(deadLetters(t, bot, "rule="+c.rule), c.id)
				return len(dl) > 0
			})
			waitIdle(t, bot)
			if n := len(f.to(c.target)); n != 1 {
				t.Errorf("%d requests to %s; want 1 (no retry of a permanent error)", n, c.target)
			}
			d := dl[0]
			if len(dl) != 1 || d.Reason != "client_error" || d.Status != c.status || !strings.Contains(d.Error, c.message) ||
				d.Request.Target.ID != c.target || d.Attempts != 1 {
				t.Errorf("dead letter = %+v; want one client_error (HTTP %d) carrying %q", d, c.status, c.message)
			}

			// The CLI reads the same store while the bot runs.
			data := "--data=" + bot.Dir + "/data"
			code, out := Run(t, bot.Dir, nil, "dlq", "list", data, "--rule", c.rule)
			if code != 0 || !strings.Contains(out, c.rule) || !strings.Contains(out, c.message) || !strings.Contains(out, c.target) {
				t.Errorf("bot dlq list = %d\n%s\nwant the dead letter of %s with %q", code, out, c.rule, c.message)
			}
			code, out = Run(t, bot.Dir, nil, "dlq", "list", data, "--rule", c.rule, "--json")
			var list []queue.DeadLetter
			if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil {
				t.Fatalf("bot dlq list --json = %d %v\n%s", code, err, out)
			}
			if l := deadLettersOf(list, c.id); len(l) != 1 || l[0].ID != d.ID || l[0].Error != d.Error {
				t.Errorf("bot dlq list --json = %+v; want the admin API's %+v", l, d)
			}
		})
	}
}

// testRenderError: a template that fails at run time dead-letters that
// one reply; the event's other replies still go out and the bot serves on.
func testRenderError(t *testing.T, f *fakes, bot *Bot) {
	f.checkViolations(t)
	// userid 0 is a WHMCS guest: the event has no contact.
	guest := payload(t, "whmcs_TicketOpen.json", map[string]any{"id": "TicketOpen-e2e-render", "vars.ticketid": json.Number("5701"), "vars.userid": json.Number("0")})
	ans := post(t, bot, "whmcs", "whmcs", guest, "accepted")
	if ans.Actions != 1 {
		t.Errorf("answer = %+v; want 1 queued action (the other dead-lettered)", ans)
	}
	dl := deadLettersOf(deadLetters(t, bot, "rule=render-broken"), "TicketOpen-e2e-render")
	if len(dl) != 1 || dl[0].Reason != "render_error" || !strings.Contains(dl[0].Error, "contact") {
		t.Errorf("dead letters = %+v; want one render_error naming contact", dl)
	}
	// The bot keeps serving: a client's event gets both replies.
	client := whmcsOpenEvent(t, "TicketOpen-e2e-render-2", "5702")
	if ans := post(t, bot, "whmcs", "whmcs", client, "accepted"); ans.Actions != 2 {
		t.Errorf("next event: answer = %+v; want 2 actions", ans)
	}
	waitIdle(t, bot)
	got := f.to("5701")
	if len(got) != 1 || got[0].Endpoint != "add-ticket-note" || got[0].Form["message"] != "Ticket ABC-123456 received" {
		t.Errorf("replies to the guest's ticket = %+v; want only render-ok's note", got)
	}
	if n := len(f.to("5702")); n != 2 {
		t.Errorf("%d replies to the next ticket; want 2", n)
	}
	h := history(t, bot, "event_id=TicketOpen-e2e-render")
	outcomes := map[string]string{}
	for _, r := range h {
		outcomes[r.Rule] = r.Outcome
	}
	if !reflect.DeepEqual(outcomes, map[string]string{"render-broken": "dead_lettered", "render-ok": "sent"}) {
		t.Errorf("history outcomes = %v", outcomes)
	}
}
