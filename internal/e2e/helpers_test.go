package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
	"github.com/supportops/autoresponder/internal/queue"
)

// fakes are the strict Intercom and WHMCS fakes one bot replies to, with
// answers scripted per target so that tests sharing a bot cannot take each
// other's scripted answers.
type fakes struct {
	ic     *intercomfake.Fake
	wh     *whmcsfake.Fake
	script *script
}

// newFakes starts both fakes with the e2e tokens. Call it before Start: the
// cleanups then kill the bot first and close the fakes after, each checked
// for violations.
func newFakes(t *testing.T) *fakes {
	t.Helper()
	return newFakesWithTokens(t, IntercomToken, WHMCSToken)
}

// newFakesWithTokens is newFakes for a bot run with other API tokens.
func newFakesWithTokens(t *testing.T, intercomToken, whmcsToken string) *fakes {
	t.Helper()
	s := &script{byTarget: map[string][]platformfake.Response{}}
	f := &fakes{
		ic: intercomfake.New(intercomfake.Options{
			Token: intercomToken, APIVersion: "2.14", AdminID: BotAdminID, Hook: s.hook,
		}),
		wh:     whmcsfake.New(whmcsfake.Options{Token: whmcsToken, Hook: s.hook}),
		script: s,
	}
	t.Cleanup(func() {
		f.ic.AssertNoViolations(t)
		f.wh.AssertNoViolations(t)
		f.ic.Close()
		f.wh.Close()
	})
	return f
}

// rules returns a rules file pointing both platforms at the fakes.
func (f *fakes) rules(settings, rules string) string {
	return RulesFile(f.ic.URL(), f.wh.URL(), settings, rules)
}

// checkViolations fails t, when it ends, for every request the fakes
// refused while it ran (for subtests sharing the fakes).
func (f *fakes) checkViolations(t *testing.T) {
	t.Helper()
	nic, nwh := len(f.ic.Violations()), len(f.wh.Violations())
	t.Cleanup(func() {
		for _, v := range f.ic.Violations()[nic:] {
			t.Errorf("intercom fake: request violated the API: %s", v)
		}
		for _, v := range f.wh.Violations()[nwh:] {
			t.Errorf("whmcs fake: request violated the API: %s", v)
		}
	})
}

// to returns the valid requests either fake got for a conversation or
// ticket id, oldest first.
func (f *fakes) to(target string) []platformfake.Recorded {
	var out []platformfake.Recorded
	for _, r := range append(f.ic.Requests(), f.wh.Requests()...) {
		if r.TargetID == target {
			out = append(out, r)
		}
	}
	return out
}

// accepted counts the requests for target the fake answered with a 2xx:
// the replies that really got posted.
func (f *fakes) accepted(target string) int {
	n := 0
	for _, r := range f.to(target) {
		if r.Status >= 200 && r.Status < 300 {
			n++
		}
	}
	return n
}

// script answers requests for a target from a queue of scripted responses;
// targets without a script get the platform's normal success.
type script struct {
	mu       sync.Mutex
	byTarget map[string][]platformfake.Response
}

func (s *script) add(target string, rs ...platformfake.Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byTarget[target] = append(s.byTarget[target], rs...)
}

func (s *script) hook(rec platformfake.Recorded) *platformfake.Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.byTarget[rec.TargetID]
	if len(q) == 0 {
		return nil
	}
	s.byTarget[rec.TargetID] = q[1:]
	return &q[0]
}

// payload reads testdata/name and sets fields in it; see edit.
func payload(t testing.TB, name string, set map[string]any) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return edit(t, raw, set)
}

// edit sets fields of a JSON document by dotted path ("data.item.id",
// "data.item.conversation_parts.conversation_parts.0.author.id"). Every
// path but the last key must exist, so a typo fails the test instead of
// quietly testing the template.
func edit(t testing.TB, raw []byte, set map[string]any) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	for path, v := range set {
		if err := setPath(doc, strings.Split(path, "."), v); err != nil {
			t.Fatalf("payload: set %s: %v", path, err)
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func setPath(node any, path []string, v any) error {
	key := path[0]
	switch n := node.(type) {
	case map[string]any:
		if len(path) == 1 {
			n[key] = v
			return nil
		}
		child, ok := n[key]
		if !ok {
			return fmt.Errorf("no key %q", key)
		}
		return setPath(child, path[1:], v)
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(n) {
			return fmt.Errorf("no index %q", key)
		}
		if len(path) == 1 {
			n[i] = v
			return nil
		}
		return setPath(n[i], path[1:], v)
	}
	return fmt.Errorf("%q: not an object or array", key)
}

// rule is one rules-file entry keyed on its target: each scenario of a
// shared bot gets its own conversations and tickets, so rules of one
// scenario never fire on another's events.
type rule struct {
	name string
	// source limits the rule to one source ("" for every source).
	source string
	// when defaults to `target.id == "<target>"`.
	target, when string
	// extra holds rule keys besides name/when/reply (once, allow_bots...),
	// unindented YAML.
	extra string
	// reply is the reply mapping, unindented YAML ("" for a rule that
	// only acts).
	reply string
}

func (r rule) yaml() string {
	when := r.when
	if when == "" {
		when = fmt.Sprintf("target.id == %q", r.target)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  - name: %s\n    when: %s\n", r.name, strconv.Quote(when))
	if r.source != "" {
		fmt.Fprintf(&b, "    source: %s\n", r.source)
	}
	if r.extra != "" {
		b.WriteString(indent(r.extra, 4))
	}
	if r.reply != "" {
		b.WriteString("    reply:\n")
		b.WriteString(indent(r.reply, 6))
	}
	return b.String()
}

func rulesYAML(rs ...rule) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.yaml())
	}
	return b.String()
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	var b strings.Builder
	for _, line := range strings.Split(strings.Trim(s, "\n"), "\n") {
		if strings.TrimSpace(line) != "" {
			b.WriteString(pad + line)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// webhookAnswer is the bot's JSON answer to a delivery.
type webhookAnswer struct {
	Status  string `json:"status"`
	EventID string `json:"event_id"`
	Actions int    `json:"actions"`
	Reason  string `json:"reason"`
	Error   string `json:"error"`
}

// post delivers a correctly signed event and fails t unless the bot
// answers 200 with the given status (accepted, duplicate, ignored).
func post(t testing.TB, b *Bot, source, kind string, body []byte, wantStatus string) webhookAnswer {
	t.Helper()
	code, raw := b.Post(source, kind, body)
	var ans webhookAnswer
	if err := json.Unmarshal([]byte(raw), &ans); err != nil || code != http.StatusOK || ans.Status != wantStatus {
		t.Fatalf("POST /webhooks/%s = %d %s; want 200 with status %q", source, code, raw, wantStatus)
	}
	return ans
}

// counter reads a counter or gauge series, absent reading as 0.
func (b *Bot) counter(series string) float64 {
	if v := b.Metric(series); v >= 0 {
		return v
	}
	return 0
}

var queueJobsRE = regexp.MustCompile(`(?m)^autoresponder_queue_jobs\{state="([a-z_]+)"\} (\S+)$`)

// jobs returns autoresponder_queue_jobs by state.
func (b *Bot) jobs() map[string]float64 {
	out := map[string]float64{}
	for _, m := range queueJobsRE.FindAllStringSubmatch(b.Metrics(), -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err == nil {
			out[m[1]] = v
		}
	}
	return out
}

// totalJobs is every job the store holds, in any state: it only grows when
// something is queued.
func (b *Bot) totalJobs() float64 {
	sum := 0.0
	for _, v := range b.jobs() {
		sum += v
	}
	return sum
}

// waitIdle waits until no delivery is queued, scheduled, running or due
// for a retry: what the fakes got by then is all they will get.
func waitIdle(t testing.TB, b *Bot) {
	t.Helper()
	WaitFor(t, 30*time.Second, "the delivery queue to drain", func() bool {
		j := b.jobs()
		if len(j) == 0 {
			return false // not scraped
		}
		return j["available"]+j["scheduled"]+j["running"]+j["retryable"]+j["pending"] == 0
	})
}

// history lists delivery history through the admin API (query: "event_id=...").
func history(t testing.TB, b *Bot, query string) []queue.History {
	t.Helper()
	var out struct {
		History []queue.History `json:"history"`
	}
	if code, err := b.Admin(http.MethodGet, "/admin/history?"+query, &out); code != http.StatusOK || err != nil {
		t.Fatalf("GET /admin/history?%s = %d, %v", query, code, err)
	}
	return out.History
}

// deadLetters lists dead letters through the admin API.
func deadLetters(t testing.TB, b *Bot, query string) []queue.DeadLetter {
	t.Helper()
	var out struct {
		DeadLetters []queue.DeadLetter `json:"dead_letters"`
	}
	if code, err := b.Admin(http.MethodGet, "/admin/dlq?"+query, &out); code != http.StatusOK || err != nil {
		t.Fatalf("GET /admin/dlq?%s = %d, %v", query, code, err)
	}
	return out.DeadLetters
}

// deadLettersOf keeps the dead letters of one event.
func deadLettersOf(list []queue.DeadLetter, eventID string) []queue.DeadLetter {
	var out []queue.DeadLetter
	for _, d := range list {
		if d.EventID == eventID {
			out = append(out, d)
		}
	}
	return out
}

// head sends a HEAD request and returns the status.
func head(t testing.TB, url string) int {
	t.Helper()
	resp, err := http.Head(url)
	if err != nil {
		t.Fatalf("HEAD %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// logsOnFailure prints the end of the bot's log when t fails.
func logsOnFailure(t *testing.T, b *Bot) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		lines := strings.Split(strings.TrimRight(b.Logs(), "\n"), "\n")
		if len(lines) > 150 {
			lines = lines[len(lines)-150:]
		}
		t.Logf("last %d lines of the bot's log:\n%s", len(lines), strings.Join(lines, "\n"))
	})
}

// skipUnlessCI skips a test that this machine cannot run, but fails it
// under CI (CI set): CI must never pass by skipping a required suite.
func skipUnlessCI(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("required under CI: "+format, args...)
	}
	t.Skipf(format, args...)
}
