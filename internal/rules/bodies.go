package rules

import (
	"encoding/json"
	"slices"

	"github.com/supportops/autoresponder/internal/event"
)

// Body is a reply's message as written: one template, or one per language
// with a default.
//
//	body: "Thanks, we got your message."
//
//	body:
//	  en: "Thanks, we got your message."
//	  de: "Danke, wir haben Ihre Nachricht erhalten."
//	  default: en
type Body struct {
	// Text is a body written as a string.
	Text string
	// ByLanguage are the bodies of a body written as a mapping, by ISO
	// 639-1 code; nil for a string.
	ByLanguage map[string]string
	// Default is the language whose body is sent when the event's language
	// has none (required with a mapping).
	Default string
}

// bodyDefaultKey names the default language in a body mapping.
const bodyDefaultKey = "default"

// Empty reports whether no body was written.
func (b Body) Empty() bool {
	if b.ByLanguage != nil {
		return false
	}
	return isBlank(b.Text)
}

func isBlank(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

// MarshalJSON writes the body as it was written: a string or a mapping.
func (b Body) MarshalJSON() ([]byte, error) {
	if b.ByLanguage == nil {
		return json.Marshal(b.Text)
	}
	m := make(map[string]string, len(b.ByLanguage)+1)
	for k, v := range b.ByLanguage {
		m[k] = v
	}
	m[bodyDefaultKey] = b.Default
	return json.Marshal(m)
}

// decodeBody reads reply.body from its decoded YAML value. Its problems
// are the compiler's to report, at their position.
func decodeBody(v any) (b Body, problems []keyProblem) {
	if s, ok := yamlScalar(v); ok {
		b.Text = s
		return b, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return b, []keyProblem{{path: path{"body"}, msg: "body must be a string or a mapping of languages to strings, not " + yamlTypeName(v)}}
	}
	b.ByLanguage = map[string]string{}
	for _, k := range sortedKeys(m) {
		s, ok := yamlScalar(m[k])
		if !ok {
			problems = append(problems, keyProblem{path: path{"body", k}, msg: "body." + k + " must be a string, not " + yamlTypeName(m[k])})
			continue
		}
		if k == bodyDefaultKey {
			b.Default = s
			continue
		}
		b.ByLanguage[k] = s
	}
	return b, problems
}

// replyBody compiles reply.body into t: Body, and for a body per language
// Bodies and DefaultLanguage (Body is then the default's, what explain and
// lint show).
func (c *compiler) replyBody(at path, rule string, b Body, t *ReplyTemplate) {
	bat := append(slices.Clone(at), "body")
	if b.ByLanguage == nil {
		t.Body = c.template(bat, rule, "reply.body", b.Text)
		return
	}
	t.Bodies = map[string]*Template{}
	langs := sortedKeys(b.ByLanguage)
	for _, lang := range langs {
		if !event.IsLanguageCode(lang) {
			c.pos.errAtKey(c.file, append(slices.Clone(bat), lang), rule,
				"reply.body: %q is not an ISO 639-1 language code (two lower-case letters, e.g. en, de, pt) or default", lang)
			continue
		}
		t.Bodies[lang] = c.template(append(slices.Clone(bat), lang), rule, "reply.body."+lang, b.ByLanguage[lang])
	}
	switch {
	case len(langs) == 0:
		c.errAt(bat, rule, "reply.body: a body per language needs at least one language (e.g. en: \"...\") and default")
	case b.Default == "":
		c.errAt(bat, rule, "reply.body: default is required with a body per language (default: %s names the body sent when the event's language has none)", langs[0])
	case !slices.Contains(langs, b.Default):
		c.errAt(append(slices.Clone(bat), bodyDefaultKey), rule, "reply.body.default %q names no body here (languages: %s)", b.Default, orList(langs))
	default:
		t.DefaultLanguage = b.Default
		t.Body = t.Bodies[b.Default]
	}
}

// bodyFor is the body to render for an event in lang.
func (t *ReplyTemplate) bodyFor(lang string) *Template {
	if b, ok := t.Bodies[lang]; ok {
		return b
	}
	return t.Body
}

// bodySchema is reply.body's JSON Schema: a string, or a mapping of
// language codes to strings with a default.
func bodySchema() map[string]any {
	return map[string]any{
		"oneOf": []any{
			map[string]any{"type": "string"},
			map[string]any{
				"type":                 "object",
				"propertyNames":        map[string]any{"pattern": "^([a-z]{2}|" + bodyDefaultKey + ")$"},
				"additionalProperties": map[string]any{"type": "string"},
				"required":             []string{bodyDefaultKey},
				"minProperties":        2,
			},
		},
	}
}
