package all

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/intercom/intercomfake"
	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
	"github.com/supportops/autoresponder/internal/replier"
)

// sentRequest is what the previous release sent for a job, recorded by its
// strict fake when testdata/jobs-v1 was captured.
type sentRequest struct {
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Endpoint string            `json:"endpoint"`
	Body     json.RawMessage   `json:"body"`
	Form     map[string]string `json:"form"`
}

// TestJobsOfThePreviousReleaseDeliverTheSame: delivery jobs stored by the
// release before the format had a version (testdata/jobs-v1, written by
// that release's code) decode into today's Request and send, byte for
// byte, what that release sent, to the same strict fakes.
func TestJobsOfThePreviousReleaseDeliverTheSame(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "jobs-v1", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".sent.json") {
			continue
		}
		n++
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			var req replier.Request
			if err := json.Unmarshal(readFile(t, f), &req); err != nil {
				t.Fatalf("the stored job does not decode: %v", err)
			}
			if req.V != replier.RequestVersion {
				t.Errorf("decoded as version %d, want %d", req.V, replier.RequestVersion)
			}
			var want sentRequest
			if err := json.Unmarshal(readFile(t, strings.TrimSuffix(f, ".json")+".sent.json"), &want); err != nil {
				t.Fatal(err)
			}
			kind, _, _ := strings.Cut(name, "-")
			got := sendToFake(t, kind, &req)
			if got.Method != want.Method || got.Path != want.Path || got.Endpoint != want.Endpoint {
				t.Errorf("sent %s %s (%s), want %s %s (%s)", got.Method, got.Path, got.Endpoint, want.Method, want.Path, want.Endpoint)
			}
			if want.Body != nil && !sameJSON(t, got.RawBody, want.Body) {
				t.Errorf("body\n got %s\nwant %s", got.RawBody, want.Body)
			}
			if want.Form != nil && !maps.Equal(got.Form, want.Form) {
				t.Errorf("form\n got %v\nwant %v", got.Form, want.Form)
			}
		})
	}
	if n < 5 {
		t.Fatalf("only %d stored jobs in testdata/jobs-v1", n)
	}
}

// The settings the jobs were captured with.
const (
	jobsToken   = "tok-SECRET-7f3a9c"
	jobsAdminID = "991267696"
	jobsVersion = "2.16"
)

// sendToFake sends req through kind's replier to its strict fake and
// returns what the fake recorded.
func sendToFake(t *testing.T, kind string, req *replier.Request) platformfake.Recorded {
	t.Helper()
	p, ok := registry.Lookup(kind)
	if !ok {
		t.Fatalf("no platform %s", kind)
	}
	var (
		url      string
		settings = map[string]string{}
		recorded func() []platformfake.Recorded
	)
	switch kind {
	case "intercom":
		fake := intercomfake.New(intercomfake.Options{Token: jobsToken, AdminID: jobsAdminID, APIVersion: jobsVersion})
		t.Cleanup(func() { fake.AssertNoViolations(t); fake.Close() })
		url, recorded = fake.URL(), fake.Requests
		settings["admin_id"], settings["api_version"] = jobsAdminID, jobsVersion
	case "whmcs":
		fake := whmcsfake.New(whmcsfake.Options{Token: jobsToken})
		t.Cleanup(func() { fake.AssertNoViolations(t); fake.Close() })
		url, recorded = fake.URL(), fake.Requests
		settings["api"] = "keliweb"
	default:
		t.Fatalf("no fake for %s", kind)
	}
	r, err := p.NewReplier(&platform.Account{
		Name: "jobs", BaseURL: url, Timeout: 5 * time.Second, Now: time.Now,
		Settings: &platform.Settings{Values: settings, Secrets: map[string]bool{"token": true}},
		Secret:   func(string) ([]byte, error) { return []byte(jobsToken), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Send(t.Context(), req); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := recorded()
	if len(got) != 1 {
		t.Fatalf("the fake recorded %d requests", len(got))
	}
	return got[0]
}

// sameJSON compares two JSON documents by value (the capture is indented).
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}
