package notify

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// BlockedAddressError is an address the bot refuses to send to without
// AllowPrivate: a notifier URL must not become a way to reach the bot's
// own host or network (cloud metadata at 169.254.169.254, an admin port on
// localhost).
type BlockedAddressError struct {
	Addr netip.Addr
	Kind string // "loopback", "private", ...
}

func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("refusing to send to %s address %s (set allow_private: true to allow it)", e.Kind, e.Addr)
}

var (
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT, RFC 6598
	thisNetwork        = netip.MustParsePrefix("0.0.0.0/8")     // RFC 1122
	limitedBroadcast   = netip.MustParseAddr("255.255.255.255")
)

// blockedKind says why ip may not be dialled without AllowPrivate, or ""
// when it may. An IPv4-mapped IPv6 address is judged as the IPv4 address
// it carries.
func blockedKind(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsUnspecified(), thisNetwork.Contains(ip):
		return "unspecified"
	case ip.IsPrivate(), sharedAddressSpace.Contains(ip):
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsMulticast(), ip == limitedBroadcast:
		return "multicast"
	}
	return ""
}

// checkLiteralHost refuses a URL host that is itself a refused address,
// so that the mistake shows when the rules file loads. Host names are
// judged at dial time, on the address they resolve to.
func checkLiteralHost(host string) error {
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return nil // a name, not a literal
	}
	if kind := blockedKind(ip); kind != "" {
		return &BlockedAddressError{Addr: ip.Unmap(), Kind: kind}
	}
	return nil
}

// guardControl runs after DNS resolution, on the address about to be
// connected: this is what defeats DNS rebinding (a name that resolved to a
// public address when checked and to 127.0.0.1 when used). Redirects are
// never followed (httpapi), so no other address is ever dialled.
func guardControl(ctx context.Context, network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing to dial %s %q: not an IP address and port", network, address)
	}
	if kind := blockedKind(ap.Addr()); kind != "" {
		err := &BlockedAddressError{Addr: ap.Addr().Unmap(), Kind: kind}
		if r, ok := ctx.Value(refusalsKey{}).(*refusals); ok {
			r.add(err)
		}
		return err
	}
	return nil
}

// newHTTPClient is the notifiers' client. It never uses a proxy from the
// environment: the guard would judge the proxy's address, not the
// receiver's.
func newHTTPClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.ControlContext = guardControl
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}

// refusals records what the guard refused while one request was being
// sent, since httpapi reports a failed dial as text only.
type refusals struct {
	mu   sync.Mutex
	errs []error
}

type refusalsKey struct{}

func withRefusals(ctx context.Context) (context.Context, *refusals) {
	r := &refusals{}
	return context.WithValue(ctx, refusalsKey{}, r), r
}

func (r *refusals) add(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) < 8 { // one per resolved address; bounded anyway
		r.errs = append(r.errs, err)
	}
}

func (r *refusals) first() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) == 0 {
		return nil
	}
	return r.errs[0]
}
