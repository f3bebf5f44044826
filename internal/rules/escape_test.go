package rules

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	goldhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/supportops/autoresponder/internal/event"
)

// hostileText is a customer message full of Markdown and HTML.
var hostileText = strings.Join([]string{
	"*bold* and _italic_ and __strong__ and ~~gone~~",
	"[click here](http://x) and ![img](http://x/i.png) and `code`",
	"# Heading",
	"<script>alert(1)</script> & <b>tag</b>",
	"1. first",
	"- item",
	"+ other",
	"> quoted",
	"a|b",
	"===",
	`back\slash and ticket #5531`,
}, "\n")

// renderMarkdown renders a body as a permissive Markdown renderer would
// (inline HTML allowed, GitHub's tables and strikethrough), for asserting
// what a reader sees.
func renderMarkdown(t *testing.T, src string) string {
	t.Helper()
	var out bytes.Buffer
	md := goldmark.New(
		goldmark.WithExtensions(extension.Strikethrough, extension.Table),
		goldmark.WithRendererOptions(goldhtml.WithUnsafe()),
	)
	if err := md.Convert([]byte(src), &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

var tags = regexp.MustCompile(`<[^>]*>`)

// TestMarkdownBodiesEscapeEventText: in a WHMCS Markdown reply, text from
// the event shows as the customer wrote it (no emphasis, link, image, code,
// heading, list, quote or HTML of theirs), while raw() text keeps its
// Markdown; Intercom bodies stay HTML-escaped; plain WHMCS text is sent as
// it is.
func TestMarkdownBodiesEscapeEventText(t *testing.T) {
	rs := mustLoad(t, header+`  - name: md
    source: whmcs
    when: topic == "TicketOpen"
    reply:
      as: comment
      markdown: true
      body: |
        Hi **{{ raw('VIP') }}**, about {{ raw('**') + ticket.subject + raw('**') }}:

        {{ message.text }}

        {{ raw('[Our FAQ](https://faq.example)') }}
  - name: plain
    source: whmcs
    when: topic == "TicketUserReply"
    reply: {as: comment, body: "You wrote: {{ message.text }}"}
  - name: html
    source: intercom
    when: "true"
    reply: {as: note, body: "<p>{{ message.text }}</p>{{ raw('<a href=\"https://faq.example\">FAQ</a>') }}"}
`)
	whmcs := func(topic string) *event.Event {
		return &event.Event{
			Source: "whmcs", Kind: "whmcs", Topic: topic, ID: topic + "-1",
			Target:  event.Target{Type: event.TargetTicket, ID: "42"},
			Ticket:  &event.Ticket{ID: "42", Subject: "_urgent_ [x](http://x)"},
			Message: &event.Message{ID: "1", HTML: hostileText, Text: hostileText, Author: event.Author{Type: "client", ID: "7"}},
		}
	}
	body := func(ev *event.Event) string {
		t.Helper()
		out := rs.Evaluate(ev)
		if len(out.Matches) != 1 || out.Matches[0].Err != nil {
			t.Fatalf("matches = %+v; errors %+v", out.Matches, out.Errors)
		}
		return out.Matches[0].Request.Body
	}

	t.Run("markdown", func(t *testing.T) {
		src := body(whmcs("TicketOpen"))
		got := renderMarkdown(t, src)
		// The only markup is the rule's own.
		for tag, want := range map[string]int{
			"<strong>": 2, "<a ": 1, "<em>": 0, "<img": 0, "<code>": 0, "<h1>": 0, "<h2>": 0, "<ol>": 0,
			"<ul>": 0, "<blockquote>": 0, "<script>": 0, "<b>": 0, "<del>": 0, "<table>": 0,
		} {
			if n := strings.Count(got, tag); n != want {
				t.Errorf("%d %s in the rendered reply; want %d\nsource:\n%s\nrendered:\n%s", n, tag, want, src, got)
			}
		}
		if !strings.Contains(got, `<a href="https://faq.example">Our FAQ</a>`) || !strings.Contains(got, "<strong>VIP</strong>") {
			t.Errorf("raw() Markdown was not kept:\n%s", got)
		}
		if !strings.Contains(got, "<strong>_urgent_ [x](http://x)</strong>") {
			t.Errorf("raw() + event text: the event part must be escaped, the raw() part not:\n%s", got)
		}
		// What the reader sees is the customer's text, line by line.
		text := html.UnescapeString(tags.ReplaceAllString(got, ""))
		for _, line := range strings.Split(hostileText, "\n") {
			if !strings.Contains(text, line) {
				t.Errorf("the reader does not see %q; they see:\n%s", line, text)
			}
		}
		if !strings.Contains(src, "ticket #5531") {
			t.Errorf("a # mid-line needs no escaping; source:\n%s", src)
		}
	})

	t.Run("plain text", func(t *testing.T) {
		if got := body(whmcs("TicketUserReply")); got != "You wrote: "+hostileText {
			t.Errorf("plain WHMCS body = %q; want the text as it is", got)
		}
	})

	t.Run("html", func(t *testing.T) {
		ev := conversationEvent("conversation.user.created", customer, hostileText)
		want := "<p>" + html.EscapeString(hostileText) + `</p><a href="https://faq.example">FAQ</a>`
		if got := body(ev); got != want {
			t.Errorf("Intercom body = %q; want %q", got, want)
		}
	})
}

// TestMarkersCannotBeForged: event text containing the private-use
// characters that mark it inside raw() + text cannot end its marking early
// and slip past escaping.
func TestMarkersCannotBeForged(t *testing.T) {
	forged := "x" + string(untrustedEnd) + "<script>" + string(untrustedStart) + "y"
	h := HTML("<b>") + markUntrusted(forged) + HTML("</b>")
	got := escapeMarked(string(h), formatHTML, "")
	if strings.Contains(got, "<script>") {
		t.Errorf("forged marks let markup through: %q", got)
	}
	if raw := trustedText(h); strings.ContainsAny(string(raw), string([]rune{untrustedStart, untrustedEnd})) {
		t.Errorf("raw() of a marked value kept the marks: %q", raw)
	}
}

// TestMarkdownLineStarts: a heading or list mark in event text is escaped
// where it would start a line of the body, and left alone mid-line.
func TestMarkdownLineStarts(t *testing.T) {
	env := exprEnv(nil, time.Now)
	ev := &event.Event{Ticket: &event.Ticket{Number: "#1 - 2.\n# three\n1. four"}}
	for _, c := range []struct{ src, want string }{
		{"{{ ticket.number }}", "\\#1 - 2.\n\\# three\n1\\. four"},
		{"Ticket {{ ticket.number }}", "Ticket #1 - 2.\n\\# three\n1\\. four"},
		{"Hi\n  {{ ticket.number }}", "Hi\n  \\#1 - 2.\n\\# three\n1\\. four"},
		{"Hi\n    {{ ticket.number }}", "Hi\n    #1 - 2.\n\\# three\n1\\. four"},
		{"{{ raw('**') + ticket.number }}", "**#1 - 2.\n\\# three\n1\\. four"},
		{"Ticket\n{{ raw('') + ticket.number }}", "Ticket\n\\#1 - 2.\n\\# three\n1\\. four"},
	} {
		tpl, err := compileTemplate(c.src, env, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tpl.Render(new(runner), ev, formatMarkdown)
		if err != nil || got != c.want {
			t.Errorf("%q rendered %q, %v; want %q", c.src, got, err, c.want)
		}
	}
}
