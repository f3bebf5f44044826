package e2e

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/all"
	"github.com/supportops/autoresponder/internal/platform/chatwoot/chatwootfake"
	"github.com/supportops/autoresponder/internal/platform/freshdesk/freshdeskfake"
	"github.com/supportops/autoresponder/internal/platform/front"
	"github.com/supportops/autoresponder/internal/platform/front/frontfake"
	"github.com/supportops/autoresponder/internal/platform/helpscout/helpscoutfake"
	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
	"github.com/supportops/autoresponder/internal/platform/zendesk/zendeskfake"
	"github.com/supportops/autoresponder/internal/queue"
	"github.com/supportops/autoresponder/internal/testpg"
)

// platformCase is what TestPlatforms needs of a platform beyond its
// contract suite.
type platformCase struct {
	// suite is the platform's contract suite; its NewFake may be
	// replaced to try another API of the same platform.
	suite func() platformtest.Suite
	// errorStatus is the HTTP status the platform sends its own error
	// body with when it refuses a reply.
	errorStatus int
	// challenge is the webhook handshake of a platform.Challenger.
	challenge *challengeCase
	// actsOn, when set, says which target ids the fake's action endpoints
	// take, for a platform whose reference example has another kind.
	actsOn func(id string) bool
}

// challengeCase is a handshake request: body, signed, with header set to
// a random value, must be answered with {answerKey: value}.
type challengeCase struct {
	header    string
	body      []byte
	answerKey string
}

// platformCases are the accounts of TestPlatforms, by name: every
// registered platform (TestPlatforms fails for one missing here), and the
// other ways to set up a source or account of some.
var platformCases = map[string]platformCase{
	"chatwoot":  {suite: chatwootfake.Suite, errorStatus: http.StatusUnprocessableEntity},
	"freshdesk": {suite: freshdeskfake.Suite, errorStatus: http.StatusBadRequest},
	"front": {suite: frontfake.Suite, errorStatus: http.StatusBadRequest, actsOn: frontConversationID, challenge: &challengeCase{
		// Front's validation request when an application webhook is saved.
		header: front.HeaderChallenge, body: []byte(`{"type":"sync","authorization":{"id":"cmp_e2e"}}`), answerKey: "challenge",
	}},
	// Rule webhooks: signed without a timestamp, never a handshake.
	"front-rule": {suite: frontfake.RuleSuite, errorStatus: http.StatusBadRequest, actsOn: frontConversationID},
	"helpscout":  {suite: helpscoutfake.Suite, errorStatus: http.StatusBadRequest},
	"intercom":   {suite: intercomfake.Suite, errorStatus: http.StatusUnprocessableEntity},
	// The reseller API (api: keliweb) reports errors in a 200 answer.
	"whmcs": {suite: whmcsfake.Suite, errorStatus: http.StatusOK},
	// The stock External API (api: whmcs) does too.
	"whmcs-stock": {suite: whmcsfake.StockSuite, errorStatus: http.StatusOK},
	"zendesk":     {suite: zendeskfake.Suite, errorStatus: http.StatusUnprocessableEntity},
}

// frontConversationID: Front's action endpoints take cnv_ ids. Front's
// documented inbound example carries a legacy id (2x9c5v, while its own
// links name cnv_keocka), which only the reply endpoints of the fake take.
func frontConversationID(id string) bool { return strings.HasPrefix(id, "cnv_") }

// TestPlatforms runs the real binary against every registered platform's
// strict fake: one bot, one rules file with every kind's sources, a
// parallel subtest per platform.
func TestPlatforms(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testPlatforms(t, "") })
	t.Run("postgres", func(t *testing.T) { testPlatforms(t, testpg.Fresh(t)) })
}

func testPlatforms(t *testing.T, databaseURL string) {
	reg := all.Registry()
	covered := map[string]bool{}    // kinds with a case
	challenged := map[string]bool{} // kinds with a handshake case
	var us []*platformUnderTest
	skipped := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(platformCases)) {
		c := platformCases[name]
		kind := c.suite().Platform.Spec().Name
		p, ok := reg.Lookup(kind)
		if !ok {
			t.Errorf("case %s is for %s, which is not registered", name, kind)
			continue
		}
		covered[kind], challenged[kind] = true, challenged[kind] || c.challenge != nil
		u, why := newPlatformUnderTest(t, name, p, c)
		if u == nil {
			skipped[name] = why
			continue
		}
		us = append(us, u)
	}
	for _, p := range reg.All() {
		kind := p.Spec().Name
		if !covered[kind] {
			t.Errorf("platform %s is registered but has no case in platformCases: add its suite", kind)
		}
		if _, ok := p.(platform.Challenger); ok && !challenged[kind] {
			t.Errorf("platform %s answers a webhook handshake: give a case of it a challenge", kind)
		}
	}
	if t.Failed() {
		return
	}
	env := map[string]string{platformSecretEnv: platformSecret}
	for _, u := range us {
		maps.Copy(env, u.env)
	}
	bot := Start(t, Config{Rules: platformsRules(us), DatabaseURL: databaseURL, Env: env})
	logsOnFailure(t, bot)

	t.Run("platform", func(t *testing.T) {
		for name, why := range skipped {
			t.Run(name, func(t *testing.T) { skipUnlessCI(t, "%s", why) })
		}
		for _, u := range us {
			t.Run(u.name, func(t *testing.T) {
				t.Parallel()
				testPlatform(t, bot, u, us)
			})
		}
	})
	t.Run("no secret in logs or dead letters", func(t *testing.T) { testNoSecrets(t, bot, us) })
}

// testNoSecrets looks for every secret the bot was given, as is and as a
// form would encode it, in everything it wrote (at debug level) and in
// the dead letters the admin API shows.
func testNoSecrets(t *testing.T, bot *Bot, us []*platformUnderTest) {
	var dlq any
	if code, err := bot.Admin(http.MethodGet, "/admin/dlq", &dlq); code != http.StatusOK || err != nil {
		t.Fatalf("GET /admin/dlq = %d, %v", code, err)
	}
	if !strings.Contains(bot.Logs(), "reply dead-lettered") {
		t.Fatal("the log has no dead letter: this test reads the wrong text")
	}
	// JSON escapes & < > in strings: look at the strings decoded.
	places := map[string]string{
		"the log": decodedLines(bot.Logs()), "stdout": decodedLines(bot.Stdout()),
		"the dead letters": strings.Join(jsonStrings(dlq, nil), "\n"),
	}
	secrets := map[string]string{"the webhook secret": platformSecret}
	for _, u := range us {
		for key, v := range u.fake.Secrets() {
			secrets[u.name+" "+key] = v
		}
	}
	for what, secret := range secrets {
		for _, form := range []string{secret, url.QueryEscape(secret)} {
			for where, text := range places {
				if strings.Contains(text, form) {
					t.Errorf("%s holds %s", where, what)
				}
			}
		}
	}
}

// testPlatform runs one platform's scenarios, in order: each one expects
// the fake to be as the one before left it.
func testPlatform(t *testing.T, bot *Bot, u *platformUnderTest, us []*platformUnderTest) {
	t.Logf("replying %s to the %s of %s", u.row.As, u.example.want.Topic, u.example.name)
	t.Cleanup(func() {
		for _, p := range u.fake.Problems() {
			t.Errorf("%s fake refused a request: %s", u.name, p)
		}
	})
	first := u.sign(u.example.body, u.example.header, time.Now())

	t.Run("reply", func(t *testing.T) {
		code, ans, raw := postDelivery(t, bot, u.source(), u.example.body, first)
		if code != http.StatusOK || ans.Status != "accepted" || ans.Actions != 1 {
			t.Fatalf("POST = %d %s; want 200 accepted with 1 action", code, raw)
		}
		WaitFor(t, 15*time.Second, "the reply at the fake", func() bool { return u.fake.Accepted() > 0 })
		waitIdle(t, bot)
		if n := u.fake.Accepted(); n != 1 {
			t.Errorf("the fake accepted %d requests; want 1", n)
		}
		if got := u.wire.carrying(u.rendered()); len(got) != 1 {
			t.Errorf("%d requests carry %q; want 1 (sent: %s)", len(got), u.rendered(), u.wire.summary())
		}
		h := history(t, bot, "source="+u.source()+"&event_id="+url.QueryEscape(ans.EventID))
		if len(h) != 1 || h[0].Outcome != "sent" || h[0].Rule != u.name+"-reply" {
			t.Errorf("history = %+v; want the reply rule's one sent record", h)
		}
	})

	t.Run("same delivery again", func(t *testing.T) {
		code, ans, raw := postDelivery(t, bot, u.source(), u.example.body, first)
		if code != http.StatusOK || ans.Status != "duplicate" || ans.Actions != 0 {
			t.Fatalf("POST = %d %s; want 200 duplicate", code, raw)
		}
		waitIdle(t, bot)
		if n := u.fake.Accepted(); n != 1 {
			t.Errorf("the fake accepted %d requests; want still 1", n)
		}
	})

	t.Run("signed for another kind", func(t *testing.T) {
		for _, other := range us {
			if other.kind == u.kind && maps.Equal(other.suite.SourceSettings, u.suite.SourceSettings) {
				continue // the same webhook: it verifies alike
			}
			h := u.sign(u.example.body, u.example.header, time.Now())
			if code, _, raw := postDelivery(t, bot, other.source(), u.example.body, h); code != http.StatusUnauthorized {
				t.Errorf("a %s delivery posted to the %s source: %d %s; want 401", u.name, other.name, code, raw)
			}
		}
	})

	if u.suite.Timestamped {
		t.Run("stale timestamp", func(t *testing.T) {
			h := u.sign(u.example.body, u.example.header, time.Now().Add(-time.Hour))
			if code, _, raw := postDelivery(t, bot, u.source(), u.example.body, h); code != http.StatusUnauthorized {
				t.Errorf("a delivery signed an hour ago: %d %s; want 401", code, raw)
			}
		})
	}

	t.Run("platform error", func(t *testing.T) { testPlatformError(t, bot, u) })

	t.Run("own post", func(t *testing.T) {
		own := u.suite.OwnPost
		before := u.fake.Accepted()
		code, ans, raw := postDelivery(t, bot, u.ownSource(), own.Body, u.sign(own.Body, own.Header, time.Now()))
		if code != http.StatusOK || ans.Status != "ignored" || ans.Reason != platform.IgnoredOwnReply {
			t.Fatalf("POST = %d %s; want 200 ignored as %s", code, raw, platform.IgnoredOwnReply)
		}
		waitIdle(t, bot)
		if n := u.fake.Accepted() - before; n != 0 {
			t.Errorf("the bot answered its own post: %d requests", n)
		}
	})

	if u.c.challenge != nil {
		t.Run("webhook handshake", func(t *testing.T) { testChallenge(t, bot, u) })
	}

	t.Run("bot's own actions", func(t *testing.T) { testBotActions(t, bot, u) })
	if a := u.acting(); len(a.actionRows()) > 0 {
		t.Logf("acting on the %s of %s", a.example.want.Topic, a.example.name)
		t.Run("reply and actions", func(t *testing.T) { testActions(t, bot, a) })
		t.Run("failed step replayed", func(t *testing.T) { testFailedStep(t, bot, a) })
	}
}

// testPlatformError: the fake refuses the reply in the platform's own
// error shape; the reply is dead-lettered at once with its message.
func testPlatformError(t *testing.T, bot *Bot, u *platformUnderTest) {
	said := "E2E " + u.name + " says no: this ticket is locked by an admin"
	before := u.fake.Accepted()
	u.fake.Answer(u.c.errorStatus, nil, u.fake.ErrorBody(said))

	h := u.sign(u.example.body, u.example.header, time.Now())
	code, ans, raw := postDelivery(t, bot, u.deadSource(), u.example.body, h)
	if code != http.StatusOK || ans.Status != "accepted" || ans.Actions != 1 {
		t.Fatalf("POST = %d %s; want 200 accepted with 1 action", code, raw)
	}
	rule := u.name + "-dead"
	var dl []queue.DeadLetter
	WaitFor(t, 15*time.Second, "the dead letter", func() bool {
		dl = deadLettersOf(deadLetters(t, bot, "rule="+rule), ans.EventID)
		return len(dl) > 0
	})
	waitIdle(t, bot)
	if n := u.fake.Accepted() - before; n != 1 {
		t.Errorf("the fake got %d requests; want 1 (a refusal is not retried)", n)
	}
	d := dl[0]
	if len(dl) != 1 || d.Reason != "client_error" || d.Status != u.c.errorStatus || d.Attempts != 1 || d.Source != u.deadSource() {
		t.Errorf("dead letters = %+v; want one client_error (HTTP %d) after 1 attempt", dl, u.c.errorStatus)
	}
	if !strings.Contains(d.Error, said) {
		t.Errorf("dead letter error %q does not carry the platform's message %q", d.Error, said)
	}
	for _, secret := range u.fake.Secrets() {
		if secret != "" && strings.Contains(d.Error, secret) {
			t.Errorf("dead letter error quotes an account secret: %q", d.Error)
		}
	}
}

// testChallenge: the handshake is answered with its challenge and goes
// no further; unsigned, it is refused like any delivery.
func testChallenge(t *testing.T, bot *Bot, u *platformUnderTest) {
	c := u.c.challenge
	value := "e2e-challenge-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	// Per-source counters: the other platforms' subtests queue jobs
	// meanwhile.
	series := func(outcome string) string {
		return `autoresponder_webhook_requests_total{outcome="` + outcome + `",source="` + u.source() + `"}`
	}
	ignored, accepted := series("ignored"), series("accepted")
	ignoredBefore, acceptedBefore, sent := bot.counter(ignored), bot.counter(accepted), u.fake.Accepted()

	h := u.sign(c.body, http.Header{http.CanonicalHeaderKey(c.header): {value}}, time.Now())
	code, _, raw := postDelivery(t, bot, u.source(), c.body, h)
	var answer map[string]string
	if err := json.Unmarshal([]byte(raw), &answer); code != http.StatusOK || err != nil || len(answer) != 1 || answer[c.answerKey] != value {
		t.Errorf("handshake = %d %s; want 200 {%q: %q}", code, raw, c.answerKey, value)
	}
	if got := bot.counter(ignored) - ignoredBefore; got != 1 {
		t.Errorf("%s rose by %v; want 1 (a handshake is not an event)", ignored, got)
	}

	unsigned := http.Header{http.CanonicalHeaderKey(c.header): {value}}
	if code, _, raw := postDelivery(t, bot, u.source(), c.body, unsigned); code != http.StatusUnauthorized || strings.Contains(raw, value) {
		t.Errorf("unsigned handshake = %d %s; want 401 without the challenge", code, raw)
	}
	waitIdle(t, bot)
	if n := bot.counter(accepted) - acceptedBefore; n != 0 {
		t.Errorf("%s rose by %v; want 0", accepted, n)
	}
	if n := u.fake.Accepted() - sent; n != 0 {
		t.Errorf("the handshake sent %d requests to the platform; want none", n)
	}
}

// decodedLines is text with each JSON line replaced by its strings.
func decodedLines(text string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		var v any
		if json.Unmarshal([]byte(line), &v) != nil {
			out = append(out, line)
			continue
		}
		out = append(out, jsonStrings(v, nil)...)
	}
	return strings.Join(out, "\n")
}
