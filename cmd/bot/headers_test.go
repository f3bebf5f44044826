package main

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform"
	"github.com/supportops/autoresponder/internal/platform/all"
	"github.com/supportops/autoresponder/internal/platform/payload"
)

// headerCLIRules has a Help Scout source, whose event name is a header,
// and an Intercom one, whose deliveries need no header.
const headerCLIRules = `
sources:
  helpscout: {kind: helpscout, secret_file: helpscout.secret}
  intercom: {kind: intercom, secret_file: intercom.secret}
platforms:
  helpscout: {kind: log}
  intercom: {kind: log}
rules:
  - name: refund-note
    source: helpscout
    when: topic == "convo.created" && ticket.subject == "Refund"
    reply: {as: note, body: "refund request"}
  - name: greet
    source: intercom
    when: topic == "conversation.user.created"
    reply: {as: comment, body: "hi"}
`

// helpscoutCreated is a Help Scout conversation as a convo.* webhook
// sends it: the body says nothing of the event's name.
const helpscoutCreated = `{"id": 101, "number": 7, "subject": "Refund", "status": "active", "state": "published",
 "createdBy": {"id": 12, "type": "customer", "email": "ada@example.com"}, "primaryCustomer": {"id": 12},
 "preview": "I want my money back", "createdAt": "2026-01-07T11:00:00Z"}`

const helpscoutSecret = "hs-webhook-secret"

// headerCLIDir writes the rules, their secrets and the payloads.
func headerCLIDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"rules.yaml":         headerCLIRules,
		"helpscout.secret":   helpscoutSecret,
		"intercom.secret":    "ic-secret",
		"helpscout.json":     helpscoutCreated,
		"intercom.json":      cliCreated,
		"helpscout_bad.json": `{"subject": "no id"}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestExplainHeaderFlag(t *testing.T) {
	dir := headerCLIDir(t)
	rules := filepath.Join(dir, "rules.yaml")
	hs, ic := filepath.Join(dir, "helpscout.json"), filepath.Join(dir, "intercom.json")
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    []string // each must appear
		stderr    []string // each must appear
		notStdout []string
	}{
		{name: "Help Scout event named by --header", code: 0,
			args:   []string{"--source", "helpscout", "--header", "X-HelpScout-Event: convo.created", hs},
			stdout: []string{"event helpscout/convo.created:101  topic convo.created\n", "MATCH refund-note"}},
		{name: "header name in any case, flag after the file", code: 0,
			args:   []string{"--source", "helpscout", hs, "--header", "x-helpscout-event:convo.created"},
			stdout: []string{"topic convo.created\n", "MATCH refund-note"}},
		{name: "another event name", code: 0,
			args:      []string{"--source", "helpscout", "--header", "X-HelpScout-Event: convo.customer.reply.created", hs},
			stdout:    []string{"topic convo.customer.reply.created\n", "no    refund-note"},
			notStdout: []string{"MATCH"}},
		{name: "without the header: says which to give", code: 1,
			args:   []string{"--source", "helpscout", hs},
			stderr: []string{"X-HelpScout-Event header missing", "give it with --header 'X-HelpScout-Event: VALUE'"}},
		{name: "header given twice, as a sender repeating it", code: 1,
			args:   []string{"--source", "helpscout", "--header", "X-HelpScout-Event: convo.created", "--header", "X-HelpScout-Event: convo.created", hs},
			stderr: []string{"X-HelpScout-Event header given more than once"}},
		{name: "a broken body is still refused for what it is", code: 1,
			args:   []string{"--source", "helpscout", "--header", "X-HelpScout-Event: convo.created", filepath.Join(dir, "helpscout_bad.json")},
			stderr: []string{"id missing"}},
		{name: "not Name: value", code: 1,
			args:   []string{"--source", "helpscout", "--header", "X-HelpScout-Event=convo.created", hs},
			stderr: []string{`invalid value "X-HelpScout-Event=convo.created" for flag -header`, "want Name: value"}},
		{name: "a value that would split the request", code: 1,
			args:   []string{"--source", "helpscout", "--header", "X-HelpScout-Event: a\r\nX-Other: b", hs},
			stderr: []string{"control character"}},
		{name: "a platform that reads no header ignores one", code: 0,
			args:   []string{"--source", "intercom", "--header", "X-Anything: 1", ic},
			stdout: []string{"MATCH greet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(all.Registry(), append([]string{"explain", "--rules", rules}, tt.args...), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			for _, s := range tt.notStdout {
				if strings.Contains(stdout.String(), s) {
					t.Errorf("stdout has %q:\n%s", s, stdout.String())
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
				}
			}
		})
	}
}

// intake is a loopback stand-in for the bot's webhook endpoint: it
// verifies and parses each delivery the way the bot does, answers 401 or
// 400 with the reason, and records what it accepted.
type intake struct {
	mu       sync.Mutex
	accepted []http.Header
}

func (in *intake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, _ := all.Registry().Lookup(strings.TrimPrefix(r.URL.Path, "/webhooks/"))
	secret := map[string]string{"helpscout": helpscoutSecret, "intercom": "ic-secret"}[p.Spec().Name]
	body, _ := io.ReadAll(r.Body)
	d := &platform.Delivery{Header: r.Header, Body: body, Secret: []byte(secret), Now: time.Now()}
	if err := p.Verify(d); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if _, err := platform.Parse(p, "src", d, d.Now); err != nil {
		code := http.StatusInternalServerError
		if _, ok := errors.AsType[*payload.BadRequestError](err); ok {
			code = http.StatusBadRequest
		}
		http.Error(w, err.Error(), code)
		return
	}
	in.mu.Lock()
	in.accepted = append(in.accepted, r.Header.Clone())
	in.mu.Unlock()
	w.Write([]byte(`{"status":"accepted"}`))
}

func TestSendHeaderFlag(t *testing.T) {
	dir := headerCLIDir(t)
	rules := filepath.Join(dir, "rules.yaml")
	hs, ic := filepath.Join(dir, "helpscout.json"), filepath.Join(dir, "intercom.json")
	tests := []struct {
		name    string
		args    []string
		code    int
		stdout  string            // must appear
		stderr  string            // must appear ("" : nothing on stderr)
		arrived map[string]string // headers the bot must have received
	}{
		{name: "event header sent with the signature", code: 0,
			args: []string{"--source", "helpscout", "--header", "X-HelpScout-Event: convo.created", hs}, stdout: "200 OK",
			arrived: map[string]string{"X-Helpscout-Event": "convo.created", "Content-Type": "application/json"}},
		{name: "several headers", code: 0,
			args: []string{"--source", "helpscout", "--header", "X-HelpScout-Event: convo.created", "--header", "X-Trace: abc", hs}, stdout: "200 OK",
			arrived: map[string]string{"X-Helpscout-Event": "convo.created", "X-Trace": "abc"}},
		{name: "refused without it, with the hint", code: 1,
			args: []string{"--source", "helpscout", hs}, stdout: "400 Bad Request",
			stderr: "give it with --header 'X-HelpScout-Event: VALUE'"},
		{name: "a header replaces the signature's", code: 1,
			args:   []string{"--source", "helpscout", "--header", "X-HelpScout-Signature: AAAA", "--header", "X-HelpScout-Event: convo.created", hs},
			stdout: "401 Unauthorized"},
		{name: "no header needed", code: 0, args: []string{"--source", "intercom", ic}, stdout: "200 OK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &intake{}
			srv := httptest.NewServer(in)
			defer srv.Close()
			var stdout, stderr bytes.Buffer
			code := run(all.Registry(), append([]string{"send", "--rules", rules, "--url", srv.URL}, tt.args...), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) {
				t.Fatalf("exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", code, tt.code, tt.stdout, stdout.String(), stderr.String())
			}
			if tt.stderr == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr:\n%s\nwant %q", stderr.String(), tt.stderr)
			}
			if tt.arrived == nil {
				return
			}
			if len(in.accepted) != 1 {
				t.Fatalf("the bot accepted %d deliveries, want 1", len(in.accepted))
			}
			for k, v := range tt.arrived {
				if got := in.accepted[0].Values(k); len(got) != 1 || got[0] != v {
					t.Errorf("header %s arrived as %q, want %q", k, got, v)
				}
			}
		})
	}
}
