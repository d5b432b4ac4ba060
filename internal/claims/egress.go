package claims

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// egress decides which destinations fetch may reach. The authoritative check
// is on the address actually dialed (after DNS resolution, for every address
// tried and every redirect), so neither DNS rebinding nor a redirect can
// reach an internal address.
type egress struct {
	hosts    map[string]bool // exact host names, lower case
	suffixes []string        // ".example.com" for "*.example.com"
	nets     []netip.Prefix
}

func newEgress(p Policy) *egress {
	e := &egress{hosts: make(map[string]bool)}
	for _, h := range p.AllowHosts {
		h = normalizeHost(h)
		if rest, ok := strings.CutPrefix(h, "*."); ok {
			e.suffixes = append(e.suffixes, "."+rest)
		} else if h != "" {
			e.hosts[h] = true
		}
	}
	for _, n := range p.AllowNetworks {
		if n.Addr().Is4In6() && n.Bits() >= 96 {
			n = netip.PrefixFrom(n.Addr().Unmap(), n.Bits()-96)
		}
		e.nets = append(e.nets, n.Masked())
	}
	return e
}

func normalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(h, ".")
}

// hostAllowed reports whether host is on the allow-list by name.
func (e *egress) hostAllowed(host string) bool {
	h := normalizeHost(host)
	if e.hosts[h] {
		return true
	}
	for _, s := range e.suffixes {
		if strings.HasSuffix(h, s) {
			return true
		}
	}
	return false
}

// addrAllowed reports whether a dialed address is reachable.
func (e *egress) addrAllowed(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, n := range e.nets {
		if n.Contains(a) {
			return true
		}
	}
	return publicAddr(a)
}

var (
	deniedPrefixes = mustPrefixes(
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/96", "::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32",
		"fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	)
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

func mustPrefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// publicAddr reports whether a is a public unicast address. Loopback,
// private, link-local (cloud metadata), CGNAT, unspecified, multicast,
// reserved and documentation ranges are not; IPv6 forms embedding an IPv4
// address are judged by that address (NAT64, 6to4, IPv4-mapped), except
// IPv4-compatible and IPv4-translated (RFC 2765) ones, which are refused.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range deniedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return publicAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return publicAddr(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return true
}

// deniedError is a destination refused by the egress policy.
type deniedError struct{ dest string }

func (e *deniedError) Error() string {
	return fmt.Sprintf("destination %s is not allowed by the egress policy", e.dest)
}

// control runs after DNS resolution, before each connect.
func (e *egress) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !e.addrAllowed(ap.Addr()) {
		return &deniedError{dest: address}
	}
	return nil
}

// checkURL rejects early what can be judged without dialing.
func (e *egress) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("only http and https URLs can be fetched, not %q", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("URL has no host")
	}
	if u.User != nil {
		return errors.New("URL must not include credentials")
	}
	if e.hostAllowed(host) {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil && !e.addrAllowed(a) {
		return &deniedError{dest: u.Host}
	}
	return nil
}

func (e *egress) dialContext(guarded, open *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		switch network {
		case "tcp", "tcp4", "tcp6":
		default:
			return nil, fmt.Errorf("network %q not allowed", network)
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if e.hostAllowed(host) {
			return open.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
}

type redirectModeKey struct{}

// newHTTPClient returns the client of fetch: no proxy from the environment,
// dials checked by the policy, redirects bounded and checked too.
func newHTTPClient(e *egress, maxRedirects int) (*http.Client, *http.Transport) {
	guarded := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: e.control}
	open := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                  nil,
		DialContext:            e.dialContext(guarded, open),
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    5 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	c := &http.Client{
		Transport: t,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			switch req.Context().Value(redirectModeKey{}) {
			case "manual":
				return http.ErrUseLastResponse
			case "error":
				return errors.New("redirect not allowed (redirect mode is 'error')")
			}
			if len(via) > maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return e.checkURL(req.URL)
		},
	}
	return c, t
}
