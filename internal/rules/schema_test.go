package rules

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goyaml "github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// repoRoot is where rules.yaml and rules.schema.json live.
var repoRoot = filepath.Join("..", "..")

// TestSchemaFileIsCurrent fails when rules.schema.json no longer matches
// config.go (a field was added, renamed or re-documented).
func TestSchemaFileIsCurrent(t *testing.T) {
	want, err := Schema(testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(repoRoot, "rules.schema.json"))
	if err != nil {
		t.Fatalf("%v\nGenerate it with: go generate ./internal/rules", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("rules.schema.json is out of date with internal/rules/config.go.\n" +
			"Regenerate it with: go generate ./internal/rules (from the repository root), and commit the result.")
	}
}

// compileSchema compiles the generated schema with a real validator.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := Schema(testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// validateYAML checks a rules file against the schema, the way an editor
// does: YAML read as data, then validated.
func validateYAML(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	var v any
	if err := goyaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("YAML: %v", err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("to JSON: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

func TestExampleRulesMatchSchema(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("# yaml-language-server: $schema=./rules.schema.json\n")) {
		t.Error("rules.yaml does not point editors at ./rules.schema.json on its first line")
	}
	if err := validateYAML(t, compileSchema(t), data); err != nil {
		t.Errorf("rules.yaml does not validate against rules.schema.json:\n%v", err)
	}
}

// TestSchemaAgreesWithLoader feeds the same files to the loader and the
// schema: what the schema can judge (keys, enums, names, durations, hours)
// it must judge like the loader.
func TestSchemaAgreesWithLoader(t *testing.T) {
	const head = `
sources:
  intercom: {kind: intercom, secret_env: S}
platforms:
  intercom: {kind: intercom, base_url: "https://api.intercom.io", token_env: T, admin_id: "1"}
calendars:
  office: {timezone: UTC, hours: {mon-fri: "09:00-12:00, 13:00-17:00", sat: closed}, holidays: ["2026-12-25"]}
`
	rule := func(extra string) string {
		return head + "rules:\n  - name: r\n    when: \"true\"\n    reply: {as: note, body: hi}\n" + extra
	}
	tests := []struct {
		name  string
		rules string
		valid bool
		// schemaSays is a fragment of the validator's complaint.
		schemaSays string
	}{
		{name: "minimal", rules: rule(""), valid: true},
		{name: "durations in days, hours and 0", rules: rule("    cooldown: 7d\n") + "settings: {dedup_window: 36h, pause_for: 0, delivery: {timeout: 1.5s}}\n", valid: true},
		{name: "quick reply with options", rules: head + "rules:\n  - {name: q, when: \"true\", once: true, per: contact, reply: {as: quick_reply, options: [A, B]}}\n", valid: true},
		{name: "misspelled rule key", rules: rule("    cooldwn: 1h\n"), schemaSays: "cooldwn"},
		{name: "misspelled top-level key", rules: rule("setting: {}\n"), schemaSays: "setting"},
		{name: "unknown reply kind", rules: head + "rules:\n  - {name: r, when: \"true\", reply: {as: email, body: hi}}\n", schemaSays: "as"},
		{name: "unknown source kind", rules: strings.Replace(rule(""), "kind: intercom, secret_env", "kind: nosuchkind, secret_env", 1), schemaSays: "kind"},
		{name: "bad mode", rules: rule("    mode: dry\n"), schemaSays: "mode"},
		{name: "bad per", rules: rule("    cooldown: 1h\n    per: customer\n"), schemaSays: "per"},
		{name: "bad duration", rules: rule("    cooldown: 1 hour\n"), schemaSays: "cooldown"},
		{name: "bare number as duration", rules: rule("    cooldown: 30\n"), schemaSays: "cooldown"},
		{name: "rule name with capitals", rules: strings.Replace(rule(""), "name: r", "name: Refund", 1), schemaSays: "name"},
		{name: "source name with a slash", rules: strings.Replace(rule(""), "  intercom: {kind: intercom, secret", "  inter/com: {kind: intercom, secret", 1), schemaSays: "inter/com"},
		{name: "bad business hours", rules: strings.Replace(rule(""), "sat: closed", "sat: 10am-2pm", 1), schemaSays: "sat"},
		{name: "bad day", rules: strings.Replace(rule(""), "sat: closed", "saturday: closed", 1), schemaSays: "saturday"},
		{name: "bad holiday", rules: strings.Replace(rule(""), "2026-12-25", "25.12.2026", 1), schemaSays: "holidays"},
		{name: "negative budget", rules: rule("    max_per_hour: -1\n"), schemaSays: "max_per_hour"},
		{name: "two contacts", rules: head + "rules:\n  - {name: r, when: \"true\", reply: {as: contact_reply, body: hi, contact: {email: a@b.c, user_id: \"1\"}}}\n", schemaSays: "contact"},
		{name: "rule without when", rules: head + "rules:\n  - {name: r, reply: {as: note, body: hi}}\n", schemaSays: "when"},
	}
	s := compileSchema(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, loadErr := Load([]byte(tt.rules), "rules.yaml", Options{Platforms: testRegistry})
			schemaErr := validateYAML(t, s, []byte(tt.rules))
			if tt.valid {
				if loadErr != nil {
					t.Fatalf("the loader rejects a file the test means to be valid: %v", loadErr)
				}
				if schemaErr != nil {
					t.Fatalf("the schema rejects a file the loader accepts:\n%v", schemaErr)
				}
				return
			}
			if loadErr == nil {
				t.Fatal("the loader accepts a file the test means to be invalid")
			}
			if schemaErr == nil {
				t.Fatalf("the schema accepts a file the loader rejects (%v)", loadErr)
			}
			if !strings.Contains(schemaErr.Error(), tt.schemaSays) {
				t.Errorf("schema error does not mention %q:\n%v", tt.schemaSays, schemaErr)
			}
		})
	}
}

func TestSchemaDescribesFields(t *testing.T) {
	b, err := Schema(testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Description string `json:"description"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	// Descriptions come from config.go and name the YAML key, not the Go field.
	for key, want := range map[string]string{
		"RuleConfig.cooldown":            "cooldown: at most one reply per target (or contact, see per) per this window.",
		"ReplyConfig.skip_notifications": "skip_notifications: post without notifying the contact (intercom).",
		"Settings.dedup_window":          "dedup_window is how long an event id is remembered (default 168h).",
	} {
		typ, prop, _ := strings.Cut(key, ".")
		if got := doc.Defs[typ].Properties[prop].Description; got != want {
			t.Errorf("%s: description %q, want %q", key, got, want)
		}
	}
}
