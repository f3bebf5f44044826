package e2e

import (
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportops/autoresponder/internal/platform/platformfake"
	"github.com/supportops/autoresponder/internal/platform/whmcs/whmcsfake"
)

// TestRestartDeliversQueuedJobs: replies queued while the platforms are
// down survive a crash (SIGKILL) and go out exactly once after the bot
// comes back on the same data directory. Intercom is down hard (nothing
// listens: connection refused); WHMCS answers 503, and one of its requests
// is in flight, held by the platform, when the bot dies.
func TestRestartDeliversQueuedJobs(t *testing.T) {
	f := newFakes(t)

	// The Intercom address: free now, served later by a proxy to the fake.
	icAddr := freeAddr(t)

	var down atomic.Bool
	down.Store(true)
	inFlight := make(chan struct{}, 1)
	f.wh.SetHook(func(rec platformfake.Recorded) *platformfake.Response {
		if !down.Load() {
			return nil
		}
		r := whmcsfake.Error(http.StatusServiceUnavailable, "Down for maintenance")
		if rec.TargetID == "5913" {
			// Held until the bot gives up on it or dies.
			r.Delay = time.Minute
			select {
			case inFlight <- struct{}{}:
			default:
			}
		}
		return &r
	})

	settings := "  target_max_per_hour: 1000\n  delivery:\n    max_attempts: 100\n    backoff_initial: 100ms\n    backoff_max: 300ms\n    timeout: 10s\n"
	rs := rulesYAML(
		rule{name: "restart-intercom", source: "intercom", when: `target.id startsWith "72000000"`, reply: "as: comment\nbody: \"<p>Back online: {{ target.id }}</p>\""},
		rule{name: "restart-whmcs", source: "whmcs", when: `target.id startsWith "591"`, reply: "as: note\nbody: \"Back online: {{ target.id }}\""},
	)
	bot := Start(t, Config{Rules: RulesFile("http://"+icAddr, f.wh.URL(), settings, rs)})
	logsOnFailure(t, bot)

	icTargets := []string{"7200000001", "7200000002", "7200000003"}
	whTargets := []string{"5911", "5912", "5913"}
	for _, target := range icTargets {
		post(t, bot, "intercom", "intercom", conversationEvent(t, "notif_e2e-restart-"+target, target), "accepted")
	}
	for _, target := range whTargets {
		post(t, bot, "whmcs", "whmcs", whmcsOpenEvent(t, "TicketOpen-e2e-restart-"+target, target), "accepted")
	}

	// Every job has been tried and failed at least once...
	WaitFor(t, 20*time.Second, "failed attempts on both platforms", func() bool {
		return bot.counter(`autoresponder_reply_total{outcome="retried",platform="intercom",rule="restart-intercom"}`) >= 3 &&
			len(f.to("5911")) > 0 && len(f.to("5912")) > 0
	})
	// ...and one WHMCS request is being held by the platform.
	select {
	case <-inFlight:
	case <-time.After(20 * time.Second):
		t.Fatal("the held WHMCS request never arrived")
	}
	bot.Kill()
	if f.accepted("5911")+f.accepted("5912")+f.accepted("5913") != 0 {
		t.Fatal("a reply was accepted while the platform was down")
	}

	// The platforms come back.
	startProxy(t, icAddr, f.ic.URL())
	down.Store(false)
	bot = bot.Restart(t)
	logsOnFailure(t, bot)

	all := append(append([]string(nil), icTargets...), whTargets...)
	WaitFor(t, 30*time.Second, "every reply after the restart", func() bool {
		for _, target := range all {
			if f.accepted(target) == 0 {
				return false
			}
		}
		return true
	})
	waitIdle(t, bot)
	// The held request's job was running when the bot died: the restart
	// must have put it back in the queue (else 5913 never gets its reply).
	if !strings.Contains(bot.Logs(), "requeued deliveries interrupted by the previous shutdown") {
		t.Errorf("the restarted bot did not report requeuing the interrupted delivery")
	}
	for _, target := range all {
		if n := f.accepted(target); n != 1 {
			t.Errorf("%d replies accepted for %s; want exactly 1", n, target)
		}
	}
	for _, target := range icTargets {
		// Refused connections never reached the fake: one request each.
		if n := len(f.to(target)); n != 1 {
			t.Errorf("%d requests to intercom for %s; want 1", n, target)
		}
	}
	for _, target := range icTargets {
		checkSentOnce(t, bot, "notif_e2e-restart-"+target)
	}
	for _, target := range whTargets {
		checkSentOnce(t, bot, "TicketOpen-e2e-restart-"+target)
	}
	if d := deadLetters(t, bot, ""); len(d) != 0 {
		t.Errorf("dead letters after the restart: %+v", d)
	}
}

func checkSentOnce(t *testing.T, bot *Bot, eventID string) {
	t.Helper()
	h := history(t, bot, "event_id="+eventID)
	if len(h) != 1 || h[0].Outcome != "sent" {
		t.Errorf("history of %s = %+v; want one sent record", eventID, h)
	}
}

// freeAddr returns a loopback address nothing listens on (for now).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// startProxy serves addr by forwarding to target (a fake's URL), so a
// platform can come up at an address the bot was already configured with.
func startProxy(t *testing.T, addr, target string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s for the platform: %v", addr, err)
	}
	srv := &http.Server{Handler: httputil.NewSingleHostReverseProxy(u), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("platform proxy: %v", err)
		}
	}()
	t.Cleanup(func() { _ = srv.Close() })
}
