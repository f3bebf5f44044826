package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/supportops/autoresponder/internal/event"
)

// Template is a string with {{ expr }} placeholders, compiled once.
type Template struct {
	src   string
	parts []templatePart
	at    path // where the template is in the rules file, for warnings
}

type templatePart struct {
	literal string
	program *vm.Program // nil for a literal
	source  string      // the placeholder's expression, for errors
	offset  int         // byte offset of source in the template, for warnings
	snippet string      // the snippet the part comes from; "" for the template's own
}

// templateError is a compile error inside a template, with the byte offset
// of the placeholder in the template source.
type templateError struct {
	offset int
	msg    string
}

func (e *templateError) Error() string { return e.msg }

// compileTemplate splits src into literals and expressions and compiles each
// expression against the event environment. A {{ snippet("name") }}
// placeholder is replaced by the parts of that snippet (snippets.go).
func compileTemplate(src string, env *exprEnvironment, snips *snippetSet) (*Template, error) {
	t := &Template{src: src}
	rest, offset := src, 0
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			if strings.Contains(rest, "}}") {
				return nil, &templateError{offset + strings.Index(rest, "}}"), "unmatched }}"}
			}
			if rest != "" {
				t.add(templatePart{literal: rest})
			}
			return t, nil
		}
		if close := strings.Index(rest[:open], "}}"); close >= 0 {
			return nil, &templateError{offset + close, "unmatched }}"}
		}
		if open > 0 {
			t.add(templatePart{literal: rest[:open]})
		}
		end := strings.Index(rest[open+2:], "}}")
		if end < 0 {
			return nil, &templateError{offset + open, "{{ is never closed with }}"}
		}
		code := rest[open+2 : open+2+end]
		if strings.TrimSpace(code) == "" {
			return nil, &templateError{offset + open, "empty {{ }}"}
		}
		if name, ok, at, msg := snippetCall(code); ok || msg != "" {
			at += offset + open + 2
			if msg != "" {
				return nil, &templateError{at, msg}
			}
			sn, why := snips.lookup(name)
			if why != "" {
				return nil, &templateError{at, why}
			}
			// A broken snippet (sn nil) is reported at its definition; the
			// load fails there.
			for _, p := range sn.partsOrNone() {
				if p.program != nil {
					// Warnings about the snippet's placeholders point at
					// the call: that is where this rule uses them.
					p.offset, p.snippet = at, name
				}
				t.add(p)
			}
			rest = rest[open+2+end+2:]
			offset += open + 2 + end + 2
			continue
		}
		p, err := env.compile(code)
		if err != nil {
			at := offset + open + 2
			var fe *file.Error
			if errors.As(err, &fe) {
				at += byteOffset(code, fe.From)
			}
			return nil, &templateError{at, exprMessage(err)}
		}
		source := strings.TrimSpace(code)
		t.add(templatePart{program: p, source: source, offset: offset + open + 2 + strings.Index(code, source)})
		rest = rest[open+2+end+2:]
		offset += open + 2 + end + 2
	}
}

// add appends a part, joining literal text to a literal before it (text
// around a spliced snippet), so that a template without placeholders stays
// one literal.
func (t *Template) add(p templatePart) {
	if n := len(t.parts); n > 0 && p.program == nil && t.parts[n-1].program == nil {
		t.parts[n-1].literal += p.literal
		return
	}
	t.parts = append(t.parts, p)
}

// byteOffset converts expr's rune offset into code to a byte offset. expr
// counts an invalid UTF-8 byte as one rune, as ranging over a string does;
// converting through []rune would count it as the 3 bytes of U+FFFD.
func byteOffset(code string, runes int) int {
	for i := range code {
		if runes <= 0 {
			return i
		}
		runes--
	}
	return len(code)
}

// IsStatic reports whether the template has no placeholders.
func (t *Template) IsStatic() bool {
	return len(t.parts) == 0 || (len(t.parts) == 1 && t.parts[0].program == nil)
}

// static returns what a template without placeholders always renders.
func (t *Template) static() (string, bool) {
	if t == nil || !t.IsStatic() {
		return "", false
	}
	if len(t.parts) == 0 {
		return "", true
	}
	// The literal, not src: a spliced snippet's text is in the parts.
	return strings.ReplaceAll(t.parts[0].literal, "\x00", "\uFFFD"), true
}

// Source is the template as written.
func (t *Template) Source() string { return t.src }

// Render evaluates the placeholders. Values from the event are escaped for
// the body format f; raw() text is not.
func (t *Template) Render(run *runner, ev *event.Event, f bodyFormat) (string, error) {
	if t == nil {
		return "", nil
	}
	if s, ok := t.static(); ok {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(t.src) + 64)
	for _, p := range t.parts {
		if p.program == nil {
			b.WriteString(p.literal)
			continue
		}
		v, err := run.run(p.program, ev)
		if err != nil {
			return "", fmt.Errorf("{{ %s }}: %s", p.source, exprMessage(err))
		}
		if h, ok := v.(HTML); ok {
			b.WriteString(escapeMarked(string(h), f, b.String()))
			continue
		}
		b.WriteString(f.escape(formatValue(v), atLineStart(b.String(), "")))
	}
	// A NUL (from a rule's own text) cannot be stored by PostgreSQL.
	return strings.ReplaceAll(b.String(), "\x00", "\uFFFD"), nil
}

// formatValue turns an expression's result into text.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case HTML:
		return escapeMarked(string(x), formatText, "")
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.Format(time.RFC3339)
	case time.Duration:
		return x.String()
	case []string:
		return strings.Join(x, ", ")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatValue(e)
		}
		return strings.Join(parts, ", ")
	case fmt.Stringer:
		return x.String()
	case map[string]any:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	default:
		return fmt.Sprint(x)
	}
}

// exprMessage is the first line of an expr error: its own source excerpt is
// replaced by ours, positioned in the rules file.
func exprMessage(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	// Reading a field of something the event does not have surfaces as
	// reflection jargon; say it in the rule author's terms.
	const zero = "reflect: call of reflect.Value.Field on zero Value"
	if strings.Contains(msg, zero) {
		msg = strings.Replace(msg, zero, "a field was read from a value the event does not have (nil)", 1)
	}
	if strings.Contains(msg, "(nil)") || strings.HasPrefix(msg, "cannot get ") || strings.HasPrefix(msg, "cannot fetch ") {
		msg += "; use ?. and ?? for fields that may be missing, e.g. contact?.name ?? \"there\""
	}
	return msg
}
