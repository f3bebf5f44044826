package rules

import (
	"regexp"
	"testing"
)

func TestMatcherAgreesWithRegexp(t *testing.T) {
	patterns := []string{
		`(?i)\b(refund|money back|chargeback)\b`,
		`(?i)refund`,
		`invoice #\d+`,
		`^(?:urgent|asap)`,
		`(?i)café`, // non-ASCII folding: no prefilter
		`a|b`,      // literals too short: no prefilter
		`(foo)+bar`,
		`x*`,
		`(?i)(ab){2,}`,
		`(?i)(refund|money back)`, // k folds to the Kelvin sign
		`(?i)unsubscribe`,         // s folds to the long s
	}
	texts := []string{"", "I want a REFUND now", "money bac\u212A", "un\u017Fubscribe", "money back please", "Invoice #42 is wrong", "URGENT", "urgent help",
		"foofoobar", "CAFÉ au lait", "xx", "ABAB", "refunded", "no match here"}
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		m := newMatcher(p)
		for _, s := range texts {
			want := re.MatchString(s)
			got := want
			if m != nil {
				got = m.match(s)
			}
			if got != want {
				t.Errorf("pattern %q on %q: prefiltered %v, regexp %v", p, s, got, want)
			}
		}
	}
	if newMatcher(`(?i)\b(refund|money back)\b`) == nil {
		t.Error("a word alternation should get a prefilter")
	}
	if m := newMatcher(`a|b`); m != nil {
		t.Errorf("one-letter literals should not filter: %+v", m)
	}
	if newMatcher(`(?i)refund`).match(nil) {
		t.Error("nil never matches")
	}
}

func TestContainsFoldASCII(t *testing.T) {
	cases := []struct {
		s, lit string
		want   bool
	}{
		{"Hello World", "world", true}, {"HELLO", "hello", true}, {"hell", "hello", false},
		{"xxRefUND", "refund", true}, {"r", "refund", false}, {"a-b", "-b", true},
	}
	for _, c := range cases {
		if got := containsFoldASCII(c.s, c.lit); got != c.want {
			t.Errorf("containsFoldASCII(%q, %q) = %v", c.s, c.lit, got)
		}
	}
}
