package event

import (
	"reflect"
	"sort"
	"testing"
)

// exprFields lists the dotted expr names of every field under t, objects
// included ("ticket" and "ticket.id").
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

// TestFieldPresenceCoversEvent: the table names every field rules can read,
// for every source kind, and nothing else; a field added to Event must be
// described before `bot check` can reason about it.
func TestFieldPresenceCoversEvent(t *testing.T) {
	want := exprFields(reflect.TypeOf(Event{}), "")
	sort.Strings(want)
	for _, kind := range []string{KindIntercom, KindWHMCS} {
		table := FieldPresence[kind]
		for _, f := range want {
			if table[f] == 0 {
				t.Errorf("%s: FieldPresence does not say whether %s is sent", kind, f)
			}
		}
		for f := range table {
			if i := sort.SearchStrings(want, f); i == len(want) || want[i] != f {
				t.Errorf("%s: FieldPresence names %s, which Event does not have", kind, f)
			}
		}
	}
}

func TestFieldPresenceOf(t *testing.T) {
	for _, c := range []struct {
		kind, field string
		want        Presence
	}{
		{KindWHMCS, "ticket.number", Sometimes},
		{KindWHMCS, "ticket.id", Always},
		{KindWHMCS, "item.foo", Never},
		{KindWHMCS, "tags[0]", Never},
		{KindIntercom, "item.foo", Sometimes},
		{KindIntercom, "ticket.attributes.x", Sometimes},
		{KindIntercom, "ticket.priority", Never},
		{"other", "id", Sometimes},
	} {
		if got := FieldPresenceOf(c.kind, c.field); got != c.want {
			t.Errorf("FieldPresenceOf(%s, %s) = %d; want %d", c.kind, c.field, got, c.want)
		}
	}
}
