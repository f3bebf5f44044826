package rules

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Extra holds the keys of a source, platform or reply section that are
// not generic: the platform's own settings and reply fields, as decoded
// from YAML (string, integers, float64, bool, nil, []any, map[string]any).
// The compiler checks them against the Spec of the section's kind, so
// that a key no platform declares is still an error at its line.
type Extra map[string]any

// keyProblem is a generic key whose value has the wrong type, found while
// decoding and reported by the compiler at the key's position.
type keyProblem struct {
	path  path // below the section
	msg   string
	atKey bool // positioned at the key rather than its value
}

// sectionDecoder assigns a section's generic keys from its decoded map and
// collects the rest.
type sectionDecoder struct {
	raw      map[string]any
	problems []keyProblem
	extra    Extra
}

func newSectionDecoder(unmarshal func(any) error) (*sectionDecoder, error) {
	var raw map[string]any
	if err := unmarshal(&raw); err != nil {
		return nil, err
	}
	return &sectionDecoder{raw: raw}, nil
}

// rest files every key not in generic under Extra.
func (d *sectionDecoder) rest(generic ...string) Extra {
	for k, v := range d.raw {
		if slices.Contains(generic, k) {
			continue
		}
		if d.extra == nil {
			d.extra = Extra{}
		}
		d.extra[k] = v
	}
	return d.extra
}

func (d *sectionDecoder) fail(at path, format string, args ...any) {
	d.problems = append(d.problems, keyProblem{path: at, msg: fmt.Sprintf(format, args...)})
}

func (d *sectionDecoder) str(key string, dst *string) {
	if v, ok := d.raw[key]; ok {
		d.strValue(path{key}, key, v, dst)
	}
}

func (d *sectionDecoder) strValue(at path, name string, v any, dst *string) {
	if s, ok := yamlScalar(v); ok {
		*dst = s
		return
	}
	d.fail(at, "%s must be a string, not %s", name, yamlTypeName(v))
}

func (d *sectionDecoder) boolean(key string, dst *bool) {
	v, ok := d.raw[key]
	if !ok || v == nil {
		return
	}
	b, ok := v.(bool)
	if !ok {
		d.fail(path{key}, "%s must be true or false, not %s", key, yamlTypeName(v))
		return
	}
	*dst = b
}

func (d *sectionDecoder) integer(key string, dst *int) {
	v, ok := d.raw[key]
	if !ok || v == nil {
		return
	}
	n, ok := yamlInt(v)
	if !ok {
		d.fail(path{key}, "%s must be a whole number, not %s", key, yamlTypeName(v))
		return
	}
	*dst = n
}

// object reads a mapping of string keys into fields, refusing other keys.
func (d *sectionDecoder) object(at path, v any, fields map[string]*string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		d.fail(at, "%s must be a mapping, not %s", at[len(at)-1], yamlTypeName(v))
		return false
	}
	for _, k := range sortedKeys(m) {
		dst, known := fields[k]
		if !known {
			d.problems = append(d.problems, keyProblem{path: append(slices.Clone(at), k), msg: fmt.Sprintf("unknown field %q", k), atKey: true})
			continue
		}
		d.strValue(append(slices.Clone(at), k), k, m[k], dst)
	}
	return true
}

// UnmarshalYAML decodes a source section: the generic keys into the
// struct, the platform's own into Extra.
func (s *SourceConfig) UnmarshalYAML(unmarshal func(any) error) error {
	d, err := newSectionDecoder(unmarshal)
	if err != nil {
		return err
	}
	d.str("kind", &s.Kind)
	d.str("secret_env", &s.SecretEnv)
	d.str("secret_file", &s.SecretFile)
	d.boolean("insecure_skip_verify", &s.InsecureSkipVerify)
	d.str("platform", &s.Platform)
	s.Extra = d.rest("kind", "secret_env", "secret_file", "insecure_skip_verify", "platform")
	s.problems = d.problems
	return nil
}

// UnmarshalYAML decodes a platform section: the generic keys into the
// struct, the platform's own into Extra.
func (p *PlatformConfig) UnmarshalYAML(unmarshal func(any) error) error {
	d, err := newSectionDecoder(unmarshal)
	if err != nil {
		return err
	}
	d.str("kind", &p.Kind)
	d.str("base_url", &p.BaseURL)
	d.str("mode", &p.Mode)
	d.integer("requests_per_minute", &p.RequestsPerMinute)
	p.Extra = d.rest("kind", "base_url", "mode", "requests_per_minute")
	p.problems = d.problems
	return nil
}

// UnmarshalYAML decodes a reply: the generic keys into the struct, the
// platforms' reply fields into Extra.
func (r *ReplyConfig) UnmarshalYAML(unmarshal func(any) error) error {
	r.present = true
	d, err := newSectionDecoder(unmarshal)
	if err != nil {
		return err
	}
	d.str("as", &r.As)
	d.str("body", &r.Body)
	d.str("platform", &r.Platform)
	if v, ok := d.raw["to"]; ok && v != nil {
		t := &TargetConfig{}
		if d.object(path{"to"}, v, map[string]*string{"type": &t.Type, "id": &t.ID}) {
			r.To = t
		}
	}
	if v, ok := d.raw["attachments"]; ok && v != nil {
		list, isList := v.([]any)
		if !isList {
			d.fail(path{"attachments"}, "attachments must be a list, not %s", yamlTypeName(v))
		}
		for i, item := range list {
			var a AttachmentConfig
			d.object(path{"attachments", i}, item, map[string]*string{"name": &a.Name, "file": &a.File, "content_type": &a.ContentType})
			r.Attachments = append(r.Attachments, a)
		}
	}
	r.Extra = d.rest("as", "body", "platform", "to", "attachments")
	r.problems = d.problems
	return nil
}

// yamlScalar returns a string or number as the string YAML wrote; null is
// "". Anything else (a boolean, a list, a mapping) is not ok.
func yamlScalar(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// yamlInt returns a whole number that fits an int.
func yamlInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		if x >= math.MinInt && x <= math.MaxInt {
			return int(x), true
		}
	case uint64:
		if x <= math.MaxInt {
			return int(x), true
		}
	}
	return 0, false
}

// yamlTypeName names a decoded YAML value's type for messages.
func yamlTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case int, int64, uint64, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}
