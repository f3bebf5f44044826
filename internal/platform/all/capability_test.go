package all

import (
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/chatwoot/chatwootfake"
	"github.com/supportops/autoresponder/internal/platform/freshdesk/freshdeskfake"
	"github.com/supportops/autoresponder/internal/platform/front/frontfake"
	"github.com/supportops/autoresponder/internal/platform/helpscout/helpscoutfake"
	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
	"github.com/supportops/autoresponder/internal/platform/zendesk/zendeskfake"
	"github.com/supportops/autoresponder/internal/rules"
)

// suites are the contract suites of the registered platforms, by kind:
// they know settings each platform accepts. A platform in the registry
// without one here fails the test below.
var suites = map[string]func() platformtest.Suite{
	"chatwoot":  chatwootfake.Suite,
	"freshdesk": freshdeskfake.Suite,
	"front":     frontfake.Suite,
	"helpscout": helpscoutfake.Suite,
	"intercom":  intercomfake.Suite,
	"whmcs":     whmcsfake.Suite,
	"zendesk":   zendeskfake.Suite,
}

// moreAPIs are the suites of the other APIs an account of a kind may post
// through (WHMCS's api: whmcs): the loader is held to the table on each.
var moreAPIs = map[string][]func() platformtest.Suite{
	"whmcs": {whmcsfake.StockSuite},
}

// accountSuites are the suites of every account variant of p's kind.
func accountSuites(t *testing.T, p platform.Platform) []func() platformtest.Suite {
	t.Helper()
	mk, ok := suites[p.Spec().Name]
	if !ok {
		t.Fatalf("%s has no contract suite in this test's list", p.Spec().Name)
	}
	return append([]func() platformtest.Suite{mk}, moreAPIs[p.Spec().Name]...)
}

// yamlValue writes a setting's value with its YAML type.
func yamlValue(spec []platform.Setting, key, v string) string {
	for _, s := range spec {
		if s.Key == key && (s.Type == platform.SettingBool || s.Type == platform.SettingInt) {
			return v
		}
	}
	return strconv.Quote(v)
}

// sections are a source and an account of p that the loader accepts: the
// contract suite's source settings, and its fake's account settings.
func sections(t *testing.T, p platform.Platform, mk func() platformtest.Suite) (source, account string) {
	t.Helper()
	spec := p.Spec()
	s := mk()
	src := []string{"kind: " + spec.Name, "secret_env: S"}
	for k, v := range s.SourceSettings {
		src = append(src, k+": "+yamlValue(spec.SourceSettings, k, v))
	}
	f := s.NewFake(t)
	acc := []string{"kind: " + spec.Name, "base_url: " + strconv.Quote(f.BaseURL())}
	for k, v := range f.Settings() {
		acc = append(acc, k+": "+yamlValue(spec.AccountSettings, k, v))
	}
	for k := range f.Secrets() {
		acc = append(acc, k+"_env: SECRET_"+strings.ToUpper(k))
	}
	slices.Sort(src[2:])
	slices.Sort(acc[2:])
	return "{" + strings.Join(src, ", ") + "}", "{" + strings.Join(acc, ", ") + "}"
}

// everyAccount yields every registered platform with the suite of each
// of its account variants.
func everyAccount(t *testing.T, reg *platform.Registry) iter.Seq2[platform.Platform, func() platformtest.Suite] {
	return func(yield func(platform.Platform, func() platformtest.Suite) bool) {
		for _, p := range reg.All() {
			for _, mk := range accountSuites(t, p) {
				if !yield(p, mk) {
					return
				}
			}
		}
	}
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
		// "1": object members are often ids, which a platform may check
		// at load time when they are literals.
		return fmt.Sprintf(`{%s: "1"}`, f.Keys[0])
	}
	if len(f.Enum) > 0 {
		return strconv.Quote(f.Enum[0])
	}
	return `"x"`
}

// TestLoaderAcceptsExactlyTheCapabilityTable is the property behind `bot
// check --strict`: for every registered platform, every reply kind any
// platform has, every target type and every reply field any platform
// declares (and attachments, and none), the loader accepts the reply iff a
// row of the platform's table takes that kind to that target with that
// field. The contract suite sends every row, every field set, to the
// platform's strict fake, so what the loader accepts is what the replier
// posts.
func TestLoaderAcceptsExactlyTheCapabilityTable(t *testing.T) {
	reg := Registry()
	allFields := map[string]platform.Field{}
	var kinds []string
	for _, p := range reg.All() {
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
	fields := []string{"", "attachments"}
	for k := range allFields {
		fields = append(fields, k)
	}
	slices.Sort(fields[2:])
	readFile := func(string) ([]byte, error) { return []byte("attachment"), nil }
	checked := 0
	for p, mk := range everyAccount(t, reg) {
		spec := p.Spec()
		source, account := sections(t, p, mk)
		head := fmt.Sprintf("sources:\n  s: %s\nplatforms:\n  s: %s\nrules:\n", source, account)
		if _, err := rules.Load([]byte(head+"  []\n"), "rules.yaml", rules.Options{Platforms: reg}); err != nil {
			t.Fatalf("%s: the suite's settings do not load:\n%s\n%v", spec.Name, head, err)
		}
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
						reply += fmt.Sprintf(", %s: %s", k, fieldYAML(allFields[k]))
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
					_, err := rules.Load([]byte(src), "rules.yaml", rules.Options{Platforms: reg, ReadFile: readFile})
					if got := err == nil; got != want {
						t.Errorf("%s: %s to a %s with %q: loader accepts = %v, table allows = %v\n%s\n%v",
							spec.Name, as, target, field, got, want, src, err)
					}
					checked++
				}
			}
			// Without reply.to the reply goes to the event's own target,
			// which may be any target type the platform's events carry:
			// `bot check --strict` accepts it only if every one of them
			// has a row that takes it.
			var requires []string
			for _, target := range spec.Targets {
				row, _ := spec.Row(as, target)
				for _, req := range row.Requires {
					if !slices.Contains(requires, req) {
						requires = append(requires, req)
					}
				}
			}
			for _, field := range fields {
				keys := slices.Clone(requires)
				if field != "" && field != "attachments" && !slices.Contains(keys, field) {
					keys = append(keys, field)
				}
				reply := fmt.Sprintf("as: %s, body: hi", as)
				for _, k := range keys {
					reply += fmt.Sprintf(", %s: %s", k, fieldYAML(allFields[k]))
				}
				if field == "attachments" {
					reply += ", attachments: [{file: a.txt}]"
				}
				want := true
				for _, target := range spec.Targets {
					row, ok := spec.Row(as, target)
					switch {
					case !ok:
						want = false
					case field == "attachments":
						want = want && row.Attachments
					case field != "":
						want = want && slices.Contains(row.Fields, field)
					}
				}
				src := head + "  - {name: r, when: \"true\", once: true, reply: {" + reply + "}}\n"
				rs, err := rules.Load([]byte(src), "rules.yaml", rules.Options{Platforms: reg, ReadFile: readFile})
				if err == nil {
					// Which targets the condition lets through is not
					// known: the rest is a warning, which --strict fails.
					if w := rs.Lint(); len(w) > 0 {
						err = fmt.Errorf("%s", w[0].String())
					}
				}
				if got := err == nil; got != want {
					t.Errorf("%s: %s to the event's own target (%v) with %q: loader accepts = %v, table allows = %v\n%s\n%v",
						spec.Name, as, spec.Targets, field, got, want, src, err)
				}
				checked++
			}
		}
	}
	t.Logf("%d combinations checked", checked)
}
