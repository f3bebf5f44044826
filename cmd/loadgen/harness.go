package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// harness is one loadgen run: the shared payloads, rules and fake
// platform, and the processes measured in turn.
type harness struct {
	cfg       config
	log       io.Writer
	dir       string
	bin       string
	runID     string
	secret    string
	token     string
	templates []*template
	pool      *pool
	fake      *intercomfake.Fake
	rules     map[string]string // variant → file
	predicted map[string]*prediction
	drops     []func()
	starts    int
}

func (h *harness) progress(format string, args ...any) {
	fmt.Fprintf(h.log, "loadgen: "+format+"\n", args...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// runHarness runs every phase and returns the report.
func runHarness(ctx context.Context, cfg config, log io.Writer) (*report, error) {
	h := &harness{cfg: cfg, log: log, runID: newRunID(), secret: randomHex(16), token: randomHex(16)}
	dir, err := os.MkdirTemp("", "loadgen-")
	if err != nil {
		return nil, err
	}
	h.dir = dir
	defer h.cleanup()

	rep := &report{Machine: machine(), Settings: settings{
		Duration: cfg.duration.String(), Warmup: cfg.warmup.String(), Conns: cfg.conns, Rates: cfg.rates,
		E2ERate: cfg.e2eRate, Rules: ruleCount, Store: "sqlite",
	}}
	if cfg.databaseURL != "" {
		rep.Settings.Store = "postgres"
	}

	if h.bin = cfg.bot; h.bin == "" {
		h.progress("building cmd/bot")
		if h.bin, err = buildBot(ctx, dir); err != nil {
			return nil, err
		}
	}
	if err := h.prepare(rep); err != nil {
		return nil, err
	}
	h.fake = intercomfake.New(intercomfake.Options{
		Token: h.token, APIVersion: apiVersion, AdminID: botAdminID, DisableRecording: true,
	})
	defer h.fake.Close()
	if err := h.writeRules(); err != nil {
		return nil, err
	}
	rep.Settings.PredictedMatch = h.predicted[variantMix].EventsMatched

	if !cfg.skipBaseline {
		r, err := h.baselineRun(ctx)
		if err != nil {
			return nil, err
		}
		rep.Runs = append(rep.Runs, r)
	}
	for _, v := range []struct{ variant, name string }{
		{variantMix, "bot-5pct"}, {variantNoMatch, "bot-nomatch"},
	} {
		r, err := h.botRun(ctx, v.variant, v.name)
		if err != nil {
			return nil, err
		}
		rep.Runs = append(rep.Runs, r)
	}
	if rep.E2E, err = h.e2eRun(ctx); err != nil {
		return nil, err
	}
	if cfg.starts > 0 {
		if rep.Startup, err = h.startupRun(ctx); err != nil {
			return nil, err
		}
	}
	rep.ratios()
	if cfg.keep {
		rep.KeptDir = dir
	}
	return rep, nil
}

func (h *harness) cleanup() {
	for _, drop := range h.drops {
		drop()
	}
	if h.cfg.keep {
		h.progress("kept %s", h.dir)
		return
	}
	_ = os.RemoveAll(h.dir)
}

// prepare generates the templates and signs the pool, before any timing.
func (h *harness) prepare(rep *report) error {
	start := time.Now()
	ts, err := generateTemplates(genConfig{seed: 1})
	if err != nil {
		return err
	}
	h.templates = ts
	h.pool = newPool(ts, []byte(h.secret), h.cfg.poolSize, h.runID, runtime.GOMAXPROCS(0))
	total, topics := 0, map[string]int{}
	for _, t := range ts {
		total += t.size()
		topics[t.topic]++
	}
	rep.Payloads = payloadInfo{
		Templates: len(ts), MeanBytes: total / len(ts), Pool: h.cfg.poolSize, Topics: topics,
		PrepareSeconds: time.Since(start).Seconds(),
	}
	h.progress("%d templates of %d bytes on average; %d deliveries signed in %.1fs",
		len(ts), total/len(ts), h.cfg.poolSize, time.Since(start).Seconds())
	return nil
}

// writeRules writes the three rules files and predicts what each matches.
func (h *harness) writeRules() error {
	h.rules, h.predicted = map[string]string{}, map[string]*prediction{}
	for _, v := range []string{variantMix, variantNoMatch, variantE2E} {
		text := rulesFile(v, h.fake.URL())
		p, err := predict(h.templates, text)
		if err != nil {
			return fmt.Errorf("%s rules: %w", v, err)
		}
		if p.Errors > 0 {
			return fmt.Errorf("%s rules: %d conditions fail on the generated events", v, p.Errors)
		}
		path := filepath.Join(h.dir, "rules-"+v+".yaml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return err
		}
		h.rules[v], h.predicted[v] = path, p
	}
	return nil
}

// startBot starts `bot serve` on a fresh store with a variant's rules.
func (h *harness) startBot(ctx context.Context, variant, label string) (*proc, time.Duration, error) {
	h.starts++
	name := fmt.Sprintf("%s-%d", label, h.starts)
	args := []string{"serve", "--rules", h.rules[variant], "--log-level", "warn", "--watch-interval", "0", "--shutdown-grace", "5s"}
	if h.cfg.databaseURL != "" {
		db := fmt.Sprintf("loadgen_%s_%d", strings.ReplaceAll(h.runID[:13], "-", "_"), h.starts)
		url, drop, err := freshDatabase(ctx, h.cfg.databaseURL, db)
		if err != nil {
			return nil, 0, err
		}
		if h.cfg.keep {
			h.progress("keeping database %s", db)
		} else {
			h.drops = append(h.drops, drop)
		}
		args = append(args, "--database-url", url)
	} else {
		args = append(args, "--data", filepath.Join(h.dir, name+"-data"))
	}
	return startProc(ctx, procSpec{
		name: "bot (" + label + ")", bin: h.bin, args: args,
		env:     []string{secretEnv + "=" + h.secret, tokenEnv + "=" + h.token},
		logPath: filepath.Join(h.dir, name+".log"),
	})
}

// measure runs the saturation run, then one fixed-rate run per rate, on
// one server; after each, settle waits for the replies it caused.
func (h *harness) measure(ctx context.Context, r *runResult, p *proc, t *target, settle func() error) error {
	h.progress("%s: saturation, %d connections, %s (+%s warm-up)", r.Name, h.cfg.conns, h.cfg.duration, h.cfg.warmup)
	m := markCPU(p.pid())
	r.Closed = closedLoop(ctx, t, h.cfg.conns, h.cfg.warmup, h.cfg.duration)
	r.Closed.CPU = m.since()
	if err := settle(); err != nil {
		return err
	}
	for _, rate := range h.cfg.rates {
		h.progress("%s: %.0f req/s for %s", r.Name, rate, h.cfg.duration)
		m := markCPU(p.pid())
		o := openLoop(ctx, t, rate, h.cfg.duration, nil)
		o.CPU = m.since()
		r.Open = append(r.Open, o)
		if err := settle(); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if dead, msg := p.exited(); dead {
		return fmt.Errorf("%s", msg)
	}
	r.Sent = t.next.Load()
	r.PoolWrapped = r.Sent > int64(h.cfg.poolSize)
	r.PeakRSS = peakRSS(p.pid())
	return nil
}

func (h *harness) baselineRun(ctx context.Context) (*runResult, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p, _, err := startProc(ctx, procSpec{
		name: "baseline", bin: self, args: []string{baselineCommand},
		env: []string{secretEnv + "=" + h.secret}, logPath: filepath.Join(h.dir, "baseline.log"),
	})
	if err != nil {
		return nil, err
	}
	defer p.kill()
	r := &runResult{Name: "baseline"}
	if err := h.measure(ctx, r, p, newTarget(p.url, h.pool), func() error { return nil }); err != nil {
		return nil, err
	}
	return r, p.stop(10 * time.Second)
}

func (h *harness) botRun(ctx context.Context, variant, name string) (*runResult, error) {
	p, _, err := h.startBot(ctx, variant, name)
	if err != nil {
		return nil, err
	}
	defer p.kill()
	pred := h.predicted[variant]
	t := newTarget(p.url, h.pool)
	var expected atomic.Int64
	t.answered = func(i int64) { expected.Add(int64(pred.repliesFor(h.pool, i))) }
	h.fake.Reset()
	r := &runResult{Name: name}
	settle := func() error { return h.drain(ctx, p, expected.Load()) }
	if err := h.measure(ctx, r, p, t, settle); err != nil {
		return nil, err
	}
	s, err := scrape(ctx, p.url+"/metrics")
	if err != nil {
		return nil, err
	}
	st := h.fake.Stats()
	events := s.sum("autoresponder_webhook_requests_total", `outcome="accepted"`) +
		s.sum("autoresponder_webhook_requests_total", `outcome="ignored"`) +
		s.sum("autoresponder_webhook_requests_total", `outcome="duplicate"`)
	r.Match = &matchInfo{
		Predicted:        pred.EventsMatched,
		Events:           events,
		RuleMatches:      s.sum("autoresponder_rule_matches_total"),
		Duplicates:       s.sum("autoresponder_webhook_requests_total", `outcome="duplicate"`),
		RuleErrors:       s.sum("autoresponder_rule_errors_total"),
		RepliesExpected:  expected.Load(),
		RepliesDelivered: int64(st.Accepted),
		Violations:       st.Violations,
	}
	if events > 0 {
		r.Match.Ratio = r.Match.RuleMatches / events
	}
	if n := s.sum("autoresponder_store_commit_batch_size_count"); n > 0 {
		r.Match.EventsPerCommit = s.sum("autoresponder_store_commit_batch_size_sum") / n
	}
	return r, p.stop(15 * time.Second)
}

// drain waits until the fake platform has accepted the expected number of
// replies, or nothing has arrived for 15 seconds (the run reports what is
// missing).
func (h *harness) drain(ctx context.Context, p *proc, expected int64) error {
	last, lastChange := -1, time.Now()
	for {
		got := h.fake.Stats().Accepted
		if int64(got) >= expected {
			return nil
		}
		if got != last {
			last, lastChange = got, time.Now()
		}
		if time.Since(lastChange) > 15*time.Second {
			h.progress("gave up waiting for replies: %d of %d arrived", got, expected)
			return nil
		}
		if dead, msg := p.exited(); dead {
			return fmt.Errorf("%s", msg)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// e2eRun sends events that all match (but the bot's own replies coming
// back) at a fixed rate and times each from its intended send time until
// the fake Intercom received its first reply, found by the event id every
// reply body carries.
func (h *harness) e2eRun(ctx context.Context) (*e2eResult, error) {
	p, _, err := h.startBot(ctx, variantE2E, "bot-e2e")
	if err != nil {
		return nil, err
	}
	defer p.kill()
	pred := h.predicted[variantE2E]
	n := int64(h.cfg.e2eRate * h.cfg.duration.Seconds())
	sched := make([]int64, n)
	want := make([]int, n)
	arrived := make([]atomic.Int64, n)
	var stray atomic.Int64
	h.fake.Reset()
	h.fake.SetHook(func(rec platformfake.Recorded) *platformfake.Response {
		now := time.Now().UnixNano()
		body, _ := rec.Body["body"].(string)
		i, ok := h.pool.eventIndex(body)
		if !ok || i >= n {
			stray.Add(1)
			return nil
		}
		arrived[i].CompareAndSwap(0, now)
		return nil // the normal success
	})
	defer h.fake.SetHook(nil)

	t := newTarget(p.url, h.pool)
	var expected atomic.Int64
	t.answered = func(i int64) { expected.Add(int64(pred.repliesFor(h.pool, i))) }
	h.progress("end-to-end: %.0f events/s for %s, every event matching", h.cfg.e2eRate, h.cfg.duration)
	m := markCPU(p.pid())
	o := openLoop(ctx, t, h.cfg.e2eRate, h.cfg.duration, func(i int64, at time.Time, status int) {
		if i < n && status/100 == 2 {
			sched[i], want[i] = at.UnixNano(), pred.repliesFor(h.pool, i)
		}
	})
	o.CPU = m.since()
	if err := h.drain(ctx, p, expected.Load()); err != nil {
		return nil, err
	}
	r := &e2eResult{Rate: h.cfg.e2eRate, Duration: h.cfg.duration.String(), Intake: o,
		RepliesExpected: expected.Load(), Stray: stray.Load()}
	var lat []time.Duration
	for i := range n {
		if want[i] == 0 {
			continue
		}
		r.Events++
		if a := arrived[i].Load(); a > 0 {
			lat = append(lat, time.Duration(a-sched[i]))
		} else {
			r.Missing++
		}
	}
	st := h.fake.Stats()
	r.RepliesReceived, r.Violations = int64(st.Accepted), st.Violations
	r.P50, r.P90, r.P99, r.Max = percentiles(lat)
	r.PeakRSS = peakRSS(p.pid())
	return r, p.stop(15 * time.Second)
}

// startupRun times exec → /readyz 200 on an empty store.
func (h *harness) startupRun(ctx context.Context) (*startupResult, error) {
	h.progress("start-up: %d starts on an empty store", h.cfg.starts)
	r := &startupResult{}
	for range h.cfg.starts {
		p, ready, err := h.startBot(ctx, variantMix, "startup")
		if err != nil {
			return nil, err
		}
		r.All = append(r.All, ready)
		if err := p.stop(15 * time.Second); err != nil {
			return nil, err
		}
	}
	s := slices.Clone(r.All)
	slices.Sort(s)
	r.Median = s[len(s)/2]
	return r, nil
}
