package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
)

// testPlatform is the default payload set's platform, whose Verify the
// baseline runs and whose Sign the pool uses.
func testPlatform(t *testing.T) (payloadSet, platform.Platform) {
	t.Helper()
	set := payloadSets()[0]
	p, err := platformOf(set)
	if err != nil {
		t.Fatal(err)
	}
	return set, p
}

func testPool(t *testing.T, secret string) *pool {
	t.Helper()
	_, plat := testPlatform(t)
	ts := testTemplates(t)[:40]
	sign := func(body []byte) http.Header { return plat.Sign([]byte(secret), body, time.Now(), nil) }
	p, err := newPool(ts, sign, 2000, newRunID(), 2)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testServer(t *testing.T, secret string) (*httptest.Server, string) {
	t.Helper()
	set, plat := testPlatform(t)
	srv := httptest.NewServer(baselineHandler(plat, []byte(secret)))
	t.Cleanup(srv.Close)
	return srv, set.Kind()
}

// Throughput counts only what the server accepted: a server refusing
// every delivery has no throughput, however fast it refuses.
func TestClosedLoopCountsOnlyAcceptedDeliveries(t *testing.T) {
	cases := []struct {
		name         string
		serverSecret string
		wantOK       bool
		wantError    string
	}{
		{"accepted", "s3cret", true, ""},
		{"refused", "another-secret", false, "Unauthorized"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, source := testServer(t, c.serverSecret)
			tg := newTarget(source, testPool(t, "s3cret"), srv.URL)
			var answered atomic.Int64
			tg.answered = func(int64) { answered.Add(1) }
			r := closedLoop(context.Background(), tg, 4, 50*time.Millisecond, 300*time.Millisecond)
			if c.wantOK {
				if r.OK == 0 || r.Failed != 0 || r.Throughput <= 0 {
					t.Fatalf("got %+v, want only accepted deliveries", r)
				}
				if answered.Load() < r.OK {
					t.Errorf("%d answers reported for %d counted", answered.Load(), r.OK)
				}
				return
			}
			if r.OK != 0 || r.Throughput != 0 || r.Failed == 0 || !strings.Contains(r.FirstError, c.wantError) {
				t.Fatalf("got %+v, want every delivery failed with %q", r, c.wantError)
			}
		})
	}
}

// The fixed-rate driver sends exactly rate × duration deliveries, each a
// distinct event, and measures every one.
func TestOpenLoopSendsOnSchedule(t *testing.T) {
	srv, source := testServer(t, "s3cret")
	tg := newTarget(source, testPool(t, "s3cret"), srv.URL)
	var mu sync.Mutex
	var seen []int64
	r := openLoop(context.Background(), tg, 400, 250*time.Millisecond, func(i int64, _ time.Time, status int) {
		mu.Lock()
		defer mu.Unlock()
		if status == 200 {
			seen = append(seen, i)
		}
	})
	if r.Sent != 100 || r.OK != 100 || r.Failed != 0 {
		t.Fatalf("sent %d, ok %d, failed %d (%s); want 100 accepted", r.Sent, r.OK, r.Failed, r.FirstError)
	}
	if !(r.P50 > 0 && r.P50 <= r.P90 && r.P90 <= r.P99 && r.P99 <= r.Max) {
		t.Errorf("percentiles not ordered: %v %v %v %v", r.P50, r.P90, r.P99, r.Max)
	}
	slices.Sort(seen)
	if len(slices.Compact(seen)) != 100 {
		t.Errorf("%d distinct events observed, want 100", len(seen))
	}
}

func TestPercentilesNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	p50, p90, p99, mx := percentiles(d)
	if p50 != 50*time.Millisecond || p90 != 90*time.Millisecond || p99 != 99*time.Millisecond || mx != 100*time.Millisecond {
		t.Errorf("got %v %v %v %v, want 50ms 90ms 99ms 100ms", p50, p90, p99, mx)
	}
	if a, b, c, m := percentiles(nil); a+b+c+m != 0 {
		t.Error("percentiles of nothing must be zero")
	}
}

func TestSeriesSumsByLabels(t *testing.T) {
	s := parseSeries(`# HELP autoresponder_webhook_requests_total x
# TYPE autoresponder_webhook_requests_total counter
autoresponder_webhook_requests_total{outcome="accepted",source="acme"} 90
autoresponder_webhook_requests_total{outcome="ignored",source="acme"} 3
autoresponder_webhook_requests_total{outcome="accepted",source="whmcs"} 7
autoresponder_rule_matches_total{rule="a"} 4
autoresponder_rule_matches_total{rule="b"} 1e+00
autoresponder_store_commit_batch_size_sum 12
`)
	cases := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"autoresponder_webhook_requests_total", nil, 100},
		{"autoresponder_webhook_requests_total", []string{`outcome="accepted"`}, 97},
		{"autoresponder_webhook_requests_total", []string{`outcome="accepted"`, `source="acme"`}, 90},
		{"autoresponder_rule_matches_total", nil, 5},
		{"autoresponder_store_commit_batch_size_sum", nil, 12},
		{"autoresponder_missing", nil, 0},
	}
	for _, c := range cases {
		if got := s.sum(c.name, c.labels...); got != c.want {
			t.Errorf("sum(%s, %v) = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

func TestFlags(t *testing.T) {
	sqliteCases := []string{"nomatch", "mix", "match5", "latency", "drain", "e2e", "startup"}
	cases := []struct {
		args    []string
		cases   []string
		skipped []string
		wantErr string
	}{
		{nil, sqliteCases, []string{"mix-pg", "match5-pg", "replicas3", "drain-pg"}, ""},
		{[]string{"--database-url", "postgres://x/y"}, append(slices.Clone(sqliteCases), "mix-pg", "match5-pg", "replicas3", "drain-pg"), nil, ""},
		// The table's order, whatever the flag's; repeats collapse.
		{[]string{"--cases", "match5, nomatch,match5", "--runs", "3"}, []string{"nomatch", "match5"}, nil, ""},
		{[]string{"--cases", "replicas3"}, nil, nil, "replicas3 runs on PostgreSQL and needs --database-url"},
		{[]string{"--cases", "fast"}, nil, nil, `no case "fast"`},
		{[]string{"--cases", ","}, nil, nil, "nothing to run"},
		{[]string{"--runs", "0"}, nil, nil, "--runs must be at least 1"},
		{[]string{"--rate", "0"}, nil, nil, "--rate must be positive"},
		{[]string{"--conns", "0"}, nil, nil, "--conns must be between"},
		{[]string{"--duration", "1ms"}, nil, nil, "--duration must be at least"},
		{[]string{"--bot", "/nonexistent/bot"}, nil, nil, "--bot"},
		{[]string{"extra"}, nil, nil, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		cfg, err := parseConfig(c.args, io.Discard)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%v: %v", c.args, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%v: error %v, want %q", c.args, err, c.wantErr)
		case c.wantErr == "" && (!slices.Equal(caseNames(cfg.cases), c.cases) || !slices.Equal(cfg.skipped, c.skipped)):
			t.Errorf("%v: cases %v skipped %v, want %v and %v", c.args, caseNames(cfg.cases), cfg.skipped, c.cases, c.skipped)
		}
	}
}
