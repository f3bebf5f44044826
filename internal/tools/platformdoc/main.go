// Command platformdoc writes the documentation generated from the
// platforms' Spec tables: docs/platforms/reference.md and the generated
// blocks of README.md. `go generate ./internal/platform/specdoc` runs it; a
// test in internal/platform/specdoc fails when the committed files are
// stale.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/supportops/autoresponder/internal/platform/all"
	"github.com/supportops/autoresponder/internal/platform/specdoc"
)

func main() {
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintln(os.Stderr, "platformdoc:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	readme, err := os.ReadFile(filepath.Join(root, specdoc.ReadmeFile))
	if err != nil {
		return err
	}
	files, err := specdoc.Render(all.Registry(), readme)
	if err != nil {
		return fmt.Errorf("%s: %w", specdoc.ReadmeFile, err)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := os.WriteFile(filepath.Join(root, p), files[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}
