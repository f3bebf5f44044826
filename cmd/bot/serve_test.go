package main

import (
	"context"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/all"
)

// TestRelayReloadsStopsWithContext checks that the goroutine turning SIGHUP
// into reloads coalesces a burst into one reload and ends when serve's
// context does, instead of living on after serve returns.
func TestRelayReloadsStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	reload := make(chan struct{}, 1)
	done := relayReloads(ctx, sigs, reload)
	sigs <- syscall.SIGHUP
	sigs <- syscall.SIGHUP
	select {
	case <-reload:
	case <-time.After(10 * time.Second):
		t.Fatal("SIGHUP did not ask for a reload")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the SIGHUP goroutine is still running after serve's context ended")
	}
}

// TestServeReportsEveryBadVariable gives serve three unreadable variables:
// all three are named in one error, in a stable order.
func TestServeReportsEveryBadVariable(t *testing.T) {
	env := map[string]string{"BOT_WORKERS": "many", "BOT_JOB_TIMEOUT": "soon", "BOT_DRAIN_DELAY": "later"}
	_, err := serveOptions(all.Registry(), nil, func(k string) string { return env[k] }, io.Discard)
	if err == nil {
		t.Fatal("serve accepted unreadable variables")
	}
	msg := err.Error()
	last := -1
	for _, name := range []string{"BOT_DRAIN_DELAY", "BOT_JOB_TIMEOUT", "BOT_WORKERS"} {
		i := strings.Index(msg, name)
		if i < 0 || i < last {
			t.Errorf("error does not name %s (in order):\n%s", name, msg)
		}
		last = i
	}
}
