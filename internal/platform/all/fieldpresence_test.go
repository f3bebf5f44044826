package all

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
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
		for _, msg := range presenceMismatches(ev, pl.Spec().Presence, nil) {
			t.Errorf("%s: %s", f, msg)
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
			// Without one every field reads as Sometimes: the lints
			// could not warn about a field the platform never sends.
			t.Errorf("%s: no Spec.Presence table", p.Spec().Name)
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

// presenceMismatches lists where ev contradicts table: a field the table
// says is Always empty although the object holding it is there, or a field
// it says is Never filled. seen, when not nil, counts per field the events
// in which the claim could be checked (the holding object was there).
func presenceMismatches(ev *event.Event, table map[string]event.Presence, seen map[string]int) []string {
	var out []string
	for _, field := range slices.Sorted(maps.Keys(table)) {
		p := table[field]
		v, present := fieldValue(ev, field)
		if !present {
			continue
		}
		if seen != nil {
			seen[field]++
		}
		switch {
		case p == event.Never && !v.IsZero():
			out = append(out, fmt.Sprintf("%s is %v, but Spec.Presence says %s never fills it", field, v, ev.Kind))
		case p == event.Always && v.IsZero():
			out = append(out, fmt.Sprintf("%s is empty, but Spec.Presence says %s always fills it", field, ev.Kind))
		}
	}
	return out
}

// TestSuiteExamplesMatchPresence: every example of every platform's
// contract suite, and the bot's own post it carries, parses into an event
// that fills what the platform's Spec.Presence says is always there and
// leaves empty what it says is never there. Subscription checks (pings)
// never reach rules and are not held to the table.
func TestSuiteExamplesMatchPresence(t *testing.T) {
	for _, p := range registry.All() {
		name := p.Spec().Name
		t.Run(name, func(t *testing.T) {
			mk, ok := suites[name]
			if !ok {
				t.Fatalf("%s has no contract suite in this test's list", name)
			}
			table := p.Spec().Presence
			if table == nil {
				t.Fatal("no Spec.Presence table")
			}
			s := mk()
			examples := append(slices.Clone(s.Examples), platformtest.Example{Body: s.OwnPost.Body, Header: s.OwnPost.Header})
			seen := map[string]int{}
			checked, pings := 0, 0
			for i, ex := range examples {
				label := filepath.Base(ex.File)
				if ex.File == "" {
					label = ex.Want.Topic
				}
				if i == len(examples)-1 {
					label = "own post"
				}
				t.Run(fmt.Sprintf("%d %s", i, label), func(t *testing.T) {
					now := time.Now()
					ev, err := platform.Parse(p, "src", s.Deliver(ex.Load(t), ex.Header, now), now)
					if err != nil {
						t.Fatalf("Parse: %v", err)
					}
					if platform.IsPing(p, ev) {
						pings++
						return
					}
					checked++
					for _, msg := range presenceMismatches(ev, table, seen) {
						t.Error(msg)
					}
				})
			}
			if checked == 0 {
				t.Skip("no example parsed: ../shared is absent and the suite ships no bodies")
			}
			t.Logf("%d events checked", checked)
			if checked < len(examples)-pings {
				return // some examples were skipped
			}
			// A claim no example could contradict is untested: add an
			// example whose event holds the field's object.
			for _, f := range slices.Sorted(maps.Keys(table)) {
				if table[f] != event.Sometimes && seen[f] == 0 {
					t.Errorf("no example has the object holding %s: its claim is never checked", f)
				}
			}
		})
	}
}
