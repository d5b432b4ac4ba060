package egress

import (
	"net/netip"
	"net/url"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	tests := map[string]bool{
		"8.8.8.8":                  true,
		"1.1.1.1":                  true,
		"2606:4700:4700::1111":     true,
		"64:ff9b::808:808":         true, // NAT64 of a public address
		"127.0.0.1":                false,
		"127.1.2.3":                false,
		"::1":                      false,
		"::ffff:127.0.0.1":         false,
		"::127.0.0.1":              false,
		"0.0.0.0":                  false,
		"::":                       false,
		"10.1.2.3":                 false,
		"172.16.0.1":               false,
		"172.31.255.255":           false,
		"192.168.1.1":              false,
		"100.64.0.1":               false,
		"169.254.169.254":          false,
		"::ffff:169.254.169.254":   false,
		"fe80::1":                  false,
		"fd00:ec2::254":            false,
		"fc00::1":                  false,
		"224.0.0.1":                false,
		"ff02::1":                  false,
		"255.255.255.255":          false,
		"192.0.2.1":                false,
		"198.18.0.1":               false,
		"240.0.0.1":                false,
		"64:ff9b::7f00:1":          false, // NAT64 of loopback
		"64:ff9b::a9fe:a9fe":       false, // NAT64 of metadata
		"2002:7f00:1::":            false, // 6to4 of loopback
		"2002:808:808::":           true,
		"2001::1":                  false, // Teredo
		"2001:db8::1":              false,
		"fe80::1%eth0":             false,
		"::ffff:10.0.0.1":          false,
		"::ffff:8.8.8.8":           true,
		"::ffff:0:7f00:1":          false, // IPv4-translated (RFC 2765) loopback
		"::ffff:0:808:808":         false, // IPv4-translated, never public
		"100::1":                   false,
		"fec0::1":                  false,
		"64:ff9b:1::1":             false,
		"198.51.100.7":             false,
		"203.0.113.9":              false,
		"192.0.0.8":                false,
		"172.15.255.255":           true,
		"172.32.0.1":               true,
		"100.128.0.1":              true,
		"11.0.0.1":                 true,
		"2a00:1450:4001:80b::200e": true,
	}
	e := New(Policy{})
	for s, want := range tests {
		a := netip.MustParseAddr(s)
		if got := e.AddrAllowed(a); got != want {
			t.Errorf("%s: allowed = %v, want %v", s, got, want)
		}
	}
}

func TestEgressAllowLists(t *testing.T) {
	e := New(Policy{
		AllowHosts:    []string{"API.Internal.", "*.corp.example", "[::1]"},
		AllowNetworks: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16"), netip.MustParsePrefix("::ffff:192.168.5.0/120")},
	})
	for host, want := range map[string]bool{
		"api.internal": true, "API.INTERNAL.": true, "x.corp.example": true, "a.b.corp.example": true,
		"corp.example": false, "evilcorp.example": false, "::1": true, "internal": false,
	} {
		if got := e.HostAllowed(host); got != want {
			t.Errorf("host %s: %v, want %v", host, got, want)
		}
	}
	for addr, want := range map[string]bool{
		"10.20.3.4": true, "::ffff:10.20.3.4": true, "10.21.0.1": false, "192.168.5.9": true, "192.168.6.1": false,
	} {
		if got := e.AddrAllowed(netip.MustParseAddr(addr)); got != want {
			t.Errorf("addr %s: %v, want %v", addr, got, want)
		}
	}
	if err := e.control("tcp4", "127.0.0.1:80", nil); err == nil {
		t.Error("control allowed loopback")
	}
	if err := e.control("tcp4", "10.20.0.1:443", nil); err != nil {
		t.Errorf("control refused an allowed network: %v", err)
	}
	for raw, ok := range map[string]bool{
		"https://api.internal/x": true, "http://8.8.8.8/": true, "http://127.0.0.1/": false, "ftp://example.com/": false,
		"http://[::1]:8080/": true, "http://169.254.169.254/": false, "http://user:pw@example.com/": false, "http:///x": false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.CheckURL(u); (err == nil) != ok {
			t.Errorf("%s: %v, want ok=%v", raw, err, ok)
		}
	}
}

func TestParseAllow(t *testing.T) {
	p, err := ParseAllow("x", " api.internal ,*.corp.example, 10.1.0.0/16, 192.168.1.5 ,,::1")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.AllowHosts) != 2 || p.AllowHosts[1] != "*.corp.example" {
		t.Errorf("hosts = %v", p.AllowHosts)
	}
	if len(p.AllowNetworks) != 3 || p.AllowNetworks[1].String() != "192.168.1.5/32" || p.AllowNetworks[2].String() != "::1/128" {
		t.Errorf("networks = %v", p.AllowNetworks)
	}
	if _, err := ParseAllow("hook allow-list", "10.0.0.0/99"); err == nil || err.Error() != `hook allow-list: "10.0.0.0/99" is not a network` {
		t.Errorf("bad network: %v", err)
	}
}
