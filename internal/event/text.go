package event

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// HTMLToText turns an HTML fragment (a message body) into plain text for
// rules to match on. Tags are dropped, entities decoded and runs of
// whitespace collapsed to one space. Block elements (p, div, li, headings,
// table rows, ...) start a new line; <br> is a line break of its own, so
// two of them leave one empty line, never more. Table cells are separated by
// a space. The content of script, style, template and title is dropped. A
// '<' that does not start a tag ("a < b") is kept as text.
//
// It runs in time linear in len(s) and never fails: malformed markup (an
// unterminated tag or comment) drops the rest of the input.
func HTMLToText(s string) string {
	var w textWriter
	w.b.Grow(len(s))
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			w.text(s[i:], false)
			break
		}
		w.text(s[i:i+lt], false)
		i += lt
		i = w.tag(s, i)
	}
	return w.String()
}

// MessageText turns a message body that may be HTML or plain text into plain
// text. Platforms send HTML bodies, plain text, or plain text that may
// carry some HTML. A body with at least one tag goes
// through HTMLToText; any other body keeps its line breaks (CR LF becomes
// LF, at most one empty line in a row), has its entities decoded and its
// runs of spaces collapsed.
func MessageText(s string) string {
	if !hasTag(s) {
		var w textWriter
		w.b.Grow(len(s))
		w.text(s, true)
		return w.String()
	}
	return HTMLToText(s)
}

// hasTag reports whether s contains something that starts a tag or comment.
func hasTag(s string) bool {
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 || i+1 >= len(s) {
			return false
		}
		if c := s[i+1]; isASCIILetter(c) || c == '/' || c == '!' {
			return true
		}
		s = s[i+1:]
	}
}

// textWriter accumulates text with whitespace collapsed. Spaces are written
// lazily, only before the next visible character on the same line, so the
// output never has leading, trailing or doubled spaces.
type textWriter struct {
	b       strings.Builder
	space   bool // a space is pending
	started bool // something visible was written
	nl      int  // newlines at the end of b
}

func (w *textWriter) String() string {
	return strings.TrimRight(w.b.String(), "\n")
}

// text writes a run of character data. In plain mode a newline is a line
// break; otherwise it is whitespace like any other.
func (w *textWriter) text(t string, plain bool) {
	if t == "" {
		return
	}
	if strings.IndexByte(t, '&') >= 0 {
		t = html.UnescapeString(t)
	}
	start := -1 // start of the current run of visible bytes
	flush := func(end int) {
		if start < 0 {
			return
		}
		if w.space && w.nl == 0 && w.started {
			w.b.WriteByte(' ')
		}
		w.b.WriteString(t[start:end])
		w.space, w.started, w.nl = false, true, 0
		start = -1
	}
	for i := 0; i < len(t); {
		c := t[i]
		size := 1
		space := false
		switch {
		case c == '\n' && plain:
			flush(i)
			w.lineBreak(true)
			i++
			continue
		case c == '\r' && plain:
			flush(i)
			if i+1 < len(t) && t[i+1] == '\n' {
				i++
			}
			w.lineBreak(true)
			i++
			continue
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			space = true
		case c >= utf8.RuneSelf:
			var r rune
			r, size = utf8.DecodeRuneInString(t[i:])
			space = unicode.IsSpace(r)
		}
		if space {
			flush(i)
			w.space = true
		} else if start < 0 {
			start = i
		}
		i += size
	}
	flush(len(t))
}

// lineBreak ends the current line. A hard break (<br>, a newline in plain
// text) always counts, up to one empty line; a soft one (a block boundary)
// only ends a line that has text on it. Nothing is written before the first
// visible character.
func (w *textWriter) lineBreak(hard bool) {
	w.space = false
	if !w.started {
		return
	}
	if hard && w.nl < 2 || !hard && w.nl == 0 {
		w.b.WriteByte('\n')
		w.nl++
	}
}

// Element classes.
const (
	elemInline = iota
	elemBlock
	elemBreak
	elemCell
	elemSkip // content is not text
)

func classify(name string) int {
	switch name {
	case "br":
		return elemBreak
	case "td", "th":
		return elemCell
	case "script", "style", "template", "title":
		return elemSkip
	case "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
		"table", "thead", "tbody", "tfoot", "tr", "caption", "blockquote", "pre", "hr",
		"section", "article", "header", "footer", "nav", "aside", "main", "figure", "figcaption",
		"form", "fieldset", "legend", "address", "details", "summary", "center", "html", "body",
		"head", "hgroup", "menu", "option":
		return elemBlock
	}
	return elemInline
}

// tag handles the markup that starts at s[i] == '<' and returns the index
// just past it.
func (w *textWriter) tag(s string, i int) int {
	rest := s[i+1:]
	switch {
	case strings.HasPrefix(rest, "!--"):
		end := strings.Index(s[i+4:], "-->")
		if end < 0 {
			return len(s)
		}
		return i + 4 + end + 3
	case strings.HasPrefix(rest, "!") || strings.HasPrefix(rest, "?"):
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return len(s)
		}
		return i + 1 + end + 1
	}
	closing := strings.HasPrefix(rest, "/")
	j := i + 1
	if closing {
		j++
	}
	if j >= len(s) || !isASCIILetter(s[j]) {
		// Not a tag: "a < b", "</ >".
		w.text("<", false)
		return i + 1
	}
	nameStart := j
	for j < len(s) && (isASCIILetter(s[j]) || s[j] >= '0' && s[j] <= '9' || s[j] == '-' || s[j] == ':') {
		j++
	}
	var lower [16]byte
	name := s[nameStart:j]
	if len(name) <= len(lower) {
		for k := 0; k < len(name); k++ {
			lower[k] = toLowerASCII(name[k])
		}
		name = string(lower[:len(name)])
	} else {
		name = "" // no element we know has a name that long
	}
	end := tagEnd(s, j)
	if end < 0 {
		return len(s)
	}
	switch classify(name) {
	case elemBreak:
		w.lineBreak(true)
	case elemBlock:
		w.lineBreak(false)
	case elemCell:
		w.space = true
	case elemSkip:
		if !closing && s[end-2] != '/' {
			return skipElement(s, end, name)
		}
	}
	return end
}

// tagEnd returns the index just past the '>' that closes the tag whose
// attributes start at s[j], honouring quoted attribute values; -1 when the
// tag is not closed.
func tagEnd(s string, j int) int {
	for j < len(s) {
		switch s[j] {
		case '>':
			return j + 1
		case '=':
			j++
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r' || s[j] == '\f') {
				j++
			}
			if j < len(s) && (s[j] == '"' || s[j] == '\'') {
				k := strings.IndexByte(s[j+1:], s[j])
				if k < 0 {
					return -1
				}
				j += k + 2
			}
		default:
			j++
		}
	}
	return -1
}

// skipElement returns the index just past the end tag "</name ...>" that
// follows s[i], or len(s) when there is none.
func skipElement(s string, i int, name string) int {
	for {
		k := strings.Index(s[i:], "</")
		if k < 0 {
			return len(s)
		}
		i += k + 2
		if len(s)-i >= len(name) && strings.EqualFold(s[i:i+len(name)], name) {
			after := i + len(name)
			if after == len(s) || !isASCIILetter(s[after]) && !(s[after] >= '0' && s[after] <= '9') {
				if end := strings.IndexByte(s[after:], '>'); end >= 0 {
					return after + end + 1
				}
				return len(s)
			}
		}
	}
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func toLowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
