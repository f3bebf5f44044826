package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/testpg"
)

// TestKillOnLastAttempt: 20 events are acknowledged, their deliveries are
// on their last attempt (max_attempts 1, or 2 with attempt 1 answered 500)
// and held by the platform when the bot is killed with SIGKILL. A new
// process (a restart on SQLite, another replica on PostgreSQL) takes over:
// every acknowledged event must end with a recorded outcome (a sent reply
// or a dead letter), none silently dropped by River's rescuer, and
// duplicates stay within the deliveries in flight at the kill.
func TestKillOnLastAttempt(t *testing.T) {
	for _, tc := range []struct {
		store       string
		maxAttempts int
	}{
		{"sqlite", 1},
		{"sqlite", 2},
		{"postgres", 1},
		{"postgres", 2},
	} {
		t.Run(fmt.Sprintf("%s/max_attempts_%d", tc.store, tc.maxAttempts), func(t *testing.T) {
			t.Parallel() // a PostgreSQL case waits for River's rescuer, ~20 s
			killOnLastAttempt(t, tc.store, tc.maxAttempts)
		})
	}
}

func killOnLastAttempt(t *testing.T, store string, maxAttempts int) {
	const events = 20
	var dbURL string
	if store == "postgres" {
		dbURL = testpg.Fresh(t)
	}
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()
	arrived := make(chan string, 10*events)
	var mu sync.Mutex
	tries := map[string]int{}
	fake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID,
		Hook: func(rec platformfake.Recorded) *platformfake.Response {
			mu.Lock()
			tries[rec.TargetID]++
			n := tries[rec.TargetID]
			mu.Unlock()
			select {
			case <-release:
				return nil // the platform is healthy again
			default:
			}
			if n < maxAttempts {
				return &platformfake.Response{Status: http.StatusInternalServerError}
			}
			arrived <- rec.TargetID // the last attempt: held until the kill
			<-release
			return nil
		}})
	defer fake.Close()
	settings := fmt.Sprintf("  target_max_per_hour: 1000\n  delivery:\n    max_attempts: %d\n    backoff_initial: 20ms\n    backoff_max: 50ms\n    timeout: 20s\n", maxAttempts)
	cfg := Config{Rules: RulesFile(fake.URL(), "", settings, oneNotePerConversation), DatabaseURL: dbURL,
		Args: []string{"--workers", fmt.Sprint(events), "--job-timeout", "3s", "--rescue-after", "4s"}}
	a := Start(t, cfg)
	acked := sendAll(a, seq(0, events), 8)
	if len(acked) != events {
		t.Fatalf("%d of %d events acknowledged", len(acked), events)
	}
	for range events {
		select {
		case <-arrived:
		case <-time.After(30 * time.Second):
			t.Fatalf("the last attempts never all reached the platform\n%s", a.Logs())
		}
	}
	a.Kill()
	releaseOnce()

	var b *Bot
	if store == "postgres" {
		// Another replica; River rescues what the dead one left running
		// once it has been running longer than --rescue-after.
		b = Start(t, Config{Rules: cfg.Rules, DatabaseURL: dbURL, Args: cfg.Args})
	} else {
		b = a.Restart(t)
	}
	logsOnFailure(t, b)
	recorded := func(i int) bool {
		for _, h := range history(t, b, fmt.Sprintf("event_id=notif_%d", i)) {
			if h.Outcome == "sent" || h.Outcome == "dead_lettered" {
				return true
			}
		}
		return false
	}
	WaitFor(t, 90*time.Second, "an outcome recorded for every acknowledged event", func() bool {
		for i := range events {
			if !recorded(i) {
				return false
			}
		}
		return true
	})
	dups, replied := 0, repliesByTarget(fake)
	for _, n := range replied {
		dups += max(n-1, 0)
	}
	t.Logf("%s, max_attempts %d: %d events, %d targets replied to, %d duplicates (%d in flight at the kill)",
		store, maxAttempts, events, len(replied), dups, events)
	if dups > events {
		t.Errorf("%d duplicate replies; at most the %d deliveries in flight may repeat", dups, events)
	}
	fake.AssertNoViolations(t)
}

// TestRestartWithDiskFullPostsNoReplyTwice: replies the platform accepted
// while the data directory's disk was full (so the bot could not record
// them) are not posted again when the bot is restarted, after a SIGKILL or
// a SIGTERM, once space is back.
func TestRestartWithDiskFullPostsNoReplyTwice(t *testing.T) {
	for _, stop := range []string{"SIGKILL", "SIGTERM"} {
		t.Run(stop, func(t *testing.T) { restartWithDiskFull(t, stop) })
	}
}

func restartWithDiskFull(t *testing.T, stop string) {
	const held, grace = 10, 3 * time.Second
	dir := t.TempDir()
	hostileTmpfs(t, filepath.Join(dir, "data"), 16<<20)
	release, arrived := make(chan struct{}), make(chan struct{}, held)
	ic := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID,
		Hook: func(rec platformfake.Recorded) *platformfake.Response {
			if strings.HasPrefix(rec.TargetID, "99") {
				select {
				case arrived <- struct{}{}:
				default:
				}
				<-release
			}
			return nil
		}})
	defer ic.Close()
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()
	bot := Start(t, Config{Dir: dir, Rules: RulesFile(ic.URL(), "", "", hostileRules), Args: []string{"--shutdown-grace", grace.String()}})
	hostileLogsOnFailure(t, bot)
	convs := map[string]bool{}
	for i := range held {
		id, conv := fmt.Sprintf("notif_full-%d", i), fmt.Sprintf("99%08d", i)
		if code, body := bot.Post("intercom", "intercom", hostileIntercomEvent(id, conv)); code != http.StatusOK {
			t.Fatalf("POST %s = %d %s", id, code, body)
		}
		convs[conv] = true
	}
	for range held {
		<-arrived
	}
	fillDisk(t, filepath.Join(dir, "data", "filler"))
	// The platform accepts the held replies; the bot cannot record that.
	releaseOnce()
	WaitFor(t, 10*time.Second, "the held replies", func() bool { return ic.Stats().Accepted >= held })
	WaitFor(t, 10*time.Second, "the bot failing to record them", func() bool {
		return strings.Count(bot.Logs(), "record delivery outcome") >= held
	})
	if stop == "SIGKILL" {
		bot.Kill()
	} else if err, took := bot.Stop(30 * time.Second); err != nil {
		t.Errorf("SIGTERM on a full disk: exit %v after %s", err, took)
	}
	if err := os.Remove(filepath.Join(dir, "data", "filler")); err != nil {
		t.Fatal(err)
	}
	bot = Start(t, Config{Dir: dir})
	hostileLogsOnFailure(t, bot)
	hostileWaitIdle(t, bot)
	for i := range held {
		checkSentOnce(t, bot, fmt.Sprintf("notif_full-%d", i))
	}
	time.Sleep(300 * time.Millisecond)
	got := map[string]int{}
	for _, r := range ic.Requests() {
		if r.Status == http.StatusOK {
			got[r.TargetID]++
		}
	}
	for conv := range convs {
		if got[conv] != 1 {
			t.Errorf("conversation %s got %d replies; want exactly 1", conv, got[conv])
		}
	}
	ic.AssertNoViolations(t)
}

// TestKillWindow measures the crash window: events against a fast
// platform, SIGKILL while replies are going out, a restart on the same
// data. A reply repeats only if the platform accepted it but the bot had
// not yet written its sent mark; the test reports, for every repeated
// reply, how long before the kill the platform had accepted it. The
// figures in README.md come from:
//
//	BOT_E2E_KILL_EVENTS=2000 go test -count=1 ./internal/e2e/ -run TestKillWindow -v
func TestKillWindow(t *testing.T) {
	const workers = 20
	events := 1000
	if v := os.Getenv("BOT_E2E_KILL_EVENTS"); v != "" {
		if _, err := fmt.Sscan(v, &events); err != nil || events < 100 {
			t.Fatalf("BOT_E2E_KILL_EVENTS=%q: want a number of at least 100", v)
		}
	}
	fake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID})
	defer fake.Close()
	cfg := Config{Rules: RulesFile(fake.URL(), "", "", oneNotePerConversation), Args: []string{"--workers", fmt.Sprint(workers)}}
	bot := Start(t, cfg)
	var acked map[int]bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		acked = sendAll(bot, seq(0, events), 16)
	}()
	WaitFor(t, 60*time.Second, "replies going out", func() bool { return fake.Count() >= events/3 })
	killedAt := time.Now()
	bot.Kill()
	<-done
	var missing []int
	for i := range events {
		if !acked[i] {
			missing = append(missing, i)
		}
	}
	bot = Start(t, Config{Dir: bot.Dir, Args: cfg.Args})
	sendAll(bot, missing, 16)
	WaitFor(t, 120*time.Second, "a reply for every event", func() bool { return len(repliesByTarget(fake)) == events })
	waitIdle(t, bot)
	first := map[string]time.Time{}
	count := map[string]int{}
	for _, r := range fake.Requests() {
		if r.Status < 200 || r.Status >= 300 {
			continue
		}
		count[r.TargetID]++
		if _, ok := first[r.TargetID]; !ok {
			first[r.TargetID] = r.Time
		}
	}
	dups, widest := 0, time.Duration(0)
	for target, n := range count {
		if n > 1 {
			dups += n - 1
			widest = max(widest, killedAt.Sub(first[target]))
		}
	}
	t.Logf("%d events, %d replies accepted before the kill; %d repeated after the restart; the earliest of them had been accepted %s before the kill",
		events, acceptedBefore(fake, killedAt), dups, widest.Round(time.Millisecond))
	if dups > workers {
		t.Errorf("%d duplicate replies; at most the %d deliveries in flight at the kill may repeat", dups, workers)
	}
	fake.AssertNoViolations(t)
}

// acceptedBefore counts replies the platform accepted before t.
func acceptedBefore(f *intercomfake.Fake, t time.Time) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Status >= 200 && r.Status < 300 && r.Time.Before(t) {
			n++
		}
	}
	return n
}
