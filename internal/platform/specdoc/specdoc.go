// Package specdoc writes the documentation that each platform's Spec
// already says: the keys a source and a platform section take, the reply
// kinds and fields, and the topics. It renders docs/platforms/reference.md
// and the generated tables of README.md, so the docs cannot drift from the
// tables the rules loader checks against. `go generate
// ./internal/platform/specdoc` rewrites both files; a test fails when a
// committed file is stale.
package specdoc

//go:generate go run ../../tools/platformdoc -root ../../..

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
)

// Files the generator writes, relative to the repository root.
const (
	ReferenceFile = "docs/platforms/reference.md"
	ReadmeFile    = "README.md"
)

// Names of the README blocks, between "<!-- BEGIN GENERATED <name> -->"
// and "<!-- END GENERATED <name> -->".
const (
	BlockKeys        = "platform-keys"
	BlockReplies     = "platform-replies"
	BlockReplyFields = "platform-reply-fields"
	BlockActions     = "platform-actions"
)

const generatedNote = "Generated from the platforms' Spec tables by `go generate ./internal/platform/specdoc`; do not edit."

// Reference renders docs/platforms/reference.md: every table of every
// registered platform.
func Reference(reg *platform.Registry) []byte {
	var b strings.Builder
	b.WriteString("# Platform reference\n\n")
	b.WriteString("<!-- " + generatedNote + " -->\n\n")
	b.WriteString("What each platform kind takes in the rules file and sends, as its package declares it\n")
	b.WriteString("(`internal/platform/<kind>/`). The rules loader, `bot check` and `rules.schema.json` use\n")
	b.WriteString("the same tables, so this page is what they accept. Setup, examples and what was verified are\n")
	b.WriteString("in the README and on each platform's own page.\n\n")
	b.WriteString("Keys every source takes: `kind`, `secret_env` / `secret_file`, `insecure_skip_verify`,\n")
	b.WriteString("`platform`. Keys every platform takes: `kind`, `base_url`, `mode`, `requests_per_minute`.\n")
	b.WriteString("Keys every reply takes: `as`, `body`, `platform`, `to`, and `attachments` where a row below\n")
	b.WriteString("allows it. A secret setting `x` is written `x_env` (an environment variable) or `x_file` (a\n")
	b.WriteString("file relative to the rules file), never as a value. A requirement that depends on another\n")
	b.WriteString("key (WHMCS's `api`, Zendesk's `auth`, Chatwoot's `agent_bot_id` or `user_id`) is in the key's\n")
	b.WriteString("meaning, and `bot check` enforces it.\n\n")
	for _, p := range reg.All() {
		s := p.Spec()
		fmt.Fprintf(&b, "## `%s`: %s\n\n", s.Name, s.Title)

		b.WriteString("### Source keys\n\n")
		if len(s.SourceSettings) == 0 {
			b.WriteString("None beyond the generic ones.\n\n")
		} else {
			b.WriteString(settingsTable(s.SourceSettings))
		}

		b.WriteString("### Platform keys\n\n")
		b.WriteString("| key | type | default | meaning |\n|---|---|---|---|\n")
		if s.DefaultBaseURL != "" {
			fmt.Fprintf(&b, "| `base_url` | URL | `%s` | the API root |\n", s.DefaultBaseURL)
		} else {
			b.WriteString("| `base_url` | URL | **required** | the API root |\n")
		}
		b.WriteString(settingsRows(s.AccountSettings))
		b.WriteString("\n")

		b.WriteString("### Replies\n\n")
		b.WriteString(capabilityTable(p, false))
		b.WriteString("\n")
		if len(s.ReplyFields) > 0 {
			b.WriteString("| reply field | type | meaning |\n|---|---|---|\n")
			for _, f := range s.ReplyFields {
				fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.Key, fieldType(f), cell(f.Doc))
			}
			b.WriteString("\n")
		}

		b.WriteString("### Actions\n\n")
		b.WriteString(actionTable(s))
		b.WriteString("\n")

		b.WriteString("### Fields rules read\n\n")
		b.WriteString(presence(s.Presence))
		b.WriteString("\n")

		b.WriteString("### Topics\n\n")
		b.WriteString("| topic | | meaning |\n|---|---|---|\n")
		for _, t := range s.Topics {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", t.Name, topicMarks(t), cell(t.Doc))
		}
		b.WriteString("\n")
	}
	b.WriteString("Topic marks: **ping**: answered `200`, never given to rules. **bot's own**: the bot's own\n")
	b.WriteString("replies and notes (and other agents' and bots') arrive as this topic; `bot check` warns about\n")
	b.WriteString("`allow_bots` on it. **reply**: a message in an ongoing conversation; `bot check` warns about a\n")
	b.WriteString("rule on it without `once` or `cooldown`.\n")
	return []byte(b.String())
}

// KeysBlock is the README table of the keys each kind adds to a source
// and a platform section.
func KeysBlock(reg *platform.Registry) string {
	var b strings.Builder
	b.WriteString("| kind | source keys | platform keys (**required**) |\n|---|---|---|\n")
	for _, p := range reg.All() {
		s := p.Spec()
		src := keyList(s.SourceSettings)
		if src == "" {
			src = "none"
		}
		acc := keyList(s.AccountSettings)
		if s.DefaultBaseURL == "" {
			acc = "**`base_url`**, " + acc
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Name, src, acc)
	}
	return b.String()
}

// ReplyFieldsBlock is the README table of every platform's reply fields.
func ReplyFieldsBlock(reg *platform.Registry) string {
	var b strings.Builder
	b.WriteString("| kind | reply field | type | meaning |\n|---|---|---|---|\n")
	for _, p := range reg.All() {
		s := p.Spec()
		for _, f := range s.ReplyFields {
			fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", s.Name, f.Key, fieldType(f), cell(f.Doc))
		}
	}
	return b.String()
}

// presence writes what a Presence table says `bot check` may rely on.
func presence(table map[string]event.Presence) string {
	if len(table) == 0 {
		return "No presence table: every field counts as one an event may lack, so `bot check` asks for\n" +
			"a `??` fallback on every `{{ }}` placeholder that prints a field.\n"
	}
	var always, never []string
	for _, f := range event.FieldNames() {
		switch event.PresenceIn(table, f) {
		case event.Always:
			always = append(always, f)
		case event.Never:
			never = append(never, f)
		}
	}
	return "Always there (when the object holding it is): " + codeList(always, "and") + ".\n\n" +
		"Never there (`bot check` warns about a rule reading it): " + codeList(never, "and") + ".\n\n" +
		"Any other field may be missing: give its placeholder a `??` fallback.\n"
}

// RepliesBlock is the README table of what each kind posts.
func RepliesBlock(reg *platform.Registry) string {
	b := capabilityHeader(true)
	for _, p := range reg.All() {
		b += capabilityRows(p, true)
	}
	return b
}

// actionTable lists what a platform's rules can do besides posting.
func actionTable(s *platform.Spec) string {
	if len(s.Actions) == 0 {
		return "None: `bot check` refuses `actions:` other than `notify` on this platform.\n"
	}
	var b strings.Builder
	b.WriteString("| action | target | values or keys | needs | what it calls |\n|---|---|---|---|---|\n")
	for _, a := range s.Actions {
		var what []string
		if len(a.Values) > 0 {
			what = append(what, codeList(a.Values, "or"))
		}
		if len(a.Until) > 0 {
			what = append(what, codeList(a.Until, "and")+" with `until`")
		}
		if len(a.Keys) > 0 {
			what = append(what, codeList(a.Keys, "or"))
		} else if a.Action == platform.ActionSet {
			what = append(what, "any field name")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", a.Action, a.Target, cell(strings.Join(what, "; ")), cell(a.Scope), cell(a.Doc))
	}
	return b.String()
}

// ActionsBlock is the README matrix of which action each kind can take,
// and on which targets.
func ActionsBlock(reg *platform.Registry) string {
	var b strings.Builder
	b.WriteString("| kind |")
	for _, a := range platform.ActionNames {
		fmt.Fprintf(&b, " `%s` |", a)
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(platform.ActionNames)) + "\n")
	for _, p := range reg.All() {
		s := p.Spec()
		fmt.Fprintf(&b, "| `%s` |", s.Name)
		for _, a := range platform.ActionNames {
			var on []string
			for _, row := range s.Actions {
				if row.Action == a {
					on = append(on, row.Target)
				}
			}
			if len(on) == 0 {
				b.WriteString(" no |")
			} else {
				fmt.Fprintf(&b, " %s |", strings.Join(on, ", "))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// capabilityTable writes a table of one platform's capability rows; with
// kind, a first column names the platform (the README joins every
// platform's rows into one table).
func capabilityTable(p platform.Platform, kind bool) string {
	return capabilityHeader(kind) + capabilityRows(p, kind)
}

func capabilityHeader(kind bool) string {
	const cols = "`as` | target | reply fields (**required**) | body | attachments |\n"
	if kind {
		return "| kind | " + cols + "|---|---|---|---|---|---|\n"
	}
	return "| " + cols + "|---|---|---|---|---|\n"
}

func capabilityRows(p platform.Platform, kind bool) string {
	var b strings.Builder
	s := p.Spec()
	for _, r := range s.Capabilities {
		var fields []string
		for _, f := range r.Fields {
			if slices.Contains(r.Requires, f) {
				fields = append(fields, "**`"+f+"`**")
			} else {
				fields = append(fields, "`"+f+"`")
			}
		}
		list := strings.Join(fields, ", ")
		if list == "" {
			list = "none"
		}
		body := bodyFormats(p, r)
		if r.NoBody {
			body += " (optional)"
		}
		att := "no"
		if r.Attachments {
			att = "yes"
		}
		if kind {
			fmt.Fprintf(&b, "| `%s` ", s.Name)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", r.As, r.Target, list, body, att)
	}
	return b.String()
}

// bodyFormats says how the platform reads a row's body: the format with no
// flags, and each boolean field of the row that changes it.
func bodyFormats(p platform.Platform, r platform.Capability) string {
	base := p.BodyFormat(r.As, nil)
	out := formatName(base)
	for _, key := range r.Fields {
		f, ok := field(p.Spec(), key)
		if !ok || f.Type != platform.FieldBool {
			continue
		}
		if with := p.BodyFormat(r.As, map[string]bool{key: true}); with != base {
			out += fmt.Sprintf("; %s with `%s: true`", formatName(with), key)
		}
	}
	return out
}

func field(s *platform.Spec, key string) (platform.Field, bool) {
	i := slices.IndexFunc(s.ReplyFields, func(f platform.Field) bool { return f.Key == key })
	if i < 0 {
		return platform.Field{}, false
	}
	return s.ReplyFields[i], true
}

func formatName(f platform.Format) string {
	switch f {
	case platform.FormatHTML:
		return "HTML"
	case platform.FormatMarkdown:
		return "Markdown"
	}
	return "text"
}

func settingsTable(ss []platform.Setting) string {
	return "| key | type | default | meaning |\n|---|---|---|---|\n" + settingsRows(ss) + "\n"
}

func settingsRows(ss []platform.Setting) string {
	var b strings.Builder
	for _, s := range ss {
		def := "`" + defaultValue(s) + "`"
		switch {
		case s.Required:
			def = "**required**"
		case s.Default == "":
			def = ""
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", settingKeys(s), settingType(s), def, cell(s.Doc))
	}
	return b.String()
}

// keyList writes a section's keys for the README, required ones in bold.
func keyList(ss []platform.Setting) string {
	var keys []string
	for _, s := range ss {
		k := settingKeys(s)
		if s.Required {
			k = "**" + k + "**"
		}
		keys = append(keys, k)
	}
	return strings.Join(keys, ", ")
}

// settingKeys is how a setting is written in the rules file.
func settingKeys(s platform.Setting) string {
	if s.Type == platform.SettingSecret {
		return fmt.Sprintf("`%s_env` / `%s_file`", s.Key, s.Key)
	}
	return "`" + s.Key + "`"
}

func settingType(s platform.Setting) string {
	switch s.Type {
	case platform.SettingBool:
		return "true/false"
	case platform.SettingInt:
		return "whole number"
	case platform.SettingDuration:
		return "duration"
	case platform.SettingURL:
		return "URL"
	case platform.SettingSecret:
		return "secret"
	}
	if len(s.Enum) > 0 {
		return codeList(s.Enum, "or")
	}
	return "text"
}

// defaultValue writes a default as the rules file would: durations in
// their shortest form ("5m", not "5m0s").
func defaultValue(s platform.Setting) string {
	if s.Type != platform.SettingDuration {
		return s.Default
	}
	d, err := time.ParseDuration(s.Default)
	if err != nil {
		return s.Default
	}
	return shortDuration(d)
}

func shortDuration(d time.Duration) string {
	v := d.String()
	if strings.HasSuffix(v, "m0s") {
		v = strings.TrimSuffix(v, "0s")
	}
	if strings.HasSuffix(v, "h0m") {
		v = strings.TrimSuffix(v, "0m")
	}
	return v
}

func fieldType(f platform.Field) string {
	switch f.Type {
	case platform.FieldBool:
		return "true/false"
	case platform.FieldTextList:
		if f.MaxItems > 0 {
			return fmt.Sprintf("list of texts (at most %d)", f.MaxItems)
		}
		return "list of texts"
	case platform.FieldTextMap:
		if f.MaxItems > 0 {
			return fmt.Sprintf("map of texts (at most %d)", f.MaxItems)
		}
		return "map of texts"
	case platform.FieldObject:
		if f.ExactlyOne {
			return "object: exactly one of " + codeList(f.Keys, "or")
		}
		return "object with any of " + codeList(f.Keys, "and")
	}
	if len(f.Enum) > 0 {
		return codeList(f.Enum, "or")
	}
	return "text"
}

func topicMarks(t platform.Topic) string {
	var marks []string
	if t.Ping {
		marks = append(marks, "ping")
	}
	if t.BotAuthored {
		marks = append(marks, "bot's own")
	}
	if t.Reply {
		marks = append(marks, "reply")
	}
	return strings.Join(marks, ", ")
}

// codeList writes "`a`", "`a` or `b`", "`a`, `b` or `c`".
func codeList(items []string, conj string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = "`" + s + "`"
	}
	if len(quoted) < 2 {
		return strings.Join(quoted, "")
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " " + conj + " " + quoted[len(quoted)-1]
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
