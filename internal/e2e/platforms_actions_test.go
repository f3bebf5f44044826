package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/queue"
)

// acting is u as the actions scenarios see it: answering actExample.
func (u *platformUnderTest) acting() *platformUnderTest {
	a := *u
	a.example = u.actExample
	return &a
}

// actionsRules are the rules of a case whose platform acts: on its act
// source, a reply then three actions; on its fail source, the same kind of
// actions without a reply, whose first step the test makes the fake refuse.
func actionsRules(u *platformUnderTest) string {
	u = u.acting()
	if len(u.actionRows()) == 0 {
		return ""
	}
	when := fmt.Sprintf("target.id == %q", u.example.want.Target.ID)
	return rulesYAML(
		rule{name: u.name + "-act", source: u.actSource(), when: when,
			reply: fmt.Sprintf("as: %s\nbody: %q", u.row.As, replyTemplate), extra: actionsYAML(u.planActions(addedTag, true))},
		rule{name: u.name + "-fail", source: u.failSource(), when: when, extra: actionsYAML(u.planActions(failTag, false))},
	)
}

// steps lists the steps of the requests for u's target that the fake
// accepted (2xx), in the order they went out, and the count of each.
func (u *platformUnderTest) steps(sent []sentRequest) ([]string, map[string]int) {
	var order []string
	n := map[string]int{}
	for _, r := range sent {
		s := stepOf(r, u.example.want.Target.ID, u.rendered())
		if s == "" || r.Status < 200 || r.Status > 299 {
			continue
		}
		if n[s] == 0 {
			order = append(order, s)
		}
		n[s]++
	}
	return order, n
}

// testActions: a rule that replies and acts on the platform: the fake
// gets the reply, then each action in the order written, each once; the
// tag is added and the tag already there stays; history has each step.
func testActions(t *testing.T, bot *Bot, u *platformUnderTest) {
	plan := u.planActions(addedTag, true)
	target := u.example.want.Target.ID
	ts := u.tagsOf()
	if ts != nil {
		ts.seed(target, existingTag)
	}
	from := u.wire.count()
	code, ans, raw := postDelivery(t, bot, u.actSource(), u.example.body, u.sign(u.example.body, u.example.header, time.Now()))
	if code != http.StatusOK || ans.Status != "accepted" {
		t.Fatalf("POST = %d %s; want 200 accepted", code, raw)
	}
	query := "source=" + u.actSource() + "&event_id=" + url.QueryEscape(ans.EventID)
	var h []queue.History
	WaitFor(t, 20*time.Second, "every step in history", func() bool {
		h = history(t, bot, query)
		return len(h) >= 1+len(plan)
	})
	waitIdle(t, bot)

	want := append([]string{"reply"}, actionNames(plan)...)
	order, n := u.steps(u.wire.since(from))
	if !slices.Equal(order, want) {
		t.Errorf("steps at the fake = %v; want %v (sent: %s)", order, want, u.wire.summary())
	}
	for _, s := range want {
		if n[s] != 1 {
			t.Errorf("the fake accepted %d %s requests; want 1", n[s], s)
		}
	}
	if n["other"] != 0 {
		t.Errorf("%d requests the test cannot place (sent: %s)", n["other"], u.wire.summary())
	}
	if ts != nil {
		if got := ts.tags(target); !slices.Contains(got, existingTag) || !slices.Contains(got, addedTag) {
			t.Errorf("the fake's tags = %q; want %q added and %q kept", got, addedTag, existingTag)
		}
	}
	slices.SortFunc(h, func(a, b queue.History) int { return int(a.ID - b.ID) })
	var got []string
	for _, r := range h {
		if r.Outcome != queue.Sent || r.Rule != u.name+"-act" {
			t.Errorf("history record %+v; want the rule's, sent", r)
		}
		got = append(got, cmpOr(r.Action, "reply"))
	}
	if !slices.Equal(got, want) {
		t.Errorf("history lists steps %v; want %v", got, want)
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// testFailedStep: the fake refuses the first action with a 403. The step
// is dead-lettered at once with the platform's message and the scope the
// call needs, carrying the later steps, which are not sent; `bot dlq
// replay` resumes at the failed step and the later ones follow.
func testFailedStep(t *testing.T, bot *Bot, u *platformUnderTest) {
	plan := u.planActions(failTag, false)
	said := "E2E " + u.name + " says: this token may not do that"
	from := u.wire.count()
	before := u.fake.Accepted()
	u.fake.Answer(http.StatusForbidden, nil, u.fake.ErrorBody(said))

	code, ans, raw := postDelivery(t, bot, u.failSource(), u.example.body, u.sign(u.example.body, u.example.header, time.Now()))
	if code != http.StatusOK || ans.Status != "accepted" {
		t.Fatalf("POST = %d %s; want 200 accepted", code, raw)
	}
	rule := u.name + "-fail"
	var dl []queue.DeadLetter
	WaitFor(t, 15*time.Second, "the dead letter", func() bool {
		dl = deadLettersOf(deadLetters(t, bot, "rule="+rule), ans.EventID)
		return len(dl) > 0
	})
	waitIdle(t, bot)
	if n := u.fake.Accepted() - before; n != 1 {
		t.Errorf("the fake got %d requests; want 1 (the refused one; later steps wait)", n)
	}
	if order, _ := u.steps(u.wire.since(from)); len(order) != 0 {
		t.Errorf("steps %v went through after the refusal; want none (sent: %s)", order, u.wire.summary())
	}
	d := dl[0]
	first := plan[0].row
	if len(dl) != 1 || d.Request.Action != first.Action || d.Status != http.StatusForbidden || d.Attempts != 1 {
		t.Fatalf("dead letters = %+v; want one for %s, HTTP 403 after 1 attempt", dl, first.Action)
	}
	if !strings.Contains(d.Error, said) {
		t.Errorf("dead letter error %q does not carry the platform's message %q", d.Error, said)
	}
	if first.Scope != "" && !strings.Contains(d.Error, first.Scope) {
		t.Errorf("dead letter error %q does not name the scope %q", d.Error, first.Scope)
	}
	var next []string
	for _, r := range d.Next {
		next = append(next, r.Action)
	}
	if want := actionNames(plan)[1:]; !slices.Equal(next, want) {
		t.Errorf("dead letter carries steps %v; want %v", next, want)
	}

	// Replayed, with the fake answering normally again.
	code, out := Run(t, bot.Dir, nil, append([]string{"dlq", "replay", fmt.Sprint(d.ID),
		"--rules", filepath.Join(bot.Dir, "rules.yaml")}, storeArgs(bot)...)...)
	if code != 0 || !regexp.MustCompile(fmt.Sprintf(`(?m)^replayed dead letter %d as job \d+$`, d.ID)).MatchString(out) {
		t.Fatalf("bot dlq replay = %d:\n%s", code, out)
	}
	query := "source=" + u.failSource() + "&event_id=" + url.QueryEscape(ans.EventID) + "&outcome=" + queue.Sent
	WaitFor(t, 20*time.Second, "the replayed steps in history", func() bool {
		return len(history(t, bot, query)) >= len(plan)
	})
	waitIdle(t, bot)
	order, n := u.steps(u.wire.since(from))
	if want := actionNames(plan); !slices.Equal(order, want) {
		t.Errorf("after the replay, steps at the fake = %v; want %v (sent: %s)", order, want, u.wire.summary())
	}
	for _, s := range actionNames(plan) {
		if n[s] != 1 {
			t.Errorf("the fake accepted %d %s requests; want 1", n[s], s)
		}
	}
	if ts := u.tagsOf(); ts != nil && !slices.Contains(ts.tags(u.example.want.Target.ID), failTag) {
		t.Errorf("after the replay the fake's tags = %q; want %q added", ts.tags(u.example.want.Target.ID), failTag)
	}
}

// storeArgs are the flags that open the bot's store from a CLI command.
func storeArgs(bot *Bot) []string {
	if bot.cfg.DatabaseURL != "" {
		return []string{"--database-url", bot.cfg.DatabaseURL}
	}
	return []string{"--data", filepath.Join(bot.Dir, "data")}
}

// testBotActions: the platform reports the bot's own actions (closed,
// assigned, tagged... by the bot's account) as webhooks; none reaches the
// trap rule that answers anything on the source.
func testBotActions(t *testing.T, bot *Bot, u *platformUnderTest) {
	posts := u.ownActions
	if len(posts) == 0 {
		t.Skip("the suite lists no bot action this account names the bot in")
	}
	before := u.fake.Accepted()
	for i, p := range posts {
		code, ans, raw := postDelivery(t, bot, u.ownSource(), p.Body, u.sign(p.Body, p.Header, time.Now()))
		if code != http.StatusOK || ans.Status != "ignored" || ans.Reason != platform.IgnoredOwnReply {
			t.Errorf("bot action %d: POST = %d %s; want 200 ignored as %s", i, code, raw, platform.IgnoredOwnReply)
		}
	}
	waitIdle(t, bot)
	if n := u.fake.Accepted() - before; n != 0 {
		t.Errorf("the bot answered its own actions: %d requests", n)
	}
}
