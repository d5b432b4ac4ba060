// Package egress decides which network destinations the server may reach
// on behalf of something configurable by an administrator: custom claims
// scripts' fetch and webhook deliveries. By default only public unicast
// addresses are reachable, over http and https, without any proxy.
//
// The authoritative check is on the address actually dialed (after DNS
// resolution, for every address tried and every redirect), so neither DNS
// rebinding nor a redirect can reach an internal address.
package egress

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

// Policy says what is reachable beyond public unicast addresses.
type Policy struct {
	// AllowHosts are host names (or IP literals) reachable whatever address
	// they resolve to, for on-premises APIs. A leading "*." matches any
	// subdomain. Matching is case-insensitive and on the URL's host only.
	AllowHosts []string
	// AllowNetworks are address ranges reachable although not public.
	AllowNetworks []netip.Prefix
	// MaxRedirects is the number of redirects followed; zero follows none.
	MaxRedirects int
}

// ParseAllow reads an allow-list setting: comma-separated host names (a
// leading "*." matches subdomains), IP addresses and CIDR networks. what
// names the setting in errors.
func ParseAllow(what, v string) (Policy, error) {
	var p Policy
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
		case strings.Contains(item, "/"):
			prefix, err := netip.ParsePrefix(item)
			if err != nil {
				return p, fmt.Errorf("%s: %q is not a network", what, item)
			}
			p.AllowNetworks = append(p.AllowNetworks, prefix.Masked())
		default:
			if addr, err := netip.ParseAddr(item); err == nil {
				p.AllowNetworks = append(p.AllowNetworks, netip.PrefixFrom(addr, addr.BitLen()))
				continue
			}
			p.AllowHosts = append(p.AllowHosts, item)
		}
	}
	return p, nil
}

// Guard applies a Policy.
type Guard struct {
	hosts    map[string]bool // exact host names, lower case
	suffixes []string        // ".example.com" for "*.example.com"
	nets     []netip.Prefix
}

// New returns the Guard of p.
func New(p Policy) *Guard {
	e := &Guard{hosts: make(map[string]bool)}
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

// HostAllowed reports whether host is on the allow-list by name.
func (e *Guard) HostAllowed(host string) bool {
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

// AddrAllowed reports whether a dialed address is reachable.
func (e *Guard) AddrAllowed(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, n := range e.nets {
		if n.Contains(a) {
			return true
		}
	}
	return Public(a)
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

// Public reports whether a is a public unicast address. Loopback,
// private, link-local (cloud metadata), CGNAT, unspecified, multicast,
// reserved and documentation ranges are not; IPv6 forms embedding an IPv4
// address are judged by that address (NAT64, 6to4, IPv4-mapped), except
// IPv4-compatible and IPv4-translated (RFC 2765) ones, which are refused.
func Public(a netip.Addr) bool {
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
			return Public(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return Public(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return true
}

// DeniedError is a destination refused by the egress policy.
type DeniedError struct{ dest string }

func (e *DeniedError) Error() string {
	return fmt.Sprintf("destination %s is not allowed by the egress policy", e.dest)
}

// control runs after DNS resolution, before each connect.
func (e *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !e.AddrAllowed(ap.Addr()) {
		return &DeniedError{dest: address}
	}
	return nil
}

// CheckURL rejects early what can be judged without dialing: a scheme other
// than http or https, a missing host, credentials in the URL, or an IP
// literal the policy refuses.
func (e *Guard) CheckURL(u *url.URL) error {
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
	if e.HostAllowed(host) {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil && !e.AddrAllowed(a) {
		return &DeniedError{dest: u.Host}
	}
	return nil
}

func (e *Guard) dialContext(guarded, open *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
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
		if e.HostAllowed(host) {
			return open.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
}

// DialContext returns a dial function checked by the policy like the
// Transport's, for clients of other protocols (SMTP).
func (e *Guard) DialContext() func(ctx context.Context, network, addr string) (net.Conn, error) {
	guarded := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: e.control}
	open := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return e.dialContext(guarded, open)
}

// Transport returns an HTTP transport whose every dial is checked by the
// policy: no proxy from the environment, bounded handshakes and headers.
func (e *Guard) Transport() *http.Transport {
	guarded := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: e.control}
	open := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
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
}
