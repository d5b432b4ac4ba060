package ratelimit

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIPFrom(t *testing.T) {
	trusted, err := ParsePrefixes("10.0.0.0/8, 127.0.0.1 ::1")
	if err != nil {
		t.Fatal(err)
	}
	c := ClientIP{TrustedProxies: trusted}

	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"no header", "198.51.100.1:1234", nil, "198.51.100.1"},
		{"untrusted peer's header ignored", "198.51.100.1:1234", []string{"203.0.113.5"}, "198.51.100.1"},
		{"trusted peer, one hop", "10.0.0.2:1234", []string{"203.0.113.5"}, "203.0.113.5"},
		{"client-written entries on the left ignored", "10.0.0.2:1234", []string{"1.2.3.4, 203.0.113.5"}, "203.0.113.5"},
		{"chain of trusted proxies", "10.0.0.2:1234", []string{"1.2.3.4, 203.0.113.5, 10.1.1.1, 10.2.2.2"}, "203.0.113.5"},
		{"several header lines", "10.0.0.2:1234", []string{"1.2.3.4, 203.0.113.5", "10.1.1.1"}, "203.0.113.5"},
		{"all trusted: leftmost", "10.0.0.2:1234", []string{"10.9.9.9, 10.1.1.1"}, "10.9.9.9"},
		{"malformed nearest entry", "10.0.0.2:1234", []string{"203.0.113.5, bogus"}, "10.0.0.2"},
		{"malformed past a trusted hop", "10.0.0.2:1234", []string{"bogus, 10.1.1.1"}, "10.0.0.2"},
		{"malformed beyond the client is not read", "10.0.0.2:1234", []string{"bogus, 203.0.113.5"}, "203.0.113.5"},
		{"empty entry", "10.0.0.2:1234", []string{"203.0.113.5,"}, "10.0.0.2"},
		{"empty header", "10.0.0.2:1234", []string{""}, "10.0.0.2"},
		{"entry with port", "10.0.0.2:1234", []string{"203.0.113.5:5678"}, "203.0.113.5"},
		{"IPv6 entry", "10.0.0.2:1234", []string{" 2001:db8::7 "}, "2001:db8::7"},
		{"bracketed IPv6 entry with port", "10.0.0.2:1234", []string{"[2001:db8::7]:443"}, "2001:db8::7"},
		{"IPv6 trusted peer", "[::1]:1234", []string{"203.0.113.5"}, "203.0.113.5"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.2]:1234", []string{"203.0.113.5"}, "203.0.113.5"},
		{"IPv4-mapped entry", "10.0.0.2:1234", []string{"::ffff:203.0.113.5"}, "203.0.113.5"},
		{"peer without port", "10.0.0.2", []string{"203.0.113.5"}, "203.0.113.5"},
		{"zone on the peer", "[fe80::1%eth0]:1234", nil, "fe80::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := c.From(r); got != netip.MustParseAddr(tt.want) {
				t.Fatalf("From = %v, want %s", got, tt.want)
			}
		})
	}

	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "@"
	r.Header.Set("X-Forwarded-For", "203.0.113.5")
	if got := c.From(r); got.IsValid() {
		t.Fatalf("From on a Unix socket = %v, want the zero Addr", got)
	}

	// Without trusted proxies the header means nothing.
	r = httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:1"
	r.Header.Set("X-Forwarded-For", "203.0.113.5")
	if got := (ClientIP{}).From(r); got != netip.MustParseAddr("10.0.0.2") {
		t.Fatalf("From = %v", got)
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := ParsePrefixes(" 10.0.0.0/8,127.0.0.1 , 2001:db8::/32\t::1, 192.168.1.77/24, ::ffff:172.16.0.0/108, ::ffff:192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "127.0.0.1/32", "2001:db8::/32", "::1/128", "192.168.1.0/24", "172.16.0.0/12", "192.0.2.9/32"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}

	for _, s := range []string{"", " ", ",,"} {
		if p, err := ParsePrefixes(s); err != nil || p != nil {
			t.Fatalf("ParsePrefixes(%q) = %v, %v", s, p, err)
		}
	}
	for _, s := range []string{"10.0.0.0/33", "nonsense", "10.0.0.1, 300.0.0.1", "::ffff:10.0.0.0/64", "10.0.0.0/"} {
		if _, err := ParsePrefixes(s); err == nil {
			t.Fatalf("ParsePrefixes(%q) accepted", s)
		}
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.5":           "203.0.113.5",
		"::ffff:203.0.113.5":    "203.0.113.5",
		"2001:db8:1:2:3:4:5:6":  "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::99": "2001:db8:1:2::/64",
	} {
		if got := AddrKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("AddrKey(%s) = %s, want %s", in, got, want)
		}
	}
}

func BenchmarkClientIPFrom(b *testing.B) {
	trusted, _ := ParsePrefixes("10.0.0.0/8")
	c := ClientIP{TrustedProxies: trusted}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:1234"
	r.Header.Set("X-Forwarded-For", "1.2.3.4, 203.0.113.5, 10.1.1.1")
	b.ReportAllocs()
	for b.Loop() {
		c.From(r)
	}
}
