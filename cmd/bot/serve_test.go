package main

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
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
