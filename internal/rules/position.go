package rules

import (
	"slices"
	"strings"
	"unicode/utf8"

	goyaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
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
// column. It handles plain and quoted one-line scalars and literal and
// folded blocks; anything else (escapes) falls back to the scalar's start.
func (p *positioner) scalarOffset(node ast.Node, offset int) (int, int, bool) {
	var value string
	switch n := node.(type) {
	case *ast.StringNode:
		value = n.Value
	case *ast.LiteralNode:
		// A literal (|) or folded (>) block: the value starts on the line
		// after the indicator.
		if n.Value == nil || n.Start == nil || n.Start.Position == nil {
			return 0, 0, false
		}
		return p.blockOffset(n.Start.Position.Line, n.Value.Value, offset)
	default:
		return 0, 0, false
	}
	line, col := p.nodePos(node)
	if line <= 0 || line > len(p.lines) {
		return 0, 0, false
	}
	src := p.lines[line-1]
	// A quoted scalar with escapes (\" or '') is not written as its value:
	// walk its text.
	if tk := node.GetToken(); tk != nil && (tk.Type == token.DoubleQuoteType || tk.Type == token.SingleQuoteType) {
		if c, ok := quotedOffset(src, col, offset); ok {
			return line, c, true
		}
		return 0, 0, false
	}
	idx := strings.Index(src, value)
	if idx < 0 || strings.Contains(value, "\n") {
		return 0, 0, false
	}
	return line, utf8.RuneCountInString(src[:idx]) + offset + 1, true
}

// quotedOffset maps a rune offset within the value of a one-line quoted
// scalar whose opening quote is at column quoteCol of src to a column:
// each escape (\", \\, \x41, \u00e9, ”) is one rune of the value.
func quotedOffset(src string, quoteCol, offset int) (int, bool) {
	r := []rune(src)
	if quoteCol < 1 || quoteCol > len(r) {
		return 0, false
	}
	quote := r[quoteCol-1]
	if quote != '"' && quote != '\'' {
		return 0, false
	}
	for i, v := quoteCol, 0; i < len(r); v++ {
		if v == offset {
			return i + 1, true
		}
		size := 1
		switch {
		case r[i] == quote && quote == '\'' && i+1 < len(r) && r[i+1] == '\'':
			size = 2
		case r[i] == quote:
			return 0, false // the end of the scalar
		case quote == '"' && r[i] == '\\' && i+1 < len(r):
			switch r[i+1] {
			case 'x':
				size = 4
			case 'u':
				size = 6
			case 'U':
				size = 10
			default:
				size = 2
			}
		}
		i += size
	}
	return 0, false
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

// blockOffset maps a rune offset within the value of a block scalar whose
// indicator (| or >) is on line header. Each line of the block appears in
// the value in order, without its indentation; folding only changes the
// line breaks between them into spaces. So the lines are found one after
// the other in the value, and the offset falls in one of them.
func (p *positioner) blockOffset(header int, value string, offset int) (int, int, bool) {
	val := []rune(value)
	cursor := 0
	prevLine, prevEnd := 0, 0 // last line found, and the column after it
	for ln := header + 1; ln <= len(p.lines); ln++ {
		raw := p.lines[ln-1]
		content := strings.TrimLeft(raw, " ")
		if content == "" {
			continue
		}
		c := []rune(content)
		i := indexRunes(val[cursor:], c)
		if i < 0 {
			return 0, 0, false
		}
		start := cursor + i
		lead := len(raw) - len(content) // spaces: one byte, one rune each
		if offset < start {
			if prevLine == 0 {
				return 0, 0, false
			}
			return prevLine, prevEnd, true // between two lines: the end of the first
		}
		if offset <= start+len(c) {
			return ln, lead + offset - start + 1, true
		}
		cursor = start + len(c)
		prevLine, prevEnd = ln, lead+len(c)+1
	}
	return 0, 0, false
}

// indexRunes is strings.Index for rune slices.
func indexRunes(s, sub []rune) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if slices.Equal(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// errAtKey records an error positioned at the key of the mapping entry at
// path (an unknown key is reported where it is written, not at its value).
func (p *positioner) errAtKey(file *ast.File, at path, rule, format string, args ...any) {
	line, col := p.nodePos(p.keyNode(file, at))
	if line == 0 {
		line, col = p.nodePos(p.node(file, at))
	}
	p.add(p.at(line, col, rule, format, args...))
}

// keyNode finds the key node of the entry at path, or nil.
func (p *positioner) keyNode(file *ast.File, at path) ast.Node {
	if file == nil || len(at) == 0 {
		return nil
	}
	key, ok := at[len(at)-1].(string)
	if !ok {
		return nil
	}
	parent, err := at[:len(at)-1].build().FilterFile(file)
	if err != nil || parent == nil {
		return nil
	}
	var entries []*ast.MappingValueNode
	switch m := parent.(type) {
	case *ast.MappingNode:
		entries = m.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{m}
	}
	for _, e := range entries {
		if e.Key != nil && e.Key.GetToken() != nil && e.Key.GetToken().Value == key {
			return e.Key
		}
	}
	return nil
}
