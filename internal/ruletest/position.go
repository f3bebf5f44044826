package ruletest

import (
	"errors"
	"fmt"
	"strings"

	goyaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/supportops/autoresponder/internal/rules"
)

// positioner turns paths in a test file into positioned errors, in the same
// form as the rules loader's (file:line:column, the line, a caret).
type positioner struct {
	file  string
	lines []string
	ast   *ast.File
	errs  rules.ErrorList
}

func newPositioner(file string, data []byte, f *ast.File) *positioner {
	return &positioner{file: file, lines: strings.Split(string(data), "\n"), ast: f}
}

// at builds an error at a line and column (0: unknown).
func (p *positioner) at(line, column int, format string, args ...any) *rules.Error {
	e := &rules.Error{File: p.file, Line: line, Column: column, Msg: fmt.Sprintf(format, args...)}
	if line > 0 && line <= len(p.lines) {
		e.Source = strings.TrimRight(p.lines[line-1], "\r")
	}
	return e
}

// errAt records an error at the node a path names, or at its closest
// existing ancestor (a missing key is reported where it belongs).
func (p *positioner) errAt(path []any, format string, args ...any) {
	line, col := p.pos(path)
	p.errs = append(p.errs, p.at(line, col, format, args...))
}

// pos returns the line and column of the node at path.
func (p *positioner) pos(path []any) (int, int) {
	for n := len(path); n >= 0; n-- {
		node := p.node(path[:n])
		if node == nil {
			continue
		}
		// A mapping is reported at its first key, not at the first colon
		// (goccy represents a one-key mapping as a MappingValueNode).
		switch m := node.(type) {
		case *ast.MappingNode:
			if !m.IsFlowStyle && len(m.Values) > 0 {
				node = m.Values[0].Key
			}
		case *ast.MappingValueNode:
			node = m.Key
		}
		tk := node.GetToken()
		if tk == nil || tk.Position == nil {
			continue
		}
		return tk.Position.Line, tk.Position.Column
	}
	return 0, 0
}

func (p *positioner) node(path []any) ast.Node {
	if p.ast == nil {
		return nil
	}
	b := (&goyaml.PathBuilder{}).Root()
	for _, e := range path {
		switch v := e.(type) {
		case string:
			b = b.Child(v)
		case int:
			b = b.Index(uint(v))
		}
	}
	node, err := b.Build().FilterFile(p.ast)
	if err != nil {
		return nil
	}
	return node
}

// fromYAML converts a parse or strict-decoding error of goccy/go-yaml.
func (p *positioner) fromYAML(err error) *rules.Error {
	var ye goyaml.Error
	if !errors.As(err, &ye) {
		return p.at(0, 0, "%s", cleanYAMLMessage(err.Error()))
	}
	line, col := 0, 0
	if tk := ye.GetToken(); tk != nil && tk.Position != nil {
		line, col = tk.Position.Line, tk.Position.Column
	}
	return p.at(line, col, "%s", cleanYAMLMessage(ye.GetMessage()))
}

// cleanYAMLMessage drops the position prefix and source excerpt some decoder
// messages embed; the error adds its own.
func cleanYAMLMessage(msg string) string {
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if strings.HasPrefix(msg, "[") {
		if i := strings.Index(msg, "] "); i > 0 {
			msg = msg[i+2:]
		}
	}
	return msg
}
