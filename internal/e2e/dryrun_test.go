package e2e

import (
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
)

// dryRunLine is what --dry-run prints per reply: the rendered request and
// the exact HTTP request that would have been sent.
type dryRunLine struct {
	DryRun bool `json:"dry_run"`
	Target struct {
		ID string `json:"id"`
	} `json:"target"`
	HTTP *struct {
		Method string      `json:"method"`
		URL    string      `json:"url"`
		Header http.Header `json:"header"`
		Body   string      `json:"body"`
	} `json:"http"`
}

// TestDryRunPrintsTheExactRequest answers the same Intercom and WHMCS
// events twice with the same rules: once for real against the fakes, once
// with --dry-run. The dry run must post nothing, print for each reply the
// very request the live bot sent (method, URL, headers, body; the token
// redacted and nowhere in the output), and record the replies in history
// as dry_run, not sent.
func TestDryRunPrintsTheExactRequest(t *testing.T) {
	f := newFakes(t)
	rules := f.rules("", rulesYAML(
		rule{name: "ic-note", source: "intercom", target: "7100009101", reply: "as: note\nbody: \"<p>Seen, {{ contact?.name ?? 'there' }}</p>\""},
		rule{name: "wh-reply", source: "whmcs", target: "9102", reply: "as: comment\nbody: We got your ticket."},
	))
	events := []struct{ source, id, target string }{
		{"intercom", "notif_dry_1", "7100009101"},
		{"whmcs", "TicketOpen-dry-1", "9102"},
	}
	body := func(e struct{ source, id, target string }) []byte {
		if e.source == "whmcs" {
			return whmcsOpenEvent(t, e.id, e.target)
		}
		return conversationEvent(t, e.id, e.target)
	}

	live := Start(t, Config{Rules: rules})
	for _, e := range events {
		post(t, live, e.source, e.source, body(e), "accepted")
	}
	waitIdle(t, live)
	live.Kill()
	sent := map[string]platformfake.Recorded{}
	for _, e := range events {
		got := f.to(e.target)
		if len(got) != 1 {
			t.Fatalf("the live bot sent %d requests for %s, want 1", len(got), e.target)
		}
		sent[e.target] = got[0]
	}

	dry := Start(t, Config{Rules: rules, Args: []string{"--dry-run"}})
	logsOnFailure(t, dry)
	for _, e := range events {
		post(t, dry, e.source, e.source, body(e), "accepted")
	}
	waitIdle(t, dry)
	WaitFor(t, 10*time.Second, "both dry-run lines", func() bool { return strings.Count(dry.Stdout(), "\n") >= 2 })
	for _, e := range events {
		if n := len(f.to(e.target)); n != 1 {
			t.Errorf("--dry-run posted to %s (%d requests in all)", e.target, n)
		}
	}
	out := dry.Stdout()
	for _, token := range []string{IntercomToken, WHMCSToken} {
		if strings.Contains(out, token) {
			t.Errorf("--dry-run printed an API token:\n%s", out)
		}
	}
	lines := map[string]dryRunLine{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var d dryRunLine
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("dry-run line is not JSON: %v\n%s", err, l)
		}
		lines[d.Target.ID] = d
	}
	for _, e := range events {
		t.Run(e.source, func(t *testing.T) {
			d, rec := lines[e.target], sent[e.target]
			if !d.DryRun || d.HTTP == nil {
				t.Fatalf("no dry-run line with the HTTP request for %s:\n%s", e.target, out)
			}
			base := f.ic.URL()
			if e.source == "whmcs" {
				base = f.wh.URL()
			}
			if d.HTTP.Method != rec.Method || d.HTTP.URL != base+rec.Path {
				t.Errorf("dry run prints %s %s; the live bot sent %s %s", d.HTTP.Method, d.HTTP.URL, rec.Method, base+rec.Path)
			}
			if got := d.HTTP.Header.Get("Authorization"); got != "Bearer [redacted]" {
				t.Errorf("Authorization printed as %q, want the scheme with the token redacted", got)
			}
			// A multipart boundary is random per request: compare with it
			// named alike.
			norm := func(s, contentType string) string {
				if _, params, err := mime.ParseMediaType(contentType); err == nil && params["boundary"] != "" {
					return strings.ReplaceAll(s, params["boundary"], "BOUNDARY")
				}
				return s
			}
			for name := range d.HTTP.Header {
				if name == "Authorization" {
					continue
				}
				got, want := norm(d.HTTP.Header.Get(name), d.HTTP.Header.Get(name)), norm(rec.Header.Get(name), rec.Header.Get(name))
				if got != want {
					t.Errorf("header %s: dry run prints %q, the live bot sent %q", name, got, want)
				}
			}
			if len(d.HTTP.Header) < 4 {
				t.Errorf("dry run prints only headers %v", d.HTTP.Header)
			}
			if rec.Form != nil {
				// The WHMCS fake keeps the form it decoded, not the bytes.
				if got := formFields(t, d.HTTP.Body, d.HTTP.Header.Get("Content-Type")); !reflect.DeepEqual(got, rec.Form) {
					t.Errorf("dry run prints the form %v; the live bot sent %v", got, rec.Form)
				}
			} else if d.HTTP.Body != string(rec.RawBody) {
				t.Errorf("dry run prints body\n%s\nthe live bot sent\n%s", d.HTTP.Body, rec.RawBody)
			}
			h := history(t, dry, "event_id="+e.id)
			if len(h) != 1 || h[0].Outcome != "dry_run" {
				t.Errorf("history of the dry-run reply = %+v, want one record with outcome dry_run", h)
			}
		})
	}
}

// formFields decodes a multipart form body.
func formFields(t *testing.T, body, contentType string) map[string]string {
	t.Helper()
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	out := map[string]string{}
	mr := multipart.NewReader(strings.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("printed body is not the multipart form it says: %v", err)
		}
		b, _ := io.ReadAll(part)
		out[part.FormName()] = string(b)
	}
}
