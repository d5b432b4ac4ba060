package ratelimit

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP finds the address of the client behind a request, trusting
// X-Forwarded-For only as far as it was written by trusted proxies.
type ClientIP struct {
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed. Empty: the header is ignored.
	TrustedProxies []netip.Prefix
}

// From returns the client's address: the immediate peer, unless the peer is a
// trusted proxy; then X-Forwarded-For is read from the right, past the
// addresses of trusted proxies, and the first other address is the client.
// Entries to the left of it were written by the client and are ignored. When
// every entry is a trusted proxy, the leftmost is the client. A malformed
// entry met on the way makes From fall back to the peer. IPv4-mapped IPv6
// addresses are returned as IPv4. The result is invalid (the zero Addr) only
// when RemoteAddr is not an address, as on a Unix socket.
func (c ClientIP) From(r *http.Request) netip.Addr {
	peer := parseHostPort(r.RemoteAddr)
	if !peer.IsValid() || !c.trusted(peer) {
		return peer
	}
	values := r.Header.Values("X-Forwarded-For")
	if len(values) == 0 {
		return peer
	}
	var last netip.Addr
	// Proxies append, to the last header line or as a new one: the
	// nearest hop is at the end of the last line.
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for {
			entry := v
			j := strings.LastIndexByte(v, ',')
			if j >= 0 {
				entry = v[j+1:]
			}
			a := parseForwarded(strings.TrimSpace(entry))
			if !a.IsValid() {
				return peer
			}
			if !c.trusted(a) {
				return a
			}
			last = a
			if j < 0 {
				break
			}
			v = v[:j]
		}
	}
	return last
}

func (c ClientIP) trusted(a netip.Addr) bool {
	for _, p := range c.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHostPort reads a RemoteAddr, "host:port" or a bare address.
func parseHostPort(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normalize(ap.Addr())
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return normalize(a)
	}
	return netip.Addr{}
}

// parseForwarded reads one X-Forwarded-For entry: an address, possibly with a
// port as some proxies add ("192.0.2.1:5678", "[2001:db8::1]:5678").
func parseForwarded(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return normalize(a)
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normalize(ap.Addr())
	}
	return netip.Addr{}
}

// normalize unmaps IPv4-mapped addresses and drops zones, which would keep
// prefixes from matching.
func normalize(a netip.Addr) netip.Addr {
	return a.Unmap().WithZone("")
}

// ParsePrefixes parses a list of CIDR prefixes and single addresses separated
// by commas or spaces, such as "10.0.0.0/8, 127.0.0.1 ::1". A single address
// is a prefix of its full length. An empty list gives nil.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	var out []netip.Prefix
	for _, f := range fields {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not a network such as 10.0.0.0/8", f)
			}
			if p.Addr().Is4In6() {
				// ::ffff:10.0.0.0/104 means 10.0.0.0/8, which is
				// what addresses are compared against.
				if p.Bits() < 96 {
					return nil, fmt.Errorf("%q is an IPv4-mapped network shorter than /96", f)
				}
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or a network such as 10.0.0.0/8", f)
		}
		a = normalize(a)
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// AddrKey returns the bucket key for a client address: the address itself for
// IPv4, its /64 network for IPv6, as one IPv6 client commonly holds a whole
// /64 and could otherwise rotate addresses to get fresh buckets. The zero
// Addr gives "invalid IP", one bucket for every such request.
func AddrKey(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.Unmap().String()
}
