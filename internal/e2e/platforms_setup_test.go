package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
)

// platformSecret signs the deliveries to every source of TestPlatforms.
// All sources share it on purpose: a delivery signed for one kind and
// posted to another's source then carries a valid HMAC under the right
// secret, so only the scheme can tell them apart.
const platformSecret = "e2e-platforms-webhook-secret-3b9d"

// platformSecretEnv holds platformSecret for the bot.
const platformSecretEnv = "E2E_PLATFORMS_WEBHOOK_SECRET"

// platformUnderTest is one platform case as TestPlatforms drives it: its
// contract suite, its strict fake behind a recording proxy, the reply kind
// and example the rules use, and the names of its sources.
type platformUnderTest struct {
	// name names the case's account and sources; kind is its platform.
	name  string
	kind  string
	p     platform.Platform
	suite platformtest.Suite
	fake  platformtest.Fake
	wire  *wire
	c     platformCase

	row     platform.Capability
	example chosenExample
	// actExample is the example the actions scenarios answer (example
	// unless the case's actsOn refuses its target).
	actExample chosenExample
	// account are the account settings: the fake's, plus what names the
	// bot in OwnPost.Account.
	account map[string]string
	// env holds the account's secrets, by the variable the rules name.
	env map[string]string
	// ownActions are the suite's deliveries of the bot's own actions
	// whose account settings agree with account.
	ownActions []platformtest.OwnPost
}

// chosenExample is the suite example the reply rule answers.
type chosenExample struct {
	name   string
	body   []byte
	header http.Header
	want   platformtest.Want
}

// Sources of one kind: the main one, one whose replies are dead-lettered
// (a source of its own, so the same example is a new event there), and
// one where the bot's own post arrives.
func (u *platformUnderTest) source() string     { return u.name }
func (u *platformUnderTest) deadSource() string { return u.name + "-dead" }
func (u *platformUnderTest) ownSource() string  { return u.name + "-own" }

// replyTemplate is the body every rule of the kind posts; rendered says
// what it becomes for the chosen example. It interpolates only the target
// id, raw: an id is the same in every body format, but escaped it would
// not be (Front's cnv_app1 becomes cnv\_app1 in its Markdown comments).
const replyTemplate = "E2E reply to {{ raw(target.id) }}, rendered by the rules"

func (u *platformUnderTest) rendered() string {
	return "E2E reply to " + u.example.want.Target.ID + ", rendered by the rules"
}

// newPlatformUnderTest starts the case's strict fake and picks what the
// rules will do with it; without the reference payload it needs, it
// returns nil and why.
func newPlatformUnderTest(t *testing.T, name string, p platform.Platform, c platformCase) (*platformUnderTest, string) {
	t.Helper()
	s := c.suite()
	kind := p.Spec().Name
	u := &platformUnderTest{name: name, kind: kind, p: p, suite: s, c: c, env: map[string]string{}}
	u.row = replyRow(t, p.Spec())
	var missing []string
	if u.example, missing = pickExample(t, s, u.row, nil); missing != nil {
		return nil, fmt.Sprintf("reference payloads %q are absent (../shared is missing)", missing)
	}
	u.actExample = u.example
	if c.actsOn != nil {
		if u.actExample, missing = pickExample(t, s, u.row, c.actsOn); missing != nil {
			return nil, fmt.Sprintf("reference payloads %q are absent (../shared is missing)", missing)
		}
	}
	u.fake = s.NewFake(t)
	u.wire = newWire(t, u.fake.BaseURL())

	u.account = map[string]string{}
	for k, v := range u.fake.Settings() {
		u.account[k] = v
	}
	for k, v := range s.OwnPost.Account {
		if have, ok := u.account[k]; ok && have != v {
			t.Fatalf("%s: the fake is configured with %s %q, the suite's own post with %q: they must name the same bot", name, k, have, v)
		}
		u.account[k] = v
	}
	// The bot's own actions name it by settings the account gets too,
	// unless they contradict it (two ways to name one bot).
	for _, p := range s.BotActions {
		agree := true
		for k, v := range p.Account {
			if have, ok := u.account[k]; ok && have != v {
				agree = false
			}
		}
		if agree {
			maps.Copy(u.account, p.Account)
			u.ownActions = append(u.ownActions, p)
		}
	}
	for k, v := range u.fake.Secrets() {
		u.env[secretEnv(name, k)] = v
	}
	return u, ""
}

// replyRow is the capability the rules reply with: a note where the
// platform has one, else the first row; never a row that needs fields
// this test does not fill.
func replyRow(t *testing.T, sp *platform.Spec) platform.Capability {
	t.Helper()
	var rows []platform.Capability
	for _, c := range sp.Capabilities {
		if c.As == platform.AsNote {
			rows = append(rows, c)
		}
	}
	rows = append(rows, sp.Capabilities...)
	for _, c := range rows {
		if len(c.Requires) == 0 && !c.NoBody {
			return c
		}
	}
	t.Fatalf("%s has no capability row that posts a body without required fields", sp.Name)
	return platform.Capability{}
}

// pickExample is the first suite example that a rule of row can answer:
// its target has the row's type and it reaches the rules. A reference
// file that is absent (no ../shared) gives way to an inline example;
// missing lists the files when none is left.
// accept, when set, must accept the example's target id too.
func pickExample(t *testing.T, s platformtest.Suite, row platform.Capability, accept func(id string) bool) (_ chosenExample, missing []string) {
	t.Helper()
	ref := filepath.Join(moduleRoot(), "..", "shared", "reference")
	for _, ex := range s.Examples {
		w := ex.Want
		if w.Target.Type != row.Target || w.Target.ID == "" || w.Ignored != "" || isPingTopic(s.Platform, w.Topic) {
			continue
		}
		if accept != nil && !accept(w.Target.ID) {
			continue
		}
		c := chosenExample{name: ex.File, body: ex.Body, header: ex.Header, want: w}
		if c.body == nil {
			b, err := os.ReadFile(filepath.Join(ref, ex.File))
			if errors.Is(err, os.ErrNotExist) {
				missing = append(missing, ex.File)
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			c.body = b
		}
		if c.name == "" {
			c.name = "inline " + w.Topic
		}
		return c, nil
	}
	if len(missing) == 0 {
		t.Fatalf("%s: no suite example has a %s target that a rule may answer", s.Platform.Spec().Name, row.Target)
	}
	return chosenExample{}, missing
}

func isPingTopic(p platform.Platform, topic string) bool {
	for _, tp := range p.Spec().Topics {
		if tp.Name == topic && tp.Ping {
			return true
		}
	}
	return false
}

// secretEnv names the variable holding an account secret.
func secretEnv(account, key string) string {
	return strings.ToUpper(strings.ReplaceAll("e2e_"+account+"_"+key, "-", "_"))
}

// sign returns the headers of a genuine delivery of body to u's sources
// at when, with the example's own extra headers (Help Scout's event name).
func (u *platformUnderTest) sign(body []byte, extra http.Header, when time.Time) http.Header {
	h := u.p.Sign([]byte(platformSecret), body, when, u.sourceSettings())
	for k, v := range extra {
		h[k] = slices.Clone(v)
	}
	return h
}

func (u *platformUnderTest) sourceSettings() *platform.Settings {
	s := &platform.Settings{Values: map[string]string{}, Secrets: map[string]bool{}}
	for k, v := range u.suite.SourceSettings {
		s.Values[k] = v
	}
	return s
}

// platformsRules is one rules file for every platform under test: three
// sources per case, all answered on the case's one account.
func platformsRules(us []*platformUnderTest) string {
	var b strings.Builder
	b.WriteString("settings:\n  target_max_per_hour: 1000\n  delivery:\n    backoff_initial: 50ms\n    backoff_max: 200ms\n    timeout: 5s\n")
	b.WriteString("sources:\n")
	for _, u := range us {
		names := []string{u.source(), u.deadSource(), u.ownSource()}
		if len(u.actionRows()) > 0 {
			names = append(names, u.actSource(), u.failSource())
		}
		for _, name := range names {
			fmt.Fprintf(&b, "  %s:\n    kind: %s\n    secret_env: %s\n", name, u.kind, platformSecretEnv)
			if name != u.source() {
				fmt.Fprintf(&b, "    platform: %s\n", u.name)
			}
			writeSettings(&b, u.p.Spec().SourceSettings, u.suite.SourceSettings)
		}
	}
	b.WriteString("platforms:\n")
	for _, u := range us {
		fmt.Fprintf(&b, "  %s:\n    kind: %s\n    base_url: %s\n", u.name, u.kind, u.wire.URL())
		writeSettings(&b, u.p.Spec().AccountSettings, u.account)
		for _, key := range sortedKeys(u.fake.Secrets()) {
			fmt.Fprintf(&b, "    %s_env: %s\n", key, secretEnv(u.name, key))
		}
	}
	b.WriteString("rules:\n")
	for _, u := range us {
		reply := fmt.Sprintf("as: %s\nbody: %q", u.row.As, replyTemplate)
		when := fmt.Sprintf("target.id == %q", u.example.want.Target.ID)
		b.WriteString(rulesYAML(
			rule{name: u.name + "-reply", source: u.source(), when: when, reply: reply},
			rule{name: u.name + "-dead", source: u.deadSource(), when: when, reply: reply},
			// Fires on anything: only the loop guard keeps it from
			// answering the bot's own post.
			rule{name: u.name + "-own-trap", source: u.ownSource(), when: "true", reply: reply},
		))
		b.WriteString(actionsRules(u))
	}
	return b.String()
}

// writeSettings writes section keys, typed as the platform's Spec
// declares them (booleans and numbers bare, the rest quoted).
func writeSettings(b *strings.Builder, specs []platform.Setting, values map[string]string) {
	for _, key := range sortedKeys(values) {
		v := values[key]
		i := slices.IndexFunc(specs, func(s platform.Setting) bool { return s.Key == key })
		if i < 0 || (specs[i].Type != platform.SettingBool && specs[i].Type != platform.SettingInt) {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(b, "    %s: %s\n", key, v)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// postDelivery posts body with headers h to a source and decodes the
// bot's JSON answer when there is one.
func postDelivery(t *testing.T, b *Bot, source string, body []byte, h http.Header) (int, webhookAnswer, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.URL+"/webhooks/"+source, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = slices.Clone(v)
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST /webhooks/%s: %v", source, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var ans webhookAnswer
	_ = json.Unmarshal(raw, &ans)
	return resp.StatusCode, ans, string(raw)
}

// wire is a loopback proxy in front of a strict fake that keeps what the
// bot sent, as sent: the fakes check requests, the wire lets the test
// read them without knowing each fake's types.
type wire struct {
	base string

	mu   sync.Mutex
	sent []sentRequest
}

// sentRequest is one request as it went over the wire, with the status
// the fake answered.
type sentRequest struct {
	Method, Path, ContentType string
	Body                      []byte
	Status                    int
}

func newWire(t *testing.T, target string) *wire {
	t.Helper()
	to, err := url.Parse(target)
	if err != nil {
		t.Fatalf("fake base URL %q: %v", target, err)
	}
	w := &wire{}
	var self string // the wire's own scheme and host
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host, r.Out.Host = to.Scheme, to.Host, to.Host
		},
		// Links the fake makes from its own address (Front's next page)
		// point back through the wire, as the platform's would point at
		// the host the bot called.
		ModifyResponse: func(resp *http.Response) error {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			body = bytes.ReplaceAll(body, []byte(to.Scheme+"://"+to.Host), []byte(self))
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
			return nil
		},
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		w.mu.Lock()
		i := len(w.sent)
		w.sent = append(w.sent, sentRequest{Method: r.Method, Path: r.URL.EscapedPath(), ContentType: r.Header.Get("Content-Type"), Body: body})
		w.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusWriter{ResponseWriter: rw, status: http.StatusOK}
		proxy.ServeHTTP(sw, r)
		w.mu.Lock()
		w.sent[i].Status = sw.status
		w.mu.Unlock()
	}))
	self = "http://" + srv.Listener.Addr().String()
	srv.Start()
	t.Cleanup(srv.Close)
	// The fake's own path prefix, if any, stays in the account's base_url.
	w.base = srv.URL + strings.TrimSuffix(to.Path, "/")
	return w
}

// statusWriter keeps the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// since returns the requests from the n-th on (n from count), oldest first.
func (w *wire) since(n int) []sentRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	if n > len(w.sent) {
		return nil
	}
	return slices.Clone(w.sent[n:])
}

// count is how many requests went over the wire so far.
func (w *wire) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sent)
}

// URL is what the account's base_url is set to.
func (w *wire) URL() string { return w.base }

// summary lists what went over the wire, for failure messages.
func (w *wire) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, r := range w.sent {
		fmt.Fprintf(&b, "\n  %s %s %s %.300s", r.Method, r.Path, r.ContentType, r.Body)
	}
	return b.String()
}

// carrying returns the requests whose text fields hold text.
func (w *wire) carrying(text string) []sentRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []sentRequest
	for _, r := range w.sent {
		if slices.ContainsFunc(texts(r.ContentType, r.Body), func(s string) bool { return strings.Contains(s, text) }) {
			out = append(out, r)
		}
	}
	return out
}

// texts are the string values of a request body, decoded from its
// content type, so that a body is found however it was escaped.
func texts(contentType string, body []byte) []string {
	mt, params, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil
		}
		var out []string
		for _, vs := range form {
			out = append(out, vs...)
		}
		return out
	case mt == "multipart/form-data":
		var out []string
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				return out
			}
			if v, err := io.ReadAll(part); err == nil && part.FileName() == "" {
				out = append(out, string(v))
			}
		}
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		var v any
		if json.Unmarshal(body, &v) != nil {
			return nil
		}
		return jsonStrings(v, nil)
	}
	return []string{string(body)}
}

func jsonStrings(v any, out []string) []string {
	switch v := v.(type) {
	case string:
		out = append(out, v)
	case []any:
		for _, e := range v {
			out = jsonStrings(e, out)
		}
	case map[string]any:
		for _, e := range v {
			out = jsonStrings(e, out)
		}
	}
	return out
}
