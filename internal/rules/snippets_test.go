package rules

import (
	"fmt"
	"strings"
	"testing"
)

// snippetsHeader is a snippets section put before the usual header.
const snippetsHeader = `snippets:
  signature: "<p>Best regards, {{ contact.name }}</p>"
  thanks: "Thanks for writing."
  yes: "Yes, {{ contact.email }}"
`

func TestSnippetsRender(t *testing.T) {
	rs := mustLoad(t, snippetsHeader+header+`  - name: body
    source: intercom
    when: topic == "conversation.user.created"
    reply: {as: note, body: 'Hi {{ contact.name }}, <i>we are on it</i>. {{ snippet("signature") }}'}
  - name: static
    source: intercom
    when: topic == "conversation.user.created"
    reply: {as: note, body: '<b>{{ snippet("thanks") }}</b> {{snippet( "thanks" )}}'}
  - name: fields
    source: intercom
    when: topic == "conversation.user.created"
    reply:
      as: quick_reply
      body: 'Shall we call you back?'
      options: ['{{ snippet("yes") }}', "No {{ snippet('thanks') }}"]
`)
	got := rs.Evaluate(conversationEvent("conversation.user.created", customer, "hello"))
	if len(got.Matches) != 3 {
		t.Fatalf("matched %v, errors %v", matchedRules(got), got.Errors)
	}
	for _, m := range got.Matches {
		if m.Err != nil {
			t.Fatalf("%s: %v", m.Rule.Name, m.Err)
		}
	}
	// The snippet's literal HTML is the rule author's and stays as it is;
	// the contact's name inside it is escaped like any placeholder.
	if want := `Hi Ada &lt;Lovelace&gt;, <i>we are on it</i>. <p>Best regards, Ada &lt;Lovelace&gt;</p>`; got.Matches[0].Request.Body != want {
		t.Errorf("body:\n got %s\nwant %s", got.Matches[0].Request.Body, want)
	}
	if want := `<b>Thanks for writing.</b> Thanks for writing.`; got.Matches[1].Request.Body != want {
		t.Errorf("static body:\n got %s\nwant %s", got.Matches[1].Request.Body, want)
	}
	if !rs.Rules[1].Reply.Body.IsStatic() {
		t.Error("a body made of static snippets is not static: it would be evaluated per event")
	}
	opts := got.Matches[2].Request.Fields["options"].List
	if want := []string{"Yes, ada@example.com", "No Thanks for writing."}; fmt.Sprint(opts) != fmt.Sprint(want) {
		t.Errorf("options = %q, want %q", opts, want)
	}
}

// TestSnippetErrors asserts the exact text a user reads.
func TestSnippetErrors(t *testing.T) {
	rule := func(body string) string {
		return header + "  - name: a\n    when: true\n    reply: {as: note, body: '" + body + "'}\n"
	}
	cases := []struct {
		name string
		file string
		want string
	}{
		{"unknown snippet names the known ones", snippetsHeader + rule(`Hi {{ snippet("signatur") }}`),
			`rules.yaml:25:36: rule "a": reply.body: unknown snippet "signatur"; the snippets are signature, thanks, yes
   25 |     reply: {as: note, body: 'Hi {{ snippet("signatur") }}'}
                                           ^`},
		{"no snippets section", rule(`{{ snippet("signature") }}`),
			`rules.yaml:21:33: rule "a": reply.body: unknown snippet "signature": the file has no snippets: section
   21 |     reply: {as: note, body: '{{ snippet("signature") }}'}
                                        ^`},
		{"computed name", snippetsHeader + rule(`{{ snippet(contact.name) }}`),
			`rules.yaml:25:33: rule "a": reply.body: snippet() takes one quoted name, e.g. {{ snippet("signature") }}
   25 |     reply: {as: note, body: '{{ snippet(contact.name) }}'}
                                        ^`},
		{"inside an expression", snippetsHeader + rule(`{{ "x" + snippet("thanks") }}`),
			`rules.yaml:25:39: rule "a": reply.body: snippet() must be a placeholder of its own, e.g. {{ snippet("signature") }}
   25 |     reply: {as: note, body: '{{ "x" + snippet("thanks") }}'}
                                              ^`},
		{"snippets do not nest", "snippets:\n  a: \"x\"\n  b: \"{{ snippet('a') }}\"\n" + rule(`{{ snippet("b") }}`),
			`rules.yaml:3:10: snippets.b: snippet("a") inside a snippet: snippets do not nest
    3 |   b: "{{ snippet('a') }}"
                 ^`},
		{"an error inside a snippet is shown in the snippet", "snippets:\n  sig: \"Best, {{ contact.nmae }}\"\n" + rule(`{{ snippet("sig") }}`),
			`rules.yaml:2:26: snippets.sig: type event.Contact has no field nmae
    2 |   sig: "Best, {{ contact.nmae }}"
                                 ^`},
		{"bad snippet name", "snippets:\n  Sig: \"x\"\n" + rule(`{{ snippet("Sig") }}`),
			`rules.yaml:2:3: snippet name "Sig" must match [a-z0-9-_]+
    2 |   Sig: "x"
          ^`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.file), "rules.yaml", Options{Platforms: testRegistry})
			if err == nil {
				t.Fatal("loaded")
			}
			if err.Error() != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", err, tc.want)
			}
		})
	}
}

func TestUnusedSnippetWarning(t *testing.T) {
	rs := mustLoad(t, snippetsHeader+header+`  - name: a
    when: true
    once: true
    reply: {as: note, body: '{{ snippet("thanks") }}'}
`)
	var got []string
	for _, w := range rs.Lint() {
		if strings.Contains(w.Msg, "snippet") {
			got = append(got, fmt.Sprintf("%d: %s", w.Line, w.Msg))
		}
	}
	want := []string{`2: snippet "signature" is not used by any template`, `4: snippet "yes" is not used by any template`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
}

// A template without snippet() must not pay for snippets: the placeholder
// is not parsed twice.
func TestSnippetCallNotParsedWithoutTheWord(t *testing.T) {
	for _, code := range []string{` contact.name `, ` message.text | upper() `} {
		if _, ok, _, msg := snippetCall(code); ok || msg != "" {
			t.Errorf("snippetCall(%q) = %v, %q", code, ok, msg)
		}
	}
	// A field of the item named snippet is not a call.
	if _, ok, _, msg := snippetCall(` item.snippet `); ok || msg != "" {
		t.Errorf("item.snippet taken for a call: %q", msg)
	}
}
