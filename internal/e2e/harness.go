// Package e2e runs the real bot binary against strict fake platforms. The
// harness here builds the binary once per test process, starts it on a
// loopback port with a real data directory, and talks to it over HTTP like
// Intercom and WHMCS would.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/all"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/bot once and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bot-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "bot")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/supportops/autoresponder/cmd/bot")
		cmd.Dir = moduleRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Secrets used by every e2e bot.
const (
	IntercomSecret = "e2e-intercom-client-secret"
	WHMCSSecret    = "e2e-whmcs-webhook-secret"
	IntercomToken  = "e2e-intercom-access-token"
	WHMCSToken     = "e2e-whmcs-api-token"
	AdminToken     = "e2e-admin-token"
	BotAdminID     = "814860"
)

// Config describes one bot process.
type Config struct {
	// Rules is the rules file content.
	Rules string
	// Dir holds rules.yaml and the data directory; reuse it to restart on
	// the same data. Default: a new temp dir.
	Dir string
	// DatabaseURL selects PostgreSQL.
	DatabaseURL string
	// Env adds environment variables (the secrets above are always set).
	Env map[string]string
	// Args adds flags to `bot serve`.
	Args []string
}

// Bot is a running bot process.
type Bot struct {
	URL    string
	Dir    string
	cfg    Config
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
	exit   error
}

// Start writes the rules, starts the binary and waits until /readyz is OK.
func Start(t testing.TB, cfg Config) *Bot {
	t.Helper()
	b, err := StartErr(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Kill() })
	return b
}

// StartErr is Start returning the error (and the bot, for its logs) instead
// of failing the test.
func StartErr(t testing.TB, cfg Config) (*Bot, error) {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	rulesPath := filepath.Join(cfg.Dir, "rules.yaml")
	if cfg.Rules != "" {
		if err := os.WriteFile(rulesPath, []byte(cfg.Rules), 0o600); err != nil {
			return nil, err
		}
	}
	args := []string{"serve", "--rules", rulesPath, "--listen", "127.0.0.1:0",
		"--data", filepath.Join(cfg.Dir, "data"), "--watch-interval", "0"}
	if cfg.DatabaseURL != "" {
		args = append(args, "--database-url", cfg.DatabaseURL)
	}
	args = append(args, cfg.Args...)
	cmd := exec.Command(Binary(t), args...)
	cmd.Dir = cfg.Dir
	cmd.Env = append(os.Environ(),
		"INTERCOM_CLIENT_SECRET="+IntercomSecret, "WHMCS_WEBHOOK_SECRET="+WHMCSSecret,
		"INTERCOM_ACCESS_TOKEN="+IntercomToken, "WHMCS_API_TOKEN="+WHMCSToken,
		"BOT_ADMIN_TOKEN="+AdminToken, "BOT_LOG_LEVEL=debug")
	for k, v := range cfg.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	b := &Bot{Dir: cfg.Dir, cfg: cfg, cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout = b.stdout
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			b.stderr.Write([]byte(line + "\n"))
			if m := listenRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		b.exit = cmd.Wait()
		_ = pw.Close()
		// Everything the bot wrote is in Logs() once done is closed.
		<-scanned
		close(b.done)
	}()
	select {
	case a := <-addr:
		b.URL = "http://" + a
	case <-b.done:
		return b, fmt.Errorf("bot exited before serving: %v\n%s", b.exit, b.stderr.String())
	case <-time.After(60 * time.Second):
		b.Kill()
		return b, fmt.Errorf("bot did not start serving\n%s", b.stderr.String())
	}
	if err := b.waitReady(30 * time.Second); err != nil {
		b.Kill()
		return b, err
	}
	return b, nil
}

var listenRE = regexp.MustCompile(`"msg":"serving","listen":"([^"]+)"`)

func (b *Bot) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(b.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("bot not ready after %s\n%s", timeout, b.stderr.String())
}

// Kill sends SIGKILL and waits for the process to go.
func (b *Bot) Kill() {
	select {
	case <-b.done:
		return
	default:
	}
	_ = b.cmd.Process.Kill()
	<-b.done
}

// Stop sends SIGTERM and waits up to timeout; it returns the exit error
// (nil for exit 0) and how long the bot took.
func (b *Bot) Stop(timeout time.Duration) (error, time.Duration) {
	start := time.Now()
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
		return b.exit, time.Since(start)
	case <-time.After(timeout):
		b.Kill()
		return fmt.Errorf("did not exit within %s", timeout), time.Since(start)
	}
}

// Signal sends sig to the bot.
func (b *Bot) Signal(sig os.Signal) error { return b.cmd.Process.Signal(sig) }

// ReplaceRules swaps the bot's rules file for content in one rename, as
// a deployment would, and sends SIGHUP; the caller waits for the outcome
// it expects in the logs.
func (b *Bot) ReplaceRules(t testing.TB, content string) {
	t.Helper()
	path := filepath.Join(b.Dir, "rules.yaml")
	if err := os.WriteFile(path+".tmp", []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	if err := b.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}

// Restart starts a new process on the same directory and configuration.
func (b *Bot) Restart(t testing.TB) *Bot {
	t.Helper()
	b.Kill()
	cfg := b.cfg
	cfg.Rules = "" // keep the file as it is on disk
	return Start(t, cfg)
}

// Logs returns what the bot wrote to stderr (JSON lines).
func (b *Bot) Logs() string { return b.stderr.String() }

// Stdout returns what the bot wrote to stdout (the log platform's lines).
func (b *Bot) Stdout() string { return b.stdout.String() }

// Post signs body for source (kind intercom or whmcs) with the e2e secret
// and posts it. It returns the status and response body.
func (b *Bot) Post(source, kind string, body []byte) (int, string) {
	secret := IntercomSecret
	if kind == "whmcs" {
		secret = WHMCSSecret
	}
	p, ok := all.Registry().Lookup(kind)
	if !ok {
		panic("e2e: no platform " + kind)
	}
	for name, values := range p.Sign([]byte(secret), body, time.Now(), nil) {
		return b.PostSigned(source, body, name, values[0])
	}
	return b.PostSigned(source, body, "", "")
}

// PostSigned posts body with the given signature header.
func (b *Bot) PostSigned(source string, body []byte, header, signature string) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, b.URL+"/webhooks/"+source, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if header != "" {
		req.Header.Set(header, signature)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// Admin calls the admin API with the e2e token and decodes the JSON answer.
func (b *Bot) Admin(method, path string, out any) (int, error) {
	req, _ := http.NewRequest(method, b.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

// Metrics returns the /metrics text.
func (b *Bot) Metrics() string {
	resp, err := http.Get(b.URL + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return string(out)
}

// Metric returns the value of one series, e.g.
// `autoresponder_webhook_requests_total{outcome="accepted",source="intercom"}`
// (labels in the order Prometheus prints them: sorted), or -1 if absent.
func (b *Bot) Metric(series string) float64 {
	for _, line := range strings.Split(b.Metrics(), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// WaitFor polls cond until it holds or timeout passes.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

// Run runs a bot subcommand (check, explain, dlq, ...) and returns its exit
// code and combined output.
func Run(t testing.TB, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("run bot %v: %v", args, err)
	}
	return 0, string(out)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
