package webhook

import (
	"os"
	"path/filepath"
	"reflect"
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
	for _, dir := range []string{"testdata", "../../testdata", "../e2e/testdata"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		files = append(files, m...)
	}
	checked := map[string]int{}
	for _, f := range files {
		kind := event.KindIntercom
		if strings.HasPrefix(filepath.Base(f), "whmcs") {
			kind = event.KindWHMCS
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
		for field, p := range event.FieldPresence[kind] {
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
	for _, kind := range []string{event.KindIntercom, event.KindWHMCS} {
		if checked[kind] < 3 {
			t.Errorf("only %d %s payloads checked", checked[kind], kind)
		}
	}
}
