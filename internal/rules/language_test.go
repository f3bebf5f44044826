package rules

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
)

const languageRules = header + `  - name: ack
    source: intercom
    when: topic == "conversation.user.created"
    reply:
      as: note
      body:
        en: "Thanks, we got your message."
        de: "Danke, wir haben Ihre Nachricht erhalten."
        fr: "Merci, nous avons bien reçu votre message."
        es: "Gracias, hemos recibido su mensaje."
        pt: "Obrigado, recebemos a sua mensagem."
        nl: "Bedankt, we hebben je bericht ontvangen."
        it: "Grazie, abbiamo ricevuto il tuo messaggio."
        default: en
  - name: german-team
    source: intercom
    when: topic == "conversation.user.created" && language == "de"
    reply: {as: note, body: "for the German team ({{ language }})"}
`

func TestBodyPerLanguage(t *testing.T) {
	rs := mustLoad(t, languageRules)
	cases := []struct {
		name     string
		text     string
		platform string // the language the platform sent
		want     string // the body
		german   bool   // german-team matched
	}{
		{"english", "Hello, I still have not received my refund for the order.", "", "Thanks, we got your message.", false},
		{"german", "Guten Tag, ich habe meine Rückerstattung für die Bestellung noch nicht bekommen.", "", "Danke, wir haben Ihre Nachricht erhalten.", true},
		{"french", "Bonjour, je n'ai toujours pas reçu le remboursement de ma commande.", "", "Merci, nous avons bien reçu votre message.", false},
		{"spanish", "Hola, me han cobrado dos veces el mismo pedido, ¿pueden devolverme el dinero?", "", "Gracias, hemos recibido su mensaje.", false},
		// whatlanggo hesitates between Spanish and Portuguese here (margin
		// 0.12): the default beats a guess.
		{"too close to call: default", "Buenos días, todavía no he recibido el reembolso de mi pedido.", "", "Thanks, we got your message.", false},
		{"portuguese", "Bom dia, ainda não recebi o reembolso da minha encomenda.", "", "Obrigado, recebemos a sua mensagem.", false},
		{"dutch", "Goedemiddag, ik heb de terugbetaling van mijn bestelling nog steeds niet ontvangen.", "", "Bedankt, we hebben je bericht ontvangen.", false},
		{"italian", "Buongiorno, non ho ancora ricevuto il rimborso del mio ordine.", "", "Grazie, abbiamo ricevuto il tuo messaggio.", false},
		{"the platform's language wins over the text", "Guten Tag, ich habe meine Rückerstattung noch nicht bekommen.", "fr", "Merci, nous avons bien reçu votre message.", false},
		{"a platform language without a body gets the default", "Guten Tag, ich habe meine Rückerstattung noch nicht bekommen.", "ja", "Thanks, we got your message.", false},
		{"too short to tell: default", "Danke!", "", "Thanks, we got your message.", false},
		{"two words: default", "Merci beaucoup", "", "Thanks, we got your message.", false},
		{"no words: default", "12345 ??? :-)", "", "Thanks, we got your message.", false},
		{"empty: default", "", "", "Thanks, we got your message.", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := conversationEvent("conversation.user.created", customer, tc.text)
			ev.Language = tc.platform
			got := rs.Evaluate(ev)
			if len(got.Matches) == 0 || got.Matches[0].Err != nil {
				t.Fatalf("no reply: %+v", got)
			}
			if body := got.Matches[0].Request.Body; body != tc.want {
				t.Errorf("body %q, want %q", body, tc.want)
			}
			german := len(got.Matches) == 2
			if german != tc.german {
				t.Errorf("german-team matched: %v, want %v", german, tc.german)
			}
			if german && got.Matches[1].Request.Body != "for the German team (de)" {
				t.Errorf("german-team body %q", got.Matches[1].Request.Body)
			}
			if ev.Language != tc.platform {
				t.Errorf("Evaluate changed the caller's event: Language %q", ev.Language)
			}
			// bot explain tells the same story.
			if ex := rs.Explain(ev); ex.Rules[0].Request == nil || ex.Rules[0].Request.Body != tc.want {
				t.Errorf("explain renders %+v", ex.Rules[0].Request)
			}
		})
	}
}

// TestBodyPerLanguageWithoutMessage: a ticket event carries its subject;
// an event with no text at all gets the default.
func TestBodyPerLanguageWithoutMessage(t *testing.T) {
	rs := mustLoad(t, languageRules)
	ev := conversationEvent("conversation.user.created", customer, "")
	ev.Message = nil
	ev.Ticket = &event.Ticket{Subject: "Rückerstattung für meine Bestellung fehlt noch immer"}
	if got := rs.Evaluate(ev).Matches[0].Request.Body; got != "Danke, wir haben Ihre Nachricht erhalten." {
		t.Errorf("from the subject: %q", got)
	}
	ev.Ticket = nil
	if got := rs.Evaluate(ev).Matches[0].Request.Body; got != "Thanks, we got your message." {
		t.Errorf("no text: %q", got)
	}
}

// languageSamples reads testdata/languages.tsv: short support messages.
func languageSamples(t testing.TB) (samples [][2]string) {
	f, err := os.Open("testdata/languages.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lang, text, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		samples = append(samples, [2]string{lang, text})
	}
	return samples
}

// TestDetectionAccuracy measures the detector on real support messages
// (the figures in docs/templates.md): how many it gets right, and how many
// wrong (a reply in the wrong language; unsure is the default body). The
// bounds are what it scores today, so that a change of detector or of its
// options cannot silently lose accuracy. English is always among the
// languages (newLanguageDetector).
func TestDetectionAccuracy(t *testing.T) {
	samples := languageSamples(t)
	cases := []struct {
		name      string
		langs     []string
		minRight  int
		maxWrong  int
		wantTotal int
	}{
		{"seven languages", []string{"en", "de", "fr", "es", "pt", "nl", "it"}, 47, 0, 56},
		{"english and german", []string{"de"}, 16, 0, 16},
		{"english, german and french", []string{"de", "fr"}, 22, 0, 24},
		{"english, spanish and portuguese", []string{"es", "pt"}, 19, 0, 24},
		{"english and dutch", []string{"nl"}, 13, 0, 16},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]bool{"en": true}
			for _, l := range tc.langs {
				set[l] = true
			}
			d := newLanguageDetector(set)
			right, wrong, total := 0, 0, 0
			for _, s := range samples {
				if !set[s[0]] {
					continue
				}
				total++
				switch got := d.detect(s[1]); got {
				case s[0]:
					right++
				case "":
					t.Logf("%s unsure (default body): %s", s[0], s[1])
				default:
					wrong++
					t.Logf("%s taken for %q: %s", s[0], got, s[1])
				}
			}
			t.Logf("%d/%d right, %d wrong, %d unsure", right, total, wrong, total-right-wrong)
			if total != tc.wantTotal || right < tc.minRight || wrong > tc.maxWrong {
				t.Errorf("%d/%d right (want at least %d of %d), %d wrong (want at most %d)", right, total, tc.minRight, tc.wantTotal, wrong, tc.maxWrong)
			}
		})
	}
}

// TestLanguageOnlyWhereUsed: the detector exists only when a rule needs a
// language, and only those rules wait for it.
func TestLanguageOnlyWhereUsed(t *testing.T) {
	rs := mustLoad(t, header+`  - name: plain
    when: message?.text contains "x"
    reply: {as: note, body: "hello {{ contact.name }}"}
`)
	if rs.detector != nil {
		t.Error("a file without languages builds a detector")
	}
	rs = mustLoad(t, "snippets:\n  lang: \"({{ language }})\"\n"+header+`  - name: plain
    when: "true"
    reply: {as: note, body: "hello"}
  - name: in-when
    when: language in ["de", "fr"]
    reply: {as: note, body: "hello"}
  - name: in-template
    when: "true"
    reply: {as: note, body: "hello {{ language }}"}
  - name: in-snippet
    when: "true"
    reply: {as: note, body: 'hello {{ snippet("lang") }}'}
  - name: per-language
    when: "true"
    reply:
      as: note
      body: {en: hello, default: en}
`)
	var got []string
	for _, r := range rs.Rules {
		if r.needsLanguage {
			got = append(got, r.Name)
		}
	}
	if want := "in-when in-template in-snippet per-language"; strings.Join(got, " ") != want {
		t.Errorf("rules that need a language: %v, want %s", got, want)
	}
	if rs.detector == nil {
		t.Fatal("no detector")
	}
	// The detector knows the compared languages, the body keys and English.
	var langs []string
	for l := range rs.detector.options.Whitelist {
		langs = append(langs, rs.detector.codes[l])
	}
	if want := "de en fr"; strings.Join(sortedStrings(langs), " ") != want {
		t.Errorf("detector languages %v, want %s", langs, want)
	}
}

func sortedStrings(s []string) []string {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	return sortedKeys(m)
}

// TestBodyPerLanguageErrors asserts the exact text a user reads.
func TestBodyPerLanguageErrors(t *testing.T) {
	rule := func(reply string) string {
		return header + "  - name: a\n    source: intercom\n    when: \"true\"\n    reply:\n" + reply
	}
	cases := []struct {
		name string
		file string
		want string
	}{
		{"no default", rule("      as: note\n      body:\n        en: hi\n        de: hallo\n"),
			`rules.yaml:25:9: rule "a": reply.body: default is required with a body per language (default: de names the body sent when the event's language has none)
   25 |         en: hi
                ^`},
		{"default names no body", rule("      as: note\n      body: {en: hi, default: fr}\n"),
			`rules.yaml:24:31: rule "a": reply.body.default "fr" names no body here (languages: en)
   24 |       body: {en: hi, default: fr}
                                      ^`},
		{"not a language code", rule("      as: note\n      body:\n        english: hi\n        default: english\n"),
			`rules.yaml:25:9: rule "a": reply.body: "english" is not an ISO 639-1 language code (two lower-case letters, e.g. en, de, pt) or default
   25 |         english: hi
                ^`},
		{"a region is not a language", rule("      as: note\n      body: {pt-BR: oi, default: pt-BR}\n"),
			`rules.yaml:24:14: rule "a": reply.body: "pt-BR" is not an ISO 639-1 language code (two lower-case letters, e.g. en, de, pt) or default
   24 |       body: {pt-BR: oi, default: pt-BR}
                     ^`},
		{"a kind without a body", rule("      as: quick_reply\n      options: [yes]\n      body: {en: hi, default: en}\n"),
			`rules.yaml:25:13: rule "a": reply.body per language is not for quick_reply (a kind that needs no body): write one body
   25 |       body: {en: hi, default: en}
                    ^`},
		{"a list", rule("      as: note\n      body: [hi]\n"),
			`rules.yaml:24:13: body must be a string or a mapping of languages to strings, not a list
   24 |       body: [hi]
                    ^
rules.yaml:23:7: rule "a": reply.body is required for note
   23 |       as: note
              ^`},
		{"comparing language with a name", header + "  - name: a\n    when: language == \"german\"\n    reply: {as: note, body: hi}\n",
			`rules.yaml:20:11: rule "a": language is an ISO 639-1 code (en, de, pt...), so it never equals "german"
   20 |     when: language == "german"
                  ^`},
		{"a typo stays an error", header + "  - name: a\n    when: langauge == \"de\"\n    reply: {as: note, body: hi}\n",
			`rules.yaml:20:11: rule "a": when: unknown name langauge
   20 |     when: langauge == "de"
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

// BenchmarkLanguageDetection is the cost per event of a body per language:
// one detection and one copy of the event, against the same rule with one
// body.
func BenchmarkLanguageDetection(b *testing.B) {
	samples := languageSamples(b)
	perLanguage := mustLoadB(b, languageRules)
	oneBody := mustLoadB(b, header+`  - name: ack
    source: intercom
    when: topic == "conversation.user.created"
    reply: {as: note, body: "Thanks, we got your message."}
`)
	events := make([]*event.Event, len(samples))
	for i, s := range samples {
		events[i] = conversationEvent("conversation.user.created", customer, s[1])
	}
	for _, bc := range []struct {
		name string
		rs   *Ruleset
	}{{"one body", oneBody}, {"body per language", perLanguage}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if m := bc.rs.Evaluate(events[i%len(events)]).Matches; len(m) == 0 {
					b.Fatal("no match")
				}
				i++
			}
		})
	}
	b.Run("detect only", func(b *testing.B) {
		d := perLanguage.detector
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			d.detect(samples[i%len(samples)][1])
			i++
		}
	})
}

func mustLoadB(b *testing.B, src string) *Ruleset {
	b.Helper()
	rs, err := Load([]byte(src), "rules.yaml", Options{Platforms: testRegistry})
	if err != nil {
		b.Fatalf("load: %v", err)
	}
	return rs
}

// TestBodyJSON: Config carries json tags (the schema is made from them); a
// body marshals to the shape it was written in, as the schema describes.
func TestBodyJSON(t *testing.T) {
	for _, tc := range []struct {
		body Body
		want string
	}{
		{Body{Text: "Thanks"}, `"Thanks"`},
		{Body{ByLanguage: map[string]string{"en": "Thanks", "de": "Danke"}, Default: "en"}, `{"de":"Danke","default":"en","en":"Thanks"}`},
	} {
		got, err := json.Marshal(tc.body)
		if err != nil || string(got) != tc.want {
			t.Errorf("json %s, %v; want %s", got, err, tc.want)
		}
	}
}
