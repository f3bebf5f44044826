package notify

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/supportops/autoresponder/internal/platform/platformtest"
	"github.com/supportops/autoresponder/internal/replier"
)

func TestBlockedKind(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" is allowed
	}{
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.254", "private"},
		{"192.168.1.1", "private"},
		{"100.64.0.1", "private"},
		{"fd00::1", "private"},
		{"::ffff:10.0.0.1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"255.255.255.255", "multicast"},
		{"ff02::1", "multicast"},
		{"8.8.8.8", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"2001:4860:4860::8888", ""},
		{"::ffff:8.8.8.8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := blockedKind(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Fatalf("blockedKind(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

// Without AllowPrivate a literal address the guard would refuse, or plain
// http, is refused when the notifier is built, with a clear message.
func TestLiteralHostsRefusedUpFront(t *testing.T) {
	tests := []struct {
		url  string
		want string
	}{
		{"https://127.0.0.1/hook", "refusing to send to loopback address 127.0.0.1"},
		{"https://[::1]:8443/hook", "refusing to send to loopback address ::1"},
		{"https://[::ffff:127.0.0.1]/hook", "refusing to send to loopback address 127.0.0.1"},
		{"https://10.0.0.5/hook", "refusing to send to private address 10.0.0.5"},
		{"https://192.168.0.10:9000/hook", "refusing to send to private address 192.168.0.10"},
		{"https://169.254.169.254/latest/meta-data", "refusing to send to link-local address 169.254.169.254"},
		{"https://0.0.0.0/hook", "refusing to send to unspecified address 0.0.0.0"},
		{"https://[ff02::1]/hook", "refusing to send to multicast address ff02::1"},
		{"http://hooks.example.com/hook", "scheme must be https"},
		{"ftp://hooks.example.com/hook", "scheme must be https"},
		{"https:///hook", "no host"},
		{"https://user:pw@hooks.example.com/hook", "must not contain credentials"},
		{"https://hooks.example.com/hook#frag", "must not have a fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := NewWebhook(WebhookConfig{Name: "crm", URL: tt.url, Secret: "s3cret-value"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewWebhook(%s) = %v, want an error containing %q", tt.url, err, tt.want)
			}
			_, err = NewSlack(SlackConfig{Name: "ops", URL: tt.url})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewSlack(%s) = %v, want an error containing %q", tt.url, err, tt.want)
			}
			if strings.Contains(err.Error(), "/hook") || strings.Contains(err.Error(), "meta-data") {
				t.Fatalf("NewSlack quoted the secret URL: %v", err)
			}
		})
	}
	// The same URLs are fine once private addresses are allowed.
	for _, raw := range []string{"http://127.0.0.1:8080/hook", "https://10.0.0.5/hook", "http://[::1]/hook"} {
		if _, err := NewWebhook(WebhookConfig{Name: "crm", URL: raw, Secret: "s3cret-value", Options: Options{AllowPrivate: true}}); err != nil {
			t.Errorf("AllowPrivate: NewWebhook(%s) = %v", raw, err)
		}
	}
}

// countingListener is a loopback TCP listener that only counts the
// connections it accepts: it proves whether a dial happened at all.
func countingListener(t *testing.T, network, addr string) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort().String(), &n
}

// A host name is judged on the address it resolves to, when dialling:
// "localhost" passes the up-front check and is refused at connect time,
// before a single TCP connection is made.
func TestHostResolvingToLoopbackRefusedAtDial(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			listen := "127.0.0.1:0"
			if network == "tcp6" {
				listen = "[::1]:0"
			}
			addr, accepted := countingListener(t, network, listen)
			port := addr[strings.LastIndex(addr, ":")+1:]
			hook := "https://localhost:" + port + "/services/T0/B0/secret-token-abcdef"

			w, err := NewWebhook(WebhookConfig{Name: "crm", URL: hook, Secret: "s3cret-value"})
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSlack(SlackConfig{Name: "ops", URL: hook})
			if err != nil {
				t.Fatal(err)
			}
			for name, n := range map[string]Notifier{"webhook": w, "slack": s} {
				err := n.Notify(context.Background(), Notification{ID: "1", Text: "hi"})
				e := platformtest.WantError(t, err, replier.ReasonInvalidRequest, false)
				if !strings.Contains(e.Message, "refusing to send to loopback address") {
					t.Errorf("%s: message %q does not name the refusal", name, e.Message)
				}
				if strings.Contains(e.Message, "secret-token") {
					t.Errorf("%s: message %q leaks the URL", name, e.Message)
				}
			}
			if got := accepted.Load(); got != 0 {
				t.Fatalf("the guard let %d connections through to %s", got, addr)
			}
		})
	}
}

// The same name is dialled once AllowPrivate is on: the refusal above is
// the guard's doing, not an unreachable listener.
func TestAllowPrivateDialsLoopback(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	w, err := NewWebhook(WebhookConfig{Name: "crm", URL: "http://localhost:" + port + "/hook", Secret: "s3cret-value", Options: Options{AllowPrivate: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Notify(context.Background(), Notification{ID: "1", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 {
		t.Fatalf("receiver saw %d requests, want 1", hits.Load())
	}
}

// A redirect is answered as a permanent client error and never followed,
// so it cannot lead the request to another address.
func TestRedirectsNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/admin", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()

	opt := Options{AllowPrivate: true}
	w, err := NewWebhook(WebhookConfig{Name: "crm", URL: redirector.URL + "/hook", Secret: "s3cret-value", Options: opt})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSlack(SlackConfig{Name: "ops", URL: redirector.URL + "/services/T0/B0/secret-token-abcdef", Options: opt})
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range map[string]Notifier{"webhook": w, "slack": s} {
		e := platformtest.WantError(t, n.Notify(context.Background(), Notification{ID: "1", Text: "hi"}), replier.ReasonClientError, false)
		if e.Status != http.StatusTemporaryRedirect {
			t.Errorf("%s: status %d, want 307", name, e.Status)
		}
	}
	if elsewhere.Load() != 0 {
		t.Fatalf("a redirect was followed %d times", elsewhere.Load())
	}
}
