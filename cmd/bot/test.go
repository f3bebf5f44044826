package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/rules"
	"github.com/supportops/autoresponder/internal/ruletest"
)

// runTest runs rule test files. Exit 0: every test passed; 1: a test failed
// or a file could not be loaded; 2: the command line is wrong.
func runTest(reg *platform.Registry, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("test", stderr)
	verbose := fs.Bool("v", false, "also list the tests that pass")
	run := fs.String("run", "", "run only the tests whose name matches this regular expression")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bot test [-v] [-run REGEXP] rules_test.yaml...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitError{2}
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitError{2}
	}
	var keep func(string) bool
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			fmt.Fprintf(stderr, "bot test: -run: %v\n", err)
			return exitError{2}
		}
		keep = re.MatchString
	}
	total, failed, broken := 0, 0, 0
	for _, path := range fs.Args() {
		suite, err := ruletest.LoadFile(path, reg)
		if err != nil {
			broken++
			fmt.Fprintf(stdout, "--- FAIL: %s cannot be run\n", path)
			writeLoadError(stdout, err)
			continue
		}
		results := suite.Run(keep)
		ruletest.Write(stdout, results, *verbose)
		for _, r := range results {
			total++
			if !r.Passed() {
				failed++
			}
		}
		if keep == nil {
			if untested := suite.Untested(); len(untested) > 0 {
				fmt.Fprintf(stdout, "note: %s: no test expects these rules of %s to match: %s\n", path, suite.RulesFile, strings.Join(untested, ", "))
			}
		}
	}
	fmt.Fprintln(stdout, ruletest.Summary(total, failed, broken))
	if failed > 0 || broken > 0 {
		return exitError{1}
	}
	return nil
}

func writeLoadError(w io.Writer, err error) {
	list := rules.Errors(err)
	if list == nil {
		fmt.Fprintf(w, "%v\n\n", err)
		return
	}
	for _, e := range list {
		fmt.Fprintf(w, "%s\n\n", e.Error())
	}
}
