package queue

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/metrics"
	"github.com/supportops/autoresponder/internal/replier"
	"github.com/supportops/autoresponder/internal/testpg"
)

// Benchmarks of Accept: one event with one queued reply, committed durably
// (SQLite with synchronous=FULL, or PostgreSQL when BOT_TEST_DATABASE_URL is
// set). "sequential" is one caller waiting for each commit; "concurrent"
// is 64 callers, which the store folds into shared transactions (group
// commit): events/commit says how many events one transaction carried.
//
//	go test ./internal/queue -run '^$' -bench Accept -benchtime 200ms

// benchCallers is the number of concurrent Accept callers, like the
// connections of a busy webhook sender.
const benchCallers = 64

func BenchmarkAccept(b *testing.B) {
	kinds := []struct {
		name string
		opts func(b *testing.B) Options
	}{
		{"sqlite", func(b *testing.B) Options { return Options{DataDir: b.TempDir()} }},
		{"postgres", func(b *testing.B) Options { return Options{DatabaseURL: testpg.Fresh(b)} }},
	}
	for _, k := range kinds {
		b.Run(k.name+"/sequential", func(b *testing.B) {
			s, m := benchStore(b, k.opts(b))
			payload := benchPayload()
			var n atomic.Int64
			b.ReportAllocs()
			for b.Loop() {
				benchAcceptOne(b, s, n.Add(1), payload)
			}
			reportBatch(b, m)
		})
		b.Run(k.name+"/concurrent", func(b *testing.B) {
			s, m := benchStore(b, k.opts(b))
			payload := benchPayload()
			var n atomic.Int64
			// RunParallel starts parallelism × GOMAXPROCS goroutines.
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((benchCallers + procs - 1) / procs)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					benchAcceptOne(b, s, n.Add(1), payload)
				}
			})
			reportBatch(b, m)
		})
		// The loadgen's all-matching case: every event matches five rules
		// (two with a cooldown), budgets off.
		b.Run(k.name+"/concurrent5", func(b *testing.B) {
			opts := k.opts(b)
			opts.Policy = func() Policy { return benchPolicyNoBudgets }
			s, m := benchStore(b, opts)
			payload := benchPayload()
			var n atomic.Int64
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((benchCallers + procs - 1) / procs)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					benchAcceptFive(b, s, n.Add(1), payload)
				}
			})
			b.ReportMetric(float64(5*b.N)/b.Elapsed().Seconds(), "jobs/s")
			reportBatch(b, m)
		})
	}
}

// benchAcceptOne accepts event i with one reply to its own conversation
// and fails the benchmark unless the reply was queued.
func benchAcceptOne(b *testing.B, s *Store, i int64, payload []byte) {
	id := fmt.Sprintf("notif_bench-%012d", i)
	target := fmt.Sprintf("9%09d", i)
	in := &Intake{
		Source: "intercom", EventID: id, Topic: "conversation.user.replied",
		ReceivedAt: time.Now(), Payload: payload,
		Actions: []Action{{
			Rule: "refund-triage", Platform: "intercom",
			ClaimKey: "intercom:conversation:" + target, TargetKey: "intercom:conversation:" + target,
			Cooldown: 24 * time.Hour,
			Request: &replier.Request{Platform: "intercom", As: replier.AsNote,
				Body:   "<p>Refund request from Ada Lovelace (ada@example.org): routing to billing.</p>",
				Target: event.Target{Type: event.TargetConversation, ID: target}},
		}},
	}
	res, err := s.Accept(context.Background(), in)
	if err != nil {
		b.Fatalf("accept %s: %v", id, err)
	}
	if res.Duplicate || len(res.Actions) != 1 || res.Actions[0].Outcome != Queued {
		b.Fatalf("accept %s: got %+v, want one queued reply", id, res)
	}
}

// benchPolicyNoBudgets is the default policy with the budgets off, as
// loadgen runs the bot.
var benchPolicyNoBudgets = func() Policy {
	p := DefaultPolicy
	p.TargetMaxPerHour, p.PauseAfter = 0, 0
	return p
}()

// benchAcceptFive accepts event i with five replies of five rules to its
// conversation, two of them under a cooldown, and fails the benchmark
// unless all five were queued.
func benchAcceptFive(b *testing.B, s *Store, i int64, payload []byte) {
	id := fmt.Sprintf("notif_bench-%012d", i)
	target := fmt.Sprintf("9%09d", i)
	key := "intercom:conversation:" + target
	in := &Intake{Source: "intercom", EventID: id, Topic: "conversation.user.replied", ReceivedAt: time.Now(), Payload: payload}
	for r := range 5 {
		a := Action{
			Rule: fmt.Sprintf("rule-%d", r), Platform: "intercom", ClaimKey: key, TargetKey: key,
			Request: &replier.Request{Platform: "intercom", As: replier.AsNote,
				Body:   "<p>Refund request from Ada Lovelace (ada@example.org): routing to billing.</p>",
				Target: event.Target{Type: event.TargetConversation, ID: target}},
		}
		if r < 2 {
			a.Cooldown = 12 * time.Hour
		}
		in.Actions = append(in.Actions, a)
	}
	res, err := s.Accept(context.Background(), in)
	if err != nil {
		b.Fatalf("accept %s: %v", id, err)
	}
	if res.Duplicate || len(res.Actions) != 5 {
		b.Fatalf("accept %s: got %+v, want five queued replies", id, res)
	}
	for _, a := range res.Actions {
		if a.Outcome != Queued || a.JobID == 0 {
			b.Fatalf("accept %s: got %+v, want five queued replies", id, res)
		}
	}
}

// benchStore opens a store for intake only: no workers, so the benchmark
// measures commits, not deliveries.
func benchStore(b *testing.B, opts Options) (*Store, *metrics.Metrics) {
	b.Helper()
	m := metrics.New()
	opts.Metrics = m
	if opts.Policy == nil {
		opts.Policy = func() Policy { return DefaultPolicy }
	}
	s, err := Open(context.Background(), opts)
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	b.Cleanup(s.Close)
	return s, m
}

// reportBatch reports the mean number of events per intake transaction.
func reportBatch(b *testing.B, m *metrics.Metrics) {
	b.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "autoresponder_store_commit_batch_size" || len(mf.GetMetric()) == 0 {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		if h.GetSampleCount() > 0 {
			b.ReportMetric(h.GetSampleSum()/float64(h.GetSampleCount()), "events/commit")
		}
	}
}

// benchPayload is a stored delivery of about 5 KB, the size of a real
// Intercom conversation notification.
func benchPayload() []byte {
	return []byte(`{"type":"notification_event","topic":"conversation.user.replied","data":{"item":{"type":"conversation","body":"` +
		strings.Repeat("Hi, I was charged twice and would like a refund. ", 100) + `"}}}`)
}
