package e2e

import (
	"strings"
	"testing"
)

// TestMissingSettingsReportedTogether starts the real binary with none of
// the four secrets its rules file names: it must refuse to start and name
// every missing variable in one go, in a stable (sorted) order, so that
// one restart fixes them all.
func TestMissingSettingsReportedTogether(t *testing.T) {
	f := newFakes(t)
	rules := f.rules("", rulesYAML(rule{name: "greet", source: "intercom", target: "1", reply: "as: note\nbody: hi"}))
	want := []string{ // sorted: platforms before sources, then by name
		"platform intercom: token: environment variable INTERCOM_ACCESS_TOKEN is not set",
		"platform whmcs: token: environment variable WHMCS_API_TOKEN is not set",
		"source intercom: environment variable INTERCOM_CLIENT_SECRET is not set",
		"source whmcs: environment variable WHMCS_WEBHOOK_SECRET is not set",
	}
	// Map order is random: several starts show the order is not.
	for range 3 {
		b, err := StartErr(t, Config{Rules: rules, Env: map[string]string{
			"INTERCOM_CLIENT_SECRET": "", "WHMCS_WEBHOOK_SECRET": "", "INTERCOM_ACCESS_TOKEN": "", "WHMCS_API_TOKEN": "",
		}})
		if err == nil {
			b.Kill()
			t.Fatal("the bot started without any of its secrets")
		}
		logs := b.Logs()
		last := -1
		for _, w := range want {
			i := strings.Index(logs, w)
			if i < 0 {
				t.Fatalf("the startup error does not say %q:\n%s", w, logs)
			}
			if i < last {
				t.Fatalf("missing settings are not reported in sorted order (%q comes too early):\n%s", w, logs)
			}
			last = i
		}
	}
}
