package event

import (
	"reflect"
	"strings"
)

// Presence says whether the events of a platform carry a field.
type Presence int

const (
	// Never: the platform never fills the field; reading it is always empty.
	Never Presence = iota + 1
	// Sometimes: some payloads or topics lack it; it is then empty (a
	// string) or nil (an object).
	Sometimes
	// Always: every event that has the object holding the field has it
	// (message.text is always there when message is).
	Always
)

// PresenceIn says whether events described by table (a platform's
// Spec.Presence: what it sends, by the names rules use) carry field, a
// dotted path as rules write it ("ticket.number", "item.foo", "tags[0]").
// Inside a field the table does not describe further (item, event,
// ticket.attributes, tags), presence is Sometimes unless the field itself
// is Never. A nil table, or a field it does not name, is Sometimes.
func PresenceIn(table map[string]Presence, field string) Presence {
	if table == nil {
		return Sometimes
	}
	if p, ok := table[field]; ok {
		return p
	}
	for prefix := field; ; {
		i := strings.LastIndexAny(prefix, ".[")
		if i < 0 {
			return Sometimes
		}
		prefix = prefix[:i]
		if p, ok := table[prefix]; ok {
			if p == Never {
				return Never
			}
			return Sometimes
		}
	}
}

// FieldNames lists the dotted names rules read of every field of Event,
// objects included ("ticket" and "ticket.id"): what a presence table must
// describe.
func FieldNames() []string {
	return exprFields(reflect.TypeFor[Event](), "")
}

func exprFields(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("expr")
		if name == "" || name == "-" {
			continue
		}
		path := prefix + name
		out = append(out, path)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.PkgPath() == t.PkgPath() {
			out = append(out, exprFields(ft, path+".")...)
		}
	}
	return out
}
