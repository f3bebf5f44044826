package specdoc

import (
	"bytes"
	"fmt"

	"github.com/supportops/autoresponder/internal/platform"
)

// Render returns what the generated files must hold, by path relative to
// the repository root: the reference page, and readme (the README as it
// is) with each generated block replaced.
func Render(reg *platform.Registry, readme []byte) (map[string][]byte, error) {
	out, err := Splice(readme, BlockKeys, KeysBlock(reg))
	if err != nil {
		return nil, err
	}
	if out, err = Splice(out, BlockReplies, RepliesBlock(reg)); err != nil {
		return nil, err
	}
	if out, err = Splice(out, BlockReplyFields, ReplyFieldsBlock(reg)); err != nil {
		return nil, err
	}
	if out, err = Splice(out, BlockActions, ActionsBlock(reg)); err != nil {
		return nil, err
	}
	return map[string][]byte{ReadmeFile: out, ReferenceFile: Reference(reg)}, nil
}

// Splice replaces the lines between "<!-- BEGIN GENERATED name -->" and
// "<!-- END GENERATED name -->" with content. Each marker must be there
// exactly once, on a line of its own, BEGIN first.
func Splice(doc []byte, name, content string) ([]byte, error) {
	begin := []byte("<!-- BEGIN GENERATED " + name + " -->\n")
	end := []byte("<!-- END GENERATED " + name + " -->")
	i, j := bytes.Index(doc, begin), bytes.Index(doc, end)
	switch {
	case i < 0 || j < 0:
		return nil, fmt.Errorf("the markers %q and %q are missing", bytes.TrimSpace(begin), end)
	case bytes.Count(doc, begin) > 1 || bytes.Count(doc, end) > 1:
		return nil, fmt.Errorf("the markers of block %q appear more than once", name)
	case j < i:
		return nil, fmt.Errorf("block %q ends before it begins", name)
	case i > 0 && doc[i-1] != '\n':
		return nil, fmt.Errorf("the BEGIN marker of block %q must start a line", name)
	}
	var b bytes.Buffer
	b.Write(doc[:i+len(begin)])
	b.WriteString(content)
	b.Write(doc[j:])
	return b.Bytes(), nil
}
