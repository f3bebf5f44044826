package e2e

// Helpers of the hostile-input, fault and trust suites (hostile_test.go,
// faults_test.go, secrets_test.go). They hang off hostileKit, or carry
// a "hostile" prefix, so they cannot collide with the main-path suite's
// helpers in the same package.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/all"
	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
	"github.com/supportops/autoresponder/internal/queue"
)

// hostileIntercomEvent is a minimal conversation.user.created notification
// for conversation conv, built here so the suites do not depend on
// captured payloads.
func hostileIntercomEvent(id, conv string) []byte {
	return []byte(fmt.Sprintf(`{"type":"notification_event","app_id":"e2e","topic":"conversation.user.created","id":%q,`+
		`"created_at":1768471200,"data":{"type":"notification_event_data","item":{"type":"conversation","id":%q,`+
		`"source":{"type":"conversation","id":"s-%s","body":"<p>Hello, I need help</p>",`+
		`"author":{"type":"user","id":"u-%s","name":"Ada Lovelace","email":"ada@example.org"}},`+
		`"contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"u-%s"}]}}}}`, id, conv, conv, conv, conv))
}

// hostileWHMCSEvent is a TicketOpen delivery of the WHMCS hook for ticket.
func hostileWHMCSEvent(id string, ticket int) []byte {
	return []byte(fmt.Sprintf(`{"event":"TicketOpen","id":%q,"occurred_at":"2026-01-15T10:00:00Z","vars":{"ticketid":%d,`+
		`"ticketmask":"ABC-%d","userid":17,"deptid":2,"deptname":"Billing","subject":"Help","message":"Hello","priority":"Medium"}}`,
		id, ticket, ticket))
}

// hostileSign signs body like the platform of kind does, with secret.
func hostileSign(kind, secret string, body []byte) http.Header {
	p, ok := all.Registry().Lookup(kind)
	if !ok {
		panic("no platform " + kind)
	}
	return p.Sign([]byte(secret), body, time.Now(), nil)
}

// hostileKit is one bot under test with the fakes it replies to.
type hostileKit struct {
	t   *testing.T
	bot *Bot
	ic  *intercomfake.Fake
	wh  *whmcsfake.Fake
	seq int // numbers the valid events the kit sends
	mu  sync.Mutex
	// started is when the bot was started.
	started time.Time
}

// hostileRules is the rules file of the bad-input bot: a note on every new
// Intercom conversation and a reply on every new WHMCS ticket.
const hostileRules = `
  - name: ic-note
    source: intercom
    when: topic == "conversation.user.created"
    reply:
      as: note
      body: "<p>Seen: {{ message.text }}</p>"
  - name: wh-reply
    source: whmcs
    when: topic == "TicketOpen"
    reply:
      as: comment
      body: "Ticket {{ ticket.number }} received."
`

// newHostileKit starts both fakes and a bot replying to them with rules,
// extra flags and environment.
func newHostileKit(t *testing.T, rules string, env map[string]string, args ...string) *hostileKit {
	t.Helper()
	return newHostileKitWith(t, rules, Config{Env: env, Args: args})
}

// newHostileKitWith is newHostileKit with the bot's Config (its Rules are
// set from rules, pointed at the fakes).
func newHostileKitWith(t *testing.T, rules string, cfg Config) *hostileKit {
	t.Helper()
	k := &hostileKit{
		t:  t,
		ic: intercomfake.New(intercomfake.Options{Token: IntercomToken, APIVersion: "2.14", AdminID: BotAdminID}),
		wh: whmcsfake.New(whmcsfake.Options{Token: WHMCSToken}),
	}
	t.Cleanup(func() {
		k.ic.AssertNoViolations(t)
		k.wh.AssertNoViolations(t)
		k.ic.Close()
		k.wh.Close()
	})
	k.started = time.Now()
	cfg.Rules = RulesFile(k.ic.URL(), k.wh.URL(), "", rules)
	k.bot = Start(t, cfg)
	hostileLogsOnFailure(t, k.bot)
	return k
}

// request sends one raw request and returns status, header and body; a
// transport error fails the test.
func (k *hostileKit) request(method, path string, header http.Header, body []byte) (int, http.Header, string) {
	k.t.Helper()
	req, err := http.NewRequest(method, k.bot.URL+path, bytes.NewReader(body))
	if err != nil {
		k.t.Fatal(err)
	}
	for name, vs := range header {
		req.Header[name] = vs
	}
	resp, err := hostileNoRedirects.Do(req)
	if err != nil {
		k.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(out)
}

// hostileNoRedirects shows the bot's own answer, never where it points.
var hostileNoRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

// state is what a bad request must leave untouched.
type hostileState struct {
	jobs, history, deadLetters int
	icRequests, whRequests     int
}

func (k *hostileKit) state() hostileState {
	k.t.Helper()
	return hostileState{
		jobs:        int(hostileTotalJobs(k.bot)),
		history:     len(k.history("limit=1000")),
		deadLetters: len(k.deadLetters("limit=1000")),
		icRequests:  k.ic.Stats().Requests,
		whRequests:  k.wh.Stats().Requests,
	}
}

// sendValid posts a correctly signed event to each source and waits until
// both replies arrive: the bot still works.
func (k *hostileKit) sendValid() {
	k.t.Helper()
	k.mu.Lock()
	k.seq++
	n := k.seq
	k.mu.Unlock()
	ic, wh := k.ic.Stats().Accepted, k.wh.Stats().Accepted
	history := len(k.history("limit=1000"))
	icBody := hostileIntercomEvent(fmt.Sprintf("notif_valid-%d", n), fmt.Sprintf("91%08d", n))
	if code, body := k.bot.Post("intercom", "intercom", icBody); code != http.StatusOK || !strings.Contains(body, `"actions":1`) {
		k.t.Fatalf("valid Intercom event: %d %s", code, body)
	}
	if code, body := k.bot.Post("whmcs", "whmcs", hostileWHMCSEvent(fmt.Sprintf("TicketOpen-valid-%d", n), 80000+n)); code != http.StatusOK || !strings.Contains(body, `"actions":1`) {
		k.t.Fatalf("valid WHMCS event: %d %s", code, body)
	}
	WaitFor(k.t, 20*time.Second, "the replies to the valid events", func() bool {
		return k.ic.Stats().Accepted == ic+1 && k.wh.Stats().Accepted == wh+1
	})
	// The history is written just after the platform answers.
	WaitFor(k.t, 10*time.Second, "the history of the valid events", func() bool {
		return len(k.history("limit=1000")) == history+2
	})
}

// healthy checks /healthz and /readyz.
func (k *hostileKit) healthy() {
	k.t.Helper()
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _, body := k.request(http.MethodGet, path, nil, nil); code != http.StatusOK {
			k.t.Fatalf("GET %s = %d %s", path, code, body)
		}
	}
}

// history lists delivery history through the admin API.
func (k *hostileKit) history(query string) []queue.History {
	k.t.Helper()
	return history(k.t, k.bot, query)
}

func (k *hostileKit) deadLetters(query string) []queue.DeadLetter {
	k.t.Helper()
	return deadLetters(k.t, k.bot, query)
}

var hostileQueueJobsRE = regexp.MustCompile(`(?m)^autoresponder_queue_jobs\{state="[a-z_]+"\} (\S+)$`)

// hostileTotalJobs is every job the store holds in any state: it only
// grows when something is queued. -1 when /metrics has no queue gauges.
func hostileTotalJobs(b *Bot) float64 {
	m := hostileQueueJobsRE.FindAllStringSubmatch(b.Metrics(), -1)
	if len(m) == 0 {
		return -1
	}
	sum := 0.0
	for _, s := range m {
		v, _ := strconv.ParseFloat(s[1], 64)
		sum += v
	}
	return sum
}

// hostileGoroutines reads go_goroutines without counting our own idle
// keep-alive connections: each is a goroutine in the bot.
func hostileGoroutines(b *Bot) float64 {
	http.DefaultClient.CloseIdleConnections()
	hostileNoRedirects.CloseIdleConnections()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Get(b.URL + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// hostileWaitIdle waits until no delivery is queued, running or due for a
// retry: what the fakes got by then is all they will get.
func hostileWaitIdle(t testing.TB, b *Bot) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^autoresponder_queue_jobs\{state="(available|scheduled|running|retryable|pending)"\} (\S+)$`)
	WaitFor(t, 60*time.Second, "the delivery queue to drain", func() bool {
		m := re.FindAllStringSubmatch(b.Metrics(), -1)
		if len(m) == 0 {
			return false // not scraped
		}
		for _, s := range m {
			if s[2] != "0" {
				return false
			}
		}
		return true
	})
}

// hostileCounter reads a series, absent reading as 0.
func hostileCounter(b *Bot, series string) float64 {
	return max(b.Metric(series), 0)
}

// hostileLogLines returns the bot's log lines that contain every one of
// the given fragments.
func hostileLogLines(b *Bot, fragments ...string) []string {
	var out []string
	for _, line := range strings.Split(b.Logs(), "\n") {
		all := line != ""
		for _, f := range fragments {
			all = all && strings.Contains(line, f)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}

// hostileLogsOnFailure prints the end of the bot's log when t fails.
func hostileLogsOnFailure(t *testing.T, b *Bot) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		lines := strings.Split(strings.TrimRight(b.Logs(), "\n"), "\n")
		if len(lines) > 80 {
			lines = lines[len(lines)-80:]
		}
		t.Logf("last %d lines of the bot's log:\n%s", len(lines), strings.Join(lines, "\n"))
	})
}

// hostileSelfSigned writes a self-signed certificate for 127.0.0.1 and its
// key into dir and returns their paths and a pool trusting it.
func hostileSelfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "autoresponder e2e"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// hostileAnswer decodes the bot's JSON answer to a webhook.
func hostileAnswer(body string) map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	return m
}
