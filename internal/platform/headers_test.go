package platform_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

func TestParseHeaderLine(t *testing.T) {
	tests := []struct {
		line, name, value string
		err               string // part of the error; "" for none
	}{
		{line: "X-HelpScout-Event: convo.created", name: "X-HelpScout-Event", value: "convo.created"},
		{line: "x-chatwoot-delivery:abc", name: "x-chatwoot-delivery", value: "abc"},
		{line: "  X-A :  spaced out  ", name: "X-A", value: "spaced out"},
		{line: "X-Empty:", name: "X-Empty", value: ""},
		{line: "X-Url: https://example.com:8443/x", name: "X-Url", value: "https://example.com:8443/x"},
		{line: "X-HelpScout-Event convo.created", err: "want Name: value"},
		{line: ": value", err: "header name is empty"},
		{line: "X Event: a", err: `header name "X Event"`},
		{line: "X-(Event): a", err: `header name "X-(Event)"`},
		{line: "X-A: one\r\nX-Injected: two", err: "control character"},
		{line: "X-A: nul\x00", err: "control character"},
		{line: "X-A: \xff", err: "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			name, value, err := platform.ParseHeaderLine(tt.line)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("error %v, want %q: %q", err, tt.name, tt.value)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one with %q", err, tt.err)
			case name != tt.name || value != tt.value:
				t.Errorf("got %q: %q, want %q: %q", name, value, tt.name, tt.value)
			}
		})
	}
}

// headerPlatform builds its topic from the X-Event header, the way
// platforms that send the event name outside the body do.
type headerPlatform struct{ platform.Platform }

var headerSpec = &platform.Spec{Name: "hdr", EventHeaders: []string{"x-event"}}

func (headerPlatform) Spec() *platform.Spec { return headerSpec }

func (headerPlatform) Build(ev *event.Event, _ map[string]any, d *platform.Delivery) error {
	ev.Topic, ev.ID = d.Header.Get("X-Event"), "1"
	return nil
}

// Parse keeps the declared headers, copied and nothing else, and refuses
// ones too long to store.
func TestParseKeepsEventHeaders(t *testing.T) {
	long := strings.Repeat("e", platform.MaxKeptHeaderBytes)
	tests := []struct {
		name   string
		header http.Header
		want   http.Header
		err    string
	}{
		{"declared header kept, others not", http.Header{"X-Event": {"created"}, "X-Signature": {"sig"}},
			http.Header{"X-Event": {"created"}}, ""},
		{"repeated values kept in order", http.Header{"X-Event": {"a", "b"}}, http.Header{"X-Event": {"a", "b"}}, ""},
		{"none given: nil", http.Header{"X-Signature": {"sig"}}, nil, ""},
		{"too long to keep", http.Header{"X-Event": {long}}, nil, "too long to keep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Now()
			ev, err := platform.Parse(headerPlatform{}, "src", &platform.Delivery{Header: tt.header, Body: []byte(`{}`), Now: now}, now)
			if tt.err != "" {
				if _, ok := errors.AsType[*payload.BadRequestError](err); !ok || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want a bad request with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ev.Headers, tt.want) {
				t.Errorf("kept %v, want %v", ev.Headers, tt.want)
			}
			if v := tt.header["X-Event"]; len(v) > 0 {
				v[0] = "changed after the request"
				if ev.Headers.Get("X-Event") == "changed after the request" {
					t.Error("the kept headers share the request's memory")
				}
			}
		})
	}
}

func TestMissingEventHeaders(t *testing.T) {
	if got := platform.MissingEventHeaders(headerPlatform{}, http.Header{}); !reflect.DeepEqual(got, []string{"x-event"}) {
		t.Errorf("missing = %v, want [x-event]", got)
	}
	if got := platform.MissingEventHeaders(headerPlatform{}, http.Header{"X-Event": {"a"}}); got != nil {
		t.Errorf("missing = %v, want none", got)
	}
}
