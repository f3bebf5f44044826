package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// proc is a server process under test: the bot or the baseline.
type proc struct {
	name    string
	url     string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	exit    error
}

// procSpec says how to start one.
type procSpec struct {
	name    string
	bin     string
	args    []string // the listen address is appended as --listen
	env     []string // added to the filtered environment
	logPath string
}

// freePort asks the kernel for an unused loopback port. Another process
// could take it before the server binds it; start retries once.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// childEnv is this process's environment without BOT_* variables: a
// BOT_DATABASE_URL or BOT_RULES of the user's shell must not change what
// is measured.
func childEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BOT_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startProc starts the server and waits until GET /readyz answers 200. It
// returns the time from exec to ready.
func startProc(ctx context.Context, s procSpec) (*proc, time.Duration, error) {
	var lastErr error
	for range 2 {
		p, ready, err := startOnce(ctx, s)
		if err == nil {
			return p, ready, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, 0, lastErr
}

func startOnce(ctx context.Context, s procSpec) (*proc, time.Duration, error) {
	addr, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(s.bin, append(append([]string(nil), s.args...), "--listen", addr)...)
	cmd.Env = childEnv(s.env)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = filepath.Dir(s.logPath)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, 0, fmt.Errorf("start %s: %w", s.name, err)
	}
	p := &proc{name: s.name, url: "http://" + addr, cmd: cmd, logPath: s.logPath, done: make(chan struct{})}
	go func() {
		p.exit = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := client.Get(p.url + "/readyz"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, time.Since(start), nil
			}
		}
		select {
		case <-p.done:
			return nil, 0, fmt.Errorf("%s exited before it was ready (%v):\n%s", s.name, p.exit, logTail(s.logPath))
		case <-ctx.Done():
			p.kill()
			return nil, 0, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.kill()
			return nil, 0, fmt.Errorf("%s not ready after 60s:\n%s", s.name, logTail(s.logPath))
		}
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop asks the process to finish (SIGTERM) and kills it after grace.
func (p *proc) stop(grace time.Duration) error {
	select {
	case <-p.done:
		return p.exit
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		var ee *exec.ExitError
		if errors.As(p.exit, &ee) {
			return fmt.Errorf("%s exited with %v:\n%s", p.name, p.exit, logTail(p.logPath))
		}
		return nil
	case <-time.After(grace):
		p.kill()
		return fmt.Errorf("%s did not stop within %s; killed", p.name, grace)
	}
}

func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// exited reports whether the process has ended, with its log tail.
func (p *proc) exited() (bool, string) {
	select {
	case <-p.done:
		return true, fmt.Sprintf("%s exited (%v):\n%s", p.name, p.exit, logTail(p.logPath))
	default:
		return false, ""
	}
}

// logTail is the end of a log file, for error messages.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// buildBot builds cmd/bot into dir. It needs the module's source: run
// loadgen from the repository, or pass --bot.
func buildBot(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "bot")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/supportops/autoresponder/cmd/bot")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build cmd/bot (run loadgen from the repository, or pass --bot): %v\n%s", err, out)
	}
	return bin, nil
}
