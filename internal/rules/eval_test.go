package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

func conversationEvent(topic string, author event.Author, text string) *event.Event {
	return &event.Event{
		Source: "intercom", Kind: "intercom", Topic: topic, ID: "notif_1",
		Target:  event.Target{Type: event.TargetConversation, ID: "c1"},
		Message: &event.Message{ID: "m1", HTML: "<p>" + text + "</p>", Text: text, Author: author},
		Contact: &event.Contact{ID: "u1", Email: "ada@example.com", Name: "Ada <Lovelace>"},
		Tags:    []string{"vip"},
		Item:    map[string]any{}, Payload: map[string]any{},
	}
}

var customer = event.Author{Type: "user", ID: "u1", Name: "Ada"}

func matchedRules(ev Evaluation) []string {
	var out []string
	for _, m := range ev.Matches {
		out = append(out, m.Rule.Name)
	}
	return out
}

func TestEvaluate(t *testing.T) {
	rs := mustLoad(t, header+`  - name: refund
    source: intercom
    when: topic == "conversation.user.created" && message.text matches "(?i)refund"
    reply: {as: note, body: "refund from {{ contact.name }}"}
  - name: vip
    when: '"vip" in tags'
    reply: {as: note, body: "<b>vip</b> {{ raw('<i>' + contact.email + '</i>') }}"}
  - name: replies
    when: topic in ["conversation.user.replied", "ticket.contact.replied"]
    reply: {as: comment, body: "thanks"}
  - name: stopper
    when: message?.text contains "stop"
    stop: true
    reply: {as: note, body: "stopped"}
  - name: after-stop
    when: "true"
    allow_bots: true
    reply: {as: note, body: "after"}
`)
	cases := []struct {
		name        string
		ev          *event.Event
		wantIgnored string
		want        []string
	}{
		{"refund on a new conversation", conversationEvent("conversation.user.created", customer, "I want a REFUND"), "", []string{"refund", "vip", "after-stop"}},
		{"topic prefilter", conversationEvent("conversation.user.replied", customer, "hello"), "", []string{"vip", "replies", "after-stop"}},
		{"stop ends evaluation", conversationEvent("conversation.user.replied", customer, "please stop"), "", []string{"vip", "replies", "stopper"}},
		{"own reply: only allow_bots rules", conversationEvent("conversation.admin.replied", event.Author{Type: "admin", ID: "1"}, "refund"), IgnoredOwnReply, []string{"after-stop"}},
		{"another admin is fine", conversationEvent("conversation.admin.replied", event.Author{Type: "admin", ID: "2"}, "x"), "", []string{"vip", "after-stop"}},
		{"bots are held back", conversationEvent("conversation.user.replied", event.Author{Type: "bot", ID: "9"}, "x"), IgnoredBotAuthor, []string{"after-stop"}},
		{"Fin opening a ticket is not a bot talking", conversationEvent("ticket.created", event.Author{Type: "bot", ID: "9"}, "x"), "", []string{"vip", "after-stop"}},
		{"operator replies are held back", conversationEvent("conversation.operator.replied", customer, "x"), IgnoredOperator, []string{"after-stop"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := rs.Evaluate(tc.ev)
			if ev.Ignored != tc.wantIgnored {
				t.Errorf("ignored = %q, want %q", ev.Ignored, tc.wantIgnored)
			}
			if got := matchedRules(ev); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("matched %v, want %v", got, tc.want)
			}
		})
	}
}

// The topic prefilter must never change a verdict: evaluating every rule
// gives the same matches.
func TestPrefilterAgreesWithFullEvaluation(t *testing.T) {
	rs := mustLoad(t, header+`  - name: a
    when: topic == "conversation.user.created" || topic == "conversation.user.replied"
    reply: {as: note, body: x}
  - name: b
    when: (topic in ["ticket.created"] && true) || false
    reply: {as: note, body: x}
  - name: c
    when: '"conversation.user.created" == topic && message != nil'
    reply: {as: note, body: x}
  - name: d
    when: topic startsWith "conversation."
    reply: {as: note, body: x}
`)
	for _, topic := range []string{"conversation.user.created", "conversation.user.replied", "ticket.created", "conversation.admin.closed", "other"} {
		ev := conversationEvent(topic, customer, "x")
		fast := matchedRules(rs.Evaluate(ev))
		var full []string
		for _, r := range rs.Explain(ev).Rules {
			if r.Verdict == VerdictMatched {
				full = append(full, r.Rule)
			}
		}
		if fmt.Sprint(fast) != fmt.Sprint(full) {
			t.Errorf("topic %s: prefiltered %v, full %v", topic, fast, full)
		}
	}
}

func TestRenderEscapingAndKeys(t *testing.T) {
	rs := mustLoad(t, header+`  - name: html
    source: intercom
    when: "true"
    reply:
      as: quick_reply
      body: "<p>Hi {{ contact.name }}{{ raw('<br>') }}</p>"
      options: ["Yes {{ contact.name }}", "No"]
  - name: per-contact
    source: intercom
    when: "true"
    cooldown: 1h
    per: contact
    reply: {as: note, body: "n", to: {type: ticket, id: "{{ 't-' + target.id }}"}}
  - name: broken
    source: intercom
    when: "true"
    reply: {as: note, body: "{{ ticket.subject }}"}
`)
	ev := conversationEvent("conversation.user.created", customer, "x")
	out := rs.Evaluate(ev)
	if len(out.Matches) != 3 {
		t.Fatalf("matches: %v", matchedRules(out))
	}
	html := out.Matches[0].Request
	if html.Body != "<p>Hi Ada &lt;Lovelace&gt;<br></p>" {
		t.Errorf("HTML body = %q: interpolated text must be escaped, raw() not", html.Body)
	}
	texts, uuids := html.List("options"), html.List("option_uuids")
	if len(texts) != 2 || texts[0] != "Yes Ada <Lovelace>" || len(uuids) != 2 || uuids[0] == uuids[1] {
		t.Errorf("options = %q %q: button text is not HTML, uuids differ", texts, uuids)
	}
	again := rs.Evaluate(ev).Matches[0].Request
	if again.List("option_uuids")[0] != uuids[0] {
		t.Error("quick-reply uuids must be stable for the same event and rule")
	}
	pc := out.Matches[1]
	if pc.Request.Target != (event.Target{Type: "ticket", ID: "t-c1"}) {
		t.Errorf("templated target = %+v", pc.Request.Target)
	}
	if pc.ClaimKey != "contact:intercom:u1" || pc.TargetKey != "intercom:ticket:t-c1" {
		t.Errorf("claim key %q, target key %q", pc.ClaimKey, pc.TargetKey)
	}
	if br := out.Matches[2]; br.Err == nil || !strings.Contains(br.Err.Error(), "reply.body") {
		t.Errorf("a template reading a nil ticket must fail at render time with the field: %v", br.Err)
	}
}

func TestCalendar(t *testing.T) {
	cal, err := newCalendar("eu", &CalendarConfig{
		Timezone: "Europe/Berlin",
		Hours:    map[string]string{"mon-fri": "09:00-12:00, 13:00-17:30", "sat": "10:00-14:00", "sun": "closed"},
		Holidays: []string{"2026-12-25"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		at   string
		open bool
	}{
		{"2026-03-02T08:00:00Z", true},  // Monday 09:00 Berlin: opening minute
		{"2026-03-02T07:59:00Z", false}, // 08:59
		{"2026-03-02T11:30:00Z", false}, // lunch 12:30
		{"2026-03-02T16:29:00Z", true},  // 17:29
		{"2026-03-02T16:30:00Z", false}, // 17:30: closed
		{"2026-03-07T10:00:00Z", true},  // Saturday 11:00
		{"2026-03-08T10:00:00Z", false}, // Sunday
		{"2026-12-25T10:00:00Z", false}, // holiday (a Friday)
		{"2026-07-06T07:30:00Z", true},  // summer time: 09:30 Berlin
		{"2026-07-06T15:31:00Z", false}, // 17:31 Berlin
	}
	for _, tc := range cases {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := cal.Open(at); got != tc.open {
			t.Errorf("Open(%s) = %v, want %v", tc.at, got, tc.open)
		}
	}
	for _, bad := range []map[string]string{{"mon": "9-5"}, {"mon": "17:00-09:00"}, {"funday": "09:00-10:00"}, {"mon": "09:00-10:00", "mon-fri": "10:00-11:00"}} {
		if _, err := newCalendar("x", &CalendarConfig{Timezone: "UTC", Hours: bad}); err == nil {
			t.Errorf("hours %v loaded; want an error", bad)
		}
	}
}

func TestClockDrivesTimeFunctions(t *testing.T) {
	src := header + `  - name: ooo
    source: intercom
    when: outside_hours("eu") && now().Year() == 2026
    reply: {as: note, body: x}
calendars:
  eu: {timezone: UTC, hours: {mon-fri: "09:00-17:00"}}
`
	for _, tc := range []struct {
		at   string
		want int
	}{{"2026-03-02T10:00:00Z", 0}, {"2026-03-02T18:00:00Z", 1}, {"2027-03-01T18:00:00Z", 0}} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		rs, err := Load([]byte(src), "rules.yaml", Options{Platforms: testRegistry, Clock: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(rs.Evaluate(conversationEvent("conversation.user.created", customer, "x")).Matches); got != tc.want {
			t.Errorf("at %s: %d matches, want %d", tc.at, got, tc.want)
		}
	}
}

func TestRuntimeConditionErrorIsNoMatch(t *testing.T) {
	rs := mustLoad(t, header+`  - name: deep
    when: item.foo.bar == 1
    reply: {as: note, body: x}
  - name: fine
    when: "true"
    reply: {as: note, body: x}
`)
	out := rs.Evaluate(conversationEvent("conversation.user.created", customer, "x"))
	if len(out.Errors) != 1 || out.Errors[0].Rule.Name != "deep" {
		t.Fatalf("errors = %+v", out.Errors)
	}
	if got := matchedRules(out); fmt.Sprint(got) != "[fine]" {
		t.Errorf("matched %v, want [fine]", got)
	}
}

func TestExplainSaysWhichPartWasFalse(t *testing.T) {
	rs := mustLoad(t, header+`  - name: refund
    source: intercom
    when: topic == "conversation.user.created" && message.text contains "refund"
    reply: {as: note, body: x}
  - name: other
    source: whmcs
    when: "true"
    reply: {as: note, body: x}
`)
	ex := rs.Explain(conversationEvent("conversation.user.created", customer, "hello"))
	r := ex.Rules[0]
	if r.Verdict != VerdictNoMatch || len(r.False) != 1 || r.False[0].Expr != `message.text contains "refund"` {
		t.Fatalf("explanation = %+v", r)
	}
	if v := r.False[0].Values; len(v) != 1 || v[0].Name != "message.text" || v[0].Value != "hello" {
		t.Errorf("values = %+v, want message.text = hello", v)
	}
	if ex.Rules[1].Verdict != VerdictSkipped || !strings.Contains(ex.Rules[1].Why, "whmcs") {
		t.Errorf("other source: %+v", ex.Rules[1])
	}
}

func TestLint(t *testing.T) {
	rs := mustLoad(t, header+`  - name: typo
    when: topic == "conversation.user.create"
    once: true
    reply: {as: note, body: x}
  - name: chatty
    source: intercom
    when: topic == "conversation.user.replied"
    reply: {as: note, body: x}
  - name: loopy
    source: intercom
    when: topic == "conversation.admin.replied"
    allow_bots: true
    cooldown: 1h
    reply: {as: note, body: x}
  - name: whmcs-tags
    source: whmcs
    when: '"vip" in tags'
    once: true
    reply: {as: note, body: x}
  - name: clean
    source: intercom
    when: topic == "conversation.user.created"
    once: true
    reply: {as: note, body: x}
`)
	var got []string
	for _, w := range rs.Lint() {
		got = append(got, w.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`rule "typo": no intercom or whmcs source sends topic "conversation.user.create", so this rule never matches (did you mean "conversation.user.created"?)`,
		`rule "chatty": fires on every reply`,
		`rule "loopy": allow_bots on a rule that sees admin and bot messages`,
		`rule "whmcs-tags": reads tags, which whmcs events never have`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing warning %q in:\n%s", want, all)
		}
	}
	if strings.Contains(all, `"clean"`) {
		t.Errorf("a clean rule drew a warning:\n%s", all)
	}
	if len(got) != 4 {
		t.Errorf("%d warnings, want 4:\n%s", len(got), all)
	}
}

func TestRawConcatenationStaysEscaped(t *testing.T) {
	rs := mustLoad(t, header+`  - name: html
    source: intercom
    when: "true"
    reply: {as: note, body: "{{ raw('<b>') + contact.name + raw('</b>') }} {{ 'x<' + raw('<br>') }}"}
`)
	out := rs.Evaluate(conversationEvent("conversation.user.created", customer, "x"))
	if len(out.Matches) != 1 || out.Matches[0].Err != nil {
		t.Fatalf("matches: %+v", out.Matches)
	}
	if got := out.Matches[0].Request.Body; got != "<b>Ada &lt;Lovelace&gt;</b> x&lt;<br>" {
		t.Errorf("body = %q", got)
	}
}

func TestShadowStopDoesNotSilenceLiveRules(t *testing.T) {
	rs := mustLoad(t, header+`  - name: trial
    source: intercom
    when: "true"
    mode: shadow
    stop: true
    reply: {as: note, body: x}
  - name: live
    source: intercom
    when: "true"
    reply: {as: note, body: y}
`)
	if got := matchedRules(rs.Evaluate(conversationEvent("conversation.user.created", customer, "x"))); fmt.Sprint(got) != "[trial live]" {
		t.Errorf("matched %v, want [trial live]: a shadow rule's stop must not apply", got)
	}
}
