package rules

import (
	"fmt"
	"strings"
	"testing"
)

// TestLitFilterLooksInsideMapAndListElements: `"k" in #` inside any()/one() is
// true for an element that is a map with key k or a list holding k; the
// filter scanned only string elements and skipped the rule (found by
// review); such an element now lets the rule run.
func TestLitFilterLooksInsideMapAndListElements(t *testing.T) {
	conds := []string{
		`any(item?.contacts, "email" in #)`,
		`one(item?.contacts, "email" in #)`,
		`any(item?.groups, "vip" in #)`,
	}
	var b strings.Builder
	b.WriteString(header)
	for i, c := range conds {
		fmt.Fprintf(&b, "  - name: r%02d\n    when: %s\n    reply: {as: note, body: \"hi\"}\n", i, benchQuote(c))
	}
	rs, plain := mustLoad(t, b.String()), mustLoad(t, b.String())
	plain.lits = nil
	ev := benchEvent()
	ev.Item["contacts"] = []any{map[string]any{"email": "a@b.example"}}
	ev.Item["groups"] = []any{[]any{"vip", "x"}}
	with, without := rs.Evaluate(ev), plain.Evaluate(ev)
	if got, want := fmt.Sprint(matchedRules(with)), fmt.Sprint(matchedRules(without)); got != want || want != "[r00 r01 r02]" {
		t.Errorf("matched %v with the filter, %v without; want [r00 r01 r02] both", got, want)
	}
}
