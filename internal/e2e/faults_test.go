package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
)

// faultScript answers a fake's valid requests per target from a queue of
// answer makers (functions, so rate-limit headers are computed when the
// request arrives); unscripted requests get the normal success.
type faultScript struct {
	mu       sync.Mutex
	byTarget map[string][]func() platformfake.Response
}

func (s *faultScript) add(target string, answers ...func() platformfake.Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byTarget == nil {
		s.byTarget = map[string][]func() platformfake.Response{}
	}
	s.byTarget[target] = append(s.byTarget[target], answers...)
}

func (s *faultScript) hook(rec platformfake.Recorded) *platformfake.Response {
	s.mu.Lock()
	q := s.byTarget[rec.TargetID]
	if len(q) == 0 {
		s.mu.Unlock()
		return nil
	}
	s.byTarget[rec.TargetID] = q[1:]
	s.mu.Unlock()
	r := q[0]()
	return &r
}

func answer(r platformfake.Response) func() platformfake.Response {
	return func() platformfake.Response { return r }
}

// rateLimited is a 429 with Intercom's headers: nothing left until the
// window resets in two seconds.
func rateLimited() platformfake.Response {
	reset := time.Now().Add(2 * time.Second).Unix()
	return platformfake.Response{Status: http.StatusTooManyRequests, Header: http.Header{
		"X-Ratelimit-Limit": {"10"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {strconv.FormatInt(reset, 10)},
	}}
}

// faultPlatform is one platform entry of a fault-test rules file.
type faultPlatform struct {
	name, kind, url string
}

// faultRulesFile is a rules file with the two standard sources and the
// given platforms, tuned for fast retries: a 500 ms timeout per call.
func faultRulesFile(platforms []faultPlatform, rules string) string {
	var b strings.Builder
	b.WriteString(`settings:
  target_max_per_hour: 1000
  delivery:
    max_attempts: 10
    max_age: 10m
    backoff_initial: 50ms
    backoff_max: 200ms
    timeout: 500ms
    max_rate_limit_wait: 30s
sources:
  intercom:
    kind: intercom
    secret_env: INTERCOM_CLIENT_SECRET
  whmcs:
    kind: whmcs
    secret_env: WHMCS_WEBHOOK_SECRET
platforms:
`)
	for _, p := range platforms {
		switch p.kind {
		case "intercom":
			fmt.Fprintf(&b, "  %s:\n    kind: intercom\n    base_url: %s\n    token_env: INTERCOM_ACCESS_TOKEN\n    api_version: \"2.14\"\n    admin_id: %q\n", p.name, p.url, BotAdminID)
		case "whmcs":
			fmt.Fprintf(&b, "  %s:\n    kind: whmcs\n    base_url: %s\n    token_env: WHMCS_API_TOKEN\n    admin_id: \"7\"\n    admin_name: Support Bot\n", p.name, p.url)
		}
	}
	b.WriteString("rules:\n")
	b.WriteString(rules)
	return b.String()
}

// faultCase is one way a platform misbehaves and what must come of it.
type faultCase struct {
	name     string
	platform string // platform name in the rules file
	script   []func() platformfake.Response
	// outcome is the final history outcome: sent or dead_lettered (with reason).
	outcome, reason string
	// requests is how many valid requests the fake gets for the target in
	// all; accepted how many it answered 2xx.
	requests, accepted int
}

// TestPlatformFaults runs every platform fault against one bot, each on its
// own conversation or ticket: the platform recovers and the reply arrives
// exactly once, or the fault is permanent (a 4xx, an unreadable 2xx) and
// the reply is dead-lettered after one request, never retried.
func TestPlatformFaults(t *testing.T) {
	var icScript, whScript faultScript
	ic := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID, Hook: icScript.hook})
	wh := whmcsfake.New(whmcsfake.Options{Token: WHMCSToken, Hook: whScript.hook})
	defer ic.Close()
	defer wh.Close()
	down := freeAddr(t) // nothing listens here until the test says so

	fail := func(status int) func() platformfake.Response { return answer(platformfake.Response{Status: status}) }
	garbage := func(body, contentType string) func() platformfake.Response {
		return answer(platformfake.Response{Body: body, Header: http.Header{"Content-Type": {contentType}}})
	}
	html := "<html><head><title>Maintenance</title></head><body><h1>We'll be right back</h1></body></html>"
	cases := []faultCase{
		{name: "500 then success", platform: "intercom", script: []func() platformfake.Response{fail(500)}, outcome: "sent", requests: 2, accepted: 1},
		{name: "502 then success", platform: "intercom", script: []func() platformfake.Response{fail(502)}, outcome: "sent", requests: 2, accepted: 1},
		{name: "503 three times then success", platform: "intercom", script: []func() platformfake.Response{fail(503), fail(503), fail(503)}, outcome: "sent", requests: 4, accepted: 1},
		{name: "WHMCS 503 then success", platform: "whmcs", script: []func() platformfake.Response{fail(503)}, outcome: "sent", requests: 2, accepted: 1},
		{name: "slower than the timeout, then success", platform: "intercom",
			script:  []func() platformfake.Response{answer(platformfake.Response{Status: 504, Delay: 3 * time.Second})},
			outcome: "sent", requests: 2, accepted: 1},
		{name: "connection dropped without an answer, then success", platform: "intercom",
			script:  []func() platformfake.Response{answer(platformfake.Response{Drop: true})},
			outcome: "sent", requests: 2, accepted: 1},
		{name: "connection refused until the platform comes up", platform: "ic-down", outcome: "sent", requests: 1, accepted: 1},
		{name: "429 with rate-limit headers, then success", platform: "ic-429-headers", script: []func() platformfake.Response{rateLimited}, outcome: "sent", requests: 2, accepted: 1},
		{name: "429 without headers, then success", platform: "ic-429-bare", script: []func() platformfake.Response{fail(429)}, outcome: "sent", requests: 2, accepted: 1},
		{name: "200 with garbage", platform: "intercom", script: []func() platformfake.Response{garbage("ok thanks bye", "text/plain")}, outcome: "dead_lettered", reason: "invalid_response", requests: 1, accepted: 1},
		{name: "200 with an HTML page", platform: "intercom", script: []func() platformfake.Response{garbage(html, "text/html")}, outcome: "dead_lettered", reason: "invalid_response", requests: 1, accepted: 1},
		{name: "200 with an empty body", platform: "intercom", script: []func() platformfake.Response{answer(platformfake.Response{Empty: true})}, outcome: "dead_lettered", reason: "invalid_response", requests: 1, accepted: 1},
		{name: "200 with JSON of another object", platform: "intercom", script: []func() platformfake.Response{garbage(`{"type":"admin","id":"1"}`, "application/json")}, outcome: "dead_lettered", reason: "invalid_response", requests: 1, accepted: 1},
		{name: "WHMCS 200 with garbage", platform: "whmcs", script: []func() platformfake.Response{garbage("Array ( [result] => success )", "text/html")}, outcome: "dead_lettered", reason: "invalid_response", requests: 1, accepted: 1},
		{name: "WHMCS 200 with an HTML page", platform: "whmcs", script: []func() platformfake.Response{garbage(html, "text/html")}, outcome: "dead_lettered", reason: "invalid_response", requests: 1, accepted: 1},
		{name: "400 (permanent)", platform: "intercom", script: []func() platformfake.Response{fail(400)}, outcome: "dead_lettered", reason: "client_error", requests: 1},
		{name: "WHMCS error reported with 200", platform: "whmcs", script: []func() platformfake.Response{answer(whmcsfake.Error(200, "Ticket ID Not Found"))}, outcome: "dead_lettered", reason: "client_error", requests: 1, accepted: 1},
	}

	platforms := []faultPlatform{
		{"intercom", "intercom", ic.URL()}, {"whmcs", "whmcs", wh.URL()}, {"ic-down", "intercom", "http://" + down},
		{"ic-429-headers", "intercom", ic.URL()}, {"ic-429-bare", "intercom", ic.URL()},
	}
	var rules strings.Builder
	targets := make([]string, len(cases))
	events := make([][]byte, len(cases))
	for i, c := range cases {
		source, as := "intercom", "note"
		if c.platform == "whmcs" {
			source, as = "whmcs", "comment"
			targets[i] = strconv.Itoa(96000 + i)
			events[i] = hostileWHMCSEvent(fmt.Sprintf("TicketOpen-fault-%d", i), 96000+i)
			whScript.add(targets[i], c.script...)
		} else {
			targets[i] = fmt.Sprintf("96%08d", i)
			events[i] = hostileIntercomEvent(fmt.Sprintf("notif_fault-%d", i), targets[i])
			icScript.add(targets[i], c.script...)
		}
		fmt.Fprintf(&rules, "  - name: fault-%d\n    source: %s\n    when: target.id == %q\n    reply:\n      as: %s\n      platform: %s\n      body: \"Case %d\"\n",
			i, source, targets[i], as, c.platform, i)
	}
	bot := Start(t, Config{Rules: faultRulesFile(platforms, rules.String())})
	hostileLogsOnFailure(t, bot)

	start := time.Now()
	for i, c := range cases {
		kind := "intercom"
		if c.platform == "whmcs" {
			kind = "whmcs"
		}
		if code, body := bot.Post(kind, kind, events[i]); code != http.StatusOK || !strings.Contains(body, `"actions":1`) {
			t.Fatalf("%s: POST = %d %s", c.name, code, body)
		}
	}
	// The unreachable platform comes up once the bot has been refused twice.
	WaitFor(t, 20*time.Second, "two refused connections", func() bool {
		return bot.Metric(`autoresponder_reply_failures_total{platform="ic-down",reason="network"}`) >= 2
	})
	startProxy(t, down, ic.URL())

	eventID := func(i int) string {
		if cases[i].platform == "whmcs" {
			return fmt.Sprintf("TicketOpen-fault-%d", i)
		}
		return fmt.Sprintf("notif_fault-%d", i)
	}
	WaitFor(t, 60*time.Second, "every case's final outcome", func() bool {
		return len(history(t, bot, "limit=1000")) >= len(cases)
	})
	took := time.Since(start)
	hostileWaitIdle(t, bot)
	time.Sleep(300 * time.Millisecond) // a stray retry would show up by now

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var recs []platformfake.Recorded
			for _, r := range append(ic.Requests(), wh.Requests()...) {
				if r.TargetID == targets[i] {
					recs = append(recs, r)
				}
			}
			accepted := 0
			for _, r := range recs {
				if r.Status >= 200 && r.Status < 300 {
					accepted++
				}
			}
			if len(recs) != c.requests || accepted != c.accepted {
				t.Errorf("the platform got %d requests, answered %d of them 2xx; want %d and %d", len(recs), accepted, c.requests, c.accepted)
			}
			h := history(t, bot, "event_id="+eventID(i))
			if len(h) != 1 || h[0].Outcome != c.outcome || h[0].Reason != c.reason {
				t.Fatalf("history = %+v; want one %s (%s)", h, c.outcome, c.reason)
			}
			dl := 0
			for _, d := range deadLetters(t, bot, "limit=1000") {
				if d.EventID == eventID(i) {
					dl++
					if d.Reason != c.reason || d.Attempts != 1 {
						t.Errorf("dead letter %s after %d attempts; want %s after 1", d.Reason, d.Attempts, c.reason)
					}
				}
			}
			if want := map[string]int{"sent": 0, "dead_lettered": 1}[c.outcome]; dl != want {
				t.Errorf("%d dead letters; want %d", dl, want)
			}
			t.Logf("%s after %d attempts", h[0].Outcome, h[0].Attempts)
		})
	}
	t.Logf("%d faults resolved in %s", len(cases), took.Round(100*time.Millisecond))
	ic.AssertNoViolations(t)
	wh.AssertNoViolations(t)
}

// TestSlowPlatformDoesNotBlockOthers: a platform that holds its connections
// (here until the test lets go) ties up only the workers delivering to it;
// with workers to spare, replies to another platform keep flowing.
func TestSlowPlatformDoesNotBlockOthers(t *testing.T) {
	const workers, slow, fast = 4, 3, 10
	release := make(chan struct{})
	arrived := make(chan struct{}, 100)
	slowFake := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID,
		Hook: func(platformfake.Recorded) *platformfake.Response {
			arrived <- struct{}{}
			<-release
			return nil
		}})
	fastFake := whmcsfake.New(whmcsfake.Options{Token: WHMCSToken})
	defer fastFake.Close()
	defer slowFake.Close()
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce() // before the fakes close: Close waits for held requests

	rules := `  - name: slow
    source: intercom
    when: topic == "conversation.user.created"
    reply: {as: note, body: slow}
  - name: fast
    source: whmcs
    when: topic == "TicketOpen"
    reply: {as: comment, body: fast}
`
	bot := Start(t, Config{
		Rules: strings.Replace(faultRulesFile([]faultPlatform{{"intercom", "intercom", slowFake.URL()}, {"whmcs", "whmcs", fastFake.URL()}}, rules),
			"timeout: 500ms", "timeout: 60s", 1),
		Args: []string{"--workers", strconv.Itoa(workers)},
	})
	hostileLogsOnFailure(t, bot)

	for i := range slow {
		if code, body := bot.Post("intercom", "intercom", hostileIntercomEvent(fmt.Sprintf("notif_slow-%d", i), fmt.Sprintf("97%08d", i))); code != http.StatusOK {
			t.Fatalf("POST = %d %s", code, body)
		}
	}
	for range slow {
		select {
		case <-arrived: // this delivery now holds a worker and a connection
		case <-time.After(30 * time.Second):
			t.Fatal("the slow deliveries did not reach the platform")
		}
	}
	start := time.Now()
	for i := range fast {
		if code, body := bot.Post("whmcs", "whmcs", hostileWHMCSEvent(fmt.Sprintf("TicketOpen-fast-%d", i), 97000+i)); code != http.StatusOK {
			t.Fatalf("POST = %d %s", code, body)
		}
	}
	WaitFor(t, 30*time.Second, "the fast platform's replies while the slow one holds", func() bool {
		return fastFake.Stats().Accepted == fast
	})
	t.Logf("%d replies to the fast platform in %s while %d of %d workers were held by the slow one",
		fast, time.Since(start).Round(time.Millisecond), slow, workers)
	if n := slowFake.Stats().Requests; n != 0 {
		t.Errorf("the slow platform answered %d requests while held", n)
	}
	releaseOnce()
	WaitFor(t, 30*time.Second, "the slow platform's replies after release", func() bool {
		return slowFake.Stats().Accepted == slow
	})
	hostileWaitIdle(t, bot)
	for i := range slow {
		if h := history(t, bot, fmt.Sprintf("event_id=notif_slow-%d", i)); len(h) != 1 || h[0].Outcome != "sent" {
			t.Errorf("slow %d: history %+v; want one sent", i, h)
		}
	}
	if st := slowFake.Stats(); st.Requests != slow {
		t.Errorf("the slow platform got %d requests; want %d (no retries, no duplicates)", st.Requests, slow)
	}
	slowFake.AssertNoViolations(t)
	fastFake.AssertNoViolations(t)
}

// hostileTmpfs mounts a tmpfs of size bytes at dir, or skips the test when
// mounting is not permitted here; it is unmounted when the test ends.
func hostileTmpfs(t *testing.T, dir string, size int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		skipUnlessCI(t, "cannot mount a size-limited tmpfs for the data directory (needs root or CAP_SYS_ADMIN): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// fillDisk writes to path until the file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			t.Fatal(err)
		}
	}
	for _, n := range []int{4096, 512, 1} { // the last scraps
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
}

// TestDiskFull: the data directory's file system fills up while events
// arrive. Events that need storing are refused with 503 (the platform
// retries them), never answered 200 and lost; /readyz says 503; once space
// is back the bot carries on without a restart, and every event it
// acknowledged is replied to exactly once.
func TestDiskFull(t *testing.T) {
	dir := t.TempDir()
	hostileTmpfs(t, filepath.Join(dir, "data"), 32<<20)
	// The first deliveries are held at the platform until the disk is full:
	// their replies get posted, and then the bot cannot record that.
	release, arrived := make(chan struct{}), make(chan struct{}, 100)
	ic := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID,
		Hook: func(rec platformfake.Recorded) *platformfake.Response {
			if strings.HasPrefix(rec.TargetID, "99") {
				arrived <- struct{}{}
				<-release
			}
			return nil
		}})
	defer ic.Close()
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()
	// The held requests must still be waiting when they are released:
	// filling the disk takes longer than the usual 5 s platform timeout on
	// a loaded machine, and a timed-out request is a different case (the
	// bot cannot know whether it was posted).
	settings := "  target_max_per_hour: 1000\n  delivery:\n    backoff_initial: 50ms\n    backoff_max: 200ms\n    timeout: 50s\n"
	bot := Start(t, Config{Dir: dir, Rules: RulesFile(ic.URL(), "", settings, hostileRules)})
	hostileLogsOnFailure(t, bot)

	acked := map[string]string{} // event id -> conversation
	refused := map[string]string{}
	post := func(i int) int {
		id, conv := fmt.Sprintf("notif_disk-%d", i), fmt.Sprintf("98%08d", i)
		code, body := bot.Post("intercom", "intercom", hostileIntercomEvent(id, conv))
		switch code {
		case http.StatusOK:
			acked[id] = conv
			delete(refused, id)
		case http.StatusServiceUnavailable:
			refused[id] = conv
		default:
			t.Fatalf("POST %s = %d %s; want 200 or 503", id, code, body)
		}
		return code
	}
	const held = 3
	for i := range held {
		id, conv := fmt.Sprintf("notif_disk-held-%d", i), fmt.Sprintf("99%08d", i)
		if code, body := bot.Post("intercom", "intercom", hostileIntercomEvent(id, conv)); code != http.StatusOK {
			t.Fatalf("POST %s = %d %s", id, code, body)
		}
		acked[id] = conv
	}
	for range held {
		<-arrived
	}
	for i := range 5 {
		post(i)
	}
	readyz := func() int {
		resp, err := http.Get(bot.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	fillDisk(t, filepath.Join(dir, "data", "filler"))
	n, first503 := 5, -1
	for ; n < 500 && (first503 < 0 || n < first503+20); n++ {
		if post(n) == http.StatusServiceUnavailable && first503 < 0 {
			first503 = n
		}
	}
	if first503 < 0 {
		t.Fatalf("%d events accepted on a full disk, none refused", n-5)
	}
	var notReady bool
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !notReady; time.Sleep(200 * time.Millisecond) {
		notReady = readyz() == http.StatusServiceUnavailable
	}
	if !notReady {
		t.Error("/readyz stayed 200 on a full disk")
	}
	// An event no rule wants needs no storing: still acknowledged.
	if code, body := bot.Post("intercom", "intercom", hostileUnknownTopic("notif_disk-unknown", 10)); code != http.StatusOK {
		t.Errorf("an event with nothing to store, on a full disk = %d %s; want 200", code, body)
	}
	// The held replies are posted now; the bot cannot write that down.
	releaseOnce()
	WaitFor(t, 10*time.Second, "the held replies", func() bool { return ic.Stats().Accepted >= held })
	time.Sleep(3 * time.Second) // the bot retries recording the outcome for a while
	t.Logf("disk full: %d events acknowledged before the first 503 (event %d), %d refused",
		first503-5, first503, len(refused))

	if err := os.Remove(filepath.Join(dir, "data", "filler")); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 30*time.Second, "/readyz 200 with space back", func() bool { return readyz() == http.StatusOK })
	// The platform retries what was refused; new events keep coming.
	for id, conv := range refused {
		if code, body := bot.Post("intercom", "intercom", hostileIntercomEvent(id, conv)); code != http.StatusOK {
			t.Fatalf("retry of %s = %d %s", id, code, body)
		}
		acked[id] = conv
		delete(refused, id)
	}
	for i := n; i < n+5; i++ {
		if post(i) != http.StatusOK {
			t.Fatalf("event %d refused with space back", i)
		}
	}
	WaitFor(t, 60*time.Second, "a reply for every acknowledged event", func() bool {
		return ic.Stats().Accepted >= len(acked)
	})
	hostileWaitIdle(t, bot)
	time.Sleep(300 * time.Millisecond)
	got := map[string]int{}
	for _, r := range ic.Requests() {
		if r.Status == http.StatusOK {
			got[r.TargetID]++
		}
	}
	for id, conv := range acked {
		if got[conv] != 1 {
			t.Errorf("%s (conversation %s) got %d replies; want exactly 1", id, conv, got[conv])
		}
	}
	if len(got) != len(acked) {
		t.Errorf("%d conversations got replies; %d events were acknowledged", len(got), len(acked))
	}
	ic.AssertNoViolations(t)
}

// privatePostgres is a PostgreSQL server of the test's own, so it can be
// restarted without disturbing the shared one other tests use.
type privatePostgres struct {
	t                *testing.T
	bin, data, sock  string
	port             int
	logFile, rootDir string
}

// startPrivatePostgres initializes and starts a server in a temp directory
// on a free port, as the postgres user (PostgreSQL refuses to run as root),
// or skips the test when that is not possible here.
func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	initdbs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(initdbs) == 0 {
		t.Skip("no /usr/lib/postgresql/*/bin/initdb: cannot run a private PostgreSQL")
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		t.Skip("no runuser: cannot start PostgreSQL as the postgres user")
	}
	if _, err := user.Lookup("postgres"); err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and a postgres user to run a private PostgreSQL")
	}
	// Not t.TempDir: its parents are 0700, and the server runs as postgres.
	root, err := os.MkdirTemp("", "bot-e2e-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &privatePostgres{t: t, bin: filepath.Dir(initdbs[len(initdbs)-1]), data: filepath.Join(root, "data"),
		sock: filepath.Join(root, "sock"), logFile: filepath.Join(root, "server.log"), rootDir: root}
	for _, d := range []string{p.data, p.sock} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("chown", "-R", "postgres:postgres", root).CombinedOutput(); err != nil {
		t.Skipf("chown for the postgres user: %v: %s", err, out)
	}
	if out, err := p.run("initdb", "-D", p.data, "-A", "trust", "-U", "postgres", "--no-sync"); err != nil {
		t.Skipf("initdb: %v: %s", err, out)
	}
	_, portStr, _ := net.SplitHostPort(freeAddr(t))
	p.port, _ = strconv.Atoi(portStr)
	if out, err := p.ctl("start"); err != nil {
		t.Skipf("pg_ctl start: %v: %s", err, out)
	}
	t.Cleanup(func() { _, _ = p.run("pg_ctl", "-D", p.data, "-m", "immediate", "-w", "stop") })
	return p
}

func (p *privatePostgres) run(tool string, args ...string) ([]byte, error) {
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(p.bin, tool)}, args...)...)
	cmd.Dir = p.rootDir
	return cmd.CombinedOutput()
}

// ctl runs pg_ctl start or restart with the test's port and socket.
func (p *privatePostgres) ctl(action string, args ...string) ([]byte, error) {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", p.port, p.sock)
	return p.run("pg_ctl", append([]string{"-D", p.data, "-l", p.logFile, "-o", opts, "-w", action}, args...)...)
}

func (p *privatePostgres) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// TestPostgresRestartUnderLoad restarts the bot's PostgreSQL (a private
// server) while events keep arriving: every event answered 2xx is replied
// to exactly once, events that arrive while the database is down get 503
// (and are delivered when the platform retries them), and the bot recovers
// without a restart of its own.
func TestPostgresRestartUnderLoad(t *testing.T) {
	pg := startPrivatePostgres(t)
	ic := intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID})
	defer ic.Close()
	bot := Start(t, Config{DatabaseURL: pg.url(), Rules: RulesFile(ic.URL(), "", "", hostileRules)})
	hostileLogsOnFailure(t, bot)

	var mu sync.Mutex
	statuses := map[string]int{} // event id -> last answer (0: no answer)
	conv := func(id string) string { return "95" + strings.TrimPrefix(id, "notif_pg-") }
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // the platform's webhooks, one every 20 ms
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			id := fmt.Sprintf("notif_pg-%08d", i)
			code, _ := bot.Post("intercom", "intercom", hostileIntercomEvent(id, conv(id)))
			mu.Lock()
			statuses[id] = code
			mu.Unlock()
		}
	}()
	time.Sleep(time.Second)
	restartStart := time.Now()
	if out, err := pg.ctl("restart", "-m", "fast"); err != nil {
		t.Fatalf("pg_ctl restart: %v: %s", err, out)
	}
	restartTook := time.Since(restartStart)
	time.Sleep(3 * time.Second) // load continues after the restart
	close(stop)
	<-done

	WaitFor(t, 30*time.Second, "/readyz 200 after the restart", func() bool {
		resp, err := http.Get(bot.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	count := map[int]int{}
	var refused []string
	for id, code := range statuses {
		count[code]++
		if code != http.StatusOK {
			refused = append(refused, id)
		}
		if code != http.StatusOK && code != http.StatusServiceUnavailable {
			t.Errorf("%s was answered %d; want 200, or 503 while the database is down", id, code)
		}
	}
	t.Logf("restart took %s; %d events: %d answered 200, %d answered 503", restartTook.Round(10*time.Millisecond),
		len(statuses), count[http.StatusOK], count[http.StatusServiceUnavailable])
	// The platform retries what was refused, and new events still work.
	for _, id := range refused {
		if code, body := bot.Post("intercom", "intercom", hostileIntercomEvent(id, conv(id))); code != http.StatusOK {
			t.Fatalf("retry of %s after the restart = %d %s", id, code, body)
		}
		statuses[id] = http.StatusOK
	}
	for i := range 3 {
		id := fmt.Sprintf("notif_pg-after-%d", i)
		if code, body := bot.Post("intercom", "intercom", hostileIntercomEvent(id, "95999999"+strconv.Itoa(i))); code != http.StatusOK {
			t.Fatalf("new event after the restart = %d %s", code, body)
		}
	}
	want := len(statuses) + 3
	WaitFor(t, 60*time.Second, "a reply to every acknowledged event", func() bool { return ic.Stats().Accepted >= want })
	hostileWaitIdle(t, bot)
	time.Sleep(500 * time.Millisecond)
	got := map[string]int{}
	for _, r := range ic.Requests() {
		if r.Status == http.StatusOK {
			got[r.TargetID]++
		}
	}
	for id := range statuses {
		if n := got[conv(id)]; n != 1 {
			t.Errorf("%s got %d replies; want exactly 1", id, n)
		}
	}
	if len(got) != want {
		t.Errorf("%d conversations got replies; want %d", len(got), want)
	}
	ic.AssertNoViolations(t)
}
