package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/queue"
)

// nudgeRule is the README's no-reply nudge with a short wait.
const nudgeRule = `
  - name: nudge
    source: intercom
    when: topic == "conversation.user.created"
    after: 3s
    cancel_when: topic in ["conversation.admin.replied", "conversation.admin.noted", "conversation.admin.closed"]
    reply: {as: note, body: "<p>No reply yet on {{ target.id }}</p>"}
`

func nudgeNote(conv string) string { return "<p>No reply yet on " + conv + "</p>" }

// TestNoReplyNudge runs the no-reply nudge on the real binary against the
// strict Intercom fake, one conversation per case, all on one bot: the
// nudge comes once when nobody answers; a teammate's reply cancels it (and
// history says so); the bot's own note and close do not; a second customer
// message keeps the first timer; and a conversation deleted meanwhile
// dead-letters with Intercom's message instead of being retried.
func TestNoReplyNudge(t *testing.T) {
	const (
		unanswered = "7300000001"
		answered   = "7300000002"
		botActed   = "7300000003"
		twice      = "7300000004"
		deleted    = "7300000005"
		teammate   = "7301245"
		goneMsg    = "Conversation was deleted by a teammate"
	)
	f := newFakes(t)
	f.script.add(deleted, intercomfake.Error(http.StatusNotFound, "not_found", goneMsg))
	bot := Start(t, Config{Rules: f.rules("", nudgeRule)})
	logsOnFailure(t, bot)

	convs := []string{unanswered, answered, botActed, twice, deleted}
	for _, c := range convs {
		post(t, bot, "intercom", "intercom", conversationCreated("notif_nudge-"+c, c), "accepted")
	}
	pending := map[string]queue.Timer{}
	for _, tm := range cliTimers(t, bot, "--rule", "nudge") {
		if _, dup := pending[tm.Target.ID]; dup {
			t.Errorf("two pending timers on %s", tm.Target.ID)
		}
		pending[tm.Target.ID] = tm
		if d := tm.DueAt.Sub(tm.ReceivedAt); d < 3*time.Second-time.Millisecond || d > 3*time.Second+time.Millisecond {
			t.Errorf("timer on %s due %s after its event, want after: 3s", tm.Target.ID, d)
		}
	}
	if len(pending) != len(convs) {
		t.Fatalf("bot timers list shows %d pending timers (%v), want one per conversation (%d)", len(pending), pending, len(convs))
	}

	// A teammate answers: the timer is cancelled and recorded.
	post(t, bot, "intercom", "intercom", conversationByAdmin("intercom_conversation_admin_replied.json", teammate)(t, "notif_nudge-reply", answered), "accepted")
	if l := adminTimers(t, bot, "target="+answered); len(l) != 0 {
		t.Errorf("GET /admin/timers?target=%s = %+v after the teammate's reply, want none", answered, l)
	}
	ends := timerEnds(cliHistory(t, bot, "--target", answered))
	if c := ends[queue.TimerCancelled]; len(c) != 1 || c[0].Reason != queue.TimerReasonCancelWhen || c[0].JobID != pending[answered].ID {
		t.Errorf("bot history --target %s = %+v; want timer %d cancelled, reason cancel_when", answered, ends, pending[answered].ID)
	}

	// The bot's own note and close come back as webhooks: the loop guard
	// holds them back, so they cannot cancel.
	own := [][]byte{
		conversationByAdmin("intercom_conversation_admin_noted.json", BotAdminID)(t, "notif_nudge-own-note", botActed),
		rootPayload(t, "intercom_conversation_admin_closed_by_bot.json", map[string]any{"id": "notif_nudge-own-close", "data.item.id": botActed}),
	}
	for _, body := range own {
		if ans := post(t, bot, "intercom", "intercom", body, "ignored"); ans.Reason != "own_reply" {
			t.Errorf("the bot's own event: answer %+v, want ignored as own_reply", ans)
		}
	}
	// The customer writes again: retrigger keep leaves the first timer.
	post(t, bot, "intercom", "intercom", conversationCreated("notif_nudge-again", twice), "accepted")
	for _, c := range []string{botActed, twice} {
		l := adminTimers(t, bot, "target="+c)
		if len(l) != 1 || l[0].ID != pending[c].ID || !l[0].DueAt.Equal(pending[c].DueAt) {
			t.Errorf("timers on %s = %+v; want the first timer (%d, due %s) still pending", c, l, pending[c].ID, pending[c].DueAt)
		}
	}

	WaitFor(t, 3*time.Second+timerFireSlack, "the nudges and the dead letter", func() bool {
		return f.accepted(unanswered) > 0 && f.accepted(botActed) > 0 && f.accepted(twice) > 0 &&
			len(deadLetters(t, bot, "rule=nudge")) > 0
	})
	// Long enough for the cancelled timer to have fired, had it not been.
	time.Sleep(time.Until(pending[answered].DueAt.Add(timerFireSlack)))
	waitIdle(t, bot)

	for _, c := range []string{unanswered, botActed, twice} {
		if got := f.notesTo(c); len(got) != 1 || got[0] != nudgeNote(c) {
			t.Errorf("notes on %s = %q; want the nudge once", c, got)
		}
		if first := f.firstRequest(c); first.Time.Before(pending[c].DueAt) {
			t.Errorf("nudge on %s posted at %s, before its timer was due (%s)", c, first.Time, pending[c].DueAt)
		}
	}
	if n := len(f.to(answered)); n != 0 {
		t.Errorf("%d requests on %s; the teammate's reply should have cancelled the nudge", n, answered)
	}
	if n := len(f.to(deleted)); n != 1 {
		t.Errorf("%d requests on the deleted conversation; want 1 (a 404 is not retried)", n)
	}
	dl := deadLetters(t, bot, "rule=nudge")
	if len(dl) != 1 || dl[0].Request.Target.ID != deleted || dl[0].Status != http.StatusNotFound ||
		dl[0].Reason != "client_error" || !strings.Contains(dl[0].Error, goneMsg) || dl[0].Attempts != 1 {
		t.Errorf("dead letters = %+v; want one client_error (404) on %s carrying %q", dl, deleted, goneMsg)
	}

	ends = timerEnds(history(t, bot, "rule=nudge&limit=100"))
	fired := map[string]int{}
	for _, h := range ends[queue.TimerFired] {
		fired[h.Target.ID]++
	}
	want := map[string]int{unanswered: 1, botActed: 1, twice: 1, deleted: 1}
	if fmt.Sprint(fired) != fmt.Sprint(want) || len(ends[queue.TimerCancelled]) != 1 || len(ends[queue.TimerDropped]) != 0 {
		t.Errorf("timer history: fired %v, cancelled %d, dropped %d; want fired %v, 1 cancelled, none dropped",
			fired, len(ends[queue.TimerCancelled]), len(ends[queue.TimerDropped]), want)
	}
	for outcome, n := range map[string]float64{"started": 5, "fired": 4, "cancelled": 1, "dropped": 0} {
		series := `autoresponder_timer_events_total{outcome="` + outcome + `",rule="nudge"}`
		if got := bot.counter(series); got != n {
			t.Errorf("%s = %v, want %v", series, got, n)
		}
	}
	if l := adminTimers(t, bot, "rule=nudge"); len(l) != 0 {
		t.Errorf("timers still pending: %+v", l)
	}
}

// TestReloadCancelsTimersOfRemovedRules: a SIGHUP that removes a timed rule
// cancels its pending timer and records it (reason rule_removed); the timer
// of the rule that stays fires as planned.
func TestReloadCancelsTimersOfRemovedRules(t *testing.T) {
	const conv = "7300000101"
	timed := func(name string) string {
		return fmt.Sprintf(`
  - name: %s
    source: intercom
    when: topic == "conversation.user.created"
    after: 3s
    reply: {as: note, body: "<p>%s</p>"}
`, name, name)
	}
	f := newFakes(t)
	bot := Start(t, Config{Rules: f.rules("", timed("stays")+timed("removed"))})
	logsOnFailure(t, bot)
	post(t, bot, "intercom", "intercom", conversationCreated("notif_reload-1", conv), "accepted")
	before := adminTimers(t, bot, "target="+conv)
	if len(before) != 2 {
		t.Fatalf("pending timers = %+v; want one per rule", before)
	}

	bot.ReplaceRules(t, f.rules("", timed("stays")))
	WaitFor(t, 20*time.Second, "the reload", func() bool { return strings.Contains(bot.Logs(), `"removed":["removed"]`) })
	WaitFor(t, 10*time.Second, "the removed rule's timer cancelled", func() bool {
		return len(adminTimers(t, bot, "rule=removed")) == 0
	})
	ends := timerEnds(history(t, bot, "rule=removed"))
	if c := ends[queue.TimerCancelled]; len(c) != 1 || c[0].Reason != queue.TimerReasonRuleRemoved || c[0].Target.ID != conv {
		t.Errorf("history of the removed rule = %+v; want its timer cancelled, reason rule_removed", ends)
	}
	if l := adminTimers(t, bot, "rule=stays"); len(l) != 1 {
		t.Errorf("timers of the rule that stays = %+v; want it still pending", l)
	}

	WaitFor(t, 3*time.Second+timerFireSlack, "the remaining rule's note", func() bool { return f.accepted(conv) > 0 })
	time.Sleep(time.Until(before[1].DueAt.Add(timerFireSlack)))
	waitIdle(t, bot)
	if got := f.notesTo(conv); len(got) != 1 || got[0] != "<p>stays</p>" {
		t.Errorf("notes = %q; want only the remaining rule's, once", got)
	}
	if n := bot.counter(`autoresponder_timer_events_total{outcome="cancelled",rule="removed"}`); n != 1 {
		t.Errorf("cancelled timers of the removed rule = %v, want 1", n)
	}
}

// TestTimerLaterThanMaxLateIsDropped: the bot is down past a timer's due
// time plus its max_late; at start the timer is dropped and recorded, not
// posted, while a timer with the default max_late fires late instead.
func TestTimerLaterThanMaxLateIsDropped(t *testing.T) {
	const conv = "7300000201"
	rules := `
  - name: strict
    source: intercom
    when: topic == "conversation.user.created"
    after: 2s
    max_late: 2s
    reply: {as: note, body: "<p>strict</p>"}
  - name: lenient
    source: intercom
    when: topic == "conversation.user.created"
    after: 2s
    reply: {as: note, body: "<p>lenient</p>"}
`
	f := newFakes(t)
	bot := Start(t, Config{Rules: f.rules("", rules)})
	post(t, bot, "intercom", "intercom", conversationCreated("notif_late-1", conv), "accepted")
	timers := adminTimers(t, bot, "target="+conv)
	bot.Kill()
	if len(timers) != 2 {
		t.Fatalf("pending timers = %+v; want one per rule", timers)
	}
	// Down until both are more than max_late (2s) past due.
	time.Sleep(time.Until(timers[1].DueAt.Add(3 * time.Second)))
	if n := len(f.to(conv)); n != 0 {
		t.Fatalf("%d requests before the restart; the bot was killed before the timers were due", n)
	}

	bot = Start(t, Config{Dir: bot.Dir})
	logsOnFailure(t, bot)
	WaitFor(t, timerFireSlack+5*time.Second, "the strict timer dropped and the lenient one fired", func() bool {
		return len(timerEnds(history(t, bot, "target="+conv))[queue.TimerDropped]) > 0 && f.accepted(conv) > 0
	})
	waitIdle(t, bot)
	ends := timerEnds(history(t, bot, "target="+conv))
	if d := ends[queue.TimerDropped]; len(d) != 1 || d[0].Rule != "strict" || d[0].Reason != queue.TimerReasonMaxLate {
		t.Errorf("dropped = %+v; want the strict rule's timer, reason max_late", d)
	}
	if fired := ends[queue.TimerFired]; len(fired) != 1 || fired[0].Rule != "lenient" {
		t.Errorf("fired = %+v; want the lenient rule's timer only", fired)
	}
	if got := f.notesTo(conv); len(got) != 1 || got[0] != "<p>lenient</p>" {
		t.Errorf("notes = %q; want the lenient rule's only", got)
	}
	if !strings.Contains(bot.Logs(), `"msg":"timer dropped"`) {
		t.Errorf("no log line says the timer was dropped")
	}
}

// TestOverdueTimerFiresSoonAfterKill: a timer that fell due while the bot
// was down after a kill -9 fires soon after the start, not once the dead
// process's River leadership has expired (up to 15 s).
func TestOverdueTimerFiresSoonAfterKill(t *testing.T) {
	const conv = "7300000301"
	f := newFakes(t)
	bot := Start(t, Config{Rules: f.rules("", `
  - name: overdue
    source: intercom
    when: topic == "conversation.user.created"
    after: 1s
    reply: {as: note, body: "<p>overdue</p>"}
`)})
	post(t, bot, "intercom", "intercom", conversationCreated("notif_overdue-1", conv), "accepted")
	timers := adminTimers(t, bot, "target="+conv)
	bot.Kill()
	if len(timers) != 1 {
		t.Fatalf("pending timers = %+v; want one", timers)
	}
	time.Sleep(time.Until(timers[0].DueAt.Add(time.Second)))
	started := time.Now()
	bot = Start(t, Config{Dir: bot.Dir})
	logsOnFailure(t, bot)
	WaitFor(t, 30*time.Second, "the overdue timer's note", func() bool { return f.accepted(conv) > 0 })
	took := f.firstRequest(conv).Time.Sub(started)
	t.Logf("overdue timer fired %s after the restart began", took.Round(10*time.Millisecond))
	if limit := 8 * time.Second; took > limit {
		t.Errorf("the overdue timer fired %s after the restart, want within %s", took.Round(10*time.Millisecond), limit)
	}
}
