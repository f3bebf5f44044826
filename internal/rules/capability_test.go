package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// accountYAML is a platform section of kind with every setting a loader
// and the platform's own checks need: each secret as an environment
// variable, each required value.
func accountYAML(p platform.Platform) string {
	spec := p.Spec()
	var b strings.Builder
	fmt.Fprintf(&b, "kind: %s", spec.Name)
	if spec.DefaultBaseURL == "" {
		b.WriteString(", base_url: \"https://api.example.com\"")
	}
	for _, s := range spec.AccountSettings {
		switch {
		case s.Type == platform.SettingSecret:
			fmt.Fprintf(&b, ", %s_env: SECRET_%s", s.Key, strings.ToUpper(s.Key))
		case !s.Required || s.Default != "":
		case len(s.Enum) > 0:
			fmt.Fprintf(&b, ", %s: %q", s.Key, s.Enum[0])
		case s.Type == platform.SettingURL:
			fmt.Fprintf(&b, ", %s: \"https://x.example.com\"", s.Key)
		case s.Type == platform.SettingBool:
			fmt.Fprintf(&b, ", %s: true", s.Key)
		case s.Type == platform.SettingInt:
			fmt.Fprintf(&b, ", %s: 1", s.Key)
		case s.Type == platform.SettingDuration:
			fmt.Fprintf(&b, ", %s: 1m", s.Key)
		default:
			fmt.Fprintf(&b, ", %s: \"1\"", s.Key)
		}
	}
	return "{" + b.String() + "}"
}

// sourceYAML is a source section of kind with its required settings.
func sourceYAML(p platform.Platform) string {
	var b strings.Builder
	fmt.Fprintf(&b, "kind: %s, secret_env: S", p.Spec().Name)
	for _, s := range p.Spec().SourceSettings {
		if s.Required && s.Default == "" {
			v := "\"1\""
			if len(s.Enum) > 0 {
				v = fmt.Sprintf("%q", s.Enum[0])
			} else if s.Type == platform.SettingBool {
				v = "true"
			} else if s.Type == platform.SettingURL {
				v = "\"https://x.example.com\""
			}
			fmt.Fprintf(&b, ", %s: %s", s.Key, v)
		}
	}
	return "{" + b.String() + "}"
}

// fieldYAML is a sample value of a reply field, as a rule writes it.
func fieldYAML(f platform.Field) string {
	switch f.Type {
	case platform.FieldBool:
		return "true"
	case platform.FieldTextList:
		return `["x"]`
	case platform.FieldTextMap:
		return `{"1": "x"}`
	case platform.FieldObject:
		return fmt.Sprintf(`{%s: "x"}`, f.Keys[0])
	}
	if len(f.Enum) > 0 {
		return fmt.Sprintf("%q", f.Enum[0])
	}
	return `"x"`
}

// TestLoaderAcceptsExactlyTheCapabilityTable is the property behind `bot
// check --strict`: for every registered platform, every reply kind any
// platform has, every target type and every reply field any platform
// declares (and attachments, and none), the loader accepts the reply iff a
// row of the platform's table takes that kind to that target with that
// field. The contract suite (internal/platform/platformtest) sends every
// row to the platform's strict fake, so what the loader accepts is what
// the replier posts.
func TestLoaderAcceptsExactlyTheCapabilityTable(t *testing.T) {
	allFields := map[string]platform.Field{}
	var kinds []string
	for _, p := range testRegistry.All() {
		for _, f := range p.Spec().ReplyFields {
			if _, ok := allFields[f.Key]; !ok {
				allFields[f.Key] = f
			}
		}
		for _, r := range p.Spec().Capabilities {
			if !slices.Contains(kinds, r.As) {
				kinds = append(kinds, r.As)
			}
		}
	}
	fields := append([]string{"", "attachments"}, sortedKeys(allFields)...)
	readFile := func(string) ([]byte, error) { return []byte("attachment"), nil }
	checked := 0
	for _, p := range testRegistry.All() {
		spec := p.Spec()
		head := fmt.Sprintf("sources:\n  s: %s\nplatforms:\n  s: %s\nrules:\n", sourceYAML(p), accountYAML(p))
		for _, as := range kinds {
			for _, target := range []string{event.TargetConversation, event.TargetTicket} {
				row, hasRow := spec.Row(as, target)
				for _, field := range fields {
					var keys []string
					if field != "" && field != "attachments" {
						keys = append(keys, field)
					}
					// The row's required fields, so that only field decides.
					for _, req := range row.Requires {
						if !slices.Contains(keys, req) {
							keys = append(keys, req)
						}
					}
					reply := fmt.Sprintf("as: %s, body: hi, to: {type: %s, id: \"1\"}", as, target)
					for _, k := range keys {
						fd, ok := allFields[k]
						if !ok {
							t.Fatalf("%s: required field %s is declared by no platform", spec.Name, k)
						}
						reply += fmt.Sprintf(", %s: %s", k, fieldYAML(fd))
					}
					if field == "attachments" {
						reply += ", attachments: [{file: a.txt}]"
					}
					src := head + "  - {name: r, when: \"true\", reply: {" + reply + "}}\n"
					want := hasRow
					switch {
					case !hasRow || field == "":
					case field == "attachments":
						want = row.Attachments
					default:
						want = slices.Contains(row.Fields, field)
					}
					_, err := Load([]byte(src), "rules.yaml", Options{Platforms: testRegistry, ReadFile: readFile})
					if got := err == nil; got != want {
						t.Errorf("%s: %s to a %s with %q: loader accepts = %v, table allows = %v\n%s\n%v",
							spec.Name, as, target, field, got, want, src, err)
					}
					checked++
				}
			}
		}
	}
	t.Logf("%d combinations checked", checked)
}

// TestCrossPostOnAConversationNoteIsRefused: a conversation note with
// cross_post passed `bot check --strict` and dead-lettered on every send;
// the table says cross_post is for ticket notes only, and the loader says
// so at the key.
func TestCrossPostOnAConversationNoteIsRefused(t *testing.T) {
	_, err := Load([]byte(header+`  - name: a
    source: intercom
    when: "true"
    reply:
      as: note
      body: hi
      to: {type: conversation, id: "1"}
      cross_post: true
`), "rules.yaml", Options{Platforms: testRegistry})
	want := `rules.yaml:26:19: rule "a": reply.cross_post only applies to note to a ticket
   26 |       cross_post: true
                          ^`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, want)
	}
	// On a ticket it is what Intercom takes.
	mustLoad(t, header+`  - name: a
    source: intercom
    when: "true"
    reply: {as: note, body: hi, to: {type: ticket, id: "1"}, cross_post: true}
`)
}
