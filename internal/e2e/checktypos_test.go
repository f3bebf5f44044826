package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/parser/operator"

	"github.com/supportops/autoresponder/internal/rules"
)

// A misspelled field is written in place of %s. Each builtin has calls
// with the field in its arguments; operators get it on either side.
var builtinCalls = map[string][]string{
	"all":           {`all(%s, # == "x")`, `all(tags, # == %s)`},
	"none":          {`none(%s, # == "x")`, `none(tags, # == %s)`},
	"any":           {`any(%s, # == "x")`, `any(tags, # == %s)`},
	"one":           {`one(%s, # == "x")`, `one(tags, # == %s)`},
	"filter":        {`filter(%s, # != "")`, `filter(tags, # == %s)`},
	"map":           {`map(%s, upper(#))`, `map(tags, # + %s)`},
	"find":          {`find(%s, # == "x")`, `find(tags, # == %s)`},
	"findIndex":     {`findIndex(%s, # == "x")`, `findIndex(tags, # == %s)`},
	"findLast":      {`findLast(%s, # == "x")`, `findLast(tags, # == %s)`},
	"findLastIndex": {`findLastIndex(%s, # == "x")`, `findLastIndex(tags, # == %s)`},
	"count":         {`count(%s, # == "x")`, `count(tags, # == %s)`},
	"sum":           {`sum(%s)`, `sum(tags, len(#) + %s)`},
	"groupBy":       {`groupBy(%s, #)`, `groupBy(tags, %s)`},
	"sortBy":        {`sortBy(%s, #)`, `sortBy(tags, %s)`},
	"reduce":        {`reduce(%s, #acc + #, "")`, `reduce(tags, #acc + %s, "")`},
	"len":           {`len(%s)`},
	"type":          {`type(%s)`},
	"abs":           {`abs(%s)`},
	"ceil":          {`ceil(%s)`},
	"floor":         {`floor(%s)`},
	"round":         {`round(%s)`},
	"int":           {`int(%s)`},
	"float":         {`float(%s)`},
	"string":        {`string(%s)`},
	"trim":          {`trim(%s)`, `trim(" x ", %s)`},
	"trimPrefix":    {`trimPrefix(%s, "x")`, `trimPrefix("x", %s)`},
	"trimSuffix":    {`trimSuffix(%s, "x")`, `trimSuffix("x", %s)`},
	"upper":         {`upper(%s)`},
	"lower":         {`lower(%s)`},
	"split":         {`split(%s, ",")`, `split("a,b", %s)`},
	"splitAfter":    {`splitAfter(%s, ",")`, `splitAfter("a,b", %s)`},
	"replace":       {`replace(%s, "a", "b")`, `replace("a", %s, "b")`},
	"join":          {`join(%s, ",")`, `join(tags, %s)`},
	"indexOf":       {`indexOf(%s, "x")`, `indexOf("x", %s)`},
	"lastIndexOf":   {`lastIndexOf(%s, "x")`, `lastIndexOf("x", %s)`},
	"hasPrefix":     {`hasPrefix(%s, "x")`, `hasPrefix("x", %s)`},
	"hasSuffix":     {`hasSuffix(%s, "x")`, `hasSuffix("x", %s)`},
	"max":           {`max(%s, 1)`},
	"min":           {`min(%s, 1)`},
	"mean":          {`mean(%s)`},
	"median":        {`median(%s)`},
	"toJSON":        {`toJSON(%s)`},
	"fromJSON":      {`fromJSON(%s)`},
	"toBase64":      {`toBase64(%s)`},
	"fromBase64":    {`fromBase64(%s)`},
	"now":           {`now() > %s`},
	"duration":      {`duration(%s)`},
	"date":          {`date(%s)`},
	"timezone":      {`timezone(%s)`},
	"first":         {`first(%s)`},
	"last":          {`last(%s)`},
	"get":           {`get(%s, "x")`, `get(item, %s)`},
	"take":          {`take(%s, 1)`},
	"keys":          {`keys(%s)`},
	"values":        {`values(%s)`},
	"toPairs":       {`toPairs(%s)`},
	"fromPairs":     {`fromPairs(%s)`},
	"reverse":       {`reverse(%s)`},
	"uniq":          {`uniq(%s)`},
	"concat":        {`concat(tags, %s)`},
	"flatten":       {`flatten(%s)`},
	"sort":          {`sort(%s)`},
	"bitnot":        {`bitnot(%s)`},
	"bitand":        {`bitand(%s, 1)`},
	"bitor":         {`bitor(%s, 1)`},
	"bitxor":        {`bitxor(%s, 1)`},
	"bitnand":       {`bitnand(%s, 1)`},
	"bitshl":        {`bitshl(%s, 1)`},
	"bitshr":        {`bitshr(%s, 1)`},
	"bitushr":       {`bitushr(%s, 1)`},
	// The bot's own functions.
	"in_hours":      {`in_hours(%s)`},
	"outside_hours": {`outside_hours(%s)`},
	"raw":           {`raw(%s)`, `raw("<b>") + %s`, `%s + raw("<b>")`},
	"text":          {`text(%s)`},
}

// disabledBuiltins are refused by name, whatever their arguments.
var disabledBuiltins = map[string]bool{"repeat": true}

// operatorOperands are valid other operands for each binary operator; the
// misspelled field goes on the left and on the right in turn.
var operatorOperands = map[string][2]string{
	"|":          {`%s | upper()`, `message.text | replace(%s, "")`},
	"or":         {`%s or true`, `true or %s`},
	"||":         {`%s || true`, `true || %s`},
	"and":        {`%s and true`, `true and %s`},
	"&&":         {`%s && true`, `true && %s`},
	"==":         {`%s == "x"`, `"x" == %s`},
	"!=":         {`%s != "x"`, `"x" != %s`},
	"<":          {`%s < "x"`, `"x" < %s`},
	">":          {`%s > "x"`, `"x" > %s`},
	">=":         {`%s >= "x"`, `"x" >= %s`},
	"<=":         {`%s <= "x"`, `"x" <= %s`},
	"in":         {`%s in tags`, `"x" in %s`},
	"matches":    {`%s matches "(?i)(refund|money back)"`, `"x" matches %s`},
	"contains":   {`%s contains "x"`, `"x" contains %s`},
	"startsWith": {`%s startsWith "x"`, `"x" startsWith %s`},
	"endsWith":   {`%s endsWith "x"`, `"x" endsWith %s`},
	"..":         {`%s..3`, `1..%s`},
	"+":          {`%s + "x"`, `"x" + %s`},
	"-":          {`%s - 1`, `1 - %s`},
	"*":          {`%s * 2`, `2 * %s`},
	"/":          {`%s / 2`, `2 / %s`},
	"%":          {`%s %% 2`, `2 %% %s`},
	"**":         {`%s ** 2`, `2 ** %s`},
	"^":          {`%s ^ 2`, `2 ^ %s`},
	"??":         {`%s ?? "x"`, `message?.text ?? %s`},
}

// syntaxForms are the rest of the language: member and index access,
// slices, the conditional, literals, variables and closures.
var syntaxForms = []string{
	`%s ? "a" : "b"`, `true ? %s : "b"`, `%s?.x`, `%s[0]`, `tags[%s]`, `%s[0:1]`,
	`[%s]`, `{a: %s}`, `let v = %s; v`, `%s == "x" && message.text matches "(?i)refund"`,
}

// misspellings are field typos: an unknown top-level name and an unknown
// field of a known one. The marker is what the caret must point at.
var misspellings = []struct{ field, marker string }{
	{"mesage.text", "mesage"},
	{"message.txt", "txt"},
	{"tpoic", "tpoic"},
}

type typoCase struct {
	expr   string // what the rule says
	marker string // the misspelled part, where the caret belongs
	what   string // operator or builtin, for failure messages
}

// typoCases builds a case per operator and builtin expr offers (and the
// bot's functions), failing when expr has one the table does not cover, so
// the test grows with the library.
func typoCases(t *testing.T) []typoCase {
	t.Helper()
	var forms []struct{ what, form string }
	add := func(what string, list ...string) {
		for _, f := range list {
			forms = append(forms, struct{ what, form string }{what, f})
		}
	}
	for _, name := range builtin.Names {
		if disabledBuiltins[name] {
			continue
		}
		calls, ok := builtinCalls[name]
		if !ok {
			t.Errorf("expr has a builtin %s(): add calls of it to builtinCalls", name)
			continue
		}
		add(name+"()", calls...)
	}
	for _, name := range rules.Functions {
		if _, isBuiltin := builtin.Index[name]; isBuiltin {
			continue // the bot's own now(): already covered
		}
		calls, ok := builtinCalls[name]
		if !ok {
			t.Errorf("the bot has a function %s(): add calls of it to builtinCalls", name)
			continue
		}
		add(name+"()", calls...)
	}
	binary := make([]string, 0, len(operator.Binary))
	for op := range operator.Binary {
		binary = append(binary, op)
	}
	sort.Strings(binary)
	for _, op := range binary {
		pair, ok := operatorOperands[op]
		if !ok {
			t.Errorf("expr has a binary operator %q: add it to operatorOperands", op)
			continue
		}
		add("operator "+op, pair[0], pair[1])
		if operator.AllowedNegateSuffix(op) {
			add("operator not "+op, strings.Replace(pair[0], " "+op+" ", " not "+op+" ", 1), strings.Replace(pair[1], " "+op+" ", " not "+op+" ", 1))
		}
	}
	unary := make([]string, 0, len(operator.Unary))
	for op := range operator.Unary {
		unary = append(unary, op)
	}
	sort.Strings(unary)
	for _, op := range unary {
		sep := ""
		if op == "not" {
			sep = " "
		}
		add("unary "+op, op+sep+"%s")
	}
	add("syntax", syntaxForms...)

	var out []typoCase
	for _, f := range forms {
		for _, m := range misspellings {
			out = append(out, typoCase{expr: fmt.Sprintf(f.form, m.field), marker: m.marker, what: f.what})
		}
	}
	return out
}

// positionedError is one error of `bot check`: its header and the two
// lines under it.
type positionedError struct {
	warning    bool
	line, col  int
	rule, msg  string
	src, caret string
}

var errorHeader = regexp.MustCompile(`^(warning: )?(.+?):(\d+):(\d+): (?:rule "([^"]*)": )?(.*)$`)

// checkErrors parses the positioned errors and warnings of file in `bot
// check` output.
func checkErrors(out, file string) []positionedError {
	lines := strings.Split(out, "\n")
	var errs []positionedError
	for i, l := range lines {
		m := errorHeader.FindStringSubmatch(l)
		if m == nil || m[2] != file {
			continue
		}
		e := positionedError{warning: m[1] != "", rule: m[5], msg: m[6]}
		e.line, _ = strconv.Atoi(m[3])
		e.col, _ = strconv.Atoi(m[4])
		if i+2 < len(lines) {
			e.src, e.caret = lines[i+1], lines[i+2]
		}
		errs = append(errs, e)
	}
	return errs
}

// assertPointsAt checks that e names line and column and that its excerpt
// is that line with a caret under the column.
func assertPointsAt(t *testing.T, e positionedError, lines []string, line, col int) {
	t.Helper()
	if e.line != line || e.col != col {
		t.Errorf("error at %d:%d; want %d:%d: %s", e.line, e.col, line, col, e.msg)
		return
	}
	numbered := fmt.Sprintf("%5d | ", line)
	if e.src != numbered+lines[line-1] {
		t.Errorf("source line %q; want %q", e.src, numbered+lines[line-1])
	}
	if strings.TrimSpace(e.caret) != "^" || strings.Index(e.caret, "^") != len(numbered)+col-1 {
		t.Errorf("caret not under column %d:\n%s\n%s", col, e.src, e.caret)
	}
}

// TestCheckFindsMisspelledFields: a misspelled field inside any operator or
// builtin, in a condition or a template, fails `bot check` with the field's
// file:line:column and a caret under it. Such a rule used to load and
// silently never fire when the typo sat inside `matches` or lower().
func TestCheckFindsMisspelledFields(t *testing.T) {
	cases := typoCases(t)
	var b strings.Builder
	type where struct {
		line, col int
		c         typoCase
	}
	want := map[string]where{}
	line := strings.Count(RulesFile("", "", "", ""), "\n") + 1
	for i, c := range cases {
		when := fmt.Sprintf("%s-when", ruleID(i))
		body := fmt.Sprintf("%s-body", ruleID(i))
		// Conditions and templates, each in a YAML single-quoted scalar.
		fmt.Fprintf(&b, "  - name: %s\n    source: intercom\n    once: true\n", when)
		cond := "    when: '" + c.expr + "'"
		fmt.Fprintf(&b, "%s\n    reply: {as: note, body: \"x\"}\n", cond)
		want[when] = where{line + 3, strings.Index(cond, c.marker) + 1, c}
		fmt.Fprintf(&b, "  - name: %s\n    source: intercom\n    once: true\n    when: 'true'\n    reply:\n      as: note\n", body)
		tpl := "      body: '<p>{{ " + c.expr + " }}</p>'"
		fmt.Fprintf(&b, "%s\n", tpl)
		want[body] = where{line + 11, strings.Index(tpl, c.marker) + 1, c}
		line += 12
	}
	content := RulesFile("", "", "", b.String())
	lines := strings.Split(content, "\n")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "typos.yaml"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := Run(t, dir, nil, "check", "--strict", "typos.yaml")
	if code != 1 {
		t.Errorf("bot check --strict typos.yaml exited %d; want 1", code)
	}
	got := map[string][]positionedError{}
	for _, e := range checkErrors(out, "typos.yaml") {
		got[e.rule] = append(got[e.rule], e)
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		w := want[name]
		errs := got[name]
		if len(errs) != 1 {
			t.Errorf("%s: %s %q: %d errors; want 1 at the misspelled %q: %+v", name, w.c.what, w.c.expr, len(errs), w.c.marker, errs)
			continue
		}
		e := errs[0]
		if !strings.Contains(e.msg, w.c.marker) {
			t.Errorf("%s %q: message %q does not name %q", w.c.what, w.c.expr, e.msg, w.c.marker)
		}
		t.Run(name, func(t *testing.T) { assertPointsAt(t, e, lines, w.line, w.col) })
	}
	if t.Failed() && testing.Verbose() {
		t.Logf("bot check output:\n%s", out)
	}
}

func ruleID(i int) string { return fmt.Sprintf("typo-%03d", i) }
