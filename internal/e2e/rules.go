package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RulesFile returns a rules file with the two standard sources, platforms
// pointing at the given fake servers (empty: a log platform), settings
// tuned for fast tests, and the given rules section (YAML list items,
// indented by two spaces).
func RulesFile(intercomURL, whmcsURL, settings, rules string) string {
	var b strings.Builder
	b.WriteString("settings:\n")
	if settings == "" {
		settings = "  target_max_per_hour: 1000\n  delivery:\n    backoff_initial: 50ms\n    backoff_max: 200ms\n    timeout: 5s\n"
	}
	b.WriteString(settings)
	b.WriteString(`
sources:
  intercom:
    kind: intercom
    secret_env: INTERCOM_CLIENT_SECRET
  whmcs:
    kind: whmcs
    secret_env: WHMCS_WEBHOOK_SECRET
platforms:
`)
	if intercomURL != "" {
		fmt.Fprintf(&b, "  intercom:\n    kind: intercom\n    base_url: %s\n    token_env: INTERCOM_ACCESS_TOKEN\n    api_version: \"2.14\"\n    admin_id: %q\n", intercomURL, BotAdminID)
	} else {
		b.WriteString("  intercom:\n    kind: log\n")
	}
	if whmcsURL != "" {
		fmt.Fprintf(&b, "  whmcs:\n    kind: whmcs\n    base_url: %s\n    token_env: WHMCS_API_TOKEN\n    admin_id: \"7\"\n    admin_name: Support Bot\n", whmcsURL)
	} else {
		b.WriteString("  whmcs:\n    kind: log\n")
	}
	b.WriteString("rules:\n")
	b.WriteString(rules)
	return b.String()
}

// SharedPayload reads a real captured payload from ../shared/reference,
// skipping the test when the reference data is absent.
func SharedPayload(t testing.TB, name string) []byte {
	t.Helper()
	p := filepath.Join(moduleRoot(), "..", "shared", "reference", "intercom", "webhooks", name)
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		t.Skipf("reference payload %s is not here (../shared is absent)", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}
