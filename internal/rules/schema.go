package rules

import (
	"bytes"
	_ "embed" // config.go's comments are the schema's descriptions
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

//go:generate go run ../tools/schemagen -o ../../rules.schema.json

// configSource is config.go itself: its doc comments are the reference
// documentation of the rules file, so the schema takes its descriptions
// from there and cannot drift from them.
//
//go:embed config.go
var configSource []byte

// SchemaID is the schema's $id.
const SchemaID = "https://github.com/supportops/autoresponder/rules.schema.json"

// Constraints the Go types cannot express, keyed by "Type.Field".
var (
	// (The kinds and reply kinds come from the registry: see Schema.)
	schemaEnums = map[string][]string{
		"PlatformConfig.Mode": {ModeLive, ModeShadow},
		"RuleConfig.Mode":     {ModeLive, ModeShadow},
		"RuleConfig.Per":      {PerTarget, PerContact},
		"TargetConfig.Type":   {event.TargetConversation, event.TargetTicket},
	}
	// schemaPatterns are ECMA-262 regular expressions for string fields
	// (for a list, its items).
	schemaPatterns = map[string]string{
		"RuleConfig.Name":         nameRE.String(),
		"PlatformConfig.BaseURL":  `^https?://[^/?#@]+(/[^?#]*)?$`,
		"CalendarConfig.Holidays": `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`,
		"CalendarConfig.Hours":    `^ *([Cc][Ll][Oo][Ss][Ee][Dd]|` + clockSpan + `( *, *` + clockSpan + `)*) *$`,
	}
	// schemaKeyPatterns constrain the keys of maps.
	schemaKeyPatterns = map[string]string{
		"Config.Sources":       nameRE.String(),
		"Config.Platforms":     nameRE.String(),
		"Config.Calendars":     nameRE.String(),
		"Config.Snippets":      snippetNameRE.String(),
		"CalendarConfig.Hours": `^ *` + dayRange + `( *, *` + dayRange + `)* *$`,
	}
	schemaMaxItems = map[string]int{
		"ReplyConfig.Attachments": maxAttachments,
	}
	schemaMaximum = map[string]int{
		"DeliverySettings.MaxAttempts": 100,
	}
)

const (
	clockSpan = `[0-9]{2}:[0-9]{2} *- *[0-9]{2}:[0-9]{2}`
	dayRange  = `[A-Za-z]{3}(-[A-Za-z]{3})?`
	// durationPattern accepts Go durations ("90s", "1h30m", "1.5h") and
	// whole days ("7d"), as ParseDuration does.
	durationPattern = `^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+|[0-9]+d)$`
)

// Schema returns the JSON Schema (draft 2020-12) of the rules file,
// generated from the Config types and the registered platforms' Specs:
// yaml tags name the keys, doc comments in config.go describe them, every
// object rejects unknown keys. Keys without omitempty in their json tag
// are required. A source or platform section takes its kind's own
// settings (if/then on kind, so that editors complete them); a reply takes
// every platform's reply fields (which ones a platform takes depends on
// where the reply goes, which only the loader knows).
func Schema(reg *platform.Registry) ([]byte, error) {
	docs, err := configDocs(configSource)
	if err != nil {
		return nil, fmt.Errorf("rules schema: %w", err)
	}
	g := &schemaGen{docs: docs, defs: map[string]any{}, reg: reg, enums: map[string][]string{
		"SourceConfig.Kind":   reg.Names(),
		"PlatformConfig.Kind": append(reg.Names(), KindLog),
		"ReplyConfig.As":      replyKindsOf(reg),
	}}
	root := append(ordered{
		{"$schema", "https://json-schema.org/draft/2020-12/schema"},
		{"$id", SchemaID},
		{"title", "Support auto-responder rules file"},
	}, g.object(reflect.TypeFor[Config]())...)
	// Config's own comment is written for Go readers.
	root[3] = member{"description", "Rules of the support auto-responder: the webhook sources, the platforms replies go to, " +
		"business-hours calendars and the rules, evaluated in file order. Check a file with `bot check`, test it with `bot test`."}
	root = append(root, member{"$defs", g.defs})
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("rules schema: %w", err)
	}
	return b.Bytes(), nil
}

type schemaGen struct {
	docs  map[string]string
	defs  map[string]any
	reg   *platform.Registry
	enums map[string][]string // from the registry, by "Type.Field"
}

// object is the schema of a struct type, its keys in declaration order.
func (g *schemaGen) object(t reflect.Type) ordered {
	var props ordered
	var required []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		key := t.Name() + "." + f.Name
		s := g.schema(f.Type, key)
		if d := g.docs[key]; d != "" {
			// Editors show this next to the YAML key: say the key, not
			// the Go name ("MaxPerHour caps" → "max_per_hour caps").
			if rest, ok := strings.CutPrefix(d, f.Name); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, ":")) {
				d = name + rest
			}
			s["description"] = d
		}
		props = append(props, member{name, s})
		if _, opts, _ := strings.Cut(f.Tag.Get("json"), ","); !strings.Contains(opts, "omitempty") {
			required = append(required, name)
		}
	}
	var o ordered
	if d := g.docs[t.Name()]; d != "" {
		o = append(o, member{"description", d})
	}
	o = append(o, member{"type", "object"})
	var byKind []any
	switch t.Name() {
	case "SourceConfig":
		byKind = g.kindSettings(sourceSettings)
	case "PlatformConfig":
		byKind = g.kindSettings(accountSettings)
	case "ReplyConfig":
		props = append(props, g.replyFields()...)
	}
	if byKind != nil {
		// Keys declared in the if/then branches count as evaluated.
		o = append(o, member{"unevaluatedProperties", false})
	} else {
		o = append(o, member{"additionalProperties", false})
	}
	if len(required) > 0 {
		o = append(o, member{"required", required})
	}
	o = append(o, member{"properties", props})
	if byKind != nil {
		o = append(o, member{"allOf", byKind})
	}
	return o
}

// schema is the schema of a field's type; key ("Type.Field") selects the
// extra constraints.
func (g *schemaGen) schema(t reflect.Type, key string) map[string]any {
	if t == reflect.TypeFor[Body]() {
		return bodySchema()
	}
	if t == reflect.TypeFor[Duration]() {
		// A YAML 0 is read as the duration 0; any other number is an error.
		return map[string]any{"type": []string{"string", "integer"}, "pattern": durationPattern, "minimum": 0, "maximum": 0}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.schema(t.Elem(), key)
	case reflect.String:
		s := map[string]any{"type": "string"}
		if e, ok := schemaEnums[key]; ok {
			s["enum"] = e
		}
		if e, ok := g.enums[key]; ok {
			s["enum"] = e
		}
		if p, ok := schemaPatterns[key]; ok {
			s["pattern"] = p
		}
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		s := map[string]any{"type": "integer", "minimum": 0}
		if m, ok := schemaMaximum[key]; ok {
			s["maximum"] = m
		}
		return s
	case reflect.Slice:
		s := map[string]any{"type": "array", "items": g.schema(t.Elem(), key)}
		if m, ok := schemaMaxItems[key]; ok {
			s["maxItems"] = m
		}
		return s
	case reflect.Map:
		s := map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem(), key)}
		if p, ok := schemaKeyPatterns[key]; ok {
			s["propertyNames"] = map[string]any{"pattern": p}
		}
		return s
	case reflect.Struct:
		name := t.Name()
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = nil // placeholder: a type that contains itself stops here
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	return map[string]any{}
}

// configDocs reads the doc comments of the types and fields in config.go:
// "Type" and "Type.Field" → the comment as one line.
func configDocs(src []byte) (map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "config.go", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	docs := map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			doc := ts.Doc
			if doc == nil && len(gd.Specs) == 1 {
				doc = gd.Doc
			}
			docs[ts.Name.Name] = oneLine(doc)
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, field := range st.Fields.List {
				text := oneLine(field.Doc)
				if text == "" {
					text = oneLine(field.Comment)
				}
				for _, n := range field.Names {
					docs[ts.Name.Name+"."+n.Name] = text
				}
			}
		}
	}
	return docs, nil
}

func oneLine(g *ast.CommentGroup) string {
	if g == nil {
		return ""
	}
	return strings.Join(strings.Fields(g.Text()), " ")
}

// ordered is a JSON object that keeps its keys in order, so the schema
// reads like config.go.
type ordered []member

type member struct {
	Key   string
	Value any
}

// MarshalJSON writes the members in order. (The encoder indents the result.)
func (o ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(m.Key); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := enc.Encode(m.Value); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
