package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/supportops/autoresponder/internal/platform"
)

// headerFlag collects repeated --header 'Name: value' flags: the delivery
// headers a platform builds its events from (its Spec.EventHeaders: an
// event name or delivery id sent beside the body), which a payload file
// cannot hold.
type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string {
	if f == nil || len(f.h) == 0 {
		return ""
	}
	var lines []string
	for k, vs := range f.h {
		for _, v := range vs {
			lines = append(lines, k+": "+v)
		}
	}
	return strings.Join(lines, ", ")
}

// Set adds one header; giving a name twice sends it twice, as a client
// repeating a header would.
func (f *headerFlag) Set(line string) error {
	name, value, err := platform.ParseHeaderLine(line)
	if err != nil {
		return err
	}
	if f.h == nil {
		f.h = http.Header{}
	}
	f.h.Add(name, value)
	return nil
}

// header returns the collected headers (never nil).
func (f *headerFlag) header() http.Header {
	if f.h == nil {
		return http.Header{}
	}
	return f.h
}

// missingHeaderHint says which of p's event headers h lacks and how to
// give them, or "" when none is missing.
func missingHeaderHint(p platform.Platform, h http.Header) string {
	missing := platform.MissingEventHeaders(p, h)
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("%s deliveries carry %s in a header, not in the body: give it with --header '%s: VALUE'",
		p.Spec().Title, strings.Join(missing, ", "), missing[0])
}
