package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// snippetNameRE is what a snippet may be called.
var snippetNameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)

// snippetSet holds the compiled snippets of a rules file. A placeholder
// {{ snippet("name") }} is resolved when its template is compiled: the
// snippet's parts (literal text and compiled placeholders) are spliced into
// the template, so a snippet costs nothing per event and its literal text is
// as trusted as the template's own.
//
// Snippets do not nest: a snippet that uses snippet() is refused where it
// calls it. One level keeps every use obvious from the snippets section and
// needs no cycle detection.
type snippetSet struct {
	// compiled by name; nil for a snippet whose own errors were reported.
	compiled map[string]*Template
	names    []string // sorted, for messages
	used     map[string]bool
	// defining is set while the snippets themselves are compiled.
	defining bool
}

// lookup returns the snippet name refers to, or why it cannot be used.
// A snippet that failed to compile returns (nil, ""): its own error is
// already reported.
func (s *snippetSet) lookup(name string) (*Template, string) {
	switch {
	case s == nil || len(s.names) == 0:
		return nil, fmt.Sprintf("unknown snippet %q: the file has no snippets: section", name)
	case s.defining:
		return nil, fmt.Sprintf("snippet(%q) inside a snippet: snippets do not nest", name)
	}
	t, ok := s.compiled[name]
	if !ok {
		// No parenthesis at the end: stripExprPosition would take it for
		// expr's position.
		return nil, fmt.Sprintf("unknown snippet %q; the snippets are %s", name, strings.Join(s.names, ", "))
	}
	s.used[name] = true
	return t, ""
}

// snippets compiles the snippets section, reporting each problem at the
// snippet.
func (c *compiler) snippets() *snippetSet {
	s := &snippetSet{compiled: map[string]*Template{}, used: map[string]bool{}, defining: true}
	s.names = sortedKeys(c.cfg.Snippets)
	for _, name := range s.names {
		at := path{"snippets", name}
		if !snippetNameRE.MatchString(name) {
			c.pos.errAtKey(c.file, at, "", "snippet name %q must match [a-z0-9-_]+", name)
		}
		src := c.cfg.Snippets[name]
		t, err := compileTemplate(src, c.env, s)
		if err != nil {
			c.templateError(at, "", "snippets."+name, src, err)
			s.compiled[name] = nil
			continue
		}
		for _, p := range t.parts {
			if p.program != nil {
				c.checkCalendars(at, "", p.program)
			}
		}
		s.compiled[name] = t
	}
	s.defining = false
	return s
}

// unusedSnippets are the snippets no template used.
func (s *snippetSet) unused() []string {
	var out []string
	if s == nil {
		return nil
	}
	for _, n := range s.names {
		if !s.used[n] {
			out = append(out, n)
		}
	}
	return out
}

// snippetCall recognises a placeholder that calls snippet(). ok: code is
// exactly snippet("name"). A call of snippet() anywhere else (inside a
// larger expression, with a computed name) is an error at offset (bytes
// into code); "" msg and !ok: code does not call snippet() (or does not
// parse, which compiling it reports).
func snippetCall(code string) (name string, ok bool, offset int, msg string) {
	if !strings.Contains(code, "snippet") {
		return "", false, 0, "" // the common case: no parse
	}
	tree, err := parser.Parse(code)
	if err != nil {
		return "", false, 0, ""
	}
	if call, isCall := tree.Node.(*ast.CallNode); isCall && isSnippetCallee(call) {
		if len(call.Arguments) == 1 {
			if s, lit := call.Arguments[0].(*ast.StringNode); lit {
				return s.Value, true, byteOffset(code, call.Location().From), ""
			}
		}
		return "", false, byteOffset(code, call.Location().From),
			`snippet() takes one quoted name, e.g. {{ snippet("signature") }}`
	}
	bad := -1
	ast.Find(tree.Node, func(n ast.Node) bool {
		call, isCall := n.(*ast.CallNode)
		if isCall && isSnippetCallee(call) && bad < 0 {
			bad = call.Location().From
		}
		return false
	})
	if bad >= 0 {
		return "", false, byteOffset(code, bad),
			`snippet() must be a placeholder of its own, e.g. {{ snippet("signature") }}`
	}
	return "", false, 0, ""
}

func isSnippetCallee(call *ast.CallNode) bool {
	id, ok := call.Callee.(*ast.IdentifierNode)
	return ok && id.Value == "snippet"
}

// partsOrNone is the parts of a template, none for nil.
func (t *Template) partsOrNone() []templatePart {
	if t == nil {
		return nil
	}
	return t.parts
}
