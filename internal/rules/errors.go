package rules

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	goyaml "github.com/goccy/go-yaml"
)

// Error is one problem in a rules file, positioned at the offending text.
type Error struct {
	File   string
	Line   int // 1-based; 0 when unknown
	Column int // 1-based
	Rule   string
	Msg    string
	// Source is the offending line, shown with a caret under Column.
	Source string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Rule != "" {
		fmt.Fprintf(&b, "rule %q: ", e.Rule)
	}
	b.WriteString(e.Msg)
	if e.Source != "" {
		prefix := fmt.Sprintf("%5d | ", e.Line)
		fmt.Fprintf(&b, "\n%s%s\n%s^", prefix, e.Source, strings.Repeat(" ", len(prefix)+caretOffset(e.Source, e.Column)))
	}
	return b.String()
}

// caretOffset converts a 1-based rune column to a display offset, keeping
// tabs so the caret lines up under them.
func caretOffset(line string, column int) int {
	off := 0
	for i, r := range line {
		if utf8.RuneCountInString(line[:i]) >= column-1 {
			break
		}
		if r == '\t' {
			off += 8 - off%8
			continue
		}
		off++
	}
	return off
}

// ErrorList is every problem found in one file, in file order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Errors returns the individual problems inside err (nil when err is not
// from this package).
func Errors(err error) []*Error {
	var l ErrorList
	if errors.As(err, &l) {
		return l
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return nil
}

// positioner turns YAML paths and byte positions into positioned errors.
type positioner struct {
	file  string
	lines []string
	errs  ErrorList
}

func newPositioner(file string, data []byte) *positioner {
	// Lines as the parser sees them (a lone CR ends a line too).
	return &positioner{file: file, lines: strings.Split(string(yamlLineBreaks(data)), "\n")}
}

func (p *positioner) at(line, column int, rule, format string, args ...any) *Error {
	e := &Error{File: p.file, Line: line, Column: column, Rule: rule, Msg: fmt.Sprintf(format, args...)}
	if line > 0 && line <= len(p.lines) {
		e.Source = strings.TrimRight(p.lines[line-1], "\r")
		// The YAML parser places an implicit null past the end of its
		// line, and a folded block's blank first line at column 0: keep
		// the caret on the line it names.
		e.Column = max(1, min(column, utf8.RuneCountInString(e.Source)+1))
	}
	return e
}

func (p *positioner) add(e *Error) { p.errs = append(p.errs, e) }

// fromYAML converts a decoding error of goccy/go-yaml.
func (p *positioner) fromYAML(err error) *Error {
	var ye goyaml.Error
	if !errors.As(err, &ye) {
		return p.at(0, 0, "", "%s", cleanYAMLMessage(err.Error()))
	}
	msg := cleanYAMLMessage(ye.GetMessage())
	if line, col, explained, ok := p.yamlLayoutProblem(msg, ye.GetToken()); ok {
		return p.at(line, col, "", "%s", explained)
	}
	line, col := 0, 0
	if tk := ye.GetToken(); tk != nil && tk.Position != nil {
		line, col = tk.Position.Line, tk.Position.Column
	}
	return p.at(line, col, "", "%s", msg)
}

// cleanYAMLMessage drops the source excerpt and position prefix some decoder
// messages embed; the Error adds its own.
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
