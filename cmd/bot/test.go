package main

import (
	"fmt"
	"io"
)

func runTest(args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("bot test is not available yet")
}
