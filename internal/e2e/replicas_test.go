package e2e

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/testpg"
)

// TestReplicasShareOneQueue runs three bot processes on one PostgreSQL
// database behind a "load balancer" (random choice), sends 2,000 signed
// events of which 10 % are duplicates (some sent at the same moment to two
// replicas), kill -9s one replica midway, and checks that every event got
// its reply, duplicates stay within the deliveries in flight at the kill,
// and the fleet as a whole stayed under the platform's rate limit.
func TestReplicasShareOneQueue(t *testing.T) {
	dbURL := testpg.Fresh(t)
	const (
		distinct = 1800
		dupes    = 200
		workers  = 8
		limit    = 167
		window   = 2 * time.Second
	)
	fake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID,
		RateLimit: platformfake.RateLimit{Limit: limit, Window: window}})
	defer fake.Close()
	fake.SetHook(func(platformfake.Recorded) *platformfake.Response {
		return &platformfake.Response{Delay: 5 * time.Millisecond}
	})
	rules := RulesFile(fake.URL(), "",
		"  target_max_per_hour: 1000\n  rule_max_per_hour: 0\n  delivery:\n    backoff_initial: 200ms\n    backoff_max: 1s\n    max_rate_limit_wait: 30s\n",
		oneNotePerConversation)
	args := []string{"--workers", fmt.Sprint(workers), "--job-timeout", "5s", "--rescue-after", "10s"}
	var bots [3]*Bot
	var wg sync.WaitGroup
	for i := range bots {
		wg.Add(1)
		go func() { // started together: migrations must not race
			defer wg.Done()
			b, err := StartErr(t, Config{Rules: rules, DatabaseURL: dbURL, Args: args})
			if err != nil {
				t.Error(err)
				return
			}
			t.Cleanup(b.Kill)
			bots[i] = b
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	var killed atomic.Bool
	pick := func(avoid int) int {
		for {
			i := rand.IntN(len(bots))
			if i != avoid && !(i == 0 && killed.Load()) {
				return i
			}
		}
	}
	// post delivers one event, retrying on another replica when one is
	// down, as a load balancer in front of them would.
	post := func(i, replica int) {
		body := conversationCreated(fmt.Sprintf("notif_%d", i), fmt.Sprintf("conv-%d", i))
		for try := 0; try < 10; try++ {
			if status, _ := bots[replica].Post("intercom", "intercom", body); status == 200 {
				return
			}
			replica = pick(replica)
		}
		t.Errorf("event %d was never acknowledged", i)
	}

	type job struct{ event, twin int }
	jobs := make(chan job)
	var sent atomic.Int64
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := pick(-1)
				if j.twin >= 0 {
					// The same event to two replicas at the same moment.
					var pair sync.WaitGroup
					pair.Add(2)
					go func() { defer pair.Done(); post(j.event, r) }()
					go func() { defer pair.Done(); post(j.event, pick(r)) }()
					pair.Wait()
				} else {
					post(j.event, r)
				}
				if sent.Add(1) == (distinct+dupes)/2 {
					bots[0].Kill()
					killed.Store(true)
				}
			}
		}()
	}
	for i := range distinct {
		jobs <- job{event: i, twin: -1}
		if i%9 == 0 && i/9 < dupes {
			if i%2 == 0 {
				jobs <- job{event: i, twin: 1} // concurrent duplicate
			} else {
				jobs <- job{event: i, twin: -1} // later duplicate
			}
		}
	}
	close(jobs)
	wg.Wait()
	if !killed.Load() {
		t.Fatal("the replica was never killed")
	}

	WaitFor(t, 3*time.Minute, "a reply for every event", func() bool { return len(repliesByTarget(fake)) == distinct })
	time.Sleep(time.Second)
	dups := 0
	for _, n := range repliesByTarget(fake) {
		dups += n - 1
	}
	st := fake.Stats()
	t.Logf("%d events (%d posts) on 3 replicas, one killed midway: %d replies, %d duplicates, %d requests got 429 of %d",
		distinct, sent.Load(), st.Accepted, dups, st.RateLimited, st.Requests)
	if dups > workers {
		t.Errorf("%d duplicate replies; only the %d deliveries in flight on the killed replica may repeat", dups, workers)
	}
	if st.RateLimited > distinct/100 {
		t.Errorf("%d requests got 429: the fleet must share one rate-limit budget", st.RateLimited)
	}
	fake.AssertNoViolations(t)
}
