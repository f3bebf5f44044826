package rules

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/supportops/autoresponder/internal/event"
)

// Most conditions of a large rules file look for a word, a domain or a tag
// that most events lack: `message?.text matches "(?i)\b(refund)\b"`,
// `lower(message?.text ?? "") contains "invoice"`, `"vip" in tags`. Running
// a thousand conditions one by one costs a VM run each; finding which of
// all the rules' words occur costs one pass per field. The literal filter
// does that pass (Aho-Corasick over every literal the rules test a field
// with) and skips the rules none of whose words occur: a rule runs only if
// it still can match, and then its condition alone decides.
//
// A condition's requirements come from its top-level conjunction, as with
// the topic prefilter: each conjunct of the forms below needs one of its
// literals to occur in the value of a field expression (a substring is
// enough: it is implied by ==, startsWith, endsWith, in [...] and matches):
//
//	F contains "l", F startsWith "l", F endsWith "l", F == "l", "l" == F,
//	F in ["l1", "l2"], "l" in F (F a list), F matches "re" (the words
//	the pattern needs, as for matcher)
//
// F is a field expression: members of the event (`message?.text`,
// `item?.custom_attributes?.plan`, `tags`), `??` and lower()/text() of
// them. F is evaluated once per event by its own program, with the same
// semantics as inside the condition. A disjunction needs one of its sides'
// requirements. A field whose value is neither a string nor a list says
// nothing: the rule runs; so does a nil one where the condition could fail
// on it with an error (see litAtom.nilRuns). As with the topic prefilter,
// a rule that is not run cannot report an error in its other conjuncts.

// litFilter is the literal filter of a ruleset.
type litFilter struct {
	fields    []*vm.Program // field expressions, each evaluated at most once per event
	haystacks []*haystack
}

// haystack is one field searched for a set of literals, exactly or
// ignoring ASCII case.
type haystack struct {
	field int
	fold  bool
	ac    *acAutomaton
	lits  map[string]int32 // while building: literal → id
}

// litAtom: one of lits (ids in haystack hs) occurs.
type litAtom struct {
	hs   int
	lits []int32
	// nilRuns: a nil field does not rule the condition out. == fails
	// with an error on a string field that optional chaining made nil
	// (message?.text == "x" without a message), any() may on a nil list;
	// the rule runs so that the error is reported as before. The other
	// forms are plainly false on nil.
	nilRuns bool
}

// litClause holds when any of its atoms does.
type litClause []litAtom

// litRule is what a condition requires: every clause.
type litRule struct {
	clauses []litClause
	// nilRuns are the haystacks of its nilRuns atoms: when one of their
	// fields is nil the condition may fail with an error, wherever it
	// stands in the condition, and the rule runs.
	nilRuns []int
}

// litScratch is a runner's per-event state of the filter. Stamps instead
// of flags: nothing is cleared between events.
type litScratch struct {
	epoch uint32
	// hsEpoch[h] == epoch: haystack h was searched for this event;
	// hsAny[h]: its field was not searchable (every atom on it holds).
	hsEpoch []uint32
	hsAny   []bool
	hsNil   []bool     // the field was nil
	found   [][]uint32 // found[h][lit] == epoch: the literal occurs
}

// admits reports whether rule r may match ev: every clause has an atom
// whose literal occurs.
func (f *litFilter) admits(run *runner, r *litRule, ev *event.Event) bool {
	s := &run.lits
	for _, h := range r.nilRuns {
		if s.hsEpoch[h] != s.epoch {
			f.search(run, h, ev)
		}
		if s.hsNil[h] {
			return true
		}
	}
	for _, c := range r.clauses {
		ok := false
		for _, a := range c {
			if s.hsEpoch[a.hs] != s.epoch {
				f.search(run, a.hs, ev)
			}
			if s.hsAny[a.hs] {
				ok = true
				break
			}
			found := s.found[a.hs]
			for _, id := range a.lits {
				if found[id] == s.epoch {
					ok = true
					break
				}
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// begin starts a new event on run's scratch.
func (f *litFilter) begin(run *runner) {
	s := &run.lits
	if len(s.hsEpoch) != len(f.haystacks) {
		// A runner of this ruleset's pool: sized once.
		s.hsEpoch = make([]uint32, len(f.haystacks))
		s.hsAny = make([]bool, len(f.haystacks))
		s.hsNil = make([]bool, len(f.haystacks))
		s.found = make([][]uint32, len(f.haystacks))
		for i, h := range f.haystacks {
			s.found[i] = make([]uint32, h.ac.literals)
		}
		s.epoch = 0
	}
	s.epoch++
	if s.epoch == 0 { // wrapped: old stamps could read as current
		clear(s.hsEpoch)
		for _, fd := range s.found {
			clear(fd)
		}
		s.epoch = 1
	}
}

// search searches haystack h for ev, and records whether its field could
// not be searched (then every atom on it holds).
func (f *litFilter) search(run *runner, h int, ev *event.Event) {
	s := &run.lits
	s.hsEpoch[h] = s.epoch
	hs := f.haystacks[h]
	v, err := run.run(f.fields[hs.field], ev)
	unknown := err != nil
	s.hsNil[h] = err == nil && v == nil
	if !unknown {
		mark := func(id int32) { s.found[h][id] = s.epoch }
		switch x := v.(type) {
		case nil: // matches nothing
		case string:
			unknown = !hs.scan(x, mark)
		case []string:
			for _, e := range x {
				unknown = unknown || !hs.scan(e, mark)
			}
		case []any:
			for _, e := range x {
				switch e := e.(type) {
				case string:
					unknown = unknown || !hs.scan(e, mark)
				case nil, bool, float64, int, int64, json.Number:
					// A scalar that is not a string equals no literal.
				default:
					// A map or a list element: `"k" in #` looks inside it
					// (a key, an element), which no text search sees.
					unknown = true
				}
			}
		default:
			unknown = true
		}
	}
	s.hsAny[h] = unknown
}

// scan marks the literals that occur in s. It returns false when it cannot
// tell: under ASCII case folding, the Kelvin sign and the long s fold to k
// and s in a regular expression, which the byte search does not see.
func (h *haystack) scan(s string, mark func(int32)) bool {
	if h.fold && (strings.Contains(s, "\u212A") || strings.Contains(s, "\u017F")) {
		return false
	}
	h.ac.scan(s, mark)
	return true
}

// litBuilder collects the rules' requirements while a file compiles.
type litBuilder struct {
	env       *exprEnvironment
	fieldIdx  map[string]int // field expression source → index in fields
	fields    []*vm.Program
	haystacks []*haystack
	hsIdx     map[[2]int]int // field, fold → haystack
}

func newLitBuilder(env *exprEnvironment) *litBuilder {
	return &litBuilder{env: env, fieldIdx: map[string]int{}, hsIdx: map[[2]int]int{}}
}

// rule returns the requirements of a condition's checked tree (nil: none,
// the rule always runs).
func (b *litBuilder) rule(tree ast.Node) *litRule {
	clauses := b.clausesOf(tree)
	if len(clauses) == 0 {
		return nil
	}
	r := &litRule{clauses: clauses}
	for _, c := range clauses {
		for _, a := range c {
			if a.nilRuns && !slices.Contains(r.nilRuns, a.hs) {
				r.nilRuns = append(r.nilRuns, a.hs)
			}
		}
	}
	return r
}

func (b *litBuilder) clauses(n ast.Node) []litClause {
	bn, ok := n.(*ast.BinaryNode)
	if !ok {
		return nil
	}
	switch bn.Operator {
	case "&&", "and":
		return append(b.clausesOf(bn.Left), b.clausesOf(bn.Right)...)
	case "||", "or":
		l, r := b.clausesOf(bn.Left), b.clausesOf(bn.Right)
		if len(l) == 0 || len(r) == 0 {
			return nil
		}
		// Either side's first requirement will do; together they are one.
		return []litClause{append(append(litClause{}, l[0]...), r[0]...)}
	}
	if a, ok := b.atom(bn); ok {
		return []litClause{{a}}
	}
	return nil
}

// clausesOf is clauses for any node: also any(F, # op "l") and
// one(F, # op "l"), which need an element of the list F that holds the
// literal.
func (b *litBuilder) clausesOf(n ast.Node) []litClause {
	bi, ok := n.(*ast.BuiltinNode)
	if !ok {
		return b.clauses(n)
	}
	if (bi.Name != "any" && bi.Name != "one") || len(bi.Arguments) != 2 || !isFieldExpr(bi.Arguments[0]) {
		return nil
	}
	pred, ok := bi.Arguments[1].(*ast.PredicateNode)
	if !ok {
		return nil
	}
	bn, ok := pred.Node.(*ast.BinaryNode)
	if !ok {
		return nil
	}
	operand, lits, fold := literalTest(bn)
	if p, ok := operand.(*ast.PointerNode); !ok || p.Name != "" {
		return nil
	}
	if a, ok := b.atomOn(bi.Arguments[0], lits, fold); ok {
		a.nilRuns = true
		return []litClause{{a}}
	}
	return nil
}

// atom reads a conjunct of one of the forms in the comment at the top.
func (b *litBuilder) atom(bn *ast.BinaryNode) (litAtom, bool) {
	field, lits, fold := literalTest(bn)
	if field == nil || !isFieldExpr(field) {
		return litAtom{}, false
	}
	a, ok := b.atomOn(field, lits, fold)
	a.nilRuns = bn.Operator == "=="
	return a, ok
}

// literalTest reads `operand op "literal"`: the operand, and the literals
// one of which must occur in it (ignoring ASCII case with fold). operand
// is nil for any other form.
func literalTest(bn *ast.BinaryNode) (operand ast.Node, lits []string, fold bool) {
	var field ast.Node
	switch bn.Operator {
	case "contains", "startsWith", "endsWith":
		if s, ok := bn.Right.(*ast.StringNode); ok {
			field, lits = bn.Left, []string{s.Value}
		}
	case "==":
		if s, ok := bn.Right.(*ast.StringNode); ok {
			field, lits = bn.Left, []string{s.Value}
		} else if s, ok := bn.Left.(*ast.StringNode); ok {
			field, lits = bn.Right, []string{s.Value}
		}
	case "in":
		if s, ok := bn.Left.(*ast.StringNode); ok {
			field, lits = bn.Right, []string{s.Value}
		} else if arr, ok := bn.Right.(*ast.ArrayNode); ok && len(arr.Nodes) > 0 {
			for _, e := range arr.Nodes {
				s, ok := e.(*ast.StringNode)
				if !ok {
					return nil, nil, false
				}
				lits = append(lits, s.Value)
			}
			field = bn.Left
		}
	case "matches":
		if s, ok := bn.Right.(*ast.StringNode); ok {
			// Only patterns the matcher prefilters: their conditions are
			// false, not errors, on a value that is not a string.
			if m := newMatcher(s.Value); m != nil {
				field, lits, fold = bn.Left, m.lits, m.fold
			}
		}
	}
	return field, lits, fold
}

// atomOn is the atom "one of lits occurs in the value of field".
func (b *litBuilder) atomOn(field ast.Node, lits []string, fold bool) (litAtom, bool) {
	for _, l := range lits {
		if l == "" {
			return litAtom{}, false // occurs in everything
		}
	}
	src := field.String()
	fi, ok := b.fieldIdx[src]
	if !ok {
		prog, err := b.env.compile(src)
		if err != nil {
			return litAtom{}, false
		}
		fi = len(b.fields)
		b.fields = append(b.fields, prog)
		b.fieldIdx[src] = fi
	}
	key := [2]int{fi, 0}
	if fold {
		key[1] = 1
	}
	hi, ok := b.hsIdx[key]
	if !ok {
		hi = len(b.haystacks)
		b.haystacks = append(b.haystacks, &haystack{field: fi, fold: fold, lits: map[string]int32{}})
		b.hsIdx[key] = hi
	}
	h := b.haystacks[hi]
	a := litAtom{hs: hi}
	for _, l := range lits {
		id, ok := h.lits[l]
		if !ok {
			id = int32(len(h.lits))
			h.lits[l] = id
		}
		a.lits = append(a.lits, id)
	}
	return a, true
}

// isFieldExpr accepts the expressions the filter evaluates on its own:
// member chains on the event, ?? and lower()/text(). Not `language`: rules
// see the detected language, which is set only for rules that read it.
func isFieldExpr(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return x.Value != "language" && !strings.HasPrefix(x.Value, "$")
	case *ast.ChainNode:
		return isFieldExpr(x.Node)
	case *ast.MemberNode:
		switch x.Property.(type) {
		case *ast.StringNode, *ast.IntegerNode:
			return !x.Method && isFieldExpr(x.Node)
		}
	case *ast.BinaryNode:
		if x.Operator == "??" {
			_, lit := x.Right.(*ast.StringNode)
			return isFieldExpr(x.Left) && (lit || isFieldExpr(x.Right))
		}
	case *ast.CallNode:
		id, ok := x.Callee.(*ast.IdentifierNode)
		return ok && (id.Value == "lower" || id.Value == "text") && len(x.Arguments) == 1 && isFieldExpr(x.Arguments[0])
	}
	return false
}

// build returns the filter, or nil when no rule has a requirement.
func (b *litBuilder) build() *litFilter {
	if len(b.haystacks) == 0 {
		return nil
	}
	f := &litFilter{fields: b.fields, haystacks: b.haystacks}
	for _, h := range f.haystacks {
		lits := make([]string, len(h.lits))
		for l, id := range h.lits {
			lits[id] = l
		}
		h.ac = newACAutomaton(lits, h.fold)
		h.lits = nil
	}
	return f
}
