package e2e

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// conversationCreated is a 2.x conversation.user.created notification for
// conversation conv, with notification id id.
func conversationCreated(id, conv string) []byte {
	return fmt.Appendf(nil, `{"type":"notification_event","app_id":"e2e","id":%q,"topic":"conversation.user.created",
"created_at":1767225600,"delivery_attempts":1,"first_sent_at":1767225600,
"data":{"type":"notification_event_data","item":{"type":"conversation","id":%q,"created_at":1767225600,
"source":{"type":"conversation","id":"src-%s","delivered_as":"customer_initiated","body":"<p>Hello, I need help</p>",
"author":{"type":"user","id":"u-%s","name":"Customer %s","email":"c%s@example.com"}},
"contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"u-%s","external_id":"ext-%s"}]},
"conversation_parts":{"type":"conversation_part.list","conversation_parts":[],"total_count":0}}}}`,
		id, conv, conv, conv, conv, conv, conv, conv)
}

// oneNotePerConversation answers every new conversation with a note.
const oneNotePerConversation = `
  - name: ack
    when: topic == "conversation.user.created"
    max_per_hour: 0
    reply:
      as: note
      body: "<p>ack {{ target.id }}</p>"
`

// repliesByTarget counts accepted (2xx) requests per target id.
func repliesByTarget(f *intercomfake.Fake) map[string]int {
	out := map[string]int{}
	for _, r := range f.Requests() {
		if r.Status >= 200 && r.Status < 300 {
			out[r.TargetID]++
		}
	}
	return out
}

// sendAll posts events i in ids concurrently and returns which were
// acknowledged with a 2xx.
func sendAll(b *Bot, ids []int, conc int) map[int]bool {
	var mu sync.Mutex
	acked := map[int]bool{}
	work := make(chan int)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				status, _ := b.Post("intercom", "intercom", conversationCreated(fmt.Sprintf("notif_%d", i), fmt.Sprintf("conv-%d", i)))
				if status >= 200 && status < 300 {
					mu.Lock()
					acked[i] = true
					mu.Unlock()
				}
			}
		}()
	}
	for _, i := range ids {
		work <- i
	}
	close(work)
	wg.Wait()
	return acked
}

func seq(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// TestKillDuringDeliveriesLosesNothing sends 1,000 events (plus duplicates),
// kill -9s the bot while replies are being delivered, restarts it on the
// same data directory, and checks every acknowledged event got its reply.
func TestKillDuringDeliveriesLosesNothing(t *testing.T) {
	const events, workers = 1000, 20
	fake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID})
	defer fake.Close()
	// Slow answers keep deliveries in flight when the kill comes.
	var inflight, maxInflightAtKill atomic.Int64
	fake.SetHook(func(platformfake.Recorded) *platformfake.Response {
		return &platformfake.Response{Delay: 15 * time.Millisecond}
	})
	cfg := Config{
		Rules: RulesFile(fake.URL(), "", "", oneNotePerConversation),
		Args:  []string{"--workers", strconv.Itoa(workers)},
	}
	bot := Start(t, cfg)

	acked := map[int]bool{}
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		got := sendAll(bot, seq(0, events), 16)
		// The platform retries some deliveries: duplicates must be harmless.
		for i := range got {
			if i%10 == 0 {
				sendAll(bot, []int{i}, 1)
			}
		}
		mu.Lock()
		for i := range got {
			acked[i] = true
		}
		mu.Unlock()
	}()
	WaitFor(t, 60*time.Second, "deliveries under way", func() bool { return fake.Count() >= 300 })
	inflight.Store(int64(fake.Count()))
	bot.Kill()
	maxInflightAtKill.Store(int64(workers))
	<-done

	// The platform retries what was not acknowledged, as Intercom does.
	var missing []int
	for i := range events {
		if !acked[i] {
			missing = append(missing, i)
		}
	}
	bot = Start(t, Config{Dir: bot.Dir, Args: cfg.Args})
	for i := range sendAll(bot, missing, 16) {
		acked[i] = true
	}
	if len(acked) != events {
		t.Fatalf("only %d of %d events acknowledged after the restart", len(acked), events)
	}
	WaitFor(t, 120*time.Second, "a reply for every acknowledged event", func() bool {
		return len(repliesByTarget(fake)) == events
	})
	time.Sleep(300 * time.Millisecond) // let stragglers show up before counting duplicates
	dups := 0
	for target, n := range repliesByTarget(fake) {
		if n > 1 {
			dups += n - 1
			t.Logf("duplicate: %s got %d replies", target, n)
		}
	}
	t.Logf("events %d, acknowledged before the kill %d, replies at the kill %d, duplicates %d (deliveries in flight at most %d)",
		events, events-len(missing), inflight.Load(), dups, maxInflightAtKill.Load())
	if dups > workers {
		t.Errorf("%d duplicate replies; at most the %d deliveries in flight at the kill may repeat", dups, workers)
	}
	fake.AssertNoViolations(t)
}

// TestSIGTERMDuringBurstLosesNothing stops the bot with SIGTERM while
// events keep arriving: it must exit 0 within the grace period, and every
// acknowledged event must get its reply once the bot is back.
func TestSIGTERMDuringBurstLosesNothing(t *testing.T) {
	fake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID})
	defer fake.Close()
	fake.SetHook(func(platformfake.Recorded) *platformfake.Response {
		return &platformfake.Response{Delay: 300 * time.Millisecond}
	})
	const grace = 3 * time.Second
	cfg := Config{Rules: RulesFile(fake.URL(), "", "", oneNotePerConversation), Args: []string{"--shutdown-grace", grace.String()}}
	bot := Start(t, cfg)
	var acked sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := int(next.Add(1))
				status, _ := bot.Post("intercom", "intercom", conversationCreated(fmt.Sprintf("notif_%d", i), fmt.Sprintf("conv-%d", i)))
				if status == http.StatusOK {
					acked.Store(i, true)
				}
			}
		}()
	}
	WaitFor(t, 30*time.Second, "a burst under way", func() bool { return fake.Count() >= 30 })
	err, took := bot.Stop(grace + 10*time.Second)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("SIGTERM: exit %v after %s\n%s", err, took, bot.Logs())
	}
	t.Logf("exited 0 after %s (grace %s)", took.Round(time.Millisecond), grace)
	if took > grace+2*time.Second {
		t.Errorf("took %s to exit, grace is %s", took, grace)
	}
	n := 0
	acked.Range(func(any, any) bool { n++; return true })
	bot = Start(t, Config{Dir: bot.Dir, Args: cfg.Args})
	WaitFor(t, 60*time.Second, "replies to every acknowledged event", func() bool {
		got := repliesByTarget(fake)
		ok := true
		acked.Range(func(k, _ any) bool {
			if got[fmt.Sprintf("conv-%d", k.(int))] == 0 {
				ok = false
			}
			return ok
		})
		return ok
	})
	time.Sleep(200 * time.Millisecond)
	// Deliveries in flight at SIGTERM finish within the grace period and
	// are recorded: none is posted again after the restart.
	for target, c := range repliesByTarget(fake) {
		if c != 1 {
			t.Errorf("%s got %d replies, want exactly 1", target, c)
		}
	}
	t.Logf("%d events acknowledged during the burst, each replied to once", n)
	fake.AssertNoViolations(t)
}

// TestPlatformOutage: the platform answers 503 for a while, then recovers;
// every reply arrives exactly once and nothing is dead-lettered.
func TestPlatformOutage(t *testing.T) {
	fake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID})
	defer fake.Close()
	var down atomic.Bool
	down.Store(true)
	fake.SetHook(func(platformfake.Recorded) *platformfake.Response {
		if down.Load() {
			return &platformfake.Response{Status: http.StatusServiceUnavailable}
		}
		return nil
	})
	bot := Start(t, Config{Rules: RulesFile(fake.URL(), "",
		"  target_max_per_hour: 1000\n  delivery:\n    max_attempts: 50\n    backoff_initial: 100ms\n    backoff_max: 500ms\n",
		oneNotePerConversation)})
	const events = 40
	acked := sendAll(bot, seq(0, events), 8)
	if len(acked) != events {
		t.Fatalf("%d of %d acknowledged", len(acked), events)
	}
	WaitFor(t, 30*time.Second, "retries against the outage", func() bool { return fake.Count() >= 2*events })
	down.Store(false)
	WaitFor(t, 60*time.Second, "every reply after recovery", func() bool { return len(repliesByTarget(fake)) == events })
	time.Sleep(500 * time.Millisecond)
	for target, n := range repliesByTarget(fake) {
		if n != 1 {
			t.Errorf("%s got %d replies, want 1", target, n)
		}
	}
	var dlq struct {
		DeadLetters []any `json:"dead_letters"`
	}
	if _, err := bot.Admin(http.MethodGet, "/admin/dlq", &dlq); err != nil {
		t.Fatal(err)
	}
	if len(dlq.DeadLetters) != 0 {
		t.Errorf("%d dead letters during an outage within max_age, want none", len(dlq.DeadLetters))
	}
	if v := bot.Metric(`autoresponder_reply_total{outcome="retried",platform="intercom",rule="ack"}`); v < events {
		t.Errorf("retried metric = %v, want at least %d", v, events)
	}
}

// TestDrainRespectsRateLimit queues replies against a platform allowing
// 167 requests per window and checks the bot stays under the limit at
// close to the allowed rate. BOT_E2E_DRAIN=10000 runs the full-size
// experiment (10,000 replies, 10 s windows, about 10 minutes).
func TestDrainRespectsRateLimit(t *testing.T) {
	replies, window := 600, 2*time.Second
	if v := os.Getenv("BOT_E2E_DRAIN"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("BOT_E2E_DRAIN=%q", v)
		}
		replies, window = n, 10*time.Second
	}
	const limit = 167
	fake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID,
		RateLimit: platformfake.RateLimit{Limit: limit, Window: window}, DisableRecording: true})
	defer fake.Close()
	bot := Start(t, Config{Rules: RulesFile(fake.URL(), "",
		"  target_max_per_hour: 1000\n  rule_max_per_hour: 0\n  delivery:\n    max_rate_limit_wait: 30s\n",
		oneNotePerConversation), Args: []string{"--workers", "20"}})
	start := time.Now()
	acked := sendAll(bot, seq(0, replies), 32)
	if len(acked) != replies {
		t.Fatalf("%d of %d acknowledged", len(acked), replies)
	}
	WaitFor(t, time.Duration(replies)*window/limit+2*time.Minute, "the queue to drain", func() bool {
		return fake.Stats().Accepted >= replies
	})
	took := time.Since(start)
	ideal := time.Duration(replies) * window / limit
	st := fake.Stats()
	t.Logf("drained %d replies in %s (allowed rate: %s), %d requests got 429, %d requests in all",
		replies, took.Round(100*time.Millisecond), ideal.Round(100*time.Millisecond), st.RateLimited, st.Requests)
	if st.RateLimited > replies/100 {
		t.Errorf("%d requests got 429; the client-side limiter should keep that near zero", st.RateLimited)
	}
	fake.AssertNoViolations(t)
}
