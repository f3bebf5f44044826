package rules

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/supportops/autoresponder/internal/event"
)

// HTML is trusted text that templates insert without escaping; raw() makes
// one. Event text joined to it with + stays marked and is escaped for the
// body's format when the reply is rendered (escape.go).
type HTML string

// maxExprNodes bounds the size of one expression; a rule needing more is
// better split.
const maxExprNodes = 2000

// disabledBuiltins are expr builtins rules may not use (repeat() can build
// huge strings) or that the bot replaces (now() reads the bot's clock,
// lower() remembers its last answer).
var disabledBuiltins = []string{"repeat", "now", "lower"}

// Functions lists the functions the bot adds to expr's builtins, for docs
// and `bot check`.
var Functions = []string{"now", "in_hours", "outside_hours", "raw", "text"}

// matcherTable holds the prefiltered regular expressions of a ruleset;
// patched conditions refer to them by index.
type matcherTable struct {
	list []*matcher
	// byPattern shares one matcher between the rules with the same
	// pattern, so that its memo of the last text serves them all.
	byPattern map[string]int
}

func (t *matcherTable) add(m *matcher) int {
	if i, ok := t.byPattern[m.re.String()]; ok {
		return i
	}
	if t.byPattern == nil {
		t.byPattern = map[string]int{}
	}
	t.list = append(t.list, m)
	t.byPattern[m.re.String()] = len(t.list) - 1
	return len(t.list) - 1
}

// exprEnvironment compiles conditions and templates in two steps: what the
// user wrote is type-checked against the event and the functions first, and
// only then rewritten (operator overloads for raw(), the regular-expression
// prefilter). expr type-checks a tree before each rewrite and then trusts
// the types it left on call nodes, so checking only after the rewrites let
// typos inside `matches` or a function call (mesage.text, lower(tpoic))
// through: the rule loaded and silently never fired.
type exprEnvironment struct {
	check   []expr.Option // the language as the user sees it
	rewrite []expr.Option // the bot's own rewrites, applied after the check
}

// compile type-checks src as written, then compiles it with the rewrites.
// extra options (expr.AsBool) apply to both steps.
func (e *exprEnvironment) compile(src string, extra ...expr.Option) (*vm.Program, error) {
	prog, _, err := e.compileChecked(src, extra...)
	return prog, err
}

// compileChecked is compile that also returns the tree as the user wrote
// it, type-checked, before the rewrites (for the literal filter).
func (e *exprEnvironment) compileChecked(src string, extra ...expr.Option) (*vm.Program, ast.Node, error) {
	cfg := conf.CreateNew()
	for _, op := range e.check {
		op(cfg)
	}
	for _, op := range extra {
		op(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	cfg.Check()
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := checkPatterns(tree); err != nil {
		return nil, nil, err
	}
	if _, err := checker.Check(tree, cfg); err != nil {
		return nil, nil, err
	}
	opts := make([]expr.Option, 0, len(e.check)+len(e.rewrite)+len(extra))
	opts = append(append(append(opts, e.check...), e.rewrite...), extra...)
	prog, err := expr.Compile(src, opts...)
	return prog, tree.Node, err
}

// checkPatterns compiles the constant regular expressions of `matches`, so
// that a bad one is reported at the pattern; expr reports it at the
// operator.
func checkPatterns(tree *parser.Tree) error {
	var bad *file.Error
	ast.Find(tree.Node, func(n ast.Node) bool {
		b, ok := n.(*ast.BinaryNode)
		if !ok || b.Operator != "matches" || bad != nil {
			return false
		}
		s, ok := b.Right.(*ast.StringNode)
		if !ok {
			return false
		}
		if _, err := regexp.Compile(s.Value); err != nil {
			bad = (&file.Error{Location: s.Location(), Message: err.Error()}).Bind(tree.Source)
		}
		return false
	})
	if bad != nil {
		return bad
	}
	return nil
}

// exprEnv builds the environment shared by conditions and templates.
// clock is read by now(), in_hours() and outside_hours() at evaluation time.
func exprEnv(cals map[string]*Calendar, clock func() time.Time) *exprEnvironment {
	mt := &matcherTable{}
	hours := func(name string) (*Calendar, error) {
		c, ok := cals[name]
		if !ok {
			return nil, fmt.Errorf("unknown calendar %q", name)
		}
		return c, nil
	}
	var lastLower atomic.Pointer[[2]string]
	opts := []expr.Option{
		expr.Env(event.Event{}),
		expr.MaxNodes(maxExprNodes),
		expr.Function("now", func(...any) (any, error) {
			return clock(), nil
		}, new(func() time.Time)),
		expr.Function("in_hours", func(p ...any) (any, error) {
			c, err := hours(p[0].(string))
			if err != nil {
				return nil, err
			}
			return c.Open(clock()), nil
		}, new(func(string) bool)),
		expr.Function("outside_hours", func(p ...any) (any, error) {
			c, err := hours(p[0].(string))
			if err != nil {
				return nil, err
			}
			return !c.Open(clock()), nil
		}, new(func(string) bool)),
		expr.Function("raw", func(p ...any) (any, error) {
			return trustedText(p[0]), nil
		}, new(func(any) HTML)),
		// Many rules lower-case the same message; lowering it once per
		// event instead of once per rule matters with hundreds of rules.
		expr.Function("lower", func(p ...any) (any, error) {
			s := p[0].(string)
			if last := lastLower.Load(); last != nil && last[0] == s {
				return last[1], nil
			}
			out := strings.ToLower(s)
			lastLower.Store(&[2]string{s, out})
			return out, nil
		}, new(func(string) string)),
		expr.Function("text", func(p ...any) (any, error) {
			return event.HTMLToText(p[0].(string)), nil
		}, new(func(string) string)),
	}
	for _, b := range disabledBuiltins {
		opts = append(opts, expr.DisableBuiltin(b))
	}
	// raw('<b>') + contact.name stays trusted, with the plain string marked
	// for escaping.
	var rewrite []expr.Option
	rewrite = append(rewrite,
		expr.Function("$html+str", func(p ...any) (any, error) {
			return p[0].(HTML) + markUntrusted(p[1].(string)), nil
		}, new(func(HTML, string) HTML)),
		expr.Function("$str+html", func(p ...any) (any, error) {
			return markUntrusted(p[0].(string)) + p[1].(HTML), nil
		}, new(func(string, HTML) HTML)),
		expr.Function("$html+html", func(p ...any) (any, error) {
			return p[0].(HTML) + p[1].(HTML), nil
		}, new(func(HTML, HTML) HTML)),
		expr.Operator("+", "$html+str", "$str+html", "$html+html"),
	)
	rewrite = append(rewrite,
		expr.Patch(emptyFallback{}),
		expr.Patch(matchPatcher{add: mt.add}),
		expr.Function(matchFunc, func(p ...any) (any, error) {
			return mt.list[p[1].(int)].match(p[0]), nil
		}, new(func(any, int) bool)),
	)
	return &exprEnvironment{check: opts, rewrite: rewrite}
}

// emptyFallback makes `x ?? fallback` fall back when x is empty, not only
// nil. A field an event lacks is an empty string (ticket.number when the platform
// sends no ticket number, contact.name for a lead), so expr's own `??` would
// print a blank where the rule's author wrote a fallback. For string (and
// untyped) left sides it becomes `(x ?? "") == "" ? fallback : x`, which
// still evaluates the fallback only when it is needed.
type emptyFallback struct{}

func (emptyFallback) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || b.Operator != "??" {
		return
	}
	if s, ok := b.Right.(*ast.StringNode); ok && s.Value == "" {
		return // `x ?? ""`: empty either way
	}
	orEmpty := &ast.BinaryNode{Operator: "??", Left: b.Left, Right: &ast.StringNode{Value: ""}}
	var empty ast.Node
	switch t := b.Left.Type(); {
	case t != nil && t.Kind() == reflect.String:
		// len() is an opcode: no comparison of boxed strings per event.
		empty = &ast.BinaryNode{Operator: "==", Left: &ast.BuiltinNode{Name: "len", Arguments: []ast.Node{orEmpty}}, Right: &ast.IntegerNode{Value: 0}}
	case t == nil || t.Kind() == reflect.Interface:
		empty = &ast.BinaryNode{Operator: "==", Left: orEmpty, Right: &ast.StringNode{Value: ""}}
	default:
		return
	}
	ast.Patch(node, &ast.ConditionalNode{Ternary: true, Cond: empty, Exp1: b.Right, Exp2: b.Left})
}
