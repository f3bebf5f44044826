package testpg

import (
	"strings"
	"testing"
)

// TestNoticeSaysPostgreSQLTestsAreSkipped checks the one line a package
// prints when BOT_TEST_DATABASE_URL is unset, and that nothing is printed
// when it is set.
func TestNoticeSaysPostgreSQLTestsAreSkipped(t *testing.T) {
	for _, c := range []struct {
		value string
		want  string
	}{
		{"", "NOTE queue: BOT_TEST_DATABASE_URL is not set: the PostgreSQL tests are SKIPPED"},
		{"postgres://postgres@127.0.0.1:5432/test", ""},
	} {
		var b strings.Builder
		Notice(&b, func(string) string { return c.value }, "queue")
		out := b.String()
		if c.want == "" && out != "" {
			t.Errorf("with %s set, printed %q", EnvVar, out)
		}
		if c.want != "" && (!strings.HasPrefix(out, c.want) || strings.Count(out, "\n") != 1) {
			t.Errorf("without %s, printed %q; want one line starting %q", EnvVar, out, c.want)
		}
	}
}
