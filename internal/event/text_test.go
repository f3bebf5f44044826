package event

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "hello world", "hello world"},
		{"paragraph", "<p>Hello everyone!</p>", "Hello everyone!"},
		{"two paragraphs", "<p>one</p><p>two</p>", "one\ntwo"},
		{"paragraph then text", "<p>one</p>two", "one\ntwo"},
		{"br", "one<br>two", "one\ntwo"},
		{"self-closing br", "one<br/>two<BR />three", "one\ntwo\nthree"},
		{"two br leave one empty line", "one<br><br>two", "one\n\ntwo"},
		{"many br capped", "one<br><br><br><br>two", "one\n\ntwo"},
		{"br at end of paragraph", "<p>one<br></p><p>two</p>", "one\ntwo"},
		{"leading and trailing breaks dropped", "<br><p></p><div>x</div><br><br>", "x"},
		{"inline tags join", "<b>bold</b><i>it</i> <span>s</span>", "boldit s"},
		{"whitespace collapsed", "  a \n\t  b  ", "a b"},
		{"newline inside paragraph is a space", "<p>a\nb</p>", "a b"},
		{"spaces around block boundary", "<p> a </p> <p> b </p>", "a\nb"},
		{"entities", "Tom &amp; Jerry &lt;3 &quot;x&quot; &#39;y&#39; &#x263A; &eacute;", `Tom & Jerry <3 "x" 'y' ☺ é`},
		{"nbsp is a space", "a&nbsp;&nbsp;b\u00a0c", "a b c"},
		{"encoded tag stays text", "&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"},
		{"script dropped", "a<script>var x = '<p>no</p>';</script>b", "ab"},
		{"style dropped", "<style type=\"text/css\">p { color: red }</style><p>x</p>", "x"},
		{"uppercase script end", "a<SCRIPT>x</ScRiPt >b", "ab"},
		{"script end needs the name", "a<script>x</scripts></script>b", "ab"},
		{"unterminated script drops rest", "a<script>x", "a"},
		{"self-closed script", "a<script src=x />b", "ab"},
		{"comment", "a<!-- <p>hidden</p> -->b", "ab"},
		{"unterminated comment", "a<!-- hidden", "a"},
		{"doctype", "<!DOCTYPE html><html><body><p>x</p></body></html>", "x"},
		{"processing instruction", "<?xml version=\"1.0\"?>x", "x"},
		{"less-than that is no tag", "a < b and 3<4", "a < b and 3<4"},
		{"close bracket alone", "a </ b", "a </ b"},
		{"unterminated tag", "a <p class=\"x", "a"},
		{"quoted greater-than in attribute", `<a href="x>y" title='>'>link</a>`, "link"},
		{"unquoted attribute", `<a href=x>link</a>`, "link"},
		{"list", "<ul><li>one</li><li>two</li></ul>after", "one\ntwo\nafter"},
		{"table", "<table><tr><td>a</td><td>b</td></tr><tr><th>c</th><td>d</td></tr></table>", "a b\nc d"},
		{"headings", "<h1>Title</h1><h2>Sub</h2>text", "Title\nSub\ntext"},
		{"intercom body", "<p>You’ll get replies here and in your email:<br>✉️ <b>admin@example.com</b></p>\n<p>The team will reply as soon as they can.</p>",
			"You’ll get replies here and in your email:\n✉️ admin@example.com\nThe team will reply as soon as they can."},
		{"class attribute", `<p class="no-margin">sfwa</p>`, "sfwa"},
		{"image", `<p>see <img src="a.png" alt="pic"> here</p>`, "see here"},
		{"long unknown tag name", "<abcdefghijklmnopqrstuvwxyz>x</abcdefghijklmnopqrstuvwxyz>", "x"},
		{"custom element with digits", "<my-el1>x</my-el1>", "x"},
		{"unicode spaces", "a\u2003\u2003b", "a b"},
		{"lone ampersand", "R&D & co", "R&D & co"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTMLToText(tt.in); got != tt.want {
				t.Errorf("HTMLToText(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMessageText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"html", "<p>one</p><p>two</p>", "one\ntwo"},
		{"plain keeps lines", "Hello,\n\nmy server is down.\nPlease help.", "Hello,\n\nmy server is down.\nPlease help."},
		{"crlf", "a\r\nb\rc", "a\nb\nc"},
		{"empty lines capped", "a\n\n\n\n\nb", "a\n\nb"},
		{"spaces collapsed and trimmed per line", "  a   b  \n   c  ", "a b\nc"},
		{"leading and trailing blank lines", "\n\n  a\n\n", "a"},
		{"entities decoded in plain text", "can&#039;t log in &amp; more", "can't log in & more"},
		{"less-than is no tag", "3 < 4\n5 > 2", "3 < 4\n5 > 2"},
		{"some html switches to html", "line one<br>line two\nsame line", "line one\nline two same line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MessageText(tt.in); got != tt.want {
				t.Errorf("MessageText(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHTMLToTextLinear(t *testing.T) {
	// Inputs that would be quadratic in a naive scanner must stay fast.
	inputs := []string{
		strings.Repeat("<", 1<<20),
		strings.Repeat("</", 1<<19),
		"<script>" + strings.Repeat("</scrip", 1<<17),
		strings.Repeat("<a b='", 1<<17),
		strings.Repeat("<!", 1<<19),
		strings.Repeat("&amp;", 1<<18),
	}
	for _, in := range inputs {
		out := HTMLToText(in)
		if !utf8.ValidString(out) {
			t.Errorf("output for %.20q... is not valid UTF-8", in)
		}
	}
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{"<p>a</p>", "a<br>b", "<script>x</script>", "&amp;", "<!-- x -->", "<a href='>'>x</a>", "\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{HTMLToText(s), MessageText(s)} {
			if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.HasSuffix(out, "\n") || strings.HasPrefix(out, "\n") {
				t.Errorf("output %q of %q is not trimmed", out, s)
			}
			if strings.Contains(out, "\n\n\n") {
				t.Errorf("output %q of %q has more than one empty line", out, s)
			}
			if utf8.ValidString(s) && !utf8.ValidString(out) {
				t.Errorf("output %q of valid %q is not valid UTF-8", out, s)
			}
		}
	})
}

func BenchmarkHTMLToText(b *testing.B) {
	body := strings.Repeat("<p>Hello <b>there</b>, I can&#39;t log in to my account.<br>Order #1234 &amp; invoice 5678.</p>\n", 20)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		HTMLToText(body)
	}
}
