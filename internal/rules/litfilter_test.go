package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
)

// litEvents are events that exercise the literal filter: words in every
// field the conditions below read, in other cases, nil fields, the
// Unicode letters that fold to ASCII in (?i) patterns.
func litEvents() map[string]*event.Event {
	withText := func(text string) *event.Event {
		ev := benchEvent()
		ev.Message.Text, ev.Message.HTML = text, "<p>"+text+"</p>"
		return ev
	}
	noMessage := benchEvent()
	noMessage.Message = nil
	noContact := benchEvent()
	noContact.Contact = nil
	ticket := benchEvent()
	ticket.Topic = "ticket.created"
	ticket.Ticket = &event.Ticket{ID: "t1", Subject: "Invoice KW007 missing", State: "submitted",
		Attributes: map[string]any{"Severity": "kw005", "Count": 3.0}}
	tagged := benchEvent()
	tagged.Tags = []string{"kw008-gold", "kw003"}
	item := benchEvent()
	item.Item["custom_attributes"] = map[string]any{"plan": "legacy-kw006"}
	item.Item["labels"] = []any{"x", 4.0, "kw011"}
	numberPlan := benchEvent()
	numberPlan.Item["custom_attributes"] = map[string]any{"plan": 7.0}
	contact := benchEvent()
	contact.Contact.Email, contact.Contact.Name = "bob@kw002.example", "KW004 Ltd"
	admin := withText("the admin says kw007 here")
	admin.Message.Author.Type = "admin"
	return map[string]*event.Event{
		"bench": benchEvent(), "no message": noMessage, "no contact": noContact, "ticket": ticket,
		"tagged": tagged, "item": item, "number plan": numberPlan, "contact": contact, "admin": admin,
		"regex word":    withText("About KW000-X, please"),
		"lower":         withText("My KW001 order"),
		"kelvin":        withText("\u212Aw000 and \u212AW009"), // (?i)kw000 matches the Kelvin sign
		"long s":        withText("\u017Fome text kw00"),
		"empty message": withText(""),
	}
}

// litConditions are conditions of every form the filter reads, and some it
// does not.
var litConditions = []struct {
	when     string
	filtered bool // the filter has a requirement for it
}{
	{`message?.text matches "(?i)\\b(kw000|kw000-x)\\b"`, true},
	{`message?.text matches "(?i)\\bkw009\\b"`, true},
	{`message?.text matches "(?i)\\bsome\\b"`, true},
	{`lower(message?.text ?? "") contains "kw001"`, true},
	{`(contact?.email ?? "") endsWith "@kw002.example"`, true},
	{`"kw003" in tags && contact?.external_id != nil`, true},
	{`(contact?.name ?? "") startsWith "KW004"`, true},
	{`ticket?.attributes?.Severity == "kw005"`, true},
	{`ticket?.attributes?.Count == "3"`, true},
	{`item?.custom_attributes?.plan in ["kw006", "legacy-kw006"]`, true},
	{`message?.author?.type == "admin" && (message?.text ?? "") contains "kw007"`, true},
	{`len(tags) > 1 && any(tags, # startsWith "kw008")`, true},
	{`one(tags, # == "kw003")`, true},
	{`ticket?.state in ["submitted", "in_progress"] && (ticket?.subject ?? "") contains "KW007"`, true},
	{`message?.text contains "kw009" || "kw003" in tags`, true},
	{`"kw011" in item?.labels`, true},
	{`message?.text == "About KW000-X, please"`, true},
	{`topic == "ticket.created" && text(message?.html ?? "") contains "order"`, true},
	{`message?.text contains ""`, false},
	{`not (message?.text contains "kw009")`, false},
	{`message?.text contains "kw009" || len(tags) > 2`, false},
	{`all(tags, # startsWith "kw")`, false},
	{`language == "en" && message?.text contains "kw"`, true}, // language itself is not read
	{`language == "en"`, false},
	{`item?.custom_attributes?.plan contains "kw"`, true}, // an error on a number plan: the rule still runs
	{`message?.text matches "(?i)x*"`, false},
}

// TestLitFilterAgrees: with the filter, every condition matches (and fails)
// on every event exactly as without it, and the filter takes the
// conditions it should.
func TestLitFilterAgrees(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for i, c := range litConditions {
		fmt.Fprintf(&b, "  - name: r%02d\n    when: %s\n    reply: {as: note, body: \"hi\"}\n", i, benchQuote(c.when))
	}
	rs, plain := mustLoad(t, b.String()), mustLoad(t, b.String())
	plain.lits = nil
	for i, c := range litConditions {
		if got := rs.Rules[i].lits != nil; got != c.filtered {
			t.Errorf("%s: filtered = %v, want %v", c.when, got, c.filtered)
		}
	}
	for name, ev := range litEvents() {
		t.Run(name, func(t *testing.T) {
			with, without := rs.Evaluate(ev), plain.Evaluate(ev)
			if got, want := matchedRules(with), matchedRules(without); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("matched %v with the filter, %v without", got, want)
			}
			errs := func(e Evaluation) (out []string) {
				for _, re := range e.Errors {
					out = append(out, re.Rule.Name)
				}
				return out
			}
			if got, want := errs(with), errs(without); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("errors in %v with the filter, %v without", got, want)
			}
		})
	}
}

// TestLitFilterBench: on the benchmark's files, the filter changes no
// evaluation and runs only the rules that match.
func TestLitFilterBench(t *testing.T) {
	for _, prefilter := range []bool{true, false} {
		rs, err := Load(benchRulesFile(1000, prefilter), "bench.yaml", Options{Platforms: testRegistry})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := Load(benchRulesFile(1000, prefilter), "bench.yaml", Options{Platforms: testRegistry})
		if err != nil {
			t.Fatal(err)
		}
		plain.lits = nil
		for name, ev := range litEvents() {
			with, without := rs.Evaluate(ev), plain.Evaluate(ev)
			if got, want := matchedRules(with), matchedRules(without); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("prefilter=%v %s: matched %v with the filter, %v without", prefilter, name, got, want)
			}
			if len(with.Errors) != len(without.Errors) {
				t.Errorf("prefilter=%v %s: %d errors with the filter, %d without", prefilter, name, len(with.Errors), len(without.Errors))
			}
		}
	}
}

func TestACAutomaton(t *testing.T) {
	for _, tc := range []struct {
		lits []string
		fold bool
		text string
		want string
	}{
		{[]string{"he", "she", "his", "hers"}, false, "ushers", "[0 1 3]"},
		{[]string{"abc", "bc", "c"}, false, "xabcx", "[0 1 2]"},
		{[]string{"refund", "money back"}, true, "I want my MONEY BACK", "[1]"},
		{[]string{"Refund"}, false, "refund", "[]"},
		{[]string{"aaa", "aa"}, false, "aa", "[1]"},
		{[]string{"kw001", "kw0010"}, false, "kw001", "[0]"},
		{[]string{"x"}, false, "", "[]"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			a := newACAutomaton(tc.lits, tc.fold)
			found := make([]bool, len(tc.lits))
			a.scan(tc.text, func(id int32) { found[id] = true })
			var got []int
			for i, f := range found {
				if f {
					got = append(got, i)
				}
			}
			if fmt.Sprint(got) != tc.want && !(tc.want == "[]" && got == nil) {
				t.Errorf("found %v, want %s", got, tc.want)
			}
			// The fallback without a table agrees.
			a.dense = false
			clear(found)
			a.scan(tc.text, func(id int32) { found[id] = true })
			var slow []int
			for i, f := range found {
				if f {
					slow = append(slow, i)
				}
			}
			if fmt.Sprint(slow) != fmt.Sprint(got) {
				t.Errorf("fallback found %v, table %v", slow, got)
			}
		})
	}
}
