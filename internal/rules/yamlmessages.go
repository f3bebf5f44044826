package rules

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/token"
)

// The YAML parser describes layout mistakes in its grammar's terms ("value
// is not allowed in this context"). The people who edit rules files know
// them as a line indented wrongly or a colon in a value; these are the
// words and positions `bot check` uses instead.

// yamlLayoutProblem explains the parser's message msg about token tk, and
// says where the line to fix is. ok is false for messages it does not know.
func (p *positioner) yamlLayoutProblem(msg string, tk *token.Token) (line, col int, out string, ok bool) {
	if tk == nil || tk.Position == nil {
		return 0, 0, "", false
	}
	line, col = tk.Position.Line, tk.Position.Column
	switch {
	case strings.HasPrefix(msg, "found character '\t'"):
		return line, col, "this line is indented with a tab; YAML indents with spaces only", true

	case msg == "value is not allowed in this context":
		// The parser finished the document at a line indented less than
		// the lines above it but more than the section it belongs to.
		n := p.indentOf(line)
		return line, n + 1, fmt.Sprintf("this line is indented by %s, which lines up with none of the lines above it (they are indented by %s): indent it like the other lines of its section",
			spaces(n), joinOr(p.enclosingIndents(line))), true

	case strings.HasPrefix(msg, "value is not allowed in this context. map key-value is pre-defined"):
		return p.overIndented(line)

	case msg == "mapping value is not allowed in this context":
		// "key: value" followed by a line indented more: the parser reads
		// that line as the rest of value, then trips on its colon.
		if next := tk.Next; next != nil && next.Type == token.MappingValueType && next.Position != nil && next.Position.Line > line {
			return p.overIndented(next.Position.Line)
		}
		return line, col, `this value contains ": ", which YAML reads as the start of another key: put the whole value in quotes`, true
	}
	return 0, 0, "", false
}

// overIndented describes a line indented more than the "key: value" line
// above it.
func (p *positioner) overIndented(line int) (int, int, string, bool) {
	n := p.indentOf(line)
	above := p.indentOf(p.previousLine(line))
	return line, n + 1, fmt.Sprintf("this line is indented by %s, more than the line above it (%s), so YAML reads it as part of that line's value: indent it by %s like the line above",
		spaces(n), spaces(above), spaces(above)), true
}

// indentOf counts the spaces starting a line (1-based; 0 for none).
func (p *positioner) indentOf(line int) int {
	if line < 1 || line > len(p.lines) {
		return 0
	}
	l := p.lines[line-1]
	return len(l) - len(strings.TrimLeft(l, " "))
}

// previousLine is the closest line above line with content (not blank, not
// only a comment); 0 when there is none.
func (p *positioner) previousLine(line int) int {
	for l := line - 1; l >= 1; l-- {
		if t := strings.TrimSpace(p.lines[l-1]); t != "" && !strings.HasPrefix(t, "#") {
			return l
		}
	}
	return 0
}

// enclosingIndents are the indentations a line below line could line up
// with: the line above's, then each smaller one further up (a list item
// "- key" offers both the dash's and the key's), largest first.
func (p *positioner) enclosingIndents(line int) []int {
	var out []int
	lowest := -1
	for l := p.previousLine(line); l > 0; l = p.previousLine(l) {
		n := p.indentOf(l)
		cands := []int{n}
		if rest := p.lines[l-1][n:]; strings.HasPrefix(rest, "- ") {
			key := strings.TrimLeft(rest[1:], " ")
			cands = []int{n + len(rest) - len(key), n}
		}
		for _, c := range cands {
			if lowest < 0 || c < lowest {
				out = append(out, c)
				lowest = c
			}
		}
		if lowest == 0 {
			break
		}
	}
	return out
}

func spaces(n int) string {
	if n == 1 {
		return "1 space"
	}
	return fmt.Sprintf("%d spaces", n)
}

// joinOr writes 6, 4, 2 or 0.
func joinOr(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}
