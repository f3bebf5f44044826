package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// maxAttachments bounds reply.attachments, whatever the platform.
const maxAttachments = 10

// FieldTemplate is one compiled platform-specific reply field.
type FieldTemplate struct {
	Key  string
	Type platform.FieldType
	Text *Template            // FieldText
	Bool bool                 // FieldBool
	List []*Template          // FieldTextList
	Map  map[string]*Template // FieldTextMap and FieldObject
	// required: rendered empty is an error (the one key of an object
	// that takes exactly one).
	required bool
	// raw is a FieldText as written, for a platform's Enum.
	raw string
}

// kindTable is what one platform kind posts: its capability rows and its
// reply fields. Kind log gets the union of every platform's.
type kindTable struct {
	kind    string
	rows    []platform.Capability
	fields  map[string]platform.Field
	targets []string
	impl    platform.Platform // nil for log
}

// table returns the kind's table, built once per load.
func (c *compiler) table(kind string) (*kindTable, bool) {
	if t, ok := c.tables[kind]; ok {
		return t, true
	}
	var t *kindTable
	if p, ok := c.reg.Lookup(kind); ok {
		spec := p.Spec()
		t = &kindTable{kind: kind, rows: spec.Capabilities, fields: map[string]platform.Field{}, impl: p}
		for _, f := range spec.ReplyFields {
			t.fields[f.Key] = f
		}
	} else if kind == KindLog {
		t = c.logTable()
	} else {
		return nil, false
	}
	for _, r := range t.rows {
		if !slices.Contains(t.targets, r.Target) {
			t.targets = append(t.targets, r.Target)
		}
	}
	c.tables[kind] = t
	return t, true
}

// logTable merges every platform's rows of the same kind and target: a
// log takes what any platform takes there.
func (c *compiler) logTable() *kindTable {
	t := &kindTable{kind: KindLog, fields: c.allFields()}
	for _, p := range c.reg.All() {
		for _, r := range p.Spec().Capabilities {
			i := slices.IndexFunc(t.rows, func(m platform.Capability) bool { return m.As == r.As && m.Target == r.Target })
			if i < 0 {
				r.Fields, r.Requires = slices.Clone(r.Fields), slices.Clone(r.Requires)
				t.rows = append(t.rows, r)
				continue
			}
			m := &t.rows[i]
			for _, f := range r.Fields {
				if !slices.Contains(m.Fields, f) {
					m.Fields = append(m.Fields, f)
				}
			}
			m.Requires = slices.DeleteFunc(m.Requires, func(f string) bool { return !slices.Contains(r.Requires, f) })
			m.NoBody = m.NoBody || r.NoBody
			m.Attachments = m.Attachments || r.Attachments
		}
	}
	return t
}

// allFields are the reply fields of every platform, by key (the first
// platform declaring a key gives its type).
func (c *compiler) allFields() map[string]platform.Field {
	out := map[string]platform.Field{}
	for _, p := range c.reg.All() {
		for _, f := range p.Spec().ReplyFields {
			if _, dup := out[f.Key]; !dup {
				out[f.Key] = f
			}
		}
	}
	return out
}

// replyKinds lists every reply kind of every platform, in the order the
// platforms declare them.
func (c *compiler) replyKinds() []string {
	var out []string
	for _, p := range c.reg.All() {
		for _, r := range p.Spec().Capabilities {
			if !slices.Contains(out, r.As) {
				out = append(out, r.As)
			}
		}
	}
	return out
}

// errOnce reports an error once per rule, however many platforms the
// rule's reply is checked against.
func (c *compiler) errOnce(at path, rule, format string, args ...any) {
	key := fmt.Sprintf("%s\x00%v\x00%s", rule, at, fmt.Sprintf(format, args...))
	if c.reported[key] {
		return
	}
	c.reported[key] = true
	c.errAt(at, rule, format, args...)
}

func (c *compiler) reply(rs *Ruleset, at path, r *Rule) *ReplyTemplate {
	rc := r.Config.Reply
	name := r.Name
	t := &ReplyTemplate{As: rc.As, Platform: rc.Platform, flags: map[string]bool{}}
	c.keyProblems(at, rc.problems)
	kinds := c.replyKinds()
	if rc.As == "" {
		c.errAt(at, name, "reply.as is required (%s)", orList(kinds))
		return t
	}
	if !slices.Contains(kinds, rc.As) {
		c.errAt(append(at, "as"), name, "reply.as %q is not a reply kind (%s)", rc.As, orList(kinds))
		return t
	}
	// The platforms this rule can post to.
	type candidate struct {
		platform *Platform
		source   string // "" when the platform is named by the rule
	}
	var cands []candidate
	if rc.Platform != "" {
		p, ok := rs.Platforms[rc.Platform]
		if !ok {
			c.errAt(append(at, "platform"), name, "unknown platform %q", rc.Platform)
			return t
		}
		cands = append(cands, candidate{platform: p})
	} else {
		for _, sn := range sortedKeys(rs.Sources) {
			if r.Source != "" && sn != r.Source {
				continue
			}
			s := rs.Sources[sn]
			p, ok := rs.Platforms[s.Platform]
			if !ok {
				c.errAt(at, name, "source %q has no platform to reply to: add a platform named %q, set sources.%s.platform, or set reply.platform", sn, sn, sn)
				continue
			}
			cands = append(cands, candidate{platform: p, source: sn})
		}
	}

	t.Fields = c.replyFields(at, name, rc.Extra)
	used := map[string]bool{}
	keys := map[string][]string{}
	literals := map[string]map[string]string{}
	for _, f := range t.Fields {
		used[f.Key] = true
		if f.Map != nil {
			keys[f.Key] = sortedKeys(f.Map)
			literals[f.Key] = map[string]string{}
			for k, tmpl := range f.Map {
				if v, ok := tmpl.static(); ok {
					literals[f.Key][k] = v
				}
			}
		}
		if f.Type == platform.FieldBool {
			t.flags[f.Key] = true
		}
	}
	view := platform.ReplyView{As: rc.As, Fields: used, Platform: rc.Platform, Keys: keys, Literals: literals}
	if rc.To != nil {
		view.ToType, view.ToID = rc.To.Type, rc.To.ID
	}
	for _, cand := range cands {
		kind := cand.platform.Kind()
		tbl, ok := c.table(kind)
		if !ok {
			continue // unknown kind: already reported on the platform
		}
		if rc.To == nil {
			// Replies go to the event's own target, which must be one the
			// platform can post to.
			srcs := []string{cand.source}
			if cand.source == "" {
				srcs = nil
				for _, sn := range sortedKeys(rs.Sources) {
					if r.Source == "" || sn == r.Source {
						srcs = append(srcs, sn)
					}
				}
			}
			for _, sn := range srcs {
				s := rs.Sources[sn]
				if s == nil || kind == KindLog {
					continue
				}
				if s.Kind != kind {
					c.errAt(at, name, "events from source %q (%s) cannot be answered on platform %q (%s) without reply.to", sn, s.Kind, cand.platform.Name, kind)
				}
			}
		}
		c.checkCapability(at, name, cand.platform.Name, tbl, &rc, t.Fields)
		c.otherPlatformsKeys(at, name, cand.platform.Name, tbl, rc.Extra, used)
		if tbl.impl != nil {
			view.Account = cand.platform.Settings
			for _, p := range tbl.impl.ValidateReply(&view) {
				where := slices.Clone(at)
				for _, k := range p.Path {
					where = append(where, k)
				}
				c.errOnce(where, name, "%s", p.Message)
			}
		}
	}

	if len(rc.Attachments) > maxAttachments {
		c.errAt(append(at, "attachments"), name, "at most %d attachments", maxAttachments)
	}
	c.replyBody(at, name, rc.Body, t)
	if rc.To != nil {
		switch rc.To.Type {
		case event.TargetConversation, event.TargetTicket:
		default:
			c.errAt(append(at, "to", "type"), name, "reply.to.type must be conversation or ticket")
		}
		if strings.TrimSpace(rc.To.ID) == "" {
			c.errAt(append(at, "to"), name, "reply.to.id is required")
		}
		t.ToType = rc.To.Type
		t.ToID = c.template(append(at, "to", "id"), name, "reply.to.id", rc.To.ID)
	}
	t.Attachments = c.attachments(append(at, "attachments"), name, rc.Attachments)
	return t
}

// checkCapability is the one table made law: a reply is accepted only if a
// capability row of the platform matches its kind and target and takes
// every field it sets, with the row's required fields and a body where
// the row needs one.
func (c *compiler) checkCapability(at path, rule, account string, tbl *kindTable, rc *ReplyConfig, fields []*FieldTemplate) {
	var kinds []string
	for _, r := range tbl.rows {
		if !slices.Contains(kinds, r.As) {
			kinds = append(kinds, r.As)
		}
	}
	if !slices.Contains(kinds, rc.As) {
		slices.Sort(kinds)
		c.errAt(append(at, "as"), rule, "platform %q (%s) cannot post as %q (it takes %s)", account, tbl.kind, rc.As, strings.Join(kinds, ", "))
		return
	}
	// The rows the reply may use: its kind, to the target it names or to
	// any target of the platform (the event's own).
	var rows []platform.Capability
	for _, r := range tbl.rows {
		if r.As == rc.As && (rc.To == nil || rc.To.Type == "" || r.Target == rc.To.Type) {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		if slices.Contains(tbl.targets, rc.To.Type) {
			c.errAt(append(at, "to", "type"), rule, "platform %q (%s) cannot post %s to a %s", account, tbl.kind, rc.As, rc.To.Type)
		} else if rc.To.Type == event.TargetConversation || rc.To.Type == event.TargetTicket {
			c.errAt(append(at, "to", "type"), rule, "platform %q (%s) cannot post to a %s", account, tbl.kind, rc.To.Type)
		}
		return
	}

	used := make([]string, 0, len(fields)+1)
	for _, f := range fields {
		used = append(used, f.Key)
	}
	if len(rc.Attachments) > 0 {
		used = append(used, "attachments")
	}
	takes := func(r platform.Capability, f string) bool {
		if f == "attachments" {
			return r.Attachments
		}
		return slices.Contains(r.Fields, f)
	}
	refused := false
	for _, f := range used {
		if slices.ContainsFunc(rows, func(r platform.Capability) bool { return takes(r, f) }) {
			continue
		}
		refused = true
		var where []platform.Capability
		for _, r := range tbl.rows {
			if takes(r, f) {
				where = append(where, r)
			}
		}
		if len(where) == 0 {
			c.errAt(append(at, f), rule, "platform %q (%s) does not take reply.%s", account, tbl.kind, f)
		} else {
			c.errOnce(append(at, f), rule, "reply.%s only applies to %s", f, describeRows(where, tbl.targets))
		}
	}
	if refused {
		return
	}
	var fit []platform.Capability
	for _, r := range rows {
		if !slices.ContainsFunc(used, func(f string) bool { return !takes(r, f) }) {
			fit = append(fit, r)
		}
	}
	if len(fit) == 0 {
		c.errAt(at, rule, "platform %q (%s) has no %s that takes reply.%s together", account, tbl.kind, rc.As, strings.Join(used, ", reply."))
		return
	}
	if !slices.ContainsFunc(fit, func(r platform.Capability) bool {
		return !slices.ContainsFunc(r.Requires, func(f string) bool { return !slices.Contains(used, f) })
	}) {
		for _, f := range fit[0].Requires {
			if slices.Contains(used, f) {
				continue
			}
			if fd := tbl.fields[f]; fd.Type == platform.FieldObject && fd.ExactlyOne {
				c.errOnce(append(at, f), rule, "%s needs reply.%s with exactly one of %s", rc.As, f, strings.Join(fd.Keys, ", "))
			} else {
				c.errOnce(at, rule, "reply.%s is required for %s", f, rc.As)
			}
		}
	}
	if rc.Body.Empty() && !slices.ContainsFunc(fit, func(r platform.Capability) bool { return r.NoBody }) {
		c.errOnce(at, rule, "reply.body is required for %s", rc.As)
	}
	if rc.Body.ByLanguage != nil && slices.ContainsFunc(fit, func(r platform.Capability) bool { return r.NoBody }) {
		c.errOnce(append(at, "body"), rule, "reply.body per language is not for %s (a kind that needs no body): write one body", rc.As)
	}
	for _, f := range fields {
		fd := tbl.fields[f.Key]
		if tbl.impl != nil && fd.Type == platform.FieldText && len(fd.Enum) > 0 && !slices.Contains(fd.Enum, f.raw) {
			c.errAt(append(at, f.Key), rule, "platform %q (%s): reply.%s must be %s, not %q", account, tbl.kind, f.Key, orList(fd.Enum), f.raw)
		}
		if fd.Type != platform.FieldObject || !fd.ExactlyOne || len(f.Map) == 1 {
			continue
		}
		if slices.ContainsFunc(fit, func(r platform.Capability) bool { return slices.Contains(r.Requires, f.Key) }) {
			c.errOnce(append(at, f.Key), rule, "%s needs reply.%s with exactly one of %s", rc.As, f.Key, strings.Join(fd.Keys, ", "))
		} else {
			c.errOnce(append(at, f.Key), rule, "reply.%s needs exactly one of %s", f.Key, strings.Join(fd.Keys, ", "))
		}
	}
}

// otherPlatformsKeys reports the keys of a reply that another platform
// declares and this one does not, when they are false or empty (set ones
// are checkCapability's): such a key changes nothing, but it is written in
// the wrong place and must not pass silently.
func (c *compiler) otherPlatformsKeys(at path, rule, account string, tbl *kindTable, extra Extra, set map[string]bool) {
	if tbl.impl == nil {
		return
	}
	decls := c.allFields()
	for _, key := range sortedKeys(extra) {
		if _, declared := decls[key]; !declared || set[key] {
			continue // unknown (reported) or set (checked against the rows)
		}
		if _, takes := tbl.fields[key]; !takes {
			c.errAt(append(at, key), rule, "platform %q (%s) does not take reply.%s", account, tbl.kind, key)
		}
	}
}

// describeRows says where a field applies: "quick_reply" when a kind takes
// it on every target, else "note to a ticket".
func describeRows(rows []platform.Capability, targets []string) string {
	var kinds []string
	byKind := map[string][]string{}
	for _, r := range rows {
		if _, seen := byKind[r.As]; !seen {
			kinds = append(kinds, r.As)
		}
		byKind[r.As] = append(byKind[r.As], r.Target)
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = k
		if len(byKind[k]) < len(targets) {
			parts[i] = k + " to a " + strings.Join(byKind[k], " or a ")
		}
	}
	return orList(parts)
}

// replyFields checks a reply's platform keys against every platform's
// reply fields and compiles the ones set. A key no platform declares is
// an unknown field.
func (c *compiler) replyFields(at path, rule string, extra Extra) []*FieldTemplate {
	decls := c.allFields()
	var out []*FieldTemplate
	for _, key := range sortedKeys(extra) {
		fd, ok := decls[key]
		fat := append(slices.Clone(at), key)
		if !ok {
			c.unknownField(at, key)
			continue
		}
		if f := c.replyField(fat, rule, fd, extra[key]); f != nil {
			out = append(out, f)
		}
	}
	return out
}

// replyField compiles one field; nil when it is not set (false, empty) or
// broken (reported).
func (c *compiler) replyField(at path, rule string, fd platform.Field, v any) *FieldTemplate {
	f := &FieldTemplate{Key: fd.Key, Type: fd.Type}
	field := "reply." + fd.Key
	if v == nil {
		return nil
	}
	switch fd.Type {
	case platform.FieldBool:
		b, ok := v.(bool)
		if !ok {
			c.errAt(at, rule, "%s must be true or false, not %s", field, yamlTypeName(v))
			return nil
		}
		if !b {
			return nil
		}
		f.Bool = true
	case platform.FieldText:
		s, ok := yamlScalar(v)
		if !ok {
			c.errAt(at, rule, "%s must be a string, not %s", field, yamlTypeName(v))
			return nil
		}
		if s == "" {
			return nil
		}
		// An Enum is the platform's: checked per platform (checkCapability).
		f.raw = s
		f.Text = c.template(at, rule, field, s)
	case platform.FieldTextList:
		list, ok := v.([]any)
		if !ok {
			c.errAt(at, rule, "%s must be a list, not %s", field, yamlTypeName(v))
			return nil
		}
		if len(list) == 0 {
			return nil
		}
		if fd.MaxItems > 0 && len(list) > fd.MaxItems {
			c.errAt(at, rule, "at most %d %s", fd.MaxItems, fd.Key)
		}
		for i, item := range list {
			s, ok := yamlScalar(item)
			if !ok {
				c.errAt(append(slices.Clone(at), i), rule, "%s must be a list of strings, not of %s", field, yamlTypeName(item))
				continue
			}
			f.List = append(f.List, c.template(append(slices.Clone(at), i), rule, field, s))
		}
	case platform.FieldTextMap, platform.FieldObject:
		m, ok := v.(map[string]any)
		if !ok {
			c.errAt(at, rule, "%s must be a mapping, not %s", field, yamlTypeName(v))
			return nil
		}
		if fd.Type == platform.FieldTextMap && len(m) == 0 {
			return nil
		}
		if fd.MaxItems > 0 && len(m) > fd.MaxItems {
			c.errAt(at, rule, "at most %d %s", fd.MaxItems, fd.Key)
		}
		f.Map = map[string]*Template{}
		for _, k := range sortedKeys(m) {
			kat := append(slices.Clone(at), k)
			if fd.Type == platform.FieldObject && !slices.Contains(fd.Keys, k) {
				c.unknownField(at, k)
				continue
			}
			s, ok := yamlScalar(m[k])
			if !ok {
				c.errAt(kat, rule, "%s.%s must be a string, not %s", field, k, yamlTypeName(m[k]))
				continue
			}
			if fd.Type == platform.FieldObject && s == "" {
				continue // an object's empty members are left out
			}
			f.Map[k] = c.template(kat, rule, field+"."+k, s)
		}
		f.required = fd.Type == platform.FieldObject && fd.ExactlyOne
	}
	return f
}
