package specdoc_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/all"
	"github.com/supportops/autoresponder/internal/platform/specdoc"
)

// repoRoot is where README.md and docs/ live.
var repoRoot = filepath.Join("..", "..", "..")

// TestGeneratedDocsAreCurrent fails when a platform's Spec changed (a
// setting, reply field, capability row or topic) and the docs were not
// regenerated.
func TestGeneratedDocsAreCurrent(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, specdoc.ReadmeFile))
	if err != nil {
		t.Fatal(err)
	}
	want, err := specdoc.Render(all.Registry(), readme)
	if err != nil {
		t.Fatal(err)
	}
	for path, content := range want {
		got, err := os.ReadFile(filepath.Join(repoRoot, path))
		if err != nil {
			t.Errorf("%v\nGenerate it with: go generate ./internal/platform/specdoc", err)
			continue
		}
		if !bytes.Equal(got, content) {
			t.Errorf("%s is out of date with the platforms' Spec tables.\n"+
				"Regenerate it with: go generate ./internal/platform/specdoc (from the repository root), and commit the result.", path)
		}
	}
}

// TestReferenceNamesEverySetting: every key a rules file may write for a
// platform, every reply field and every topic appears in the reference, in
// the form the rules file writes it.
func TestReferenceNamesEverySetting(t *testing.T) {
	ref := string(specdoc.Reference(all.Registry()))
	for _, p := range all.Registry().All() {
		s := p.Spec()
		var want []string
		for _, st := range append(append([]platform.Setting(nil), s.SourceSettings...), s.AccountSettings...) {
			if st.Type == platform.SettingSecret {
				want = append(want, "`"+st.Key+"_env`", "`"+st.Key+"_file`")
			} else {
				want = append(want, "`"+st.Key+"`")
			}
		}
		for _, f := range s.ReplyFields {
			want = append(want, "`"+f.Key+"`")
		}
		for _, tp := range s.Topics {
			want = append(want, "`"+tp.Name+"`")
		}
		section := sectionOf(ref, s.Name)
		for _, w := range want {
			if !strings.Contains(section, w) {
				t.Errorf("%s: the reference does not name %s", s.Name, w)
			}
		}
	}
}

// sectionOf is the reference's section of one kind.
func sectionOf(ref, kind string) string {
	start := strings.Index(ref, "## `"+kind+"`")
	if start < 0 {
		return ""
	}
	rest := ref[start+1:]
	if end := strings.Index(rest, "\n## "); end >= 0 {
		return rest[:end]
	}
	return rest
}

func TestSplice(t *testing.T) {
	const doc = "a\n<!-- BEGIN GENERATED x -->\nold\n<!-- END GENERATED x -->\nb\n"
	cases := []struct {
		name, doc, want, err string
	}{
		{"replaces the block", doc, "a\n<!-- BEGIN GENERATED x -->\nnew\n<!-- END GENERATED x -->\nb\n", ""},
		{"missing markers", "a\n", "", "missing"},
		{"twice", doc + doc, "", "more than once"},
		{"reversed", "<!-- END GENERATED x -->\n<!-- BEGIN GENERATED x -->\n", "", "ends before"},
		{"begin mid-line", "a <!-- BEGIN GENERATED x -->\n<!-- END GENERATED x -->\n", "", "start a line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := specdoc.Splice([]byte(c.doc), "x", "new\n")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil || string(got) != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
