package e2e

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/intercom"
	jsonpayload "github.com/supportops/autoresponder/internal/platform/payload"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
	"github.com/supportops/autoresponder/internal/webhook"
)

// badInput is one hostile request to the real HTTP endpoint and what the
// bot must answer. SECURITY.md's table is this table.
type badInput struct {
	name   string
	method string // default POST
	path   string // default /webhooks/intercom
	header http.Header
	body   []byte
	// chunked sends the body without a Content-Length.
	chunked bool
	want    int
	// label and outcome name the autoresponder_webhook_requests_total
	// series that must grow by exactly one ("" when the router answers
	// before the webhook handler).
	label, outcome string
	// reason is part of the "error" of the answer.
	reason string
}

// hostileUnknownTopic is a valid Intercom notification no rule listens to,
// padded with a string of pad bytes: accepted, never stored.
func hostileUnknownTopic(id string, pad int) []byte {
	return []byte(fmt.Sprintf(`{"type":"notification_event","topic":"e2e.unknown.topic","id":%q,"created_at":1768471200,`+
		`"data":{"item":{"type":"contact","id":"c-1","name":"%s"}}}`, id, strings.Repeat("a", pad)))
}

// hostileNested is an Intercom notification whose item holds arrays nested
// n deep: the document nests n+3 levels (root, data, item).
func hostileNested(id string, n int) []byte {
	return []byte(fmt.Sprintf(`{"type":"notification_event","topic":"e2e.unknown.topic","id":%q,"created_at":1768471200,`+
		`"data":{"item":{"type":"contact","id":"c-1","deep":%s%s}}}`, id, strings.Repeat("[", n), strings.Repeat("]", n)))
}

// badInputs is the table: every valid body in it is a real event, so a
// request that got through by mistake would queue a reply and be caught.
func badInputs() []badInput {
	ic := hostileIntercomEvent("notif_bad-1", "9200000001")
	wh := hostileWHMCSEvent("TicketOpen-bad-1", 92001)
	icSig := signature("intercom", []byte(IntercomSecret), ic)
	whSig := signature("whmcs", []byte(WHMCSSecret), wh)
	json := "application/json"
	icHeader := func(sig ...string) http.Header {
		return http.Header{"Content-Type": {json}, intercom.HeaderSignature: sig}
	}
	whHeader := func(sig ...string) http.Header {
		return http.Header{"Content-Type": {json}, whmcs.HeaderSignature: sig}
	}
	signedIC := func(body []byte) http.Header { return icHeader(signature("intercom", []byte(IntercomSecret), body)) }
	signedWH := func(body []byte) http.Header { return whHeader(signature("whmcs", []byte(WHMCSSecret), body)) }
	withType := func(h http.Header, ct string) http.Header {
		h = h.Clone()
		if ct == "" {
			h.Del("Content-Type")
		} else {
			h.Set("Content-Type", ct)
		}
		return h
	}
	sha256Hex := hex.EncodeToString(hmacSum(sha256.New, IntercomSecret, ic))
	sha1Hex := hex.EncodeToString(hmacSum(sha1.New, WHMCSSecret, wh))
	other := hostileIntercomEvent("notif_bad-other", "9200000002")
	otherWH := hostileWHMCSEvent("TicketOpen-bad-other", 92002)
	overLimit := hostileUnknownTopic("notif_bad-big", webhook.DefaultMaxBodyBytes)
	atLimit := hostileUnknownTopic("notif_bad-at-limit", 0)
	atLimit = hostileUnknownTopic("notif_bad-at-limit", webhook.DefaultMaxBodyBytes-len(atLimit))
	badUTF8 := []byte(strings.Replace(string(hostileIntercomEvent("notif_bad-utf8", "9200000003")), "Hello", "Hel\xfflo", 1))
	replace := func(body []byte, old, new string) []byte {
		if !strings.Contains(string(body), old) {
			panic("badInputs: " + old + " not in the payload")
		}
		return []byte(strings.Replace(string(body), old, new, 1))
	}
	itemNull := replace(ic, `"item":{`, `"item":null,"x":{`)
	idNumber := replace(ic, `"id":"notif_bad-1"`, `"id":12345`)
	noTopic := replace(ic, `"topic":"conversation.user.created",`, ``)
	wrongType := replace(ic, `"type":"notification_event",`, `"type":"event",`)
	createdNegative := replace(ic, `"created_at":1768471200`, `"created_at":-1`)
	hugeNumber := replace(ic, `"created_at":1768471200`, `"created_at":1e400`)
	noTicketID := replace(wh, `"ticketid":92001,`, ``)
	badTime := replace(wh, `"2026-01-15T10:00:00Z"`, `"yesterday"`)
	varsArray := []byte(`{"event":"TicketOpen","id":"TicketOpen-bad-2","occurred_at":"2026-01-15T10:00:00Z","vars":[1,2]}`)
	unknownHook := []byte(`{"event":"InvoicePaid","id":"InvoicePaid-1","occurred_at":"2026-01-15T10:00:00Z","vars":{"invoiceid":5}}`)
	unknownTopic := hostileUnknownTopic("notif_bad-unknown", 10)
	deepOK, deepBad := hostileNested("notif_deep-ok", jsonpayload.MaxDepth-3), hostileNested("notif_deep-bad", jsonpayload.MaxDepth-2)

	const sig, bad, ct = "bad_signature", "bad_request", "content type"
	return []badInput{
		// Signatures: 401 whatever is wrong with them.
		{name: "signature missing", header: icHeader(), body: ic, want: 401, outcome: sig, reason: "header missing"},
		{name: "signature empty", header: icHeader(""), body: ic, want: 401, outcome: sig, reason: "header missing"},
		{name: "signature short", header: icHeader(icSig[:25]), body: ic, want: 401, outcome: sig, reason: "40 lowercase hex"},
		{name: "signature too long", header: icHeader(icSig + "00"), body: ic, want: 401, outcome: sig, reason: "40 lowercase hex"},
		{name: "sha256= on Intercom (valid HMAC-SHA256)", header: icHeader("sha256=" + sha256Hex), body: ic, want: 401, outcome: sig, reason: `"sha1="`},
		{name: "sha1= on WHMCS (valid HMAC-SHA1)", path: "/webhooks/whmcs", header: whHeader("sha1=" + sha1Hex), body: wh, want: 401, label: "whmcs", outcome: sig, reason: `"sha256="`},
		{name: "uppercase hex, Intercom", header: icHeader("sha1=" + strings.ToUpper(icSig[5:])), body: ic, want: 401, outcome: sig, reason: "lowercase"},
		{name: "uppercase hex, WHMCS", path: "/webhooks/whmcs", header: whHeader("sha256=" + strings.ToUpper(whSig[7:])), body: wh, want: 401, label: "whmcs", outcome: sig, reason: "lowercase"},
		{name: "prefix in capitals (SHA1=)", header: icHeader("SHA1=" + icSig[5:]), body: ic, want: 401, outcome: sig, reason: `"sha1="`},
		{name: "no prefix", header: icHeader(icSig[5:]), body: ic, want: 401, outcome: sig, reason: `"sha1="`},
		{name: "wrong separator (sha256:)", path: "/webhooks/whmcs", header: whHeader("sha256:" + whSig[7:]), body: wh, want: 401, label: "whmcs", outcome: sig, reason: `"sha256="`},
		{name: "signature header twice (both valid)", header: icHeader(icSig, icSig), body: ic, want: 401, outcome: sig, reason: "more than one"},
		{name: "signature header twice (valid, then bad)", path: "/webhooks/whmcs", header: whHeader(whSig, "sha256="+strings.Repeat("0", 64)), body: wh, want: 401, label: "whmcs", outcome: sig, reason: "more than one"},
		{name: "valid signature of another body, Intercom", header: signedIC(other), body: ic, want: 401, outcome: sig, reason: "does not match"},
		{name: "valid signature of another body, WHMCS", path: "/webhooks/whmcs", header: signedWH(otherWH), body: wh, want: 401, label: "whmcs", outcome: sig, reason: "does not match"},
		{name: "signed with another secret", path: "/webhooks/whmcs", header: whHeader(signature("whmcs", []byte("guessed"), wh)), body: wh, want: 401, label: "whmcs", outcome: sig, reason: "does not match"},
		{name: "WHMCS signature in Intercom's header", path: "/webhooks/whmcs", header: http.Header{"Content-Type": {json}, intercom.HeaderSignature: {whSig}}, body: wh, want: 401, label: "whmcs", outcome: sig, reason: "header missing"},
		{name: "the secret itself as signature", header: icHeader(IntercomSecret), body: ic, want: 401, outcome: sig, reason: `"sha1="`},

		// Size.
		{name: "body over the 1 MiB limit", header: signedIC(overLimit), body: overLimit, want: 413, outcome: bad, reason: "larger than 1048576"},
		{name: "body over the limit, chunked (no Content-Length)", header: signedIC(overLimit), body: overLimit, chunked: true, want: 413, outcome: bad, reason: "larger than 1048576"},
		{name: "body of exactly 1 MiB: a huge string within the limit", header: signedIC(atLimit), body: atLimit, want: 200, outcome: "accepted"},

		// Payloads that are signed but not events: 400.
		{name: "not JSON", header: signedIC([]byte("hello")), body: []byte("hello"), want: 400, outcome: bad, reason: "not JSON"},
		{name: "empty body", header: signedIC(nil), body: nil, want: 400, outcome: bad, reason: "empty"},
		{name: "JSON array", header: signedIC([]byte(`[1,2]`)), body: []byte(`[1,2]`), want: 400, outcome: bad, reason: "must be a JSON object"},
		{name: "truncated JSON", header: signedIC(ic[:len(ic)-5]), body: ic[:len(ic)-5], want: 400, outcome: bad, reason: "not JSON"},
		{name: "data.item null", header: signedIC(itemNull), body: itemNull, want: 400, outcome: bad, reason: "data.item is null"},
		{name: "id a number", header: signedIC(idNumber), body: idNumber, want: 400, outcome: bad, reason: "id must be a string, not a number"},
		{name: "topic missing", header: signedIC(noTopic), body: noTopic, want: 400, outcome: bad, reason: "topic missing"},
		{name: "type not notification_event", header: signedIC(wrongType), body: wrongType, want: 400, outcome: bad, reason: `type must be "notification_event"`},
		{name: "created_at negative", header: signedIC(createdNegative), body: createdNegative, want: 400, outcome: bad, reason: "created_at out of range"},
		{name: "number out of float64 range", header: signedIC(hugeNumber), body: hugeNumber, want: 400, outcome: bad, reason: "not JSON"},
		{name: "invalid UTF-8", header: signedIC(badUTF8), body: badUTF8, want: 400, outcome: bad, reason: "not valid UTF-8"},
		{name: "nested 65 levels", header: signedIC(deepBad), body: deepBad, want: 400, outcome: bad, reason: "nested deeper than 64"},
		{name: "nested 64 levels (the limit)", header: signedIC(deepOK), body: deepOK, want: 200, outcome: "accepted"},
		{name: "WHMCS vars.ticketid missing", path: "/webhooks/whmcs", header: signedWH(noTicketID), body: noTicketID, want: 400, label: "whmcs", outcome: bad, reason: "vars.ticketid missing"},
		{name: "WHMCS occurred_at not a time", path: "/webhooks/whmcs", header: signedWH(badTime), body: badTime, want: 400, label: "whmcs", outcome: bad, reason: "RFC 3339"},
		{name: "WHMCS vars an array", path: "/webhooks/whmcs", header: signedWH(varsArray), body: varsArray, want: 400, label: "whmcs", outcome: bad, reason: "vars must be an object"},

		// Accepted, and nothing to do.
		{name: "unknown Intercom topic", header: signedIC(unknownTopic), body: unknownTopic, want: 200, outcome: "accepted"},
		{name: "unknown WHMCS hook point", path: "/webhooks/whmcs", header: signedWH(unknownHook), body: unknownHook, want: 200, label: "whmcs", outcome: "accepted"},
		{name: "no Content-Type (signed JSON)", header: withType(signedIC(unknownTopic), ""), body: unknownTopic, want: 200, outcome: "accepted"},

		// Content types: 415 (checked after the signature).
		{name: "text/plain", header: withType(signedIC(ic), "text/plain"), body: ic, want: 415, outcome: bad, reason: ct},
		{name: "form-encoded", path: "/webhooks/whmcs", header: withType(signedWH(wh), "application/x-www-form-urlencoded"), body: wh, want: 415, label: "whmcs", outcome: bad, reason: ct},
		{name: "JSON in latin1", header: withType(signedIC(ic), "application/json; charset=latin1"), body: ic, want: 415, outcome: bad, reason: ct},

		// Headers over the server's MaxHeaderBytes (64 KiB, plus the few KiB
		// of slack net/http allows): refused before any handler runs.
		{name: "headers of 128 KiB", header: func() http.Header {
			h := signedIC(ic)
			h.Set("X-Padding", strings.Repeat("p", 128<<10))
			return h
		}(), body: ic, want: 431},

		// Methods and paths.
		{name: "GET", method: http.MethodGet, want: 405, outcome: bad, reason: "method not allowed"},
		{name: "PUT", method: http.MethodPut, header: signedIC(ic), body: ic, want: 405, outcome: bad, reason: "method not allowed"},
		{name: "DELETE", method: http.MethodDelete, want: 405, outcome: bad, reason: "method not allowed"},
		{name: "PATCH", method: http.MethodPatch, path: "/webhooks/whmcs", header: signedWH(wh), body: wh, want: 405, label: "whmcs", outcome: bad, reason: "method not allowed"},
		{name: "HEAD (Intercom's URL check)", method: http.MethodHead, want: 200},
		{name: "unknown source", path: "/webhooks/nope", header: signedIC(ic), body: ic, want: 404, label: "unknown", outcome: "unknown_source", reason: "unknown source"},
		{name: "source name in capitals", path: "/webhooks/Intercom", header: signedIC(ic), body: ic, want: 404, label: "unknown", outcome: "unknown_source", reason: "unknown source"},
		{name: "HEAD of an unknown source", method: http.MethodHead, path: "/webhooks/nope", want: 404},
		{name: "path below a source", path: "/webhooks/intercom/x", header: signedIC(ic), body: ic, want: 404},
		// The router cleans dot-segments with a redirect: never a webhook.
		{name: "encoded dot-segments in the source", path: "/webhooks/intercom%2F..%2F..%2Fadmin%2Fdlq", header: signedIC(ic), body: ic, want: 301},
	}
}

// hmacSum is an HMAC with any hash: the table signs with the wrong
// algorithm on purpose.
func hmacSum(newHash func() hash.Hash, secret string, body []byte) []byte {
	m := hmac.New(newHash, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// TestBadInputTable sends every case of badInputs to the real binary.
// After each: the answer is the expected status, the outcome counter grew
// by exactly one, nothing was queued, stored or sent, and the bot is
// healthy and still replies to valid events.
func TestBadInputTable(t *testing.T) {
	k := newHostileKit(t, hostileRules, nil)
	k.sendValid()
	for _, c := range badInputs() {
		t.Run(c.name, func(t *testing.T) {
			k.t = t
			method, path := c.method, c.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/webhooks/intercom"
			}
			label := c.label
			if label == "" {
				label = "intercom"
			}
			series := fmt.Sprintf(`autoresponder_webhook_requests_total{outcome=%q,source=%q}`, c.outcome, label)
			before, count := k.state(), hostileCounter(k.bot, series)

			code, header, body := k.send(method, path, c.header, c.body, c.chunked)
			if code != c.want {
				t.Fatalf("%s %s = %d %s; want %d", method, path, code, body, c.want)
			}
			if c.reason != "" {
				if got, _ := hostileAnswer(body)["error"].(string); !strings.Contains(got, c.reason) {
					t.Errorf("error %q does not say %q", got, c.reason)
				}
			}
			if code == http.StatusMethodNotAllowed && header.Get("Allow") != "POST, HEAD" {
				t.Errorf("Allow = %q, want \"POST, HEAD\"", header.Get("Allow"))
			}
			if loc := header.Get("Location"); code == http.StatusMovedPermanently && strings.HasPrefix(loc, "/webhooks/") {
				t.Errorf("redirected to a webhook route: %q", loc)
			}
			if code == http.StatusOK && method == http.MethodPost {
				if a := hostileAnswer(body); a["status"] != "accepted" || a["actions"] != 0.0 {
					t.Errorf("answer %s; want accepted with 0 actions", body)
				}
			}
			if c.outcome != "" {
				if got := hostileCounter(k.bot, series); got != count+1 {
					t.Errorf("%s went from %v to %v; want +1", series, count, got)
				}
			}
			if after := k.state(); after != before {
				t.Errorf("state changed: before %+v, after %+v", before, after)
			}
			k.healthy()
			k.sendValid()
		})
	}
	k.t = t
	if n := len(k.deadLetters("limit=1000")); n != 0 {
		t.Errorf("%d dead letters", n)
	}
}

// send is request with an optional chunked body.
func (k *hostileKit) send(method, path string, header http.Header, body []byte, chunked bool) (int, http.Header, string) {
	k.t.Helper()
	if !chunked {
		return k.request(method, path, header, body)
	}
	req, err := http.NewRequest(method, k.bot.URL+path, io.MultiReader(strings.NewReader(string(body))))
	if err != nil {
		k.t.Fatal(err)
	}
	req.ContentLength = -1
	req.Header = header.Clone()
	resp, err := hostileNoRedirects.Do(req)
	if err != nil {
		k.t.Fatalf("%s %s (chunked): %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(out)
}

// TestCustomBodyLimit: --max-body-bytes moves the 413 boundary.
func TestCustomBodyLimit(t *testing.T) {
	const limit = 4096
	k := newHostileKit(t, hostileRules, nil, "--max-body-bytes", fmt.Sprint(limit))
	at := hostileUnknownTopic("notif_limit-at", 0)
	at = hostileUnknownTopic("notif_limit-at", limit-len(at))
	over := hostileUnknownTopic("notif_limit-over", 0)
	over = hostileUnknownTopic("notif_limit-over", limit-len(over)+1)
	tests := []struct {
		name    string
		body    []byte
		chunked bool
		want    int
	}{
		{"exactly the limit", at, false, 200},
		{"one byte over", over, false, 413},
		{"one byte over, chunked", over, true, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k.t = t
			before := k.state()
			header := hostileSign("intercom", IntercomSecret, tt.body)
			header.Set("Content-Type", "application/json")
			code, _, body := k.send(http.MethodPost, "/webhooks/intercom", header, tt.body, tt.chunked)
			if code != tt.want {
				t.Fatalf("%d-byte body = %d %s; want %d", len(tt.body), code, body, tt.want)
			}
			if code == 413 && !strings.Contains(body, fmt.Sprintf("larger than %d bytes", limit)) {
				t.Errorf("answer %s does not name the limit", body)
			}
			if after := k.state(); after != before {
				t.Errorf("state changed: %+v -> %+v", before, after)
			}
			k.sendValid()
		})
	}
}

// TestBadSignatureFlood: 2,000 distinct forged deliveries are each counted,
// none is queued, and the log stays short: rejections are logged at a
// bounded rate (a burst of 10, then 5 a second per source) and the rest
// counted in autoresponder_webhook_logs_suppressed_total.
func TestBadSignatureFlood(t *testing.T) {
	const (
		requests = 2000
		workers  = 8
		burst    = 10
		perSec   = 5
	)
	k := newHostileKit(t, hostileRules, nil)
	series := `autoresponder_webhook_requests_total{outcome="bad_signature",source="intercom"}`
	suppressedSeries := "autoresponder_webhook_logs_suppressed_total"
	before, suppressedBefore := hostileCounter(k.bot, series), hostileCounter(k.bot, suppressedSeries)
	linesBefore := len(hostileLogLines(k.bot, `"outcome":"bad_signature"`))
	state := k.state()

	var next atomic.Int64
	var wrong atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > requests {
					return
				}
				body := hostileIntercomEvent(fmt.Sprintf("notif_flood-%d", n), fmt.Sprintf("93%08d", n))
				req, _ := http.NewRequest(http.MethodPost, k.bot.URL+"/webhooks/intercom", strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(intercom.HeaderSignature, signature("intercom", []byte(fmt.Sprintf("guess-%d", n)), body))
				resp, err := client.Do(req)
				if err != nil {
					wrong.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					wrong.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if n := wrong.Load(); n != 0 {
		t.Fatalf("%d of %d forged deliveries were not answered 401", n, requests)
	}
	if got := hostileCounter(k.bot, series) - before; got != requests {
		t.Errorf("%s grew by %v; want exactly %d", series, got, requests)
	}
	lines := len(hostileLogLines(k.bot, `"outcome":"bad_signature"`)) - linesBefore
	suppressed := hostileCounter(k.bot, suppressedSeries) - suppressedBefore
	t.Logf("%d forged deliveries in %s (%.0f/s): %d log lines, %v suppressed",
		requests, took.Round(time.Millisecond), requests/took.Seconds(), lines, suppressed)
	if float64(lines)+suppressed != requests {
		t.Errorf("%d lines logged + %v suppressed != %d rejections", lines, suppressed, requests)
	}
	// The documented limiter allows at most the burst plus the rate times
	// how long the flood lasted.
	if allowed := burst + perSec*int(took.Seconds()+1); lines > allowed {
		t.Errorf("%d log lines about the flood; the limiter allows %d in %s", lines, allowed, took)
	}
	if after := k.state(); after != state {
		t.Errorf("state changed: %+v -> %+v", state, after)
	}
	k.healthy()
	k.sendValid()
}

// TestSlowClients: clients that send headers or a body slower than the
// server's timeouts are cut off (ReadHeaderTimeout 5 s, ReadTimeout 15 s),
// valid deliveries keep working meanwhile, and no goroutine is left behind.
func TestSlowClients(t *testing.T) {
	const perKind = 10
	k := newHostileKit(t, hostileRules, nil)
	k.sendValid()
	// go_goroutines jumps around (tickers, GC workers), and River adds its
	// maintenance goroutines once elected leader, seconds after start:
	// compare floors over 2-second windows, once the floor stops rising.
	floor := func() float64 {
		low := -1.0
		for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			if n := hostileGoroutines(k.bot); n >= 0 && (low < 0 || n < low) {
				low = n
			}
		}
		return low
	}
	baseline := floor()
	for prev := -1.0; baseline != prev && time.Since(k.started) < time.Minute; {
		prev, baseline = baseline, floor()
	}
	t.Logf("baseline: %v goroutines, %s after start", baseline, time.Since(k.started).Round(100*time.Millisecond))

	addr := strings.TrimPrefix(k.bot.URL, "http://")
	body := hostileIntercomEvent("notif_slow", "9400000001")
	sigHeader := intercom.HeaderSignature + ": " + signature("intercom", []byte(IntercomSecret), body) + "\r\n"
	kinds := []struct {
		name  string
		first string // sent at once
		trail string // then one byte every 500 ms
	}{
		{"slow headers", "POST /webhooks/intercom HTTP/1.1\r\nHost: bot\r\n", "Content-Type: application/json\r\n" + sigHeader},
		{"slow body", fmt.Sprintf("POST /webhooks/intercom HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n",
			sigHeader, len(body)), string(body)},
	}
	type result struct {
		kind  string
		took  time.Duration
		reply string // first line the server sent, if any
		err   error
	}
	results := make(chan result, 2*perKind)
	start := time.Now()
	for _, kind := range kinds {
		for range perKind {
			go func() {
				r := result{kind: kind.name}
				defer func() { r.took = time.Since(start); results <- r }()
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					r.err = err
					return
				}
				defer conn.Close()
				closed := make(chan string, 1)
				go func() {
					line, _ := bufio.NewReader(conn).ReadString('\n')
					closed <- strings.TrimSpace(line) // the server answered or hung up
				}()
				if _, err := io.WriteString(conn, kind.first); err != nil {
					r.err = err
					return
				}
				tick := time.NewTicker(500 * time.Millisecond)
				defer tick.Stop()
				deadline := time.After(60 * time.Second)
				for i := 0; ; i++ {
					select {
					case r.reply = <-closed:
						return
					case <-deadline:
						r.err = fmt.Errorf("still connected after 60 s")
						return
					case <-tick.C:
						if i < len(kind.trail) {
							_, _ = conn.Write([]byte{kind.trail[i]}) // fails once the server hung up
						}
					}
				}
			}()
		}
	}
	// While they trickle, real deliveries go through.
	k.sendValid()
	k.healthy()
	peak := hostileGoroutines(k.bot)
	longest := map[string]time.Duration{}
	answers := map[string]map[string]int{}
	for range 2 * perKind {
		r := <-results
		if r.err != nil {
			t.Errorf("%s: %v", r.kind, r.err)
			continue
		}
		if r.reply != "" && !strings.HasPrefix(r.reply, "HTTP/1.1 4") {
			t.Errorf("%s answered %q", r.kind, r.reply)
		}
		longest[r.kind] = max(longest[r.kind], r.took)
		if answers[r.kind] == nil {
			answers[r.kind] = map[string]int{}
		}
		answers[r.kind][r.reply]++
	}
	for kind, d := range longest {
		t.Logf("%s: all %d cut off within %s; answers %v", kind, perKind, d.Round(100*time.Millisecond), answers[kind])
	}
	now := floor()
	for deadline := time.Now().Add(30 * time.Second); now > baseline+2 && time.Now().Before(deadline); {
		now = floor()
	}
	if now > baseline+2 {
		t.Errorf("go_goroutines: %v before, %v with %d slow clients, still %v 30 s after they were cut off",
			baseline, peak, 2*perKind, now)
	}
	t.Logf("go_goroutines: %v before, %v with %d slow clients, %v after", baseline, peak, 2*perKind, now)
	k.healthy()
	k.sendValid()
}
