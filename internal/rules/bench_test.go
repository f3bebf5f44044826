package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

// Benchmarks of the rules engine: one event against generated rule files,
// template rendering, and compiling a file. Run with
//
//	go test ./internal/rules -run '^$' -bench . -benchtime 200ms
//
// Every helper here is prefixed with bench so it cannot collide with the
// package's other test files.

// benchTopics are the topics the generated rules constrain; the benchmark
// event is the first.
var benchTopics = []string{
	"conversation.user.replied", "conversation.user.created", "conversation.admin.replied",
	"conversation.admin.noted", "ticket.contact.replied", "ticket.created",
	"ticket.admin.replied", "ticket.note.created",
}

// benchRuleWhen returns the condition of rule i. Rules with i%100 == 0
// match the benchmark event (so 1, 1 and 10 of 1, 100 and 1,000 rules
// match); the others are a realistic mix of operators over nested fields
// that fail, most of them only after the cheap parts have passed.
//
// prefilter: nine rules in ten name a topic the way the prefilter
// understands (topic == "x" / topic in [...]), spread over benchTopics, so
// the event's topic selects a fraction of them. Without it no rule names a
// topic that way (some use startsWith, which the prefilter ignores), so
// every rule is evaluated.
func benchRuleWhen(i int, prefilter bool) string {
	topic := benchTopics[i%len(benchTopics)]
	if i%100 == 0 {
		topic = benchTopics[0]
	}
	var guard string
	switch {
	case prefilter && i%10 != 9 && i%3 == 0:
		guard = fmt.Sprintf("topic in [%q, %q] && ", topic, benchTopics[(i+3)%len(benchTopics)])
	case prefilter && i%10 != 9:
		guard = fmt.Sprintf("topic == %q && ", topic)
	case i%4 == 1:
		guard = `topic startsWith "conversation." && `
	}
	if i%100 == 0 {
		return guard + `message?.text matches "(?i)\\b(refund|money back)\\b" && "billing" in tags`
	}
	w := fmt.Sprintf("kw%03d", i) // words no event contains
	conds := []string{
		fmt.Sprintf(`message?.text matches "(?i)\\b(%s|%s-x)\\b"`, w, w),
		fmt.Sprintf(`lower(message?.text ?? "") contains %q`, w),
		fmt.Sprintf(`(contact?.email ?? "") endsWith "@%s.example"`, w),
		fmt.Sprintf(`%q in tags && contact?.external_id != nil`, w),
		fmt.Sprintf(`(contact?.name ?? "") startsWith %q`, strings.ToUpper(w)),
		fmt.Sprintf(`ticket?.attributes?.Severity == %q`, w),
		fmt.Sprintf(`item?.custom_attributes?.plan in [%q, "legacy-%s"]`, w, w),
		fmt.Sprintf(`message?.author?.type == "admin" && (message?.text ?? "") contains %q`, w),
		fmt.Sprintf(`len(tags) > 1 && any(tags, # startsWith %q)`, w),
		fmt.Sprintf(`ticket?.state in ["submitted", "in_progress"] && (ticket?.subject ?? "") contains %q`, w),
	}
	return guard + conds[i%len(conds)]
}

// benchRulesFile is a rules file with n rules; see benchRuleWhen.
func benchRulesFile(n int, prefilter bool) []byte {
	var b strings.Builder
	b.WriteString(`settings:
  target_max_per_hour: 0
sources:
  intercom:
    kind: intercom
    secret_env: INTERCOM_CLIENT_SECRET
platforms:
  intercom:
    kind: intercom
    base_url: https://api.intercom.io
    token_env: INTERCOM_ACCESS_TOKEN
    admin_id: "814860"
rules:
`)
	for i := range n {
		fmt.Fprintf(&b, "  - name: rule-%04d\n    when: %s\n", i, benchQuote(benchRuleWhen(i, prefilter)))
		if i%7 == 0 {
			b.WriteString("    cooldown: 12h\n")
		}
		as := "note"
		if i%2 == 0 {
			as = "comment"
		}
		fmt.Fprintf(&b, "    reply:\n      as: %s\n      body: %s\n", as,
			benchQuote(`<p>Hi {{ contact?.name ?? "there" }}, thanks for writing about {{ ticket?.subject ?? "your question" }}.</p><p>Ref {{ id }}</p>`))
	}
	return []byte(b.String())
}

// benchQuote writes s as a double-quoted YAML scalar.
func benchQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// benchEvent is a conversation.user.replied event as Intercom's 2.x
// payloads normalize, with a message of a few hundred characters.
func benchEvent() *event.Event {
	text := "Hi, I was charged twice this month and would like a refund for the second charge. " +
		"The invoice number is INV-2026-0042 and the card ends in 4242. I have attached the bank statement. " +
		"Could you also tell me whether the annual plan would have avoided this? Thanks a lot, and sorry for the trouble."
	return &event.Event{
		Source: "intercom", Kind: "intercom", Topic: benchTopics[0],
		ID:         "notif_5b0d3c1e-8f4a-4b7e-9c2d-1a2b3c4d5e01",
		OccurredAt: time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC), ReceivedAt: time.Date(2026, 1, 15, 10, 0, 1, 0, time.UTC),
		Target: event.Target{Type: event.TargetConversation, ID: "9100000001"},
		Message: &event.Message{ID: "880000001", HTML: "<p>" + text + "</p>", Text: text,
			Author: event.Author{Type: "user", ID: "6790a1b2c3d4e5f601234567", Name: "Ada O'Brien & <Co>", Email: "ada@example.org"}},
		Contact: &event.Contact{ID: "6790a1b2c3d4e5f601234567", ExternalID: "cust-42", Email: "ada@example.org", Name: "Ada O'Brien & <Co>"},
		Tags:    []string{"billing", "priority-normal", "eu"},
		Item: map[string]any{
			"type": "conversation", "id": "9100000001", "state": "open",
			"custom_attributes": map[string]any{"plan": "pro", "seats": 12.0, "region": "eu-west"},
		},
	}
}

func benchLoad(b *testing.B, data []byte) *Ruleset {
	b.Helper()
	rs, err := Load(data, "bench.yaml", Options{Platforms: testRegistry})
	if err != nil {
		b.Fatalf("load generated rules: %v", err)
	}
	return rs
}

// BenchmarkEvaluate is one event against 1, 100 and 1,000 rules, with the
// topic prefilter able to skip most rules ("prefilter") and with every rule
// evaluated ("all"). rules/op is how many conditions ran; matches/op how
// many replies were rendered.
func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		for _, prefilter := range []bool{true, false} {
			name := fmt.Sprintf("rules=%d/all", n)
			if prefilter {
				name = fmt.Sprintf("rules=%d/prefilter", n)
			}
			b.Run(name, func(b *testing.B) {
				rs := benchLoad(b, benchRulesFile(n, prefilter))
				ev := benchEvent()
				first := rs.Evaluate(ev)
				if len(first.Errors) > 0 {
					b.Fatalf("rule %s: %v", first.Errors[0].Rule.Name, first.Errors[0].Err)
				}
				if want := max(1, n/100); len(first.Matches) != want {
					b.Fatalf("%d rules matched, want %d", len(first.Matches), want)
				}
				b.ReportAllocs()
				for b.Loop() {
					rs.Evaluate(ev)
				}
				b.ReportMetric(float64(len(rs.candidates(ev))), "rules/op")
				b.ReportMetric(float64(len(first.Matches)), "matches/op")
			})
		}
	}
}

// BenchmarkRenderTemplate renders a reply body with five placeholders into
// HTML, escaping every value (the contact's name needs it).
func BenchmarkRenderTemplate(b *testing.B) {
	src := `<p>Hi {{ contact?.name ?? "there" }},</p>
<p>Thanks for your message about conversation {{ target.id }}. You wrote:</p>
<blockquote>{{ message?.text }}</blockquote>
<p>We will answer {{ contact?.email }} within one working day ({{ "vip" in tags ? "priority" : "standard" }} queue).</p>`
	tpl, err := compileTemplate(src, exprEnv(nil, time.Now), nil)
	if err != nil {
		b.Fatal(err)
	}
	ev := benchEvent()
	run := new(runner)
	out, err := tpl.Render(run, ev, formatHTML)
	if err != nil {
		b.Fatal(err)
	}
	if !strings.Contains(out, "Ada O&#39;Brien &amp; &lt;Co&gt;") {
		b.Fatalf("name not escaped: %s", out)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if _, err := tpl.Render(run, ev, formatHTML); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad100 parses, validates and compiles a 100-rule file: the
// work of a start or a reload.
func BenchmarkLoad100(b *testing.B) {
	data := benchRulesFile(100, true)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		benchLoad(b, data)
	}
}
