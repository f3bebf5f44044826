package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
)

// replyKindsOf lists every platform's reply kinds, in declaration order.
func replyKindsOf(reg *platform.Registry) []string {
	var out []string
	for _, p := range reg.All() {
		for _, r := range p.Spec().Capabilities {
			if !slices.Contains(out, r.As) {
				out = append(out, r.As)
			}
		}
	}
	return out
}

// kindSettings is one if/then per kind: when kind is it, the section takes
// its settings (required ones required).
func (g *schemaGen) kindSettings(pick sectionSettings) []any {
	var out []any
	for _, p := range g.reg.All() {
		spec := p.Spec()
		var props ordered
		var required []string
		var oneOf []any
		for _, s := range pick(spec) {
			if s.Type == platform.SettingSecret {
				for _, suffix := range []string{"_env", "_file"} {
					where := "the environment variable"
					if suffix == "_file" {
						where = "a file (relative to the rules file)"
					}
					props = append(props, member{s.Key + suffix, map[string]any{"type": "string", "minLength": 1,
						"description": fmt.Sprintf("%s%s names %s holding %s (%s)", s.Key, suffix, where, s.Key, s.Doc)}})
				}
				if s.Required {
					oneOf = append(oneOf, map[string]any{"required": []string{s.Key + "_env"}}, map[string]any{"required": []string{s.Key + "_file"}})
				}
				continue
			}
			props = append(props, member{s.Key, settingSchema(s)})
			if s.Required && s.Default == "" {
				required = append(required, s.Key)
			}
		}
		then := ordered{{"properties", props}}
		if len(required) > 0 {
			then = append(then, member{"required", required})
		}
		if len(oneOf) > 0 {
			then = append(then, member{"oneOf", oneOf})
		}
		out = append(out, ordered{
			{"if", ordered{{"properties", ordered{{"kind", ordered{{"const", spec.Name}}}}}, {"required", []string{"kind"}}}},
			{"then", then},
		})
	}
	return out
}

func settingSchema(s platform.Setting) ordered {
	o := ordered{{"description", s.Key + ": " + s.Doc}}
	switch s.Type {
	case platform.SettingBool:
		o = append(o, member{"type", "boolean"})
	case platform.SettingInt:
		o = append(o, member{"type", "integer"}, member{"minimum", 0})
	case platform.SettingDuration:
		o = append(o, member{"type", []string{"string", "integer"}}, member{"pattern", durationPattern})
	case platform.SettingURL:
		o = append(o, member{"type", "string"}, member{"pattern", schemaPatterns["PlatformConfig.BaseURL"]})
	default:
		o = append(o, member{"type", []string{"string", "number"}})
	}
	if len(s.Enum) > 0 {
		o = append(o, member{"enum", s.Enum})
	}
	if s.Default != "" {
		o = append(o, member{"default", s.Default})
	}
	return o
}

// replyFields are every platform's reply fields, each described with the
// kinds that take it.
func (g *schemaGen) replyFields() ordered {
	var keys []string
	decl := map[string]platform.Field{}
	takers := map[string][]string{}
	docs := map[string][]string{} // "doc (kinds)" per distinct doc
	for _, p := range g.reg.All() {
		for _, f := range p.Spec().ReplyFields {
			first, seen := decl[f.Key]
			switch {
			case !seen:
				keys = append(keys, f.Key)
				decl[f.Key] = f
			case len(first.Enum) > 0 && len(f.Enum) > 0:
				// Either platform's values.
				for _, v := range f.Enum {
					if !slices.Contains(first.Enum, v) {
						first.Enum = append(slices.Clone(first.Enum), v)
					}
				}
				decl[f.Key] = first
			case len(first.Enum) > 0:
				// Free text on one platform: the schema cannot say which.
				first.Enum = nil
				decl[f.Key] = first
			}
			takers[f.Key] = append(takers[f.Key], p.Spec().Name)
			docs[f.Key] = append(docs[f.Key], f.Doc+"\x00"+p.Spec().Name)
		}
	}
	var out ordered
	for _, k := range keys {
		f := decl[k]
		o := ordered{{"description", k + ": " + describeField(docs[k]) + "."}}
		switch f.Type {
		case platform.FieldBool:
			o = append(o, member{"type", "boolean"})
		case platform.FieldText:
			o = append(o, member{"type", "string"})
			if len(f.Enum) > 0 {
				o = append(o, member{"enum", f.Enum})
			}
		case platform.FieldTextList:
			o = append(o, member{"type", "array"}, member{"items", ordered{{"type", "string"}}})
			if f.MaxItems > 0 {
				o = append(o, member{"maxItems", f.MaxItems})
			}
		case platform.FieldTextMap:
			o = append(o, member{"type", "object"}, member{"additionalProperties", ordered{{"type", "string"}}})
			if f.MaxItems > 0 {
				o = append(o, member{"maxProperties", f.MaxItems})
			}
		case platform.FieldObject:
			var props ordered
			for _, key := range f.Keys {
				props = append(props, member{key, ordered{{"type", "string"}}})
			}
			o = append(o, member{"type", "object"}, member{"additionalProperties", false})
			if f.ExactlyOne {
				o = append(o, member{"minProperties", 1}, member{"maxProperties", 1})
			}
			o = append(o, member{"properties", props})
		}
		out = append(out, member{k, o})
	}
	return out
}

// describeField joins the docs of a field's declarations ("doc\x00kind"),
// each with the kinds that give it.
func describeField(decls []string) string {
	var order []string
	kinds := map[string][]string{}
	for _, d := range decls {
		doc, kind, _ := strings.Cut(d, "\x00")
		if _, seen := kinds[doc]; !seen {
			order = append(order, doc)
		}
		kinds[doc] = append(kinds[doc], kind)
	}
	parts := make([]string, len(order))
	for i, doc := range order {
		parts[i] = fmt.Sprintf("%s (%s)", doc, strings.Join(kinds[doc], ", "))
	}
	return strings.Join(parts, "; ")
}
