package claims

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestFetchErrorsHideInternalAddresses: a failed lookup says which host could
// not be resolved, never the resolver's address, and a failed connection
// never the server's own address.
func TestFetchErrorsHideInternalAddresses(t *testing.T) {
	ctx := context.Background()
	dns := &url.Error{Op: "Get", URL: "http://nothing.invalid/", Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: &net.DNSError{Err: "no such host", Name: "nothing.invalid", Server: "10.0.0.2:53", IsNotFound: true}}}
	if got := describeFetchError(ctx, dns); got != "could not resolve host nothing.invalid" {
		t.Errorf("lookup failure: %q", got)
	}
	slow := &net.DNSError{Err: "i/o timeout", Name: "slow.example", Server: "10.0.0.2:53", IsTimeout: true}
	if got := describeFetchError(ctx, slow); got != "could not resolve host slow.example: timed out" {
		t.Errorf("lookup timeout: %q", got)
	}
	reset := &url.Error{Op: "Get", URL: "http://example.com/", Err: &net.OpError{Op: "read", Net: "tcp",
		Source: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 40000}, Addr: &net.TCPAddr{IP: net.IPv4(93, 184, 216, 34), Port: 80},
		Err: errors.New("connection reset by peer")}}
	if got := describeFetchError(ctx, reset); strings.Contains(got, "10.1.2.3") || !strings.Contains(got, "connection reset by peer") {
		t.Errorf("connection failure: %q", got)
	}

	// The same through a run, with the machine's resolver.
	r := newTestRunner(t, Options{Policy: Policy{AllowHosts: []string{"nothing.invalid"}}, Limits: Limits{Timeout: 3 * time.Second, FetchTimeout: 2 * time.Second}})
	res, err := run(t, r, script(`try { await fetch('http://nothing.invalid/'); } catch (e) { return { m: e.message }; } return {};`), Input{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := res.Claims["m"].(string)
	if !strings.Contains(m, "could not resolve host nothing.invalid") && !strings.Contains(m, "timed out") {
		t.Errorf("fetch of an unknown host failed with %q", m)
	}
	if strings.Contains(m, ":53") || strings.Contains(m, " on ") {
		t.Errorf("fetch error names the resolver: %q", m)
	}
}
