// Package ruletest runs rule tests: YAML files that feed recorded webhook
// payloads to a rules file and state which rules must match and what they
// must render (`bot test rules_test.yaml`).
//
// A test file:
//
//	rules: rules.yaml                  # relative to the test file
//	tests:
//	  - name: refund note on a new conversation
//	    source: support                  # a source of the rules file
//	    event: testdata/created.json     # relative to the test file; or payload: {...}
//	    headers:                         # optional: the delivery headers the platform
//	      X-Event-Name: created          # reads the event from (its docs say which)
//	    at: 2026-03-02T10:00:00Z         # the clock of now(), in_hours(), outside_hours()
//	    expect:                          # every match, in file order; [] for none
//	      - rule: refund-triage
//	        as: note
//	        body_contains: routing to billing
//
// A test may instead give a sequence of events with times, run on a
// simulated clock, and list the timers of timed rules it expects to start,
// fire or be cancelled (sequence.go). An expectation may list the rule's
// actions (actions.go).
//
// Tests check what the rules match and render. once, cooldown and the
// budgets depend on what the bot sent before, so they are not applied here
// (`bot explain --store` shows them against a real store).
package ruletest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	goyaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/rules"
)

// DefaultAt is the clock of a test without `at`: Wednesday 7 January 2026,
// 12:00 UTC (a working day, midday in Europe and morning in the Americas),
// fixed so that a test never depends on when it runs.
var DefaultAt = time.Date(2026, time.January, 7, 12, 0, 0, 0, time.UTC)

// maxFileSize bounds a test file and each event file it names.
const maxFileSize = 4 << 20

// File is a test file as written.
type File struct {
	// Rules is the rules file under test, relative to the test file.
	Rules string `yaml:"rules"`
	// Tests run in file order.
	Tests []*Case `yaml:"tests"`
}

// Case is one test: an event and the matches it must produce, or a
// sequence of events on a simulated clock and the timers it must start,
// fire and cancel (sequence.go).
type Case struct {
	// Name says what the test is about; it must be unique in the file.
	Name string `yaml:"name"`
	// Step is the event of a single-event test, written beside name.
	Step `yaml:",inline"`
	// Sequence, instead of one event: events in time order, each with
	// its own at, run on a simulated clock.
	Sequence []*Step `yaml:"sequence"`
	// Until is the RFC 3339 time the simulated clock runs to after the
	// last event (default: until no timer is pending).
	Until string `yaml:"until"`
	// ExpectTimers lists every timer the sequence starts, in the order
	// they start.
	ExpectTimers *[]*ExpectTimer `yaml:"expect_timers"`

	file  string
	line  int
	until time.Time // zero: run until no timer is pending
}

// Step is one event fed to the rules: a single-event test, or one event
// of a sequence.
type Step struct {
	// Source is the name of a source in the rules file; its kind says how
	// the payload is parsed.
	Source string `yaml:"source"`
	// Event is a JSON payload file, relative to the test file.
	Event string `yaml:"event"`
	// Payload is the payload written inline, as a YAML mapping.
	Payload map[string]any `yaml:"payload"`
	// Headers are the delivery's headers that the platform builds the
	// event from (its Spec.EventHeaders: an event name or delivery id
	// sent beside the body), which a payload cannot hold.
	Headers map[string]string `yaml:"headers"`
	// At is the RFC 3339 time the event is received and the rules'
	// clock (default DefaultAt; required in a sequence).
	At string `yaml:"at"`
	// Expect lists every immediate match, in the order the rules file
	// has them (optional in a sequence: left out, not checked).
	Expect *[]*Expect `yaml:"expect"`

	at    time.Time
	what  string // the event file or "inline payload"
	event *event.Event
}

// Expect is one expected match. Fields left out are not checked.
type Expect struct {
	Rule string `yaml:"rule"`
	// As is the reply kind (comment, note, or a platform's own).
	As string `yaml:"as"`
	// Body is the exact rendered body (a trailing newline is ignored).
	Body *string `yaml:"body"`
	// BodyContains are texts the rendered body must contain: one or a list.
	BodyContains stringList `yaml:"body_contains"`
	// To is the target the reply goes to.
	To *Target `yaml:"to"`
	// Options are the quick-reply button texts, in order.
	Options *[]string `yaml:"options"`
	// Platform is the platform the reply is posted to.
	Platform string `yaml:"platform"`
	// Shadow says whether the match is in shadow mode (logged, never sent).
	Shadow *bool `yaml:"shadow"`
	// Actions are the rule's actions as rendered, in order; [] for none.
	Actions *[]*ExpectAction `yaml:"actions"`
}

// Target is a conversation or ticket.
type Target struct {
	Type string `yaml:"type"`
	ID   string `yaml:"id"`
}

// stringList is a string or a list of strings.
type stringList []string

// UnmarshalYAML accepts `x` as well as `[x, y]`.
func (l *stringList) UnmarshalYAML(node ast.Node) error {
	switch n := node.(type) {
	case *ast.NullNode:
		*l = nil
		return nil
	case *ast.SequenceNode:
		out := make([]string, 0, len(n.Values))
		for _, v := range n.Values {
			s, ok := scalarText(v)
			if !ok {
				return &goyaml.SyntaxError{Message: "want a text or a list of texts", Token: v.GetToken()}
			}
			out = append(out, s)
		}
		*l = out
		return nil
	}
	s, ok := scalarText(node)
	if !ok {
		return &goyaml.SyntaxError{Message: "want a text or a list of texts", Token: node.GetToken()}
	}
	*l = stringList{s}
	return nil
}

func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value != nil {
			return v.Value.Value, true
		}
		return "", true
	case ast.ScalarNode:
		return strings.TrimSpace(n.String()), true
	}
	return "", false
}

// Suite is a loaded test file, ready to run.
type Suite struct {
	// File is the test file; RulesFile the rules file it tests.
	File      string
	RulesFile string
	Cases     []*Case

	rules *rules.Ruleset
	// byClock caches the rules compiled for each `at`.
	byClock map[time.Time]*rules.Ruleset
}

// LoadFile reads a test file, the rules file it names and every event file,
// and checks them. All problems are returned together as a rules.ErrorList
// (positioned like the rules loader's errors).
func LoadFile(path string, reg *platform.Registry) (*Suite, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load rule tests: %w", err)
	}
	if info.Size() > maxFileSize {
		return nil, fmt.Errorf("load rule tests %s: file is larger than %d bytes", path, maxFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load rule tests: %w", err)
	}
	return Load(data, path, reg)
}

// Load is LoadFile on a file held in memory; name is used in messages and
// to resolve the paths the file names. reg lists the platforms the rules
// file may name.
func Load(data []byte, name string, reg *platform.Registry) (*Suite, error) {
	f, err := parser.ParseBytes(data, 0)
	pos := rules.NewPositioner(name, data, f)
	if err != nil {
		return nil, rules.ErrorList{pos.FromYAML(err)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, rules.ErrorList{pos.At(0, 0, "the file is empty: a test file has rules: (the rules file) and tests:")}
	}
	var file File
	if err := goyaml.NewDecoder(bytes.NewReader(data), goyaml.Strict()).Decode(&file); err != nil {
		return nil, rules.ErrorList{pos.FromYAML(err)}
	}
	dir := filepath.Dir(name)
	if strings.TrimSpace(file.Rules) == "" {
		pos.ErrAt(nil, "rules is required: the rules file under test, relative to this file")
		return nil, pos.Errs
	}
	s := &Suite{File: name, RulesFile: resolve(dir, file.Rules), byClock: map[time.Time]*rules.Ruleset{}}
	s.rules, err = rules.LoadFile(s.RulesFile, rules.Options{Clock: fixedClock(DefaultAt), Platforms: reg})
	if err != nil {
		if list := rules.Errors(err); list != nil {
			pos.ErrAt([]any{"rules"}, "the rules file %s does not load (%d problem(s) follow)", s.RulesFile, len(list))
			pos.Errs = append(pos.Errs, list...)
		} else {
			pos.ErrAt([]any{"rules"}, "%v", err)
		}
		return nil, pos.Errs
	}
	s.byClock[DefaultAt] = s.rules
	if len(file.Tests) == 0 {
		pos.ErrAt([]any{"tests"}, "tests is empty: add at least one test")
	}
	names := map[string]int{}
	for i, c := range file.Tests {
		at := []any{"tests", i}
		if c == nil {
			pos.ErrAt(at, "test %d is empty", i+1)
			continue
		}
		c.file = name
		c.line, _ = pos.Pos(append(at, "name")...)
		if first, dup := names[c.Name]; dup && c.Name != "" {
			pos.ErrAt(append(at, "name"), "duplicate test name %q (first used by test %d)", c.Name, first+1)
		} else {
			names[c.Name] = i
		}
		s.loadCase(pos, at, dir, c)
		s.Cases = append(s.Cases, c)
	}
	if len(pos.Errs) > 0 {
		return nil, pos.Errs
	}
	return s, nil
}

// loadCase checks one test and reads its event or events.
func (s *Suite) loadCase(pos *rules.Positioner, at []any, dir string, c *Case) {
	if strings.TrimSpace(c.Name) == "" {
		pos.ErrAt(at, "test: name is required")
	}
	label := fmt.Sprintf("test %q: ", c.Name)
	if c.Sequence != nil {
		s.loadSequence(pos, at, dir, label, c)
		return
	}
	for _, k := range []struct {
		key string
		set bool
	}{{"until", c.Until != ""}, {"expect_timers", c.ExpectTimers != nil}} {
		if k.set {
			pos.ErrAt(appendPath(at, k.key), "%s%s only applies to a sequence test (events with times, under sequence:)", label, k.key)
		}
	}
	s.loadStep(pos, at, dir, label, &c.Step, false)
}

// loadStep checks one event and its expectations and reads the event.
// In a sequence at is required and expect optional; in a single-event
// test at defaults to DefaultAt and expect is required.
func (s *Suite) loadStep(pos *rules.Positioner, at []any, dir, label string, st *Step, inSequence bool) {
	field := func(name string) []any { return appendPath(at, name) }
	st.at = DefaultAt
	switch {
	case st.At != "":
		t, err := time.Parse(time.RFC3339, st.At)
		if err != nil {
			pos.ErrAt(field("at"), "%sat: want an RFC 3339 time like 2026-03-02T10:00:00Z, not %q", label, st.At)
		} else {
			st.at = t
		}
	case inSequence:
		pos.ErrAt(at, "%sat is required: when the event arrives on the simulated clock", label)
	}
	for i, e := range derefExpect(st.Expect) {
		s.checkExpect(pos, append(field("expect"), i), label, e)
	}
	if st.Expect == nil {
		if !inSequence {
			pos.ErrAt(at, "%sexpect is required (write `expect: []` when no rule may match)", label)
		}
	} else {
		seen := map[string]bool{}
		for i, e := range *st.Expect {
			if e != nil && e.Rule != "" && seen[e.Rule] {
				pos.ErrAt(append(field("expect"), i, "rule"), "%srule %q is expected twice (a rule matches an event at most once)", label, e.Rule)
			}
			if e != nil {
				seen[e.Rule] = true
			}
		}
	}
	var src *rules.Source
	switch {
	case st.Source == "":
		pos.ErrAt(at, "%ssource is required (%s)", label, s.sourceNames())
	default:
		var ok bool
		if src, ok = s.rules.Sources[st.Source]; !ok {
			pos.ErrAt(field("source"), "%sunknown source %q (%s has %s)", label, st.Source, s.RulesFile, s.sourceNames())
		}
	}
	header, headerOK := caseHeader(pos, field("headers"), label, st.Headers)
	var body []byte
	var where []any
	switch {
	case st.Event != "" && st.Payload != nil:
		pos.ErrAt(field("payload"), "%sgive event or payload, not both", label)
		return
	case st.Event != "":
		where = field("event")
		p := resolve(dir, st.Event)
		st.what = st.Event
		b, err := readEvent(p)
		if errors.Is(err, fs.ErrNotExist) {
			pos.ErrAt(where, "%sevent file %s does not exist (paths are relative to the test file)", label, p)
			return
		}
		if err != nil {
			pos.ErrAt(where, "%scannot read the event: %v", label, err)
			return
		}
		body = b
	case st.Payload != nil:
		where = field("payload")
		st.what = "inline payload"
		b, err := json.Marshal(st.Payload)
		if err != nil {
			pos.ErrAt(where, "%spayload cannot be turned into JSON: %v", label, err)
			return
		}
		body = b
	default:
		pos.ErrAt(at, "%sevent (a JSON file) or payload (inline) is required", label)
		return
	}
	if !headerOK || src == nil || src.Impl == nil {
		return
	}
	ev, err := platform.Parse(src.Impl, src.Name, &platform.Delivery{Header: header, Body: body, Settings: src.Settings, Now: st.at}, st.at)
	if err != nil {
		msg := fmt.Sprintf("%sthe bot would reject this %s payload: %v", label, src.Kind, err)
		if missing := platform.MissingEventHeaders(src.Impl, header); len(missing) > 0 {
			msg += fmt.Sprintf(" (%s deliveries carry %s in a header: give it under headers:)", src.Impl.Spec().Title, strings.Join(missing, ", "))
		}
		pos.ErrAt(where, "%s", msg)
		return
	}
	st.event = ev
}

// appendPath is at with more keys, never sharing at's backing array.
func appendPath(at []any, more ...any) []any {
	return append(append([]any{}, at...), more...)
}

// caseHeader checks a test's headers and returns them as a request would
// carry them. Names are case-insensitive, so two spellings of one name
// are an error rather than a header sent twice.
func caseHeader(pos *rules.Positioner, at []any, label string, headers map[string]string) (http.Header, bool) {
	h := http.Header{}
	ok := true
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	sort.Strings(names)
	first := map[string]string{}
	for _, name := range names {
		where := append(append([]any{}, at...), name)
		if err := platform.CheckHeader(name, headers[name]); err != nil {
			pos.ErrAt(where, "%sheaders: %v", label, err)
			ok = false
			continue
		}
		canonical := http.CanonicalHeaderKey(name)
		if other, dup := first[canonical]; dup {
			pos.ErrAt(where, "%sheaders: %s and %s are the same header (names are case-insensitive)", label, other, name)
			ok = false
			continue
		}
		first[canonical] = name
		h.Set(name, headers[name])
	}
	return h, ok
}

func (s *Suite) checkExpect(pos *rules.Positioner, at []any, label string, e *Expect) {
	if e == nil {
		pos.ErrAt(at, "%sexpect: an entry is empty", label)
		return
	}
	r := s.checkRule(pos, at, label, "expect", e.Rule)
	if r != nil && r.Timing != nil {
		pos.ErrAt(appendPath(at, "rule"), "%srule %q is timed (after): it starts a timer rather than matching at once; check it under expect_timers of a sequence test", label, e.Rule)
	}
	s.checkRendered(pos, at, label, "expect", e)
}

// checkRule checks an expectation's rule name and returns the rule.
func (s *Suite) checkRule(pos *rules.Positioner, at []any, label, list, name string) *rules.Rule {
	if name == "" {
		pos.ErrAt(at, "%s%s: rule is required", label, list)
		return nil
	}
	r := s.rule(name)
	if r == nil {
		pos.ErrAt(appendPath(at, "rule"), "%sno rule named %q in %s", label, name, s.RulesFile)
	}
	return r
}

// checkRendered checks the fields that describe what a rule renders.
func (s *Suite) checkRendered(pos *rules.Positioner, at []any, label, list string, e *Expect) {
	if e.To != nil && (e.To.Type == "" || e.To.ID == "") {
		pos.ErrAt(appendPath(at, "to"), "%s%s: to needs both type and id", label, list)
	}
	if e.Body != nil && len(e.BodyContains) > 0 {
		pos.ErrAt(appendPath(at, "body_contains"), "%s%s: give body or body_contains, not both", label, list)
	}
	for i, a := range derefActions(e.Actions) {
		s.checkAction(pos, appendPath(at, "actions", i), label, a)
	}
}

func (s *Suite) rule(name string) *rules.Rule {
	for _, r := range s.rules.Rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func (s *Suite) sourceNames() string {
	names := make([]string, 0, len(s.rules.Sources))
	for n := range s.rules.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return "sources: " + strings.Join(names, ", ")
}

// Untested lists the rules no test expects to match or to start a timer,
// in file order.
func (s *Suite) Untested() []string {
	expected := map[string]bool{}
	for _, c := range s.Cases {
		for _, st := range c.steps() {
			for _, e := range derefExpect(st.Expect) {
				if e != nil {
					expected[e.Rule] = true
				}
			}
		}
		for _, e := range derefTimers(c.ExpectTimers) {
			if e != nil {
				expected[e.Rule] = true
			}
		}
	}
	var out []string
	for _, r := range s.rules.Rules {
		if !expected[r.Name] {
			out = append(out, r.Name)
		}
	}
	return out
}

// steps are a test's events: its sequence, or its one event.
func (c *Case) steps() []*Step {
	if c.Sequence != nil {
		return c.Sequence
	}
	return []*Step{&c.Step}
}

func derefExpect(e *[]*Expect) []*Expect {
	if e == nil {
		return nil
	}
	return *e
}

func readEvent(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxFileSize)
	}
	return os.ReadFile(path)
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }
