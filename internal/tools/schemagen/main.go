// Command schemagen writes the JSON Schema of the rules file
// (rules.schema.json at the repository root). `go generate ./internal/rules`
// runs it; a test in internal/rules fails when the committed file is stale.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/supportops/autoresponder/internal/platform/all"
	"github.com/supportops/autoresponder/internal/rules"
)

func main() {
	out := flag.String("o", "rules.schema.json", "file to write (- for stdout)")
	flag.Parse()
	b, err := rules.Schema(all.Registry())
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
	if *out == "-" {
		_, err = os.Stdout.Write(b)
	} else {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}
