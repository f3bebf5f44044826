package rules

import (
	"html"
	"strings"
)

// Values filled in from the event are the customer's text: a reply body
// must show them as text, whatever they contain. How to escape depends on
// how the platform reads the body, which is only known when the reply is
// rendered for a platform; a template is compiled once. So raw() and `+`
// keep the event's pieces of a trusted value marked (between
// untrustedStart and untrustedEnd), and rendering escapes the marked pieces
// for the body's format.

// bodyFormat is how a platform reads a reply body.
type bodyFormat int

const (
	formatText     bodyFormat = iota // plain text: nothing to escape
	formatHTML                       // platforms that read HTML bodies
	formatMarkdown                   // platforms told the body is Markdown
	// formatSlack is Slack's message text: <...> makes mentions
	// (<!channel>) and disguised links, & starts an entity.
	formatSlack
)

// slackEscape is what Slack asks senders to escape in message text.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Markers around untrusted text inside an HTML (trusted) value. They are
// private-use characters; any in the text itself are replaced when it is
// marked, so text cannot end its own marking early.
const (
	untrustedStart = '\uE000'
	untrustedEnd   = '\uE001'
)

var markerReplacer = strings.NewReplacer(string(untrustedStart), "\uFFFD", string(untrustedEnd), "\uFFFD")

// markUntrusted wraps event text for later escaping.
func markUntrusted(s string) HTML {
	return HTML(string(untrustedStart) + markerReplacer.Replace(s) + string(untrustedEnd))
}

// trustedText turns any value into trusted text (raw()): a trusted value
// stays as it is, with its marks removed, since raw() vouches for all of it.
func trustedText(v any) HTML {
	if h, ok := v.(HTML); ok {
		return HTML(escapeMarked(string(h), formatText, ""))
	}
	return HTML(markerReplacer.Replace(formatValue(v)))
}

// escapeMarked renders a trusted value: marked pieces escaped for f, the
// rest as it is. before is the body rendered so far (for where lines start).
func escapeMarked(s string, f bodyFormat, before string) string {
	if !strings.ContainsRune(s, untrustedStart) && !strings.ContainsRune(s, untrustedEnd) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for s != "" {
		i := strings.IndexRune(s, untrustedStart)
		if i < 0 {
			b.WriteString(strings.ReplaceAll(s, string(untrustedEnd), ""))
			break
		}
		b.WriteString(strings.ReplaceAll(s[:i], string(untrustedEnd), ""))
		s = s[i+len(string(untrustedStart)):]
		j := strings.IndexRune(s, untrustedEnd)
		if j < 0 {
			j = len(s)
		}
		b.WriteString(f.escape(s[:j], atLineStart(before, b.String())))
		s = s[min(len(s), j+len(string(untrustedEnd))):]
	}
	return b.String()
}

// atLineStart reports whether text written after before+written starts a
// line: nothing but up to three spaces since the last line break.
func atLineStart(before, written string) bool {
	indent := func(s string) bool { return len(s) < 4 && strings.Trim(s, " ") == "" }
	if i := strings.LastIndexByte(written, '\n'); i >= 0 {
		return indent(written[i+1:])
	}
	if !indent(written) {
		return false
	}
	if i := strings.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	return len(before)+len(written) < 4 && strings.Trim(before, " ") == ""
}

// escape makes s show as itself in a body of format f; lineStart says
// whether s starts a line of the body.
func (f bodyFormat) escape(s string, lineStart bool) string {
	switch f {
	case formatHTML:
		return html.EscapeString(s)
	case formatMarkdown:
		return markdownEscape(s, lineStart)
	case formatSlack:
		return slackEscape.Replace(s)
	}
	return s
}

// markdownInline escapes what means something anywhere in a line:
// emphasis, code, links and images, tables and strikethrough by backslash
// (CommonMark allows one before any ASCII punctuation, and Parsedown, which
// PHP helpdesks use, unescapes these), and HTML by entities (a backslash does not
// stop inline HTML everywhere; an entity always shows as the character).
var markdownInline = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "|", `\|`, "~", `\~`,
)

// markdownEscape makes s show as itself in Markdown. Headings, list items
// and setext underlines only start a line: those marks are escaped at the
// start of each line of s but the first, and of the first when s starts a
// line of the body, so that "#5531" mid-sentence stays as it is.
func markdownEscape(s string, lineStart bool) string {
	lines := strings.Split(markdownInline.Replace(s), "\n")
	for i, l := range lines {
		if i == 0 && !lineStart {
			continue
		}
		body := strings.TrimLeft(l, " ")
		indent := l[:len(l)-len(body)]
		if len(indent) >= 4 || body == "" {
			continue // indented code shows as written
		}
		switch c := body[0]; {
		case c == '#' || c == '+' || c == '-' || c == '=':
			lines[i] = indent + `\` + body
		case c >= '0' && c <= '9':
			// "1." or "1)" starts an ordered list.
			j := 0
			for j < len(body) && j < 10 && body[j] >= '0' && body[j] <= '9' {
				j++
			}
			if j < len(body) && (body[j] == '.' || body[j] == ')') {
				lines[i] = indent + body[:j] + `\` + body[j:]
			}
		}
	}
	return strings.Join(lines, "\n")
}
