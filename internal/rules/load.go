package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	goyaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/replier"
)

// Defaults for Settings.
const (
	DefaultDedupWindow      = 7 * 24 * time.Hour
	DefaultHistoryRetention = 30 * 24 * time.Hour
	DefaultTargetMaxPerHour = 3
	DefaultRuleMaxPerHour   = 500
	DefaultPauseAfter       = 20
	DefaultPauseFor         = time.Hour
	DefaultMaxAttempts      = 12
	DefaultMaxAge           = 24 * time.Hour
	DefaultBackoffInitial   = 2 * time.Second
	DefaultBackoffMax       = 10 * time.Minute
	DefaultTimeout          = 10 * time.Second
	DefaultMaxRateLimitWait = 2 * time.Minute
)

// maxFileSize bounds a rules file (and each attachment).
const maxFileSize = 4 << 20

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// Options tune Load.
type Options struct {
	// Clock is read by now(), in_hours() and outside_hours(). Default time.Now.
	Clock func() time.Time
	// ReadFile reads attachments and secret files; default os.ReadFile.
	ReadFile func(string) ([]byte, error)
	// Platforms are the platform kinds the file may name (required;
	// main builds it once, internal/platform/all).
	Platforms *platform.Registry
}

// LoadFile reads and compiles a rules file. Relative paths inside it
// (attachments, secret files) resolve against its directory.
func LoadFile(path string, opts Options) (*Ruleset, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load rules %s: %w", path, err)
	}
	if info.Size() > maxFileSize {
		return nil, fmt.Errorf("load rules %s: file is larger than %d bytes", path, maxFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load rules %s: %w", path, err)
	}
	return Load(data, path, opts)
}

// Load parses, validates and compiles a rules file held in memory; name is
// used in error messages and to resolve relative paths. All problems found
// are returned together as an ErrorList.
func Load(data []byte, name string, opts Options) (*Ruleset, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	if opts.Platforms == nil {
		return nil, errors.New("rules: Options.Platforms is required")
	}
	pos := newPositioner(name, data)
	f, cfg, err := parseYAML(data)
	if err != nil {
		return nil, ErrorList{pos.fromYAML(err)}
	}
	c := &compiler{pos: pos, file: f, cfg: cfg, opts: opts, dir: filepath.Dir(name), reg: opts.Platforms,
		tables: map[string]*kindTable{}, reported: map[string]bool{}}
	rs := c.compile()
	if len(pos.errs) > 0 {
		return nil, pos.errs
	}
	sum := sha256.Sum256(data)
	rs.Hash = binary.BigEndian.Uint64(sum[:8]) >> 16 // 48 bits: exact in a float64 gauge
	rs.File = name
	rs.data, rs.opts = data, opts
	return rs, nil
}

// parseYAML parses data (for positions) and decodes it strictly. The YAML
// library panics on some malformed documents (`rules: ! `, found by
// FuzzLoadRules); a rules file must never crash the bot, least of all on a
// reload, so such a panic is an error.
func parseYAML(data []byte) (f *ast.File, cfg *Config, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, cfg, err = nil, nil, fmt.Errorf("the YAML parser gave up on this file (%v); check its syntax", p)
		}
	}()
	data = yamlLineBreaks(data)
	if f, err = parser.ParseBytes(data, 0); err != nil {
		return nil, nil, err
	}
	cfg = &Config{}
	if err := goyaml.NewDecoder(bytes.NewReader(data), goyaml.Strict()).Decode(cfg); err != nil {
		return nil, nil, err
	}
	return f, cfg, nil
}

// yamlLineBreaks turns CRLF and lone CR line breaks into LF. YAML reads
// them all as LF, but the parser counts the CRLF ending a comment as two
// lines, which put every later error of a file saved on Windows on the
// wrong line (found by FuzzLoadRules).
func yamlLineBreaks(data []byte) []byte {
	if !bytes.ContainsRune(data, '\r') {
		return data
	}
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
}

// compiler validates a decoded Config and builds the Ruleset, collecting
// every positioned error on the way.
type compiler struct {
	pos  *positioner
	file *ast.File
	cfg  *Config
	opts Options
	dir  string
	env  *exprEnvironment
	reg  *platform.Registry
	// tables caches the capability tables by kind; reported remembers
	// errors already reported for a rule.
	tables   map[string]*kindTable
	reported map[string]bool
	// snips are the compiled snippets; langs what the rules do with
	// languages (language.go).
	snips *snippetSet
	langs languageUse
	// lits collects the rules' literal requirements (litfilter.go).
	lits *litBuilder
}

func (c *compiler) errAt(at path, rule, format string, args ...any) {
	c.pos.errAt(c.file, at, rule, format, args...)
}

func (c *compiler) compile() *Ruleset {
	rs := &Ruleset{
		runners:   sync.Pool{New: func() any { return new(runner) }},
		Config:    c.cfg,
		Sources:   map[string]*Source{},
		Platforms: map[string]*Platform{},
		Calendars: map[string]*Calendar{},
		clock:     c.opts.Clock,
		reg:       c.reg,
	}
	rs.Settings = c.settings()
	c.platforms(rs)
	c.sources(rs)
	c.calendars(rs)
	c.notifiers()
	c.env = exprEnv(rs.Calendars, rs.now)
	c.snips = c.snippets()
	c.lits = newLitBuilder(c.env)
	c.rules(rs)
	rs.lits = c.lits.build()
	c.languages(rs)
	rs.unusedSnippets = c.snips.unused()
	rs.buildIndex()
	return rs
}

func (c *compiler) settings() Limits {
	s := c.cfg.Settings
	l := Limits{
		DedupWindow:      orDefault(s.DedupWindow, DefaultDedupWindow),
		HistoryRetention: orDefault(s.HistoryRetention, DefaultHistoryRetention),
		TargetMaxPerHour: DefaultTargetMaxPerHour,
		RuleMaxPerHour:   DefaultRuleMaxPerHour,
		PauseAfter:       DefaultPauseAfter,
		PauseFor:         orDefault(s.PauseFor, DefaultPauseFor),
		MaxAttempts:      s.Delivery.MaxAttempts,
		MaxAge:           orDefault(s.Delivery.MaxAge, DefaultMaxAge),
		BackoffInitial:   orDefault(s.Delivery.BackoffInitial, DefaultBackoffInitial),
		BackoffMax:       orDefault(s.Delivery.BackoffMax, DefaultBackoffMax),
		Timeout:          orDefault(s.Delivery.Timeout, DefaultTimeout),
		MaxRateLimitWait: orDefault(s.Delivery.MaxRateLimitWait, DefaultMaxRateLimitWait),
	}
	for _, v := range []struct {
		p    *int
		dst  *int
		name string
	}{
		{s.TargetMaxPerHour, &l.TargetMaxPerHour, "target_max_per_hour"},
		{s.RuleMaxPerHour, &l.RuleMaxPerHour, "rule_max_per_hour"},
		{s.PauseAfter, &l.PauseAfter, "pause_after"},
	} {
		if v.p == nil {
			continue
		}
		if *v.p < 0 {
			c.errAt(path{"settings", v.name}, "", "%s must not be negative", v.name)
		}
		*v.dst = *v.p
	}
	if l.MaxAttempts == 0 {
		l.MaxAttempts = DefaultMaxAttempts
	} else if l.MaxAttempts < 1 || l.MaxAttempts > 100 {
		c.errAt(path{"settings", "delivery", "max_attempts"}, "", "max_attempts must be between 1 and 100")
	}
	if l.BackoffMax < l.BackoffInitial {
		c.errAt(path{"settings", "delivery", "backoff_max"}, "", "backoff_max must not be shorter than backoff_initial")
	}
	if l.Timeout > 2*time.Minute {
		c.errAt(path{"settings", "delivery", "timeout"}, "", "timeout must be at most 2m")
	}
	return l
}

func orDefault(d Duration, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d.Std()
}

func (c *compiler) calendars(rs *Ruleset) {
	for _, name := range sortedKeys(c.cfg.Calendars) {
		at := path{"calendars", name}
		if !nameRE.MatchString(name) {
			c.errAt(at, "", "calendar name %q must match [a-z0-9-]+", name)
		}
		if c.cfg.Calendars[name] == nil {
			c.errAt(at, "", "calendar %q is empty", name)
			continue
		}
		cal, err := newCalendar(name, c.cfg.Calendars[name])
		if err != nil {
			c.errAt(at, "", "calendar %q: %v", name, err)
			continue
		}
		rs.Calendars[name] = cal
	}
}

func (c *compiler) rules(rs *Ruleset) {
	seen := map[string]int{}
	for i, rc := range c.cfg.Rules {
		at := path{"rules", i}
		if rc == nil {
			c.errAt(at, "", "rule %d is empty", i+1)
			continue
		}
		if rc.Name == "" {
			c.errAt(at, "", "rule %d: name is required", i+1)
		} else if !nameRE.MatchString(rc.Name) {
			c.errAt(append(at, "name"), "", "rule name %q must match [a-z0-9-]+", rc.Name)
		} else if first, dup := seen[rc.Name]; dup {
			c.errAt(append(at, "name"), rc.Name, "duplicate rule name (first used by rule %d)", first+1)
		} else {
			seen[rc.Name] = i
		}
		if r := c.rule(rs, i, rc); r != nil {
			rs.Rules = append(rs.Rules, r)
		}
	}
}

func (c *compiler) rule(rs *Ruleset, i int, rc *RuleConfig) *Rule {
	at := path{"rules", i}
	name := rc.Name
	before := len(c.pos.errs)
	r := &Rule{
		Name: name, Index: i, Config: rc, Source: rc.Source,
		Once: rc.Once, Cooldown: rc.Cooldown.Std(), Stop: rc.Stop, AllowBots: rc.AllowBots,
		MaxPerHour: rs.Settings.RuleMaxPerHour,
	}
	if tk := c.pos.node(c.file, at); tk != nil {
		r.Line, _ = c.pos.nodePos(tk)
	}
	if rc.Source != "" {
		if _, ok := rs.Sources[rc.Source]; !ok {
			c.errAt(append(at, "source"), name, "unknown source %q", rc.Source)
		}
	}
	if rc.MaxPerHour != nil {
		if *rc.MaxPerHour < 0 {
			c.errAt(append(at, "max_per_hour"), name, "max_per_hour must not be negative")
		}
		r.MaxPerHour = *rc.MaxPerHour
	}
	if rc.Once && rc.Cooldown > 0 {
		c.errAt(append(at, "cooldown"), name, "once and cooldown exclude each other (once already means never again)")
	}
	switch rc.Per {
	case "", PerTarget:
		r.Per = PerTarget
	case PerContact:
		r.Per = PerContact
		if !rc.Once && rc.Cooldown == 0 {
			c.errAt(append(at, "per"), name, "per only applies with once or cooldown")
		}
	default:
		c.errAt(append(at, "per"), name, "per must be target or contact")
	}
	switch rc.Mode {
	case "", ModeLive:
	case ModeShadow:
		r.Shadow = true
	default:
		c.errAt(append(at, "mode"), name, "mode must be live or shadow")
	}
	if strings.TrimSpace(rc.When) == "" {
		c.errAt(at, name, "when is required (write `when: true` to match every event)")
	} else {
		prog, tree, err := c.env.compileChecked(rc.When, expr.AsBool())
		if err != nil {
			c.exprError(append(at, "when"), 0, name, "when", err)
		} else {
			r.When = prog
			r.topics = topicsOf(prog)
			r.lits = c.lits.rule(tree)
			c.checkCalendars(append(at, "when"), name, prog)
		}
	}
	if rc.Reply.present {
		r.Reply = c.reply(rs, append(at, "reply"), r)
	} else if len(rc.Actions) == 0 {
		c.errAt(at, name, "a rule needs a reply, actions, or both")
	}
	r.Actions = c.actions(rs, append(at, "actions"), r)
	r.Timing = c.timing(rs, at, r)
	if len(c.pos.errs) > before {
		return nil
	}
	return r
}

// exprError positions an expr compile error inside the scalar at path;
// offset is where the expression starts within the scalar (templates).
func (c *compiler) exprError(at path, offset int, rule, field string, err error) {
	var fe *file.Error
	if errors.As(err, &fe) {
		offset += fe.From
	}
	c.pos.errInScalar(c.file, at, offset, rule, "%s: %s", field, stripExprPosition(exprMessage(err)))
}

// stripExprPosition removes expr's own "(line:col)" suffix.
func stripExprPosition(msg string) string {
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
		if _, _, ok := strings.Cut(msg[i+2:len(msg)-1], ":"); ok {
			return msg[:i]
		}
	}
	return msg
}

func (c *compiler) template(at path, rule, field, src string) *Template {
	t, err := compileTemplate(src, c.env, c.snips)
	if err != nil {
		c.templateError(at, rule, field, src, err)
		return nil
	}
	for _, p := range t.parts {
		if p.program != nil && p.snippet == "" { // a snippet's are checked once, at the snippet
			c.checkCalendars(at, rule, p.program)
		}
	}
	c.langTemplate(at, rule, t)
	t.at = slices.Clone(at) // callers build at with append: keep our own copy
	return t
}

// templateError reports a template's compile error, positioned inside it
// when it knows where.
func (c *compiler) templateError(at path, rule, field, src string, err error) {
	var te *templateError
	if errors.As(err, &te) {
		c.pos.errInScalar(c.file, at, runeOffset(src, te.offset), rule, "%s: %s", field, stripExprPosition(te.msg))
		return
	}
	c.errAt(at, rule, "%s: %v", field, err)
}

func runeOffset(s string, byteOffset int) int {
	if byteOffset > len(s) {
		byteOffset = len(s)
	}
	return len([]rune(s[:byteOffset]))
}

func (c *compiler) attachments(at path, rule string, list []AttachmentConfig) []replier.Attachment {
	var out []replier.Attachment
	for i, a := range list {
		ap := append(at, i)
		if a.File == "" {
			c.errAt(ap, rule, "attachment: file is required")
			continue
		}
		p := a.File
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.dir, p)
		}
		data, err := c.opts.ReadFile(p)
		if err != nil {
			c.errAt(append(ap, "file"), rule, "attachment: %v", err)
			continue
		}
		if len(data) > maxFileSize {
			c.errAt(append(ap, "file"), rule, "attachment: %s is larger than %d bytes", a.File, maxFileSize)
			continue
		}
		name := a.Name
		if name == "" {
			name = filepath.Base(a.File)
		}
		ct := a.ContentType
		if ct == "" {
			ct = mime.TypeByExtension(filepath.Ext(name))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		out = append(out, replier.Attachment{Name: name, ContentType: ct, Data: data})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// unknownField reports a key nothing declares, at the key.
func (c *compiler) unknownField(at path, key string) {
	c.pos.errAtKey(c.file, append(slices.Clone(at), key), "", "unknown field %q", key)
}
