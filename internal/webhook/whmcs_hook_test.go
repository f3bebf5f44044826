package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/supportops/autoresponder/internal/event"
	"github.com/supportops/autoresponder/internal/metrics"
	"github.com/supportops/autoresponder/internal/platform/whmcs"
)

// selftestCommand returns the command line that runs the WHMCS hook file's
// self-test, or skips when php (with curl) or the file is not there.
func selftestCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php not installed")
	}
	if exec.Command(php, "-r", `exit(function_exists("curl_init") ? 0 : 1);`).Run() != nil {
		t.Skip("php has no curl extension")
	}
	script := filepath.Join("..", "..", "integrations", "whmcs", "selftest.php")
	if _, err := os.Stat(script); err != nil {
		t.Skipf("no hook self-test: %v", err)
	}
	return exec.Command(php, append([]string{script}, args...)...)
}

// flakyDispatcher fails its first calls, then accepts.
type flakyDispatcher struct {
	fakeDispatcher
	failures int
}

func (d *flakyDispatcher) Dispatch(ctx context.Context, ev *event.Event) (Result, error) {
	d.mu.Lock()
	fail := d.failures > 0
	d.failures--
	d.mu.Unlock()
	if fail {
		d.fakeDispatcher.Dispatch(ctx, ev)
		return Result{}, errors.New("store unavailable")
	}
	return d.fakeDispatcher.Dispatch(ctx, ev)
}

func TestWHMCSHookFile(t *testing.T) {
	selftestCommand(t) // skip early when it cannot run
	d := &flakyDispatcher{}
	e := newTestEnv(t, d, 0)
	srv := httptest.NewServer(e.router)
	defer srv.Close()
	url := srv.URL + "/webhooks/whmcs"

	t.Run("every hook point", func(t *testing.T) {
		out, err := selftestCommand(t, url, string(whmcsSecret), "all").CombinedOutput()
		if err != nil {
			t.Fatalf("self-test failed: %v\n%s", err, out)
		}
		evs := d.calls()
		var topics []string
		for _, ev := range evs {
			topics = append(topics, ev.Topic)
			if ev.Target != (event.Target{Type: event.TargetTicket, ID: ev.Ticket.ID}) || ev.Target.ID == "" {
				t.Errorf("%s: target %+v", ev.Topic, ev.Target)
			}
			if time.Since(ev.OccurredAt) > time.Minute || !strings.HasPrefix(ev.ID, ev.Topic+"-") {
				t.Errorf("%s: id %q, occurred_at %v", ev.Topic, ev.ID, ev.OccurredAt)
			}
		}
		var hooks []string
		for _, tp := range plat("whmcs").Spec().Topics {
			hooks = append(hooks, tp.Name)
		}
		if !slices.Equal(topics, hooks) {
			t.Errorf("topics %q, want %q", topics, hooks)
		}
		byTopic := map[string]*event.Event{}
		for _, ev := range evs {
			byTopic[ev.Topic] = ev
		}
		if ev := byTopic[whmcs.HookTicketUserReply]; ev.ID != "TicketUserReply-501-9001" || ev.Message == nil ||
			ev.Message.Text != "Any news? Ünïcödé ✓" || ev.Message.Author != (event.Author{Type: "client", ID: "7"}) {
			t.Errorf("TicketUserReply = %+v, message %+v", ev, ev.Message)
		}
		if ev := byTopic[whmcs.HookTicketOpen]; ev.ID != "TicketOpen-501" || ev.Ticket.Number != "SLF-100501" || ev.Message.Text != "Hello,\nthis is a self-test." {
			t.Errorf("TicketOpen = %+v, ticket %+v", ev, ev.Ticket)
		}
		if got := testutil.ToFloat64(e.metrics.WebhooksTotal.WithLabelValues("whmcs", metrics.OutcomeAccepted)); got != 9 {
			t.Errorf("accepted %v, want 9", got)
		}
	})

	t.Run("retry after a 503 keeps the id", func(t *testing.T) {
		d.mu.Lock()
		d.events, d.failures = nil, 1
		d.mu.Unlock()
		out, err := selftestCommand(t, url, string(whmcsSecret), whmcs.HookTicketAddNote).CombinedOutput()
		if err != nil {
			t.Fatalf("self-test failed: %v\n%s", err, out)
		}
		evs := d.calls()
		if len(evs) != 2 || evs[0].ID != evs[1].ID || evs[0].Topic != whmcs.HookTicketAddNote {
			t.Fatalf("deliveries %+v, want two with one id", evs)
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		before := len(d.calls())
		cmd := selftestCommand(t, url, "not-the-secret", whmcs.HookTicketClose)
		out, err := cmd.CombinedOutput()
		if code := exitCode(err); code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, out)
		}
		if !strings.Contains(string(out), "HTTP 401") || strings.Contains(string(out), "not-the-secret") {
			t.Errorf("output:\n%s", out)
		}
		if len(d.calls()) != before {
			t.Error("dispatched with a bad signature")
		}
	})

	t.Run("bot down", func(t *testing.T) {
		down := httptest.NewServer(nil)
		downURL := down.URL
		down.Close()
		start := time.Now()
		out, err := selftestCommand(t, downURL+"/webhooks/whmcs", string(whmcsSecret), whmcs.HookTicketClose).CombinedOutput()
		if code := exitCode(err); code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, out)
		}
		if !strings.Contains(string(out), "logActivity: Auto-responder hook: TicketClose for ticket 501 not delivered") {
			t.Errorf("failure not logged:\n%s", out)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v; the hook's budget is 3 s", d)
		}
	})
}

func TestWHMCSHookFileTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("takes the hook's 3 s budget")
	}
	selftestCommand(t)
	release := make(chan struct{})
	var calls atomic.Int32
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	start := time.Now()
	out, err := selftestCommand(t, hang.URL+"/webhooks/whmcs", string(whmcsSecret), whmcs.HookTicketOpen).CombinedOutput()
	elapsed := time.Since(start)
	if code := exitCode(err); code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if elapsed < 2500*time.Millisecond || elapsed > 4500*time.Millisecond {
		t.Errorf("gave up after %v, want about 3 s\n%s", elapsed, out)
	}
	// The first attempt used the whole budget: no retry.
	if n := calls.Load(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
	if !strings.Contains(string(out), "not delivered") {
		t.Errorf("timeout not logged:\n%s", out)
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
