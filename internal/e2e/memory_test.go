package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// procStatusKiB reads a "Vm...:  N kB" line of /proc/<pid>/status.
func procStatusKiB(t *testing.T, pid int, field string) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		skipUnlessCI(t, "no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatalf("%s: %v", field, err)
			}
			return n
		}
	}
	t.Fatalf("%s not in /proc/%d/status", field, pid)
	return 0
}

// raiseFileLimit lifts the soft RLIMIT_NOFILE to the hard one; the test
// needs one descriptor per connection, and so does the bot (a Go binary,
// which raises its own soft limit at start).
func raiseFileLimit(t *testing.T, need uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		skipUnlessCI(t, "getrlimit: %v", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if lim.Cur < need {
		skipUnlessCI(t, "RLIMIT_NOFILE is %d, this test needs %d", lim.Cur, need)
	}
}

// TestDeclaredLengthsDoNotExhaustMemory: 3,000 connections that each send
// only headers declaring a 1 MiB body and a forged signature. The handler
// used to allocate the declared length before reading (3,000 × 1 MiB: RSS
// from 24 MiB to 3.1 GiB). Buffers now grow as bytes arrive, within the
// in-flight budget, so the peak RSS of the real binary stays low, and it
// keeps serving real deliveries meanwhile.
func TestDeclaredLengthsDoNotExhaustMemory(t *testing.T) {
	const (
		conns = 3000
		// Peak resident memory allowed with the 3,000 connections held:
		// goroutines, connection buffers and the in-flight budget's
		// default (64 MiB) are far below it; 3,000 pre-allocated bodies
		// are far above.
		boundMiB = 256
	)
	raiseFileLimit(t, 2*conns+500)
	k := newHostileKit(t, hostileRules, nil)
	k.sendValid()
	pid := k.bot.cmd.Process.Pid
	before := procStatusKiB(t, pid, "VmHWM")

	addr := strings.TrimPrefix(k.bot.URL, "http://")
	headers := "POST /webhooks/intercom HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n" +
		"X-Hub-Signature: sha1=" + strings.Repeat("0", 40) + "\r\nContent-Length: 1048576\r\n\r\n"
	var (
		mu   sync.Mutex
		open []net.Conn
		wg   sync.WaitGroup
	)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range open {
			c.Close()
		}
	})
	const dialers = 30
	errs := make(chan error, dialers)
	for range dialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range conns / dialers {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				open = append(open, c)
				mu.Unlock()
				if _, err := c.Write([]byte(headers)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("opening the connections: %v", err)
	}
	// Wait until every request is in the handler, waiting for its body
	// (a bot busy allocating may never get there: measure anyway).
	inFlight := 0.0
	for deadline := time.Now().Add(8 * time.Second); inFlight < conns && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		inFlight = k.bot.Metric("autoresponder_http_requests_in_flight")
	}
	peak := procStatusKiB(t, pid, "VmHWM")
	rss := procStatusKiB(t, pid, "VmRSS")
	t.Logf("VmHWM %d MiB before, %d MiB with %d connections declaring 1 MiB each (VmRSS %d MiB)",
		before>>10, peak>>10, conns, rss>>10)
	if peak>>10 > boundMiB {
		t.Errorf("peak RSS %d MiB with %d connections declaring 1 MiB bodies; want under %d MiB", peak>>10, conns, boundMiB)
	}
	if inFlight < conns {
		t.Fatalf("%v requests in flight after 8 s; want all %d waiting for their bodies", inFlight, conns)
	}
	// Real deliveries still go through while the connections are held.
	k.sendValid()
}
