package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/all"
)

// TestCheckNotesMissingNotifierSecrets: bot check names every variable
// serve will need, a notifier's URL and secret included, so one run of
// check finds them all.
func TestCheckNotesMissingNotifierSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	src := `sources:
  s: {kind: intercom, secret_env: CHECKTEST_SOURCE}
platforms:
  s: {kind: log}
notifiers:
  ops: {kind: slack, url_env: CHECKTEST_SLACK}
  crm: {kind: webhook, url: "https://crm.example.com/hook", secret_env: CHECKTEST_CRM}
rules:
  - name: a
    when: "true"
    once: true
    actions:
      - notify: {to: ops, text: hi}
      - notify: {to: crm, text: hi}
`
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := runCheck(all.Registry(), []string{path}, &out, &errOut); err != nil {
		t.Fatalf("check: %v\n%s%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{
		"notifier ops: CHECKTEST_SLACK is not set here",
		"notifier crm: CHECKTEST_CRM is not set here",
		"source s: CHECKTEST_SOURCE is not set here",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
}
