package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReloadRefusesOversizedRulesFile replaces the rules file of the real
// binary with a valid file padded past the 4 MiB cap that start-up
// applies, and sends SIGHUP: the reload must fail with the cap named, and
// the running rules must stay.
func TestReloadRefusesOversizedRulesFile(t *testing.T) {
	greet := "  - name: greet\n    source: intercom\n    when: topic == \"conversation.user.created\"\n    reply: {as: note, body: hi}\n"
	bot := Start(t, Config{Rules: RulesFile("", "", "", greet)})
	logsOnFailure(t, bot)
	big := RulesFile("", "", "", greet+"  - name: added\n    when: \"false\"\n    reply: {as: note, body: x}\n") +
		"# " + strings.Repeat("x", 4<<20) + "\n"
	bot.ReplaceRules(t, big)
	WaitFor(t, 20*time.Second, "the reload to finish", func() bool {
		l := bot.Logs()
		return strings.Contains(l, `"msg":"reload failed`) || strings.Contains(l, `"msg":"rules reloaded"`)
	})
	if !strings.Contains(bot.Logs(), "larger than 4194304 bytes") {
		t.Errorf("a rules file over 4 MiB was not refused on reload:\n%s", bot.Logs())
	}
	if got := bot.Metric("autoresponder_config_rules_loaded"); got != 1 {
		t.Errorf("rules_loaded = %v after the refused reload, want the running 1", got)
	}
}

// TestWatcherReloadsRotatedSecretFile rotates a source's secret_file while
// the real binary watches its rules file: by rewriting the file in place,
// and the way Kubernetes rotates a mounted secret (a new directory, and
// the ..data symlink swapped to it). Both times the new secret must take
// over without a restart or SIGHUP.
func TestWatcherReloadsRotatedSecretFile(t *testing.T) {
	// write creates path (and its directory) with content.
	write := func(t *testing.T, path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	symlink := func(t *testing.T, target, link string) {
		t.Helper()
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		setup  func(t *testing.T, dir, secret string) // lays out secrets/secret
		rotate func(t *testing.T, dir, secret string)
	}{
		{"rewritten in place",
			func(t *testing.T, dir, secret string) { write(t, filepath.Join(dir, "secrets", "secret"), secret+"\n") },
			func(t *testing.T, dir, secret string) { write(t, filepath.Join(dir, "secrets", "secret"), secret+"\n") }},
		{"kubernetes symlink swap",
			func(t *testing.T, dir, secret string) {
				s := filepath.Join(dir, "secrets")
				write(t, filepath.Join(s, "..2026_11_30_a", "secret"), secret)
				symlink(t, "..2026_11_30_a", filepath.Join(s, "..data"))
				symlink(t, filepath.Join("..data", "secret"), filepath.Join(s, "secret"))
			},
			func(t *testing.T, dir, secret string) {
				s := filepath.Join(dir, "secrets")
				write(t, filepath.Join(s, "..2026_11_30_b", "secret"), secret)
				symlink(t, "..2026_11_30_b", filepath.Join(s, "..data_tmp"))
				if err := os.Rename(filepath.Join(s, "..data_tmp"), filepath.Join(s, "..data")); err != nil {
					t.Fatal(err)
				}
				if err := os.RemoveAll(filepath.Join(s, "..2026_11_30_a")); err != nil {
					t.Fatal(err)
				}
			}},
	}
	greet := "  - name: greet\n    source: intercom\n    when: topic == \"conversation.user.created\"\n    reply: {as: note, body: hi}\n"
	rules := strings.Replace(RulesFile("", "", "", greet), "secret_env: INTERCOM_CLIENT_SECRET", "secret_file: secrets/secret", 1)
	body := []byte(`{"type": "notification_event", "id": "notif_ping", "topic": "ping", "created_at": 1767780000, "data": {"item": {"type": "ping", "message": "hi"}}}`)
	postWith := func(b *Bot, secret string) int {
		code, _ := b.PostSigned("intercom", body, signatureHeader("intercom"), signature("intercom", []byte(secret), body))
		return code
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(t, dir, "old-secret")
			bot := Start(t, Config{Dir: dir, Rules: rules, Args: []string{"--watch-interval", "50ms"}})
			logsOnFailure(t, bot)
			if code := postWith(bot, "old-secret"); code != http.StatusOK {
				t.Fatalf("signed with the secret file's secret: %d, want 200", code)
			}
			c.rotate(t, dir, "new-secret")
			WaitFor(t, 20*time.Second, "the rotated secret to be accepted", func() bool {
				return postWith(bot, "new-secret") == http.StatusOK
			})
			if code := postWith(bot, "old-secret"); code != http.StatusUnauthorized {
				t.Errorf("signed with the old secret after rotation: %d, want 401", code)
			}
		})
	}
}
