package server

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// EndpointFor is the public base URL a server listening on addr is reached
// at when no endpoint is configured: http, the port of addr, and the host
// of addr, or "localhost" for a loopback or unspecified address
// (127.0.0.1:3041 and 0.0.0.0:3041 → http://localhost:3041,
// 192.0.2.7:3041 → http://192.0.2.7:3041). Give the address a listener
// was bound to, so that port 0 becomes the port the system chose.
func EndpointFor(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if _, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil {
		return "", fmt.Errorf("the listen address %q is not host:port (e.g. 127.0.0.1:3001 or 0.0.0.0:3001)", addr)
	}
	if host == "" || host == "localhost" {
		return "http://localhost:" + port, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.IsLoopback() || ip.IsUnspecified() {
			return "http://localhost:" + port, nil
		}
		if ip.Zone() != "" {
			return "", fmt.Errorf("the listen address %q has a zone: set MONBAN_ENDPOINT", addr)
		}
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

// endpointPort is the port an endpoint URL is reached at: its own, or its
// scheme's.
func endpointPort(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// resolveEndpoint fills in an unset endpoint (and Management API
// indicator) from the address the server listens on, and warns when a
// configured endpoint names another port than the listener's with no proxy
// configured in between: every link, the issuer and the console's
// redirects would then lead to another server.
func resolveEndpoint(cfg *Config) error {
	listening := cfg.Addr
	if cfg.Listener != nil {
		listening = cfg.Listener.Addr().String()
	}
	if cfg.Endpoint == "" {
		ep, err := EndpointFor(listening)
		if err != nil {
			return err
		}
		cfg.Endpoint = ep
	} else if _, port, err := net.SplitHostPort(listening); err == nil && len(cfg.TrustedProxies) == 0 && port != endpointPort(cfg.Endpoint) {
		cfg.Logger.Warn("the endpoint's port differs from the port this server listens on, and no trusted proxy is configured: "+
			"links, the issuer and the console's redirects lead to the endpoint's port. Unset MONBAN_ENDPOINT to derive it from MONBAN_ADDR, "+
			"or set MONBAN_TRUSTED_PROXIES to the proxy that forwards to this port",
			"endpoint", cfg.Endpoint, "listening", listening)
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	if cfg.ManagementIndicator == "" {
		cfg.ManagementIndicator = cfg.Endpoint + "/api"
	}
	return nil
}
