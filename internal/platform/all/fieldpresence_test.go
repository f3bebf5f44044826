package all

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
)

// fieldValue reads a dotted expr path of ev; present is false when an
// object on the way is nil (the field's presence then says nothing).
func fieldValue(ev *event.Event, path string) (v reflect.Value, present bool) {
	v = reflect.ValueOf(ev).Elem()
	for _, name := range strings.Split(path, ".") {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return v, false
			}
			v = v.Elem()
		}
		t := v.Type()
		found := false
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).Tag.Get("expr") == name {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return v, false
		}
	}
	return v, true
}

// TestParsedEventsMatchFieldPresence: every captured payload parses into an
// event that fills what event.FieldPresence says its kind always sends and
// leaves empty what it says the kind never sends, so `bot check` warns by
// the truth.
func TestParsedEventsMatchFieldPresence(t *testing.T) {
	var files []string
	for _, dir := range []string{"testdata", "../../../testdata", "../../e2e/testdata"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		files = append(files, m...)
	}
	checked := map[string]int{}
	for _, f := range files {
		kind := "intercom"
		if strings.HasPrefix(filepath.Base(f), "whmcs") {
			kind = "whmcs"
		} else if !strings.HasPrefix(filepath.Base(f), "intercom") {
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Parse(kind, kind, body, time.Now())
		if err != nil || ev.Topic == TopicPing {
			continue // malformed on purpose, or never reaches rules
		}
		checked[kind]++
		pl, _ := registry.Lookup(kind)
		for field, p := range pl.Spec().Presence {
			v, present := fieldValue(ev, field)
			if !present {
				continue
			}
			switch {
			case p == event.Never && !v.IsZero():
				t.Errorf("%s: %s is %v, but FieldPresence says %s never sends it", f, field, v, kind)
			case p == event.Always && v.IsZero():
				t.Errorf("%s: %s is empty, but FieldPresence says %s always sends it", f, field, kind)
			}
		}
	}
	for _, kind := range []string{"intercom", "whmcs"} {
		if checked[kind] < 3 {
			t.Errorf("only %d %s payloads checked", checked[kind], kind)
		}
	}
}

// TestPresenceTablesCoverEvent: every platform's table names every field
// rules can read, and nothing else; a field added to Event must be
// described before `bot check` can reason about it.
func TestPresenceTablesCoverEvent(t *testing.T) {
	want := event.FieldNames()
	for _, p := range registry.All() {
		table := p.Spec().Presence
		if table == nil {
			// No claims: every field reads as Sometimes, the lints stay quiet.
			t.Logf("%s: no Spec.Presence table", p.Spec().Name)
			continue
		}
		for _, f := range want {
			if table[f] == 0 {
				t.Errorf("%s: Spec.Presence does not say whether %s is sent", p.Spec().Name, f)
			}
		}
		for f := range table {
			if !slices.Contains(want, f) {
				t.Errorf("%s: Spec.Presence names %s, which Event does not have", p.Spec().Name, f)
			}
		}
	}
}
