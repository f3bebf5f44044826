package rules

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
)

// Most rule conditions test a message against a regular expression that
// can only match if one of a few words occurs, like (?i)\b(refund|money
// back)\b. Looking for those words first is an order of magnitude cheaper
// than running the regular expression, and most messages contain none of
// them. matcher does that; the regular expression still decides.

// matcher is a compiled `matches` with a literal prefilter.
type matcher struct {
	re *regexp.Regexp
	// lits: at least one must occur for re to match; fold means compare
	// ASCII case-insensitively (lits are then lower case).
	lits []string
	fold bool
	// unicodeFold: under (?i) the literals' k or s also match the Kelvin
	// sign (U+212A) and the long s (U+017F); texts with those skip the
	// prefilter.
	unicodeFold bool
	// last remembers the last text the expression ran on and its answer:
	// rules that share a pattern test it on the same message in turn
	// (lower() does the same).
	last atomic.Pointer[matchMemo]
}

type matchMemo struct {
	s  string
	ok bool
}

// match reports whether s matches; a nil left side (message?.text on an
// event without a message) never matches, as with expr's own operator.
func (m *matcher) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	// strings.Contains finds a multi-byte rune with a vectorised byte search;
	// ContainsAny would decode every rune.
	if m.unicodeFold && (strings.Contains(s, "\u212A") || strings.Contains(s, "\u017F")) {
		return m.run(s)
	}
	found := false
	for _, l := range m.lits {
		if m.fold && containsFoldASCII(s, l) || !m.fold && strings.Contains(s, l) {
			found = true
			break
		}
	}
	return found && m.run(s)
}

// run runs the expression, or answers from the memo.
func (m *matcher) run(s string) bool {
	if last := m.last.Load(); last != nil && last.s == s {
		return last.ok
	}
	ok := m.re.MatchString(s)
	m.last.Store(&matchMemo{s, ok})
	return ok
}

// newMatcher returns a matcher for pattern, or nil when no useful literal
// prefilter exists (or the pattern does not compile: expr reports that).
func newMatcher(pattern string) *matcher {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil
	}
	tree, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	lits, fold, ok := requiredLiterals(tree.Simplify())
	if !ok || len(lits) == 0 {
		return nil
	}
	for i, l := range lits {
		if len(l) < 2 || (fold && !isASCII(l)) {
			return nil // too short to filter, or non-ASCII case folding
		}
		if fold {
			lits[i] = strings.ToLower(l)
		}
	}
	m := &matcher{re: re, lits: lits, fold: fold}
	for _, l := range lits {
		m.unicodeFold = m.unicodeFold || (fold && strings.ContainsAny(l, "ks"))
	}
	return m
}

// requiredLiterals returns strings of which at least one occurs in every
// match of re (ok=false when there is no such set).
func requiredLiterals(re *syntax.Regexp) (lits []string, fold, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{string(re.Rune)}, re.Flags&syntax.FoldCase != 0, true
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		// Any part's requirement is the whole's; take the most selective
		// (the shortest of the minimal literals is the longest).
		best, bestLen := []string(nil), 0
		bestFold := false
		for _, sub := range re.Sub {
			l, f, ok := requiredLiterals(sub)
			if !ok {
				continue
			}
			if m := shortest(l); m > bestLen {
				best, bestLen, bestFold = l, m, f
			}
		}
		return best, bestFold, best != nil
	case syntax.OpAlternate:
		// One of the alternatives occurs: the union of their requirements.
		for _, sub := range re.Sub {
			l, f, ok := requiredLiterals(sub)
			if !ok {
				return nil, false, false
			}
			lits = append(lits, l...)
			fold = fold || f
		}
		return lits, fold, true
	}
	return nil, false, false
}

func shortest(lits []string) int {
	n := -1
	for _, l := range lits {
		if n < 0 || len(l) < n {
			n = len(l)
		}
	}
	return n
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether s contains lit (lower-case ASCII),
// ignoring ASCII case.
func containsFoldASCII(s, lit string) bool {
	first := lit[0]
	upper := first
	if 'a' <= first && first <= 'z' {
		upper = first - 'a' + 'A'
	}
	for i := 0; i+len(lit) <= len(s); {
		j := strings.IndexByte(s[i:], first)
		if k := strings.IndexByte(s[i:], upper); k >= 0 && (j < 0 || k < j) {
			j = k
		}
		if j < 0 {
			return false
		}
		i += j
		if i+len(lit) > len(s) {
			return false
		}
		if equalFoldASCII(s[i:i+len(lit)], lit) {
			return true
		}
		i++
	}
	return false
}

func equalFoldASCII(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// matchPatcher rewrites `x matches "constant"` into a call of the matcher
// table when a literal prefilter exists.
type matchPatcher struct {
	add func(*matcher) int
}

func (p matchPatcher) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || b.Operator != "matches" {
		return
	}
	s, ok := b.Right.(*ast.StringNode)
	if !ok {
		return
	}
	m := newMatcher(s.Value)
	if m == nil {
		return
	}
	call := &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: matchFunc},
		Arguments: []ast.Node{b.Left, &ast.IntegerNode{Value: p.add(m)}},
	}
	ast.Patch(node, call)
}

// matchFunc is the internal function patched conditions call; the name
// cannot be written in a rules file (identifiers cannot start with "$").
const matchFunc = "$match"
