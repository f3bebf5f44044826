package main

import (
	"context"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// target is a webhook endpoint the drivers post the pool's deliveries to.
// Every process gets its own target, so its event numbers start at 0 and
// never repeat until the pool wraps.
type target struct {
	// urls are the webhook endpoints (http://host:port/webhooks/<source>),
	// one per replica: connection k of a closed loop and event i of an
	// open loop go to urls[k or i % len(urls)]. All replicas share one
	// event counter, so no two of them see the same id.
	urls []string
	pool *pool
	next atomic.Int64
	// answered, when set, is called for every 2xx answer with the event
	// number (reply bookkeeping). It must be safe for concurrent use.
	answered func(i int64)
}

func newTarget(source string, p *pool, baseURLs ...string) *target {
	t := &target{pool: p}
	for _, u := range baseURLs {
		t.urls = append(t.urls, u+"/webhooks/"+source)
	}
	return t
}

// newClient is a keep-alive client for conns concurrent requests: every
// connection is kept for reuse, so steady-state runs open none.
func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// bodyReader streams a template around an id without copying the template.
type bodyReader struct {
	parts [3][]byte
}

func (r *bodyReader) Read(p []byte) (int, error) {
	for i := range r.parts {
		if len(r.parts[i]) == 0 {
			continue
		}
		n := copy(p, r.parts[i])
		r.parts[i] = r.parts[i][n:]
		return n, nil
	}
	return 0, io.EOF
}

// send posts event i to urls[k % len(urls)] and reads the whole answer
// (so the connection is reused). It returns the status, or an error when
// there was no answer.
func (t *target) send(c *http.Client, k, i int64) (int, error) {
	tp := t.pool.template(i)
	id := t.pool.appendID(make([]byte, 0, idLen), i)
	parts := [3][]byte{tp.prefix, id, tp.suffix}
	req, err := http.NewRequest(http.MethodPost, t.urls[k%int64(len(t.urls))], &bodyReader{parts: parts})
	if err != nil {
		return 0, err
	}
	req.ContentLength = int64(tp.size())
	// Lets the transport resend on a kept-alive connection the server had
	// just closed.
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(&bodyReader{parts: parts}), nil }
	req.Header = http.Header{
		"Content-Type": {"application/json"},
		"User-Agent":   {"loadgen"},
	}
	t.pool.setHeaders(req.Header, i)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode/100 == 2 && t.answered != nil {
		t.answered(i)
	}
	return resp.StatusCode, nil
}

// failures counts non-2xx answers and errors, keeping the first reason.
type failures struct {
	mu    sync.Mutex
	n     int64
	first string
}

func (f *failures) add(status int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.first == "" {
		if err != nil {
			f.first = err.Error()
		} else {
			f.first = "HTTP " + http.StatusText(status)
		}
	}
}

func (f *failures) count() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// closedResult is a saturation run: conns connections, each sending the
// next delivery as soon as the previous one is answered.
type closedResult struct {
	Conns      int           `json:"conns"`
	Duration   time.Duration `json:"duration_ns"`
	OK         int64         `json:"ok"`     // 2xx answers completed inside the window
	Failed     int64         `json:"failed"` // other answers and errors inside the window
	Throughput float64       `json:"throughput_rps"`
	MeanMs     float64       `json:"mean_latency_ms"` // of the 2xx answers inside the window
	FirstError string        `json:"first_error,omitempty"`
	CPU        cpuUse        `json:"cpu"`
}

// closedLoop warms up, then counts what completes within dur. Requests in
// flight at the end are finished but not counted.
func closedLoop(ctx context.Context, t *target, conns int, warmup, dur time.Duration) closedResult {
	c := newClient(conns)
	defer c.CloseIdleConnections()
	start := time.Now()
	from, to := start.Add(warmup), start.Add(warmup+dur)
	var ok atomic.Int64
	var busy atomic.Int64 // summed latency of counted answers, ns
	var fails failures
	var wg sync.WaitGroup
	for k := range int64(conns) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				sent := time.Now()
				if !sent.Before(to) {
					return
				}
				status, err := t.send(c, k, t.next.Add(1)-1)
				done := time.Now()
				if done.Before(from) || !done.Before(to) {
					continue
				}
				if err == nil && status/100 == 2 {
					ok.Add(1)
					busy.Add(int64(done.Sub(sent)))
				} else {
					fails.add(status, err)
				}
			}
		}()
	}
	wg.Wait()
	r := closedResult{Conns: conns, Duration: dur, OK: ok.Load(), Failed: fails.n, FirstError: fails.first}
	r.Throughput = float64(r.OK) / dur.Seconds()
	if r.OK > 0 {
		r.MeanMs = float64(busy.Load()) / float64(r.OK) / 1e6
	}
	return r
}

// sendN sends events until n have been answered 2xx, on conns connections
// as fast as they are answered (a closed loop without a clock). It returns
// the 2xx count and the failures.
func sendN(ctx context.Context, t *target, conns int, n int64) (int64, *failures) {
	c := newClient(conns)
	defer c.CloseIdleConnections()
	var ok atomic.Int64
	fails := &failures{}
	var wg sync.WaitGroup
	for k := range int64(conns) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && ok.Load() < n && fails.count() < n {
				status, err := t.send(c, k, t.next.Add(1)-1)
				if err == nil && status/100 == 2 {
					ok.Add(1)
				} else {
					fails.add(status, err)
				}
			}
		}()
	}
	wg.Wait()
	return ok.Load(), fails
}

// maxInFlight bounds the open-loop driver's concurrent requests. When the
// server falls this far behind, sends start late, and the lateness counts
// in the latency (it is measured from the intended send time).
const maxInFlight = 512

// openResult is a fixed-rate run.
type openResult struct {
	Rate       float64       `json:"rate_rps"`
	Duration   time.Duration `json:"duration_ns"`
	Sent       int64         `json:"sent"`
	OK         int64         `json:"ok"`
	Failed     int64         `json:"failed"`
	Achieved   float64       `json:"achieved_rps"` // 2xx answers per second, first send to last answer
	Late       int64         `json:"late"`         // sends that started more than 1 ms after their slot
	P50        time.Duration `json:"p50_ns"`
	P90        time.Duration `json:"p90_ns"`
	P99        time.Duration `json:"p99_ns"`
	Max        time.Duration `json:"max_ns"`
	FirstError string        `json:"first_error,omitempty"`
	CPU        cpuUse        `json:"cpu"`
}

// openLoop sends rate deliveries per second for dur on a fixed schedule.
// Each latency runs from the delivery's intended send time to its answer,
// so a stalled server is charged for the requests it kept waiting too
// (no coordinated omission). observe, when set, sees every send's event
// number, intended time and status.
func openLoop(ctx context.Context, t *target, rate float64, dur time.Duration, observe func(i int64, at time.Time, status int)) openResult {
	total := int64(rate * dur.Seconds())
	workers := int(min(total, maxInFlight))
	c := newClient(workers)
	defer c.CloseIdleConnections()
	interval := time.Duration(float64(time.Second) / rate)
	lat := make([]time.Duration, total) // -1: failed
	var seq, late atomic.Int64
	var lastDone atomic.Int64
	var fails failures
	start := time.Now().Add(20 * time.Millisecond)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				k := seq.Add(1) - 1
				if k >= total {
					return
				}
				at := start.Add(time.Duration(k) * interval)
				if d := time.Until(at); d > 0 {
					time.Sleep(d)
				} else if d < -time.Millisecond {
					late.Add(1)
				}
				i := t.next.Add(1) - 1
				status, err := t.send(c, i, i)
				done := time.Now()
				storeMax(&lastDone, done.UnixNano())
				if observe != nil {
					observe(i, at, status)
				}
				if err == nil && status/100 == 2 {
					lat[k] = done.Sub(at)
				} else {
					lat[k] = -1
					fails.add(status, err)
				}
			}
		}()
	}
	wg.Wait()
	r := openResult{Rate: rate, Duration: dur, Sent: min(seq.Load(), total), Failed: fails.n, Late: late.Load(), FirstError: fails.first}
	okLat := make([]time.Duration, 0, len(lat))
	for _, l := range lat[:r.Sent] {
		if l >= 0 {
			okLat = append(okLat, l)
		}
	}
	r.OK = int64(len(okLat))
	if span := time.Unix(0, lastDone.Load()).Sub(start); r.OK > 0 && span > 0 {
		r.Achieved = float64(r.OK) / span.Seconds()
	}
	r.P50, r.P90, r.P99, r.Max = percentiles(okLat)
	return r
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// percentiles returns p50, p90, p99 and the maximum (nearest rank).
func percentiles(d []time.Duration) (p50, p90, p99, maxD time.Duration) {
	if len(d) == 0 {
		return
	}
	s := slices.Clone(d)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return rank(0.50), rank(0.90), rank(0.99), s[len(s)-1]
}
