package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
)

// KindLog is the platform kind that prints replies instead of posting
// them: it stands in for any platform, so it takes every platform's reply
// kinds and fields.
const KindLog = "log"

// SecretRef says where one secret setting is read from: an environment
// variable or a file (relative to the rules file). Exactly one is set.
type SecretRef struct {
	Env  string
	File string
}

// platformKinds lists the kinds a platform section may have.
func (c *compiler) platformKinds() []string {
	return append(c.reg.Names(), KindLog)
}

func (c *compiler) platforms(rs *Ruleset) {
	for _, name := range sortedKeys(c.cfg.Platforms) {
		p := c.cfg.Platforms[name]
		at := path{"platforms", name}
		if !nameRE.MatchString(name) {
			c.errAt(at, "", "platform name %q must match [a-z0-9-]+", name)
		}
		if p == nil {
			c.errAt(at, "", "platform %q is empty", name)
			continue
		}
		c.keyProblems(at, p.problems)
		pl := &Platform{Name: name, Config: p, Settings: emptySettings()}
		owner := fmt.Sprintf("platform %q", name)
		impl, known := c.reg.Lookup(p.Kind)
		switch {
		case known:
			pl.Impl = impl
			spec := impl.Spec()
			pl.BaseURL = p.BaseURL
			if p.BaseURL == "" {
				if spec.DefaultBaseURL == "" {
					c.errAt(append(at, "base_url"), "", "platform %q: base_url is required", name)
				}
				pl.BaseURL = spec.DefaultBaseURL
			} else if err := checkBaseURL(p.BaseURL); err != nil {
				c.errAt(append(at, "base_url"), "", "platform %q: %v", name, err)
			}
			pl.Settings, pl.Secrets = c.settingsOf(at, owner, p.Kind, spec.AccountSettings, p.Extra, accountSettings)
			c.problems(at, owner, impl.ValidateAccount(pl.Settings))
		case p.Kind == KindLog:
			c.unknownKeys(at, owner, p.Kind, p.Extra, accountSettings)
		case p.Kind == "":
			c.errAt(at, "", "platform %q: kind is required (%s)", name, strings.Join(c.platformKinds(), ", "))
		default:
			c.errAt(append(at, "kind"), "", "platform %q: unknown kind %q (want %s)", name, p.Kind, strings.Join(c.platformKinds(), ", "))
		}
		switch p.Mode {
		case "", ModeLive:
		case ModeShadow:
			pl.Shadow = true
		default:
			c.errAt(append(at, "mode"), "", "platform %q: mode must be live or shadow", name)
		}
		if p.RequestsPerMinute < 0 {
			c.errAt(append(at, "requests_per_minute"), "", "platform %q: requests_per_minute must not be negative", name)
		}
		rs.Platforms[name] = pl
	}
}

func (c *compiler) sources(rs *Ruleset) {
	if len(c.cfg.Sources) == 0 {
		c.errAt(path{"sources"}, "", "at least one source is required")
	}
	kinds := strings.Join(c.reg.Names(), " or ")
	for _, name := range sortedKeys(c.cfg.Sources) {
		s := c.cfg.Sources[name]
		at := path{"sources", name}
		if !nameRE.MatchString(name) {
			c.errAt(at, "", "source name %q must match [a-z0-9-]+ (it is part of the URL)", name)
		}
		if s == nil {
			c.errAt(at, "", "source %q is empty", name)
			continue
		}
		c.keyProblems(at, s.problems)
		src := &Source{Name: name, Kind: s.Kind, Config: s, Platform: s.Platform, Settings: emptySettings()}
		owner := fmt.Sprintf("source %q", name)
		impl, known := c.reg.Lookup(s.Kind)
		switch {
		case known:
			src.Impl = impl
			var secrets map[string]SecretRef
			src.Settings, secrets = c.settingsOf(at, owner, s.Kind, impl.Spec().SourceSettings, s.Extra, sourceSettings)
			if len(secrets) > 0 {
				// A source's one secret is secret_env/secret_file; a
				// platform declaring more is a programming error.
				c.errAt(at, "", "source %q: kind %s declares secret settings, which sources do not take", name, s.Kind)
			}
			c.problems(at, owner, impl.ValidateSource(src.Settings))
		case s.Kind == "":
			c.errAt(at, "", "source %q: kind is required (%s)", name, kinds)
		default:
			c.errAt(append(at, "kind"), "", "source %q: unknown kind %q (want %s)", name, s.Kind, kinds)
		}
		if s.SecretEnv != "" && s.SecretFile != "" {
			c.errAt(at, "", "source %q: give secret_env or secret_file, not both", name)
		}
		if s.SecretEnv == "" && s.SecretFile == "" && !s.InsecureSkipVerify {
			c.errAt(at, "", "source %q: secret_env or secret_file is required (or insecure_skip_verify: true, never in production)", name)
		}
		if src.Platform == "" {
			if _, ok := rs.Platforms[name]; ok {
				src.Platform = name
			}
		} else if _, ok := rs.Platforms[src.Platform]; !ok {
			c.errAt(append(at, "platform"), "", "source %q: unknown platform %q", name, src.Platform)
		}
		rs.Sources[name] = src
	}
}

func emptySettings() *platform.Settings {
	return &platform.Settings{Values: map[string]string{}, Secrets: map[string]bool{}}
}

// keyProblems reports the type errors found while decoding a section.
func (c *compiler) keyProblems(at path, ps []keyProblem) {
	for _, p := range ps {
		where := append(slices.Clone(at), p.path...)
		if p.atKey {
			c.pos.errAtKey(c.file, where, "", "%s", p.msg)
		} else {
			c.errAt(where, "", "%s", p.msg)
		}
	}
}

// problems reports what a platform's Validate found, under owner.
func (c *compiler) problems(at path, owner string, ps []platform.Problem) {
	for _, p := range ps {
		where := slices.Clone(at)
		for _, k := range p.Path {
			where = append(where, k)
		}
		c.errAt(where, "", "%s: %s", owner, p.Message)
	}
}

// sectionSettings picks a Spec's settings for a section.
type sectionSettings func(*platform.Spec) []platform.Setting

func accountSettings(s *platform.Spec) []platform.Setting { return s.AccountSettings }
func sourceSettings(s *platform.Spec) []platform.Setting  { return s.SourceSettings }

// settingKey finds the setting a key of the rules file writes: the
// setting's own key, or key_env / key_file for a secret.
func settingKey(settings []platform.Setting, key string) (platform.Setting, string, bool) {
	for _, s := range settings {
		if s.Type != platform.SettingSecret {
			if s.Key == key {
				return s, "", true
			}
			continue
		}
		for _, suffix := range []string{"_env", "_file"} {
			if key == s.Key+suffix {
				return s, suffix, true
			}
		}
	}
	return platform.Setting{}, "", false
}

// unknownKeys reports every key of extra: none is taken by kind.
func (c *compiler) unknownKeys(at path, owner, kind string, extra Extra, pick sectionSettings) {
	for _, key := range sortedKeys(extra) {
		c.notTaken(at, owner, kind, key, pick)
	}
}

// notTaken reports a key the section's kind does not take: by the kinds
// that do, or as an unknown field when none does.
func (c *compiler) notTaken(at path, owner, kind, key string, pick sectionSettings) {
	var takers []string
	for _, p := range c.reg.All() {
		if p.Spec().Name == kind {
			continue
		}
		if _, _, ok := settingKey(pick(p.Spec()), key); ok {
			takers = append(takers, p.Spec().Name)
		}
	}
	if len(takers) == 0 {
		c.unknownField(at, key)
		return
	}
	c.errAt(append(slices.Clone(at), key), "", "%s: %s only applies to %s", owner, key, orList(takers))
}

// settingsOf checks a section's platform keys against the kind's settings
// and returns their values, defaults filled in, and where its secrets are.
func (c *compiler) settingsOf(at path, owner, kind string, settings []platform.Setting, extra Extra, pick sectionSettings) (*platform.Settings, map[string]SecretRef) {
	out := emptySettings()
	secrets := map[string]SecretRef{}
	for _, key := range sortedKeys(extra) {
		s, suffix, ok := settingKey(settings, key)
		if !ok {
			c.notTaken(at, owner, kind, key, pick)
			continue
		}
		kat := append(slices.Clone(at), key)
		v := extra[key]
		if s.Type == platform.SettingSecret {
			name, ok := yamlScalar(v)
			if !ok || name == "" {
				c.errAt(kat, "", "%s: %s must name %s", owner, key, map[string]string{"_env": "an environment variable", "_file": "a file"}[suffix])
				continue
			}
			ref := secrets[s.Key]
			if suffix == "_env" {
				ref.Env = name
			} else {
				ref.File = name
			}
			secrets[s.Key] = ref
			continue
		}
		text, err := settingValue(s, v)
		if err != nil {
			c.errAt(kat, "", "%s: %s %v", owner, key, err)
			continue
		}
		out.Values[s.Key] = text
	}
	for _, s := range settings {
		if s.Type == platform.SettingSecret {
			ref, given := secrets[s.Key]
			switch {
			case given && ref.Env != "" && ref.File != "":
				c.errAt(at, "", "%s: give %s_env or %s_file, not both", owner, s.Key, s.Key)
				delete(secrets, s.Key)
			case !given && s.Required:
				c.errAt(at, "", "%s: exactly one of %s_env and %s_file is required (%ss never go in this file)", owner, s.Key, s.Key, s.Key)
			case given:
				out.Secrets[s.Key] = true
			}
			continue
		}
		if _, given := out.Values[s.Key]; given {
			continue
		}
		if _, bad := extra[s.Key]; bad {
			continue // reported above
		}
		switch {
		case s.Default != "":
			out.Values[s.Key] = s.Default
		case s.Required:
			c.errAt(at, "", "%s: %s is required", owner, s.Key)
		}
	}
	return out, secrets
}

// settingValue checks a setting's YAML value and returns it as text.
func settingValue(s platform.Setting, v any) (string, error) {
	switch s.Type {
	case platform.SettingBool:
		b, ok := v.(bool)
		if !ok {
			return "", fmt.Errorf("must be true or false, not %s", yamlTypeName(v))
		}
		return strconv.FormatBool(b), nil
	case platform.SettingInt:
		n, ok := yamlInt(v)
		if !ok || n < 0 {
			return "", fmt.Errorf("must be a whole number of at least 0")
		}
		return strconv.Itoa(n), nil
	}
	text, ok := yamlScalar(v)
	if !ok {
		return "", fmt.Errorf("must be a string, not %s", yamlTypeName(v))
	}
	switch s.Type {
	case platform.SettingDuration:
		if _, err := ParseDuration(text); err != nil {
			return "", fmt.Errorf("is an %v", err)
		}
	case platform.SettingURL:
		if err := checkBaseURL(text); err != nil {
			return "", fmt.Errorf("%q must be an absolute http(s) URL without credentials, query or fragment", text)
		}
	}
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, text) {
		return "", fmt.Errorf("must be %s, not %q", orList(s.Enum), text)
	}
	return text, nil
}

// orList writes "a", "a or b", "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
