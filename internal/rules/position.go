package rules

import (
	"strings"
	"unicode/utf8"

	goyaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// path is a location in the rules file, e.g. ("rules", 3, "when").
type path []any

func (p path) build() *goyaml.Path {
	b := (&goyaml.PathBuilder{}).Root()
	for _, e := range p {
		switch v := e.(type) {
		case string:
			b = b.Child(v)
		case int:
			b = b.Index(uint(v))
		}
	}
	return b.Build()
}

// node finds the YAML node at p, or the closest ancestor that exists (a
// missing key is reported where it should have been).
func (p *positioner) node(file *ast.File, at path) ast.Node {
	for n := len(at); n >= 0; n-- {
		if file == nil {
			return nil
		}
		node, err := at[:n].build().FilterFile(file)
		if err == nil && node != nil {
			return node
		}
	}
	return nil
}

// errAt records an error positioned at the node at path.
func (p *positioner) errAt(file *ast.File, at path, rule, format string, args ...any) {
	line, col := p.nodePos(p.node(file, at))
	p.add(p.at(line, col, rule, format, args...))
}

// errInScalar records an error at a rune offset inside the string scalar at
// path (an expression or template error).
func (p *positioner) errInScalar(file *ast.File, at path, offset int, rule, format string, args ...any) {
	node := p.node(file, at)
	line, col := p.nodePos(node)
	if l, c, ok := p.scalarOffset(node, offset); ok {
		line, col = l, c
	}
	p.add(p.at(line, col, rule, format, args...))
}

func (p *positioner) nodePos(node ast.Node) (int, int) {
	if node == nil {
		return 0, 0
	}
	// A mapping is reported at its first key, not at a colon (goccy
	// represents a one-key mapping as a MappingValueNode).
	switch m := node.(type) {
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 {
			node = m.Values[0].Key
		}
	case *ast.MappingValueNode:
		node = m.Key
	}
	if lit, ok := node.(*ast.LiteralNode); ok && lit.Value != nil {
		node = lit.Value
	}
	tk := node.GetToken()
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

// scalarOffset maps a rune offset within a scalar's value to a file line and
// column. It handles plain and quoted one-line scalars and literal blocks;
// anything else (folded blocks, escapes) falls back to the scalar's start.
func (p *positioner) scalarOffset(node ast.Node, offset int) (int, int, bool) {
	var value string
	switch n := node.(type) {
	case *ast.StringNode:
		value = n.Value
	case *ast.LiteralNode:
		if n.Value == nil || n.Start == nil || n.Start.Value != "|" && !strings.HasPrefix(n.Start.Value, "|") {
			return 0, 0, false
		}
		// Literal block: value line i is file line start+1+i (no blank
		// lines before the content in practice).
		startLine := n.Start.Position.Line
		lines := strings.Split(n.Value.Value, "\n")
		for i, l := range lines {
			n := utf8.RuneCountInString(l) + 1
			if offset < n || i == len(lines)-1 {
				fileLine := startLine + 1 + i
				if fileLine > len(p.lines) {
					return 0, 0, false
				}
				src := p.lines[fileLine-1]
				idx := strings.Index(src, l)
				if idx < 0 {
					return 0, 0, false
				}
				return fileLine, utf8.RuneCountInString(src[:idx]) + offset + 1, true
			}
			offset -= n
		}
		return 0, 0, false
	default:
		return 0, 0, false
	}
	line, _ := p.nodePos(node)
	if line <= 0 || line > len(p.lines) || strings.Contains(value, "\n") {
		return 0, 0, false
	}
	src := p.lines[line-1]
	idx := strings.Index(src, value)
	if idx < 0 {
		return 0, 0, false
	}
	return line, utf8.RuneCountInString(src[:idx]) + offset + 1, true
}

// Positioner points errors at the YAML text they are about, in the form of
// the rules loader's own (file:line:column, the line, a caret). The rule
// test runner reports problems in its files with it.
type Positioner struct {
	p    *positioner
	file *ast.File
	// Errs collects the errors recorded with ErrAt.
	Errs ErrorList
}

// NewPositioner returns a Positioner for a file's text and its parsed AST
// (nil when it did not parse: positions are then unknown).
func NewPositioner(name string, data []byte, f *ast.File) *Positioner {
	return &Positioner{p: newPositioner(name, data), file: f}
}

// At builds an error at a line and column (0: unknown).
func (ps *Positioner) At(line, column int, format string, args ...any) *Error {
	return ps.p.at(line, column, "", format, args...)
}

// Pos is the line and column of the node at path (map keys and list
// indexes), or of its closest ancestor that exists.
func (ps *Positioner) Pos(at ...any) (int, int) {
	return ps.p.nodePos(ps.p.node(ps.file, at))
}

// ErrAt records an error at the node at path.
func (ps *Positioner) ErrAt(at []any, format string, args ...any) {
	line, col := ps.Pos(at...)
	ps.Errs = append(ps.Errs, ps.At(line, col, format, args...))
}

// FromYAML converts a parsing or strict-decoding error of goccy/go-yaml.
func (ps *Positioner) FromYAML(err error) *Error { return ps.p.fromYAML(err) }
