package rules

import (
	"slices"
	"strings"
	"unicode"

	"github.com/abadojack/whatlanggo"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/supportops/autoresponder/internal/event"
)

// languageUse is what the rules of a file do with languages, collected
// while it compiles: which rules read `language` in a template, and the
// languages conditions and templates compare it with.
type languageUse struct {
	readers  map[string]bool // rule names
	compared map[string]bool // ISO 639-1 codes
}

// langTemplate records what a compiled template does with `language`.
func (c *compiler) langTemplate(at path, rule string, t *Template) {
	for _, p := range t.parts {
		if p.program != nil && c.langProgram(at, rule, p.program) {
			c.langs.markReader(rule)
		}
	}
}

func (u *languageUse) markReader(rule string) {
	if u.readers == nil {
		u.readers = map[string]bool{}
	}
	u.readers[rule] = true
}

// langProgram reports whether a program reads `language`, records the
// codes it compares it with and refuses a comparison with something that
// is not a code (`language == "german"` would never be true).
func (c *compiler) langProgram(at path, rule string, p *vm.Program) bool {
	reads := false
	ast.Find(p.Node(), func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.IdentifierNode:
			// $env.language reads it too.
			reads = reads || x.Value == "language" || x.Value == "$env"
		case *ast.BinaryNode:
			for _, code := range comparedLanguages(x) {
				if !event.IsLanguageCode(code) {
					c.errAt(at, rule, "language is an ISO 639-1 code (en, de, pt...), so it never equals %q", code)
					continue
				}
				if c.langs.compared == nil {
					c.langs.compared = map[string]bool{}
				}
				c.langs.compared[code] = true
			}
		}
		return false
	})
	return reads
}

// comparedLanguages returns the string literals `language` is compared
// with in b (==, !=, in).
func comparedLanguages(b *ast.BinaryNode) []string {
	switch b.Operator {
	case "==", "!=":
		if isLanguage(b.Left) {
			if s, ok := b.Right.(*ast.StringNode); ok {
				return []string{s.Value}
			}
		}
		if isLanguage(b.Right) {
			if s, ok := b.Left.(*ast.StringNode); ok {
				return []string{s.Value}
			}
		}
	case "in", "not in":
		if !isLanguage(b.Left) {
			return nil
		}
		// The optimizer turns a literal array into a set.
		if cn, ok := b.Right.(*ast.ConstantNode); ok {
			if m, ok := cn.Value.(map[string]struct{}); ok {
				out := make([]string, 0, len(m))
				for s := range m {
					out = append(out, s)
				}
				slices.Sort(out)
				return out
			}
		}
		if arr, ok := b.Right.(*ast.ArrayNode); ok {
			var out []string
			for _, e := range arr.Nodes {
				if s, ok := e.(*ast.StringNode); ok {
					out = append(out, s.Value)
				}
			}
			return out
		}
	}
	return nil
}

func isLanguage(n ast.Node) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == "language"
}

// languages runs once the rules are compiled: it marks the rules that need
// the event's language and builds the detector for the languages the file
// names, when any rule needs one.
func (c *compiler) languages(rs *Ruleset) {
	need := false
	codes := map[string]bool{}
	for _, r := range rs.Rules {
		reads := c.langs.readers[r.Name]
		if r.When != nil && c.langProgram(path{"rules", r.Index, "when"}, r.Name, r.When) {
			reads = true
		}
		if r.Timing != nil && r.Timing.CancelWhen != nil && c.langProgram(path{"rules", r.Index, "cancel_when"}, r.Name, r.Timing.CancelWhen) {
			r.cancelNeedsLanguage = true
		}
		r.needsLanguage = reads || r.Reply != nil && r.Reply.Bodies != nil
		need = need || r.needsLanguage || r.cancelNeedsLanguage
		if r.Reply != nil {
			for lang := range r.Reply.Bodies {
				codes[lang] = true
			}
		}
	}
	if !need {
		return
	}
	for lang := range c.langs.compared {
		codes[lang] = true
	}
	rs.detector = newLanguageDetector(codes)
}

// withLanguage returns ev with Language set: the platform's when it sent
// one, else the language detected from the message text ("" when the text
// is too short to tell). ev is not changed: a detected language is set on
// a copy.
func (rs *Ruleset) withLanguage(ev *event.Event) *event.Event {
	if ev.Language != "" || rs.detector == nil {
		return ev
	}
	lang := rs.detector.detect(eventText(ev))
	if lang == "" {
		return ev
	}
	cp := *ev
	cp.Language = lang
	return &cp
}

// eventText is the text a language is detected from: the message as rules
// see it (message.text), else the ticket's subject.
func eventText(ev *event.Event) string {
	if ev.Message != nil && ev.Message.Text != "" {
		return ev.Message.Text
	}
	if ev.Ticket != nil {
		return ev.Ticket.Subject
	}
	return ""
}

// Detection limits: shorter texts ("Thanks!", "ok", "Merci") are too
// short to tell apart reliably and get no language (the default body);
// longer ones are cut, which keeps the cost per event bounded and loses
// nothing a language is told by. A guess less confident than
// minConfidence (whatlanggo's margin between the two closest languages)
// is no language either: on the support messages of
// testdata/languages.tsv every wrong guess scored below it, and a reply
// in the default language reads better than one in the wrong language.
const (
	minDetectWords = 3
	maxDetectBytes = 1000
	minConfidence  = 0.35
)

// languageDetector guesses the language of a text among the languages a
// rules file names, plus English (most customers write it whatever their
// locale; without it a file naming one language would see every message
// in that language). It uses whatlanggo's trigram profiles: pure Go, about
// 0.5 MB, stateless and safe for concurrent use.
type languageDetector struct {
	options whatlanggo.Options
	codes   map[whatlanggo.Lang]string // ISO 639-1 code of each language the detector may answer
}

func newLanguageDetector(codes map[string]bool) *languageDetector {
	d := &languageDetector{options: whatlanggo.Options{Whitelist: map[whatlanggo.Lang]bool{}}, codes: map[whatlanggo.Lang]string{}}
	for lang := range whatlanggo.Langs {
		code := lang.Iso6391()
		if code == "" {
			continue
		}
		// Scripts with one language (Greek, Han, Hangul...) are answered
		// whatever the whitelist: know their codes too.
		d.codes[lang] = code
		if codes[code] || code == "en" {
			d.options.Whitelist[lang] = true
		}
	}
	return d
}

// detect returns the ISO 639-1 code of text's language, "" when unknown.
func (d *languageDetector) detect(text string) string {
	if len(text) > maxDetectBytes {
		text = text[:maxDetectBytes] // a cut rune is one bad trigram at worst
	}
	if words(text) < minDetectWords {
		return ""
	}
	info := whatlanggo.DetectWithOptions(text, d.options)
	if info.Confidence < minConfidence {
		return ""
	}
	return d.codes[info.Lang]
}

// words counts the words with a letter in s, stopping at minDetectWords.
func words(s string) int {
	n := 0
	for f := range strings.FieldsSeq(s) {
		if strings.IndexFunc(f, unicode.IsLetter) >= 0 {
			n++
			if n >= minDetectWords {
				break
			}
		}
	}
	return n
}
