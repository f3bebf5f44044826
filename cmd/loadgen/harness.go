package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// caseCeiling names the ceiling's results: the baseline server, measured
// at the start of every run.
const caseCeiling = "ceiling"

// harness is one loadgen invocation: the shared payloads, rules and fake
// platform, and the processes measured in turn.
type harness struct {
	cfg       config
	log       io.Writer
	dir       string
	bin       string
	runID     string
	secret    string
	token     string
	set       payloadSet
	templates []*template
	pool      *pool
	fake      *platformfake.Server
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

// runHarness runs the chosen cases --runs times, the ceiling first in
// every run, and returns the report.
func runHarness(ctx context.Context, cfg config, log io.Writer) (*report, error) {
	set, err := lookupPayloads(cfg.payloads)
	if err != nil {
		return nil, err
	}
	h := &harness{cfg: cfg, log: log, set: set, runID: newRunID(), secret: randomHex(16), token: randomHex(16)}
	dir, err := os.MkdirTemp("", "loadgen-")
	if err != nil {
		return nil, err
	}
	h.dir = dir
	defer h.cleanup()

	rep := &report{Machine: machine(), Settings: settings{
		Duration: cfg.duration.String(), Warmup: cfg.warmup.String(), Conns: cfg.conns, Rate: cfg.rate,
		E2ERate: cfg.e2eRate, DrainEvents: cfg.drainEvents, Rules: ruleCount, Runs: cfg.runs, Platform: set.Kind(),
		Cases: caseNames(cfg.cases), SkippedCases: cfg.skipped,
	}}
	if h.bin = cfg.bot; h.bin == "" {
		h.progress("building cmd/bot")
		if h.bin, err = buildBot(ctx, dir); err != nil {
			return nil, err
		}
	}
	if err := h.prepare(rep); err != nil {
		return nil, err
	}
	h.fake = set.NewFake(h.token)
	defer h.fake.Close()
	if err := h.writeRules(); err != nil {
		return nil, err
	}
	rep.Settings.Predicted = h.predicted

	for run := 1; run <= cfg.runs; run++ {
		var results []*caseResult
		if !cfg.skipBaseline {
			h.progress("run %d of %d: ceiling", run, cfg.runs)
			r, err := h.ceilingCase(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				r = &caseResult{Case: caseCeiling, Error: err.Error()}
			}
			r.Run = run
			results = append(results, r)
		}
		for _, c := range cfg.cases {
			h.progress("run %d of %d: %s (%s, %s)", run, cfg.runs, c.name, c.title, c.store)
			r, err := c.run(ctx, h, c)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				// One broken case does not cost the others' figures;
				// the summary says it failed, and why.
				h.progress("%s failed: %v", c.name, err)
				r = &caseResult{Case: c.name, Store: c.store, Error: err.Error()}
			}
			r.Run = run
			results = append(results, r)
		}
		finishRun(results)
		rep.Results = append(rep.Results, results...)
	}
	defs := slices.Clone(cfg.cases)
	if !cfg.skipBaseline {
		defs = append([]*caseDef{{name: caseCeiling, title: "verify + decode only (the ceiling)", store: "-", unit: unitCeiling}}, defs...)
	}
	rep.Summary = summarize(defs, rep.Results)
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
	ts, err := h.set.Templates(1)
	if err != nil {
		return err
	}
	h.templates = ts
	plat, err := platformOf(h.set)
	if err != nil {
		return err
	}
	sign := func(body []byte) http.Header { return plat.Sign([]byte(h.secret), body, start, nil) }
	if h.pool, err = newPool(ts, sign, h.cfg.poolSize, h.runID, runtime.GOMAXPROCS(0)); err != nil {
		return err
	}
	total, topics := 0, map[string]int{}
	for _, t := range ts {
		total += t.size()
		topics[t.topic]++
	}
	rep.Payloads = payloadInfo{
		Platform: h.set.Kind(), Templates: len(ts), MeanBytes: total / len(ts), Pool: h.cfg.poolSize, Topics: topics,
		PrepareSeconds: time.Since(start).Seconds(),
	}
	h.progress("%d %s templates of %d bytes on average; %d deliveries signed in %.1fs",
		len(ts), h.set.Kind(), total/len(ts), h.cfg.poolSize, time.Since(start).Seconds())
	return nil
}

// writeRules writes every variant's rules file and predicts what each
// matches.
func (h *harness) writeRules() error {
	h.rules, h.predicted = map[string]string{}, map[string]*prediction{}
	for _, v := range ruleVariants {
		text := rulesFile(h.set, v, h.fake.URL())
		p, err := predict(h.set, h.templates, text)
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

// freshStore makes an empty store for one case: a data directory name on
// SQLite, a new database on PostgreSQL (dropped at the end unless --keep).
// Every bot started on it shares it.
func (h *harness) freshStore(ctx context.Context, store, label string) (string, error) {
	h.starts++
	if store == storeSQLite {
		return filepath.Join(h.dir, fmt.Sprintf("%s-%d-data", label, h.starts)), nil
	}
	db := fmt.Sprintf("loadgen_%s_%d", strings.ReplaceAll(h.runID[:13], "-", "_"), h.starts)
	url, drop, err := freshDatabase(ctx, h.cfg.databaseURL, db)
	if err != nil {
		return "", err
	}
	if h.cfg.keep {
		h.progress("keeping database %s", db)
	} else {
		h.drops = append(h.drops, drop)
	}
	return url, nil
}

// botSpec says how to start one `bot serve`.
type botSpec struct {
	label   string
	variant string
	store   string
	at      string // from freshStore
	dryRun  bool
}

// startBot starts `bot serve` and waits until it is ready.
func (h *harness) startBot(ctx context.Context, s botSpec) (*proc, time.Duration, error) {
	h.starts++
	name := fmt.Sprintf("%s-%d", s.label, h.starts)
	args := []string{"serve", "--rules", h.rules[s.variant], "--log-level", "warn", "--watch-interval", "0", "--shutdown-grace", "5s"}
	if s.dryRun {
		args = append(args, "--dry-run")
	}
	if s.store == storePostgres {
		args = append(args, "--database-url", s.at)
	} else {
		args = append(args, "--data", s.at)
	}
	return startProc(ctx, procSpec{
		name: "bot (" + s.label + ")", bin: h.bin, args: args,
		env:     []string{secretEnv + "=" + h.secret, tokenEnv + "=" + h.token},
		logPath: filepath.Join(h.dir, name+".log"),
	})
}

// startBots starts n bots on one fresh store, one after the other (the
// first runs the migrations).
func (h *harness) startBots(ctx context.Context, c *caseDef, variant string, dryRun bool, n int) ([]*proc, error) {
	at, err := h.freshStore(ctx, c.store, c.name)
	if err != nil {
		return nil, err
	}
	var ps []*proc
	for range n {
		p, _, err := h.startBot(ctx, botSpec{label: c.name, variant: variant, store: c.store, at: at, dryRun: dryRun})
		if err != nil {
			killAll(ps)
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func killAll(ps []*proc) {
	for _, p := range ps {
		p.kill()
	}
}

func stopAll(ps []*proc, grace time.Duration) error {
	var errs []error
	for _, p := range ps {
		errs = append(errs, p.stop(grace))
	}
	return errors.Join(errs...)
}

func urlsOf(ps []*proc) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.url)
	}
	return out
}

func pidsOf(ps []*proc) []int {
	var out []int
	for _, p := range ps {
		out = append(out, p.pid())
	}
	return out
}

// peakRSSOf is the largest peak RSS of the processes: the goal is per
// process.
func peakRSSOf(ps []*proc) int64 {
	var m int64
	for _, p := range ps {
		m = max(m, peakRSS(p.pid()))
	}
	return m
}

// replyCounter counts the replies the answered events owe, from the
// prediction, for the drain waits.
func replyCounter(t *target, pred *prediction) *atomic.Int64 {
	var expected atomic.Int64
	t.answered = func(i int64) { expected.Add(int64(pred.repliesFor(t.pool, i))) }
	return &expected
}

// ceilingCase measures the baseline server at saturation.
func (h *harness) ceilingCase(ctx context.Context) (*caseResult, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p, _, err := startProc(ctx, procSpec{
		name: "baseline", bin: self, args: []string{baselineCommand, "--platform", h.set.Kind()},
		env: []string{secretEnv + "=" + h.secret}, logPath: filepath.Join(h.dir, "baseline.log"),
	})
	if err != nil {
		return nil, err
	}
	defer p.kill()
	r := &caseResult{Case: caseCeiling, Store: "-"}
	t := newTarget(h.set.Kind(), h.pool, p.url)
	h.saturate(ctx, r, t, []*proc{p})
	r.PeakRSS = peakRSS(p.pid())
	return r, p.stop(10 * time.Second)
}

// saturate runs the closed loop on t, recording CPU and what was sent.
func (h *harness) saturate(ctx context.Context, r *caseResult, t *target, ps []*proc) {
	m := markCPU(pidsOf(ps)...)
	c := closedLoop(ctx, t, h.cfg.conns, h.cfg.warmup, h.cfg.duration)
	c.CPU = m.since()
	r.Saturation = &c
	r.Sent = t.next.Load()
	r.PoolWrapped = r.Sent > int64(h.cfg.poolSize)
}

// throughputCase measures replicas bots on one fresh store at saturation.
// Without dryRun, it then waits for every reply the answered events owe
// to reach the fake; with it, the backlog is left in the store (the bot
// is stopped and its store dropped), and the report says how many jobs
// the workers had done.
func (h *harness) throughputCase(ctx context.Context, c *caseDef, variant string, dryRun bool, replicas int) (*caseResult, error) {
	ps, err := h.startBots(ctx, c, variant, dryRun, replicas)
	if err != nil {
		return nil, err
	}
	defer killAll(ps)
	r := &caseResult{Case: c.name, Store: c.store, Replicas: replicas}
	t := newTarget(h.set.Kind(), h.pool, urlsOf(ps)...)
	pred := h.predicted[variant]
	expected := replyCounter(t, pred)
	h.fake.Reset()
	h.progress("%s: saturation, %d connections over %d bot(s), %s (+%s warm-up)", c.name, h.cfg.conns, replicas, h.cfg.duration, h.cfg.warmup)
	h.saturate(ctx, r, t, ps)
	if !dryRun {
		if err := h.drain(ctx, ps, expected.Load()); err != nil {
			return nil, err
		}
	}
	if r.Match, err = h.matchInfo(ctx, ps, pred, expected.Load()); err != nil {
		return nil, err
	}
	r.PeakRSS = peakRSSOf(ps)
	return r, stopAll(ps, 15*time.Second)
}

// latencyCase sends --rate events per second, every one matching 5 rules,
// and measures the intake latency.
func (h *harness) latencyCase(ctx context.Context, c *caseDef) (*caseResult, error) {
	ps, err := h.startBots(ctx, c, variantAll5, true, 1)
	if err != nil {
		return nil, err
	}
	defer killAll(ps)
	r := &caseResult{Case: c.name, Store: c.store, Replicas: 1}
	t := newTarget(h.set.Kind(), h.pool, urlsOf(ps)...)
	pred := h.predicted[variantAll5]
	expected := replyCounter(t, pred)
	h.progress("%s: %.0f req/s for %s", c.name, h.cfg.rate, h.cfg.duration)
	m := markCPU(pidsOf(ps)...)
	o := openLoop(ctx, t, h.cfg.rate, h.cfg.duration, nil)
	o.CPU = m.since()
	r.FixedRate = &o
	r.Sent = t.next.Load()
	r.PoolWrapped = r.Sent > int64(h.cfg.poolSize)
	r.Figure, r.HasFigure = float64(o.P99)/1e6, o.OK > 0
	if r.Match, err = h.matchInfo(ctx, ps, pred, expected.Load()); err != nil {
		return nil, err
	}
	r.PeakRSS = peakRSSOf(ps)
	return r, stopAll(ps, 15*time.Second)
}

// drainResult is a delivery drain: jobs queued while no bot delivered
// them, then delivered by a fresh bot to a fake that answers at once.
type drainResult struct {
	Events         int64   `json:"events"`    // answered 2xx while queueing
	JobsOwed       int64   `json:"jobs_owed"` // replies those events owe
	DeliveredEarly int64   `json:"delivered_during_intake"`
	Drained        int64   `json:"jobs_drained"`  // delivered by the second bot
	Seconds        float64 `json:"drain_seconds"` // first to last delivery of the second bot
	JobsPerSec     float64 `json:"jobs_per_s"`
	CPU            cpuUse  `json:"cpu"`
}

// drainCase measures how fast the bot delivers a backlog: one bot takes
// --drain-events events that match 5 rules each and is stopped (SIGTERM:
// its in-flight deliveries finish, the rest stay queued); a second bot on
// the same store delivers the backlog to the fake, which answers at once.
// The rate is the replies the second bot delivered over the time from its
// first delivery to its last, so its start-up is not counted.
func (h *harness) drainCase(ctx context.Context, c *caseDef) (*caseResult, error) {
	at, err := h.freshStore(ctx, c.store, c.name)
	if err != nil {
		return nil, err
	}
	spec := botSpec{label: c.name, variant: variantAll5, store: c.store, at: at}
	p1, _, err := h.startBot(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer p1.kill()
	r := &caseResult{Case: c.name, Store: c.store, Replicas: 1}
	t := newTarget(h.set.Kind(), h.pool, p1.url)
	pred := h.predicted[variantAll5]
	expected := replyCounter(t, pred)
	h.fake.Reset()
	h.progress("%s: queueing %d events", c.name, h.cfg.drainEvents)
	ok, fails := sendN(ctx, t, h.cfg.conns, int64(h.cfg.drainEvents))
	if fails.n > 0 {
		return nil, fmt.Errorf("queueing: %d deliveries failed (first: %s)", fails.n, fails.first)
	}
	r.Sent = t.next.Load()
	if r.Match, err = h.matchInfo(ctx, []*proc{p1}, pred, expected.Load()); err != nil {
		return nil, err
	}
	rss1 := peakRSS(p1.pid())
	if err := p1.stop(15 * time.Second); err != nil {
		return nil, err
	}
	d := &drainResult{Events: ok, JobsOwed: expected.Load(), DeliveredEarly: int64(h.fake.Stats().Accepted)}
	var first, last, n atomic.Int64
	h.fake.SetHook(func(platformfake.Recorded) *platformfake.Response {
		now := time.Now().UnixNano()
		first.CompareAndSwap(0, now)
		storeMax(&last, now)
		n.Add(1)
		return nil // the normal, immediate success
	})
	defer h.fake.SetHook(nil)
	h.progress("%s: draining %d queued replies", c.name, d.JobsOwed-d.DeliveredEarly)
	p2, _, err := h.startBot(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer p2.kill()
	m := markCPU(p2.pid())
	if err := h.drain(ctx, []*proc{p2}, d.JobsOwed); err != nil {
		return nil, err
	}
	d.CPU = m.since()
	d.Drained = n.Load()
	if span := time.Duration(last.Load() - first.Load()); d.Drained > 1 && span > 0 {
		d.Seconds = span.Seconds()
		d.JobsPerSec = float64(d.Drained-1) / span.Seconds()
	}
	r.Drain = d
	r.Figure, r.HasFigure = d.JobsPerSec, d.JobsPerSec > 0
	st := h.fake.Stats() // since the Reset before queueing: both bots
	r.Match.RepliesDelivered, r.Match.Violations = int64(st.Accepted), st.Violations
	r.PeakRSS = max(rss1, peakRSS(p2.pid()))
	return r, p2.stop(15 * time.Second)
}

// matchInfo reads what the bots say they matched and delivered, summed
// over replicas, and what the fake accepted.
func (h *harness) matchInfo(ctx context.Context, ps []*proc, pred *prediction, expected int64) (*matchInfo, error) {
	s := series{}
	for _, p := range ps {
		one, err := scrape(ctx, p.url+"/metrics")
		if err != nil {
			return nil, err
		}
		for k, v := range one {
			s[k] += v
		}
	}
	st := h.fake.Stats()
	events := s.sum("autoresponder_webhook_requests_total", `outcome="accepted"`) +
		s.sum("autoresponder_webhook_requests_total", `outcome="ignored"`) +
		s.sum("autoresponder_webhook_requests_total", `outcome="duplicate"`)
	m := &matchInfo{
		Predicted:        pred.MatchesPerEv,
		Events:           events,
		RuleMatches:      s.sum("autoresponder_rule_matches_total"),
		Duplicates:       s.sum("autoresponder_webhook_requests_total", `outcome="duplicate"`),
		RuleErrors:       s.sum("autoresponder_rule_errors_total"),
		JobsDone:         s.sum("autoresponder_reply_total", `outcome="sent"`) + s.sum("autoresponder_reply_total", `outcome="dry_run"`),
		RepliesExpected:  expected,
		RepliesDelivered: int64(st.Accepted),
		Violations:       st.Violations,
	}
	if events > 0 {
		m.Ratio = m.RuleMatches / events
	}
	if n := s.sum("autoresponder_store_commit_batch_size_count"); n > 0 {
		m.EventsPerCommit = s.sum("autoresponder_store_commit_batch_size_sum") / n
	}
	return m, nil
}

// drain waits until the fake platform has accepted the expected number of
// replies, or nothing has arrived for 15 seconds (the run reports what is
// missing).
func (h *harness) drain(ctx context.Context, ps []*proc, expected int64) error {
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
		for _, p := range ps {
			if dead, msg := p.exited(); dead {
				return fmt.Errorf("%s", msg)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// e2eCase sends events that all match (but the bot's own replies coming
// back) at a fixed rate and times each from its intended send time until
// the fake platform received its first reply, found by the event id every
// reply body carries.
func (h *harness) e2eCase(ctx context.Context, c *caseDef) (*caseResult, error) {
	ps, err := h.startBots(ctx, c, variantE2E, false, 1)
	if err != nil {
		return nil, err
	}
	defer killAll(ps)
	p := ps[0]
	pred := h.predicted[variantE2E]
	n := int64(h.cfg.e2eRate * h.cfg.duration.Seconds())
	sched := make([]int64, n)
	want := make([]int, n)
	arrived := make([]atomic.Int64, n)
	var stray atomic.Int64
	h.fake.Reset()
	h.fake.SetHook(func(rec platformfake.Recorded) *platformfake.Response {
		now := time.Now().UnixNano()
		i, ok := h.pool.eventIndex(string(rec.RawBody))
		if !ok || i >= n {
			stray.Add(1)
			return nil
		}
		arrived[i].CompareAndSwap(0, now)
		return nil // the normal success
	})
	defer h.fake.SetHook(nil)

	t := newTarget(h.set.Kind(), h.pool, p.url)
	expected := replyCounter(t, pred)
	h.progress("%s: %.0f events/s for %s, every event matching", c.name, h.cfg.e2eRate, h.cfg.duration)
	m := markCPU(p.pid())
	o := openLoop(ctx, t, h.cfg.e2eRate, h.cfg.duration, func(i int64, at time.Time, status int) {
		if i < n && status/100 == 2 {
			sched[i], want[i] = at.UnixNano(), pred.repliesFor(h.pool, i)
		}
	})
	o.CPU = m.since()
	if err := h.drain(ctx, ps, expected.Load()); err != nil {
		return nil, err
	}
	e := &e2eResult{Rate: h.cfg.e2eRate, Duration: h.cfg.duration.String(), Intake: o,
		RepliesExpected: expected.Load(), Stray: stray.Load()}
	var lat []time.Duration
	for i := range n {
		if want[i] == 0 {
			continue
		}
		e.Events++
		if a := arrived[i].Load(); a > 0 {
			lat = append(lat, time.Duration(a-sched[i]))
		} else {
			e.Missing++
		}
	}
	st := h.fake.Stats()
	e.RepliesReceived, e.Violations = int64(st.Accepted), st.Violations
	e.P50, e.P90, e.P99, e.Max = percentiles(lat)
	r := &caseResult{Case: c.name, Store: c.store, Replicas: 1, E2E: e, FixedRate: &e.Intake, Sent: t.next.Load()}
	r.Figure, r.HasFigure = float64(e.P99)/1e6, len(lat) > 0
	r.PeakRSS = peakRSS(p.pid())
	return r, p.stop(15 * time.Second)
}

// startupCase times exec → /readyz 200 on an empty store.
func (h *harness) startupCase(ctx context.Context, c *caseDef) (*caseResult, error) {
	h.progress("%s: %d starts on an empty store", c.name, h.cfg.starts)
	s := &startupResult{}
	r := &caseResult{Case: c.name, Store: c.store, Startup: s}
	for range h.cfg.starts {
		at, err := h.freshStore(ctx, c.store, c.name)
		if err != nil {
			return nil, err
		}
		p, ready, err := h.startBot(ctx, botSpec{label: c.name, variant: variantMix, store: c.store, at: at})
		if err != nil {
			return nil, err
		}
		s.All = append(s.All, ready)
		r.PeakRSS = max(r.PeakRSS, peakRSS(p.pid()))
		if err := p.stop(15 * time.Second); err != nil {
			return nil, err
		}
	}
	if len(s.All) > 0 {
		sorted := slices.Clone(s.All)
		slices.Sort(sorted)
		s.Median = sorted[len(sorted)/2]
		r.Figure, r.HasFigure = float64(s.Median)/1e6, true
	}
	return r, nil
}

// caseNames lists the chosen cases' names.
func caseNames(cs []*caseDef) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.name)
	}
	return out
}
