package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// The fuzz targets below run their seeds (f.Add and testdata/fuzz/...) under
// plain `go test`; .ci/run fuzzes each briefly and SECURITY.md says how to
// fuzz them longer.

// fuzzClock is a fixed Monday morning, so in_hours() and now() are
// deterministic and a crasher reproduces.
var fuzzClock = func() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) }

// fuzzReadFile stands in for attachments and secret files: fuzzed paths
// never touch the disk.
func fuzzReadFile(p string) ([]byte, error) {
	if strings.Contains(p, "missing") {
		return nil, os.ErrNotExist
	}
	return []byte("attachment"), nil
}

// fuzzEvents parses the webhook package's payloads once: the events rules
// and templates are run against.
func fuzzEvents(tb testing.TB) []*event.Event {
	tb.Helper()
	var evs []*event.Event
	for _, name := range []string{
		"intercom_conversation_user_created_2x.json", "intercom_ticket_admin_replied.json",
		"whmcs_TicketOpen.json", "whmcs_TicketUserReply.json",
	} {
		kind := "intercom"
		if strings.HasPrefix(name, "whmcs_") {
			kind = "whmcs"
		}
		body, err := os.ReadFile(filepath.Join("..", "platform", "all", "testdata", name))
		if err != nil {
			tb.Fatal(err)
		}
		p, _ := testRegistry.Lookup(kind)
		ev, err := platform.Parse(p, kind, &platform.Delivery{Body: body}, fuzzClock())
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// loadSeeds are small rules files covering every section, plus broken ones
// (the example file is added separately).
var loadSeeds = []string{
	"",
	"rules: []\n",
	"sources:\n  s:\n    kind: intercom\n    insecure_skip_verify: true\nplatforms:\n  s:\n    kind: log\nrules:\n  - name: a\n    when: true\n    reply:\n      as: note\n      body: \"{{ topic }}\"\n",
	"sources:\n  w:\n    kind: whmcs\n    secret_env: W\nplatforms:\n  w:\n    kind: whmcs\n    base_url: https://x.example/api\n    token_env: T\nrules:\n  - name: b\n    when: topic == \"TicketOpen\"\n    once: true\n    reply:\n      as: comment\n      body: |\n        Hi {{ contact?.id }}\n      custom_fields: {\"1\": \"{{ ticket.number }}\"}\n      attachments: [{file: a.txt}, {file: missing.txt}]\n",
	"calendars:\n  c:\n    timezone: Europe/Berlin\n    hours: {mon-fri: \"09:00-17:00\"}\n    holidays: [\"2026-12-24\"]\n",
	"rules:\n  - name: x\n    when: \"1 +\"\n",
	"settings: {delivery: {timeout: 3m, max_attempts: 0, backoff_initial: 1h, backoff_max: 1s}}\n",
	"sources: {s: {kind: intercom, secret_env: A, secret_file: b}}\n",
	"rules:\n\t- name: tab\n",
	"a: &a [*a]\n",
	"rules:\n  - name: u\n    when: message.text matches \"(\"\n    reply: {as: quick_reply, options: [\"{{\", \"}}\"]}\n",
	"rules:\n  - name: ü\n    when: \"\xff\"\n",
	"---\n...\n---\nrules: 1\n",
	"rules:\n  - when: >-\n      topic in [\"a\",\n    reply:\n      to: {type: conversation, id: \"{{ '../x' }}\"}\n",
}

// FuzzLoadRules feeds arbitrary bytes to Load: it never panics, and a
// failure is an ErrorList whose every entry points inside the file (or at
// no line at all) and names the file.
func FuzzLoadRules(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", "rules.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	for _, s := range loadSeeds {
		f.Add([]byte(s))
	}
	evs := fuzzEvents(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "rules.yaml"
		rs, err := Load(data, name, Options{Platforms: testRegistry, Clock: fuzzClock, ReadFile: fuzzReadFile})
		if err != nil {
			checkLoadError(t, data, name, err)
			return
		}
		if rs == nil {
			t.Fatal("no ruleset and no error")
		}
		// A file that loads must also run: every rule on every event.
		for _, ev := range evs {
			ev := *ev
			for src := range rs.Sources {
				ev.Source = src
				_ = rs.Evaluate(&ev)
			}
		}
	})
}

func checkLoadError(t *testing.T, data []byte, name string, err error) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, not an ErrorList: %v", err, err)
	}
	if len(list) == 0 {
		t.Fatal("empty ErrorList")
	}
	// Lines as YAML counts them: CRLF, LF or a lone CR ends one.
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n"), "\n")
	for _, e := range list {
		if e.File != name {
			t.Errorf("error names file %q, not %q: %v", e.File, name, e)
		}
		if e.Msg == "" {
			t.Errorf("error without a message: %+v", e)
		}
		if e.Line == 0 {
			continue // the file as a whole (empty, or no such section)
		}
		if e.Line < 0 || e.Line > len(lines) {
			t.Errorf("line %d outside the file's %d lines: %v", e.Line, len(lines), e)
			continue
		}
		// A column may point one past the end of the line (a missing value).
		if n := utf8.RuneCountInString(lines[e.Line-1]); e.Column < 1 || e.Column > n+1 {
			t.Errorf("column %d outside line %d (%d runes, %q): %v", e.Column, e.Line, n, lines[e.Line-1], e)
		}
		_ = e.Error() // the caret rendering must not panic either
	}
}

// templateSeeds are templates as rules write them, and broken ones.
var templateSeeds = []string{
	"",
	"plain text",
	"Hi {{ contact?.name ?? 'there' }}!",
	"<p>{{ message.text }}</p>{{ raw('<b>x</b>') }}",
	"{{ ticket.number }} {{ ticket.subject }} {{ tags }} {{ item }}",
	"{{ now() }} {{ in_hours('support') }} {{ outside_hours('nope') }}",
	"{{ text(message?.html ?? '') }}",
	"{{ upper(topic) + lower(source) }}",
	"{{ map(1..3, # * 2) }} {{ filter(tags, # != 'x') }} {{ len(1..10) }}",
	"{{ }}", "{{", "}}", "a }} b {{ c", "{{ 1 +  }}", "{{ {{ }} }}",
	"{{ 1..1000000 }}", "{{ map(1..10000000, #) }}",
	"{{ repeat('x', 1000) }}",
	"{{ message.text matches '(' }}",
	"{{ 1 / 0 }} {{ item.nope.deeper }} {{ contact.name }}",
	"\xff{{ topic }}\xfe",
}

// maxPlaceholderOutput bounds what one placeholder may produce on the
// small test events: the memory budget caps ranges and collections at a
// million elements, so output grows with the template, never without
// bound. (A reply this large would be refused by the platform anyway.)
const maxPlaceholderOutput = 64 << 20

// FuzzTemplate compiles arbitrary template strings and renders those that
// compile against a few events, escaped and not: never a panic, compile
// errors point inside the template, output stays bounded.
func FuzzTemplate(f *testing.F) {
	for _, s := range templateSeeds {
		f.Add(s)
	}
	evs := fuzzEvents(f)
	cal, err := newCalendar("support", &CalendarConfig{Timezone: "Europe/Berlin", Hours: map[string]string{"mon-fri": "09:00-17:00"}})
	if err != nil {
		f.Fatal(err)
	}
	env := exprEnv(map[string]*Calendar{"support": cal}, fuzzClock)
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 {
			return // rules files hold short templates; longer inputs only slow the fuzzer
		}
		tpl, err := compileTemplate(src, env, nil)
		if err != nil {
			var te *templateError
			if !errors.As(err, &te) {
				t.Fatalf("compile error is %T, not a *templateError: %v", err, err)
			}
			if te.offset < 0 || te.offset > len(src) {
				t.Fatalf("error offset %d outside the template (%d bytes): %v", te.offset, len(src), err)
			}
			if te.msg == "" {
				t.Fatal("compile error without a message")
			}
			return
		}
		placeholders := 0
		for _, p := range tpl.parts {
			if p.program != nil {
				placeholders++
			}
		}
		if tpl.IsStatic() != (placeholders == 0) {
			t.Fatalf("IsStatic() = %v with %d placeholders", tpl.IsStatic(), placeholders)
		}
		run := new(runner)
		for _, ev := range evs {
			for _, format := range []bodyFormat{formatText, formatHTML, formatMarkdown} {
				out, err := tpl.Render(run, ev, format)
				if err != nil {
					if out != "" {
						t.Fatalf("output %q with error %v", out, err)
					}
					continue
				}
				// A static template renders as itself, but for NUL, which
				// PostgreSQL cannot store.
				if placeholders == 0 && out != strings.ReplaceAll(src, "\x00", "\uFFFD") {
					t.Fatalf("static template rendered %q, not itself", out)
				}
				// Escaping at most multiplies each byte by 6 (&quot;).
				if limit := 6 * (len(src) + placeholders*maxPlaceholderOutput); len(out) > limit {
					t.Fatalf("output of %d bytes from a %d-byte template", len(out), len(src))
				}
			}
		}
	})
}
