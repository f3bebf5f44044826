package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// Secrets of the in-process test bots; they come from the Env func, never
// from the process environment.
var testEnv = map[string]string{
	"INTERCOM_CLIENT_SECRET": "test-intercom-client-secret",
	"INTERCOM_ACCESS_TOKEN":  "test-intercom-access-token",
}

// rulesWith returns a rules file with one Intercom source and platform (at
// baseURL; with --dry-run nothing is sent there) and the given rules
// section.
func rulesWith(baseURL, rules string) string {
	return `settings:
  target_max_per_hour: 1000
  delivery: {backoff_initial: 50ms, backoff_max: 200ms, timeout: 5s}
sources:
  intercom: {kind: intercom, secret_env: INTERCOM_CLIENT_SECRET}
platforms:
  intercom:
    kind: intercom
    base_url: ` + baseURL + `
    token_env: INTERCOM_ACCESS_TOKEN
    api_version: "2.14"
    admin_id: "814860"
rules:
` + rules
}

// noteRule is a rule that notes every new conversation with body.
func noteRule(name, body string) string {
	return fmt.Sprintf("  - name: %s\n    when: topic == \"conversation.user.created\"\n    reply: {as: note, body: %q}\n", name, body)
}

// testBot is an App running in this process on a loopback port.
type testBot struct {
	t         *testing.T
	app       *App
	url       string
	rulesPath string
	logs      *syncBuffer // the JSON log
	out       *syncBuffer // what the dry-run platforms print
	reload    chan struct{}
}

// startBot writes rules into a temp dir and runs an App on it, in dry-run
// unless tweak says otherwise. It stops when the test ends.
func startBot(t *testing.T, rules string, tweak func(*Options)) *testBot {
	t.Helper()
	dir := t.TempDir()
	b := &testBot{t: t, rulesPath: filepath.Join(dir, "rules.yaml"), logs: &syncBuffer{}, out: &syncBuffer{}, reload: make(chan struct{}, 1)}
	b.writeRules(rules)
	opts := DefaultOptions()
	opts.Platforms = testPlatforms
	opts.RulesPath, opts.Listen, opts.DataDir = b.rulesPath, "127.0.0.1:0", filepath.Join(dir, "data")
	opts.DryRun, opts.Workers, opts.WatchInterval, opts.ShutdownGrace, opts.LogLevel = true, 4, 0, 10*time.Second, "debug"
	if tweak != nil {
		tweak(&opts)
	}
	log := slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, opts, func(name string) string { return testEnv[name] }, log, b.out)
	if err != nil {
		cancel()
		t.Fatalf("New: %v", err)
	}
	b.app = a
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, b.reload) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the bot did not stop within 30s")
		}
	})
	listen := regexp.MustCompile(`"msg":"serving","listen":"([^"]+)"`)
	b.waitFor(20*time.Second, "the bot to serve", func() bool {
		m := listen.FindStringSubmatch(b.logs.String())
		if m != nil {
			b.url = "http://" + m[1]
		}
		return m != nil
	})
	return b
}

// writeRules replaces the rules file atomically (as editors and config
// management do), so a watcher never reads half a file.
func (b *testBot) writeRules(content string) {
	b.t.Helper()
	tmp := b.rulesPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		b.t.Fatal(err)
	}
	if err := os.Rename(tmp, b.rulesPath); err != nil {
		b.t.Fatal(err)
	}
}

func (b *testBot) waitFor(timeout time.Duration, what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.t.Fatalf("timed out after %s waiting for %s\nlog:\n%s", timeout, what, b.logs.String())
}

// postReload calls POST /-/reload and decodes the answer.
func (b *testBot) postReload() (int, map[string]any) {
	b.t.Helper()
	resp, err := http.Post(b.url+"/-/reload", "", nil)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		b.t.Fatalf("decode /-/reload answer: %v", err)
	}
	return resp.StatusCode, body
}

// newConversation posts a signed conversation.user.created delivery for
// conversation conv and returns the webhook's answer.
func (b *testBot) newConversation(id, conv string) (int, string) {
	b.t.Helper()
	body := fmt.Appendf(nil, `{"type": "notification_event", "id": %q, "topic": "conversation.user.created", "created_at": %d,
 "data": {"type": "notification_event_data", "item": {"type": "conversation", "id": %q,
   "source": {"id": "m-%s", "body": "<p>Hello</p>", "author": {"type": "user", "id": "u1", "name": "Ada"}}}}}`,
		id, time.Now().Unix(), conv, conv)
	req, err := http.NewRequest(http.MethodPost, b.url+"/webhooks/intercom", bytes.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range signHeaders("intercom", testEnv["INTERCOM_CLIENT_SECRET"], body) {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// metric returns the value of one series from /metrics, -1 when absent.
func (b *testBot) metric(series string) float64 {
	b.t.Helper()
	resp, err := http.Get(b.url + "/metrics")
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// logLines returns the log records with the given message.
func (b *testBot) logLines(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(b.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// sent reports whether the dry-run platform printed a reply with body.
func (b *testBot) sent(conv, body string) bool {
	for _, line := range strings.Split(b.out.String(), "\n") {
		var rec struct {
			Body   string `json:"body"`
			Target struct {
				ID string `json:"id"`
			} `json:"target"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Target.ID == conv && rec.Body == body {
			return true
		}
	}
	return false
}

func TestReloadGoodChange(t *testing.T) {
	b := startBot(t, rulesWith("https://api.intercom.io", noteRule("greet", "hello v1")+noteRule("legacy", "old rule")), nil)
	hash := b.metric("autoresponder_config_hash")
	if hash <= 0 || b.metric("autoresponder_config_last_reload_successful") != 1 {
		t.Fatalf("after start: config_hash %v, last_reload_successful %v", hash, b.metric("autoresponder_config_last_reload_successful"))
	}

	b.writeRules(rulesWith("https://api.intercom.io", noteRule("greet", "hello v2")+noteRule("welcome", "new rule")))
	status, body := b.postReload()
	if status != http.StatusOK || body["status"] != "reloaded" || body["rules"] != 2.0 {
		t.Fatalf("POST /-/reload = %d %v", status, body)
	}
	if got := b.metric("autoresponder_config_last_reload_successful"); got != 1 {
		t.Errorf("last_reload_successful = %v, want 1", got)
	}
	if got := b.metric("autoresponder_config_hash"); got == hash || got <= 0 {
		t.Errorf("config_hash = %v after a change (was %v), want a new value", got, hash)
	}
	if got := b.metric(`autoresponder_config_reloads_total{result="success"}`); got != 1 {
		t.Errorf(`reloads_total{result="success"} = %v, want 1`, got)
	}

	// The log names what changed.
	recs := b.logLines("rules reloaded")
	if len(recs) != 1 {
		t.Fatalf("%d 'rules reloaded' log lines, want 1\n%s", len(recs), b.logs.String())
	}
	for key, want := range map[string]string{"added": "[welcome]", "changed": "[greet]", "removed": "[legacy]"} {
		if got := fmt.Sprint(recs[0][key]); got != want {
			t.Errorf("reload log %s = %s, want %s", key, got, want)
		}
	}

	// The new rules answer the next event; the removed rule does not.
	if status, resp := b.newConversation("notif_after_reload", "c1"); status != http.StatusOK {
		t.Fatalf("webhook = %d %s", status, resp)
	}
	b.waitFor(10*time.Second, "both new replies", func() bool { return b.sent("c1", "hello v2") && b.sent("c1", "new rule") })
	if b.sent("c1", "old rule") || b.sent("c1", "hello v1") {
		t.Errorf("a reply of the old rules was sent after the reload:\n%s", b.out.String())
	}
}

func TestReloadBrokenChangeKeepsRunningRules(t *testing.T) {
	good := rulesWith("https://api.intercom.io", noteRule("greet", "hello v1"))
	b := startBot(t, good, nil)
	hash := b.metric("autoresponder_config_hash")

	broken := rulesWith("https://api.intercom.io", noteRule("greet", "hello v2")+
		"  - name: typo\n    when: topic == \"conversation.user.created\" && mesage.text contains \"x\"\n    reply: {as: note, body: x}\n")
	b.writeRules(broken)
	line := strings.Count(broken[:strings.Index(broken, "mesage")], "\n") + 1
	status, body := b.postReload()
	if status != http.StatusBadRequest || body["status"] != "failed" {
		t.Fatalf("POST /-/reload = %d %v, want 400 failed", status, body)
	}
	msg, _ := body["error"].(string)
	wantPos := fmt.Sprintf("%s:%d:", b.rulesPath, line)
	if !strings.HasPrefix(msg, wantPos) || !strings.Contains(msg, `rule "typo"`) || !strings.Contains(msg, "mesage") || !strings.Contains(msg, "^") {
		t.Errorf("reload error does not position the problem at %s with the line and a caret:\n%s", wantPos, msg)
	}
	if got := b.metric("autoresponder_config_last_reload_successful"); got != 0 {
		t.Errorf("last_reload_successful = %v after a failed reload, want 0", got)
	}
	if got := b.metric("autoresponder_config_hash"); got != hash {
		t.Errorf("config_hash = %v after a failed reload, want the running %v", got, hash)
	}
	if got := b.metric(`autoresponder_config_reloads_total{result="failure"}`); got != 1 {
		t.Errorf(`reloads_total{result="failure"} = %v, want 1`, got)
	}
	recs := b.logLines("reload failed; keeping the running rules")
	if len(recs) != 1 || recs[0]["file"] != b.rulesPath || !strings.Contains(fmt.Sprint(recs[0]["error"]), wantPos) {
		t.Errorf("log of the failed reload does not name file and line %s:\n%s", wantPos, b.logs.String())
	}

	// The running rules still answer.
	b.newConversation("notif_broken", "c2")
	b.waitFor(10*time.Second, "the reply of the running rules", func() bool { return b.sent("c2", "hello v1") })
	if b.sent("c2", "hello v2") {
		t.Error("a rule of the broken file was applied")
	}

	// Fixing the file recovers.
	b.writeRules(strings.Replace(broken, "mesage", "message", 1))
	if status, body := b.postReload(); status != http.StatusOK {
		t.Fatalf("POST /-/reload after the fix = %d %v", status, body)
	}
	if got := b.metric("autoresponder_config_last_reload_successful"); got != 1 {
		t.Errorf("last_reload_successful = %v after the fix, want 1", got)
	}
}

func TestReloadOnFileChange(t *testing.T) {
	b := startBot(t, rulesWith("https://api.intercom.io", noteRule("greet", "hello v1")),
		func(o *Options) { o.WatchInterval = 50 * time.Millisecond })
	hash := b.metric("autoresponder_config_hash")

	b.writeRules(rulesWith("https://api.intercom.io", noteRule("greet", "hello v1")+noteRule("welcome", "new rule")))
	b.waitFor(10*time.Second, "the watcher to load the changed file", func() bool {
		return b.metric("autoresponder_config_hash") != hash
	})
	if n := len(b.logLines("rules file changed; reloading")); n != 1 {
		t.Errorf("%d 'rules file changed' log lines, want 1", n)
	}
	b.newConversation("notif_watch", "c3")
	b.waitFor(10*time.Second, "the new rule's reply", func() bool { return b.sent("c3", "new rule") })

	// A broken file is tried once: no error every interval, the running
	// rules stay.
	b.writeRules(rulesWith("https://api.intercom.io", "  - name: broken\n    when: topic ==\n"))
	b.waitFor(10*time.Second, "the failed reload", func() bool {
		return b.metric("autoresponder_config_last_reload_successful") == 0
	})
	time.Sleep(20 * 50 * time.Millisecond) // twenty watch intervals
	if got := b.metric(`autoresponder_config_reloads_total{result="failure"}`); got != 1 {
		t.Errorf(`reloads_total{result="failure"} = %v after twenty intervals, want 1 (an unchanged broken file is not retried)`, got)
	}
	if n := len(b.logLines("reload failed; keeping the running rules")); n != 1 {
		t.Errorf("%d reload-failure log lines, want 1", n)
	}
	if got := b.metric(`autoresponder_config_reloads_total{result="success"}`); got != 1 {
		t.Errorf(`reloads_total{result="success"} = %v, want 1 (the file changed once)`, got)
	}
	b.newConversation("notif_watch_broken", "c5")
	b.waitFor(10*time.Second, "a reply of the running rules", func() bool { return b.sent("c5", "new rule") })

	// Fixing it is picked up.
	b.writeRules(rulesWith("https://api.intercom.io", noteRule("greet", "hello v3")))
	b.waitFor(10*time.Second, "the fixed file", func() bool {
		return b.metric("autoresponder_config_last_reload_successful") == 1
	})
}

// TestReloadSwapsAtomically reloads back and forth between two versions
// while events arrive: every event must be answered by exactly one version,
// never by a mix of both.
func TestReloadSwapsAtomically(t *testing.T) {
	v1 := rulesWith("https://api.intercom.io", noteRule("a", "v1")+noteRule("b", "v1"))
	v2 := rulesWith("https://api.intercom.io", noteRule("a", "v2")+noteRule("b", "v2")+noteRule("c", "v2"))
	b := startBot(t, v1, nil)
	const events = 60
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range events {
			if status, body := b.newConversation(fmt.Sprintf("notif_atomic_%d", i), fmt.Sprintf("atomic-%d", i)); status != http.StatusOK {
				t.Errorf("webhook %d = %d %s", i, status, body)
			}
		}
	}()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	reloads := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			if reloads%2 == 0 {
				b.writeRules(v2)
			} else {
				b.writeRules(v1)
			}
			if status, body := b.postReload(); status != http.StatusOK {
				t.Fatalf("reload %d = %d %v", reloads, status, body)
			}
			reloads++
		}
	}
	// Group the queued replies by event: rules a, b from one version (v1),
	// or a, b, c (v2).
	byEvent := map[string][]string{}
	for _, rec := range b.logLines("reply queued") {
		id := fmt.Sprint(rec["event_id"])
		byEvent[id] = append(byEvent[id], fmt.Sprint(rec["rule"]))
	}
	if len(byEvent) != events {
		t.Fatalf("%d events queued replies, want %d", len(byEvent), events)
	}
	versions := map[int]int{}
	for id, rs := range byEvent {
		if got := strings.Join(rs, ","); got != "a,b" && got != "a,b,c" {
			t.Errorf("event %s matched %s: a mix of two rule versions", id, got)
		}
		versions[len(rs)]++
	}
	t.Logf("%d reloads during %d events: %d answered by v1, %d by v2", reloads, events, versions[2], versions[3])
	// And each reply carries the body of the version that matched it.
	b.waitFor(20*time.Second, "every reply", func() bool { return strings.Count(b.out.String(), "\n") >= 2*events })
	for _, line := range strings.Split(strings.TrimSpace(b.out.String()), "\n") {
		var rec struct {
			Body   string              `json:"body"`
			Target struct{ ID string } `json:"target"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("dry-run line %q: %v", line, err)
		}
		id := "notif_atomic_" + strings.TrimPrefix(rec.Target.ID, "atomic-")
		want := "v1"
		if len(byEvent[id]) == 3 {
			want = "v2"
		}
		if rec.Body != want {
			t.Errorf("event %s was matched by %s rules but a reply says %q", id, want, rec.Body)
		}
	}
}

// TestReloadDoesNotDisturbInFlightDelivery reloads while a reply is being
// posted: the post completes once, with what was rendered before the
// reload, and is not retried.
func TestReloadDoesNotDisturbInFlightDelivery(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	fake := intercomfake.New(intercomfake.Options{
		Token: testEnv["INTERCOM_ACCESS_TOKEN"], APIVersion: "2.14", AdminID: "814860",
		Hook: func(platformfake.Recorded) *platformfake.Response {
			select {
			case arrived <- struct{}{}:
			default:
			}
			<-release // hold the answer until the test has reloaded
			return nil
		},
	})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer fake.Close()
	defer unblock()

	b := startBot(t, rulesWith(fake.URL(), noteRule("greet", "before reload")), func(o *Options) { o.DryRun = false })
	b.newConversation("notif_inflight", "c4")
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatalf("the reply never reached the platform\n%s", b.logs.String())
	}

	// The rule that made the reply is changed and another added, mid-flight.
	b.writeRules(rulesWith(fake.URL(), noteRule("greet", "after reload")+noteRule("welcome", "new")))
	if status, body := b.postReload(); status != http.StatusOK {
		t.Fatalf("POST /-/reload during a delivery = %d %v", status, body)
	}
	if got := fake.Stats().Accepted; got != 0 {
		t.Fatalf("the platform answered %d requests before it was released; the test did not reload mid-flight", got)
	}
	unblock()

	b.waitFor(20*time.Second, "the in-flight reply to be recorded as sent", func() bool {
		return b.metric(`autoresponder_reply_total{outcome="sent",platform="intercom",rule="greet"}`) == 1
	})
	fake.AssertNoViolations(t)
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("the platform got %d requests, want exactly 1 (no retry)", len(reqs))
	}
	if got := reqs[0].Body["body"]; got != "before reload" {
		t.Errorf("delivered body %q, want the one rendered before the reload", got)
	}
	if got := b.metric(`autoresponder_reply_total{outcome="retried",platform="intercom",rule="greet"}`); got > 0 {
		t.Errorf("the in-flight reply was retried %v times", got)
	}
}

// syncBuffer is a bytes.Buffer safe for the log handler and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
