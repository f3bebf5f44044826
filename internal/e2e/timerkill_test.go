package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/testpg"
)

// killTimerRule starts one timer per new conversation.
const killTimerRule = `
  - name: kill-nudge
    source: intercom
    when: topic == "conversation.user.created"
    after: 6s
    max_per_hour: 0
    reply: {as: note, body: "<p>nudge {{ target.id }}</p>"}
`

// killTimerAfter is killTimerRule's after.
const killTimerAfter = 6 * time.Second

// timerKillArgs: a short --rescue-after so that on PostgreSQL a timer job
// left running by a killed process is taken over within the test.
var timerKillArgs = []string{"--workers", "8", "--job-timeout", "5s", "--rescue-after", "10s"}

// envInt reads a positive integer knob of the e2e tests.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q is not a positive number", name, v)
	}
	return n
}

// startTimers posts n new conversations, paced over spread so that their
// timers come due across a window, and returns when each timer is due.
func startTimers(t *testing.T, bots func(i int) *Bot, n int, spread time.Duration) map[string]time.Time {
	t.Helper()
	start := time.Now()
	due := map[string]time.Time{}
	// Listed after every event: on a loaded machine the first timers may
	// fire before the last events are sent, and a fired timer is no longer
	// pending.
	seen := func() {
		for _, tm := range adminTimers(t, bots(0), "rule=kill-nudge") {
			due[tm.Target.ID] = tm.DueAt
		}
	}
	for i := range n {
		time.Sleep(time.Until(start.Add(spread * time.Duration(i) / time.Duration(n))))
		body := conversationCreated(fmt.Sprintf("notif_tk_%d", i), fmt.Sprintf("conv-%d", i))
		if status, resp := bots(i).Post("intercom", "intercom", body); status != http.StatusOK {
			t.Fatalf("event %d: %d %s", i, status, resp)
		}
		seen()
	}
	if len(due) != n {
		t.Fatalf("%d timers seen pending after %d events, want one each", len(due), n)
	}
	return due
}

// killMoments picks k random moments in [from, to), in order.
func killMoments(k int, from, to time.Time) []time.Time {
	out := make([]time.Time, k)
	for i := range out {
		out[i] = from.Add(time.Duration(rand.Int64N(int64(to.Sub(from)))))
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// timerTally is what became of the timers, counted at the fake and in
// history once everything settled.
type timerTally struct {
	fired, lost, firedTwice, dropped int
	// repeats are replies the fake accepted more than once for a timer
	// that fired once: deliveries in flight at a kill (the reply window
	// of "Delivery guarantees"), not timers firing twice.
	repeats int
	// lastLate is how late the last reply came after its timer was due.
	lastLate time.Duration
}

// tallyTimers waits until every timer in due got its reply and nothing is
// pending or queued, then counts.
func tallyTimers(t *testing.T, fake *intercomfake.Fake, b *Bot, due map[string]time.Time, wait time.Duration) timerTally {
	t.Helper()
	var got map[string]int
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if got = repliesByTarget(fake); len(got) == len(due) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitIdle(t, b)
	WaitFor(t, 30*time.Second, "no timer pending", func() bool { return len(adminTimers(t, b, "rule=kill-nudge")) == 0 })
	time.Sleep(time.Second) // stragglers
	got = repliesByTarget(fake)
	var tl timerTally
	for conv := range due {
		switch n := got[conv]; {
		case n == 0:
			tl.lost++
			t.Logf("lost: no reply on %s", conv)
		default:
			tl.repeats += n - 1
		}
	}
	for _, r := range fake.Requests() {
		if d, ok := due[r.TargetID]; ok && r.Time.Sub(d) > tl.lastLate {
			tl.lastLate = r.Time.Sub(d)
		}
	}
	ends := timerEnds(history(t, b, "rule=kill-nudge&limit=10000"))
	perEvent := map[string]int{}
	for _, h := range ends[queue.TimerFired] {
		perEvent[h.EventID]++
	}
	for ev, n := range perEvent {
		tl.fired++
		if n > 1 {
			tl.firedTwice++
			t.Logf("timer of %s fired %d times", ev, n)
		}
	}
	tl.dropped = len(ends[queue.TimerDropped])
	return tl
}

// TestTimersSurviveKill9 starts 200 timers due over a few seconds, kill -9s
// the bot at random moments across the due window (restarting it each time
// on the same store), and checks that every timer fired exactly once: 0
// lost, 0 fired twice. BOT_E2E_TIMER_KILL_N and BOT_E2E_TIMER_KILLS change
// the size.
func TestTimersSurviveKill9(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			var dbURL string
			if store == "postgres" {
				dbURL = testpg.Fresh(t)
			}
			testTimerKills(t, dbURL)
		})
	}
}

func testTimerKills(t *testing.T, dbURL string) {
	n := envInt(t, "BOT_E2E_TIMER_KILL_N", 200)
	kills := envInt(t, "BOT_E2E_TIMER_KILLS", 6)
	const spread, workers = 6 * time.Second, 8
	fake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID})
	defer fake.Close()
	cfg := Config{Rules: RulesFile(fake.URL(), "", "", killTimerRule), DatabaseURL: dbURL, Args: timerKillArgs}
	bot := Start(t, cfg)
	began := time.Now()
	due := startTimers(t, func(int) *Bot { return bot }, n, spread)
	var first, last time.Time
	for _, d := range due {
		if first.IsZero() || d.Before(first) {
			first = d
		}
		if d.After(last) {
			last = d
		}
	}
	// Timers fire within a few hundred milliseconds of their due time.
	for _, at := range killMoments(kills, first, last.Add(time.Second)) {
		time.Sleep(time.Until(at))
		bot.Kill()
		bot = Start(t, Config{Dir: bot.Dir, DatabaseURL: dbURL, Args: timerKillArgs})
	}
	logsOnFailure(t, bot)
	tl := tallyTimers(t, fake, bot, due, 2*time.Minute)
	t.Logf("timers %d, kill -9 %d (restarted on the same store each time), fired once %d, lost %d, fired twice %d, dropped %d; "+
		"replies repeated by deliveries in flight at a kill %d; last reply %s after its due time; %s in all",
		n, kills, tl.fired-tl.firedTwice, tl.lost, tl.firedTwice, tl.dropped, tl.repeats,
		tl.lastLate.Round(100*time.Millisecond), time.Since(began).Round(100*time.Millisecond))
	if tl.lost != 0 || tl.firedTwice != 0 || tl.dropped != 0 || tl.fired != n {
		t.Errorf("%d of %d timers fired, %d lost, %d fired twice, %d dropped; want each fired exactly once",
			tl.fired, n, tl.lost, tl.firedTwice, tl.dropped)
	}
	if tl.repeats > kills*workers {
		t.Errorf("%d repeated replies; at most the %d deliveries in flight at the kills may repeat", tl.repeats, kills*workers)
	}
	fake.AssertNoViolations(t)
}

// TestReplicasFireTimersOnce runs three replicas on one PostgreSQL
// database, starts 150 timers through all three, and kill -9s one replica
// while they come due: each timer fires exactly once, on the replicas left.
func TestReplicasFireTimersOnce(t *testing.T) {
	dbURL := testpg.Fresh(t)
	const n, spread, workers = 150, 4 * time.Second, 8
	fake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID})
	defer fake.Close()
	rules := RulesFile(fake.URL(), "", "", killTimerRule)
	var bots [3]*Bot
	for i := range bots {
		bots[i] = Start(t, Config{Rules: rules, DatabaseURL: dbURL, Args: timerKillArgs})
	}
	began := time.Now()
	due := startTimers(t, func(i int) *Bot { return bots[i%len(bots)] }, n, spread)
	var first, last time.Time
	for _, d := range due {
		if first.IsZero() || d.Before(first) {
			first = d
		}
		if d.After(last) {
			last = d
		}
	}
	kill := killMoments(1, first, last)[0]
	time.Sleep(time.Until(kill))
	before := len(repliesByTarget(fake))
	bots[0].Kill()
	logsOnFailure(t, bots[1])
	tl := tallyTimers(t, fake, bots[1], due, 2*time.Minute)
	t.Logf("timers %d on 3 replicas, one killed %s into the due window (%d fired by then): fired once %d, lost %d, fired twice %d, dropped %d; "+
		"replies repeated by deliveries in flight at the kill %d; last reply %s after its due time; %s in all",
		n, kill.Sub(first).Round(100*time.Millisecond), before, tl.fired-tl.firedTwice, tl.lost, tl.firedTwice, tl.dropped,
		tl.repeats, tl.lastLate.Round(100*time.Millisecond), time.Since(began).Round(100*time.Millisecond))
	if tl.lost != 0 || tl.firedTwice != 0 || tl.dropped != 0 || tl.fired != n {
		t.Errorf("%d of %d timers fired, %d lost, %d fired twice, %d dropped; want each fired exactly once",
			tl.fired, n, tl.lost, tl.firedTwice, tl.dropped)
	}
	if tl.repeats > workers {
		t.Errorf("%d repeated replies; at most the %d deliveries in flight on the killed replica may repeat", tl.repeats, workers)
	}
	fake.AssertNoViolations(t)
}
