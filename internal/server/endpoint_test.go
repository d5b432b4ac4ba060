package server

import (
	"bytes"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/monban/monban/internal/console"
	"github.com/monban/monban/internal/password"
)

func TestEndpointFor(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:3041":     "http://localhost:3041",
		"0.0.0.0:3041":       "http://localhost:3041",
		":3041":              "http://localhost:3041",
		"[::]:3041":          "http://localhost:3041",
		"[::1]:3001":         "http://localhost:3001",
		"localhost:80":       "http://localhost:80",
		"192.0.2.7:3041":     "http://192.0.2.7:3041",
		"[2001:db8::1]:3041": "http://[2001:db8::1]:3041",
		"auth.internal:8080": "http://auth.internal:8080",
		"127.0.0.1:3001":     "http://localhost:3001",
		"127.0.0.2:3001":     "http://localhost:3001", // loopback
		"10.1.2.3:443":       "http://10.1.2.3:443",
	} {
		if got, err := EndpointFor(addr); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", addr, got, err, want)
		}
	}
	for _, bad := range []string{"nonsense", "", "127.0.0.1", "127.0.0.1:", "[fe80::1%eth0]:3001", "auth.internal:https"} {
		if got, err := EndpointFor(bad); err == nil {
			t.Errorf("%q: %q accepted", bad, got)
		}
	}
}

// An unset endpoint follows the port actually bound; a configured one
// whose port differs from the listener's is warned about, unless a proxy
// is configured (which forwards from another port).
func TestResolveEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	cases := []struct {
		name      string
		cfg       Config
		endpoint  string
		indicator string
		warn      bool
	}{
		{"derived from the listener", Config{Addr: "127.0.0.1:0", Listener: ln}, "http://localhost:" + port, "http://localhost:" + port + "/api", false},
		{"derived from the address", Config{Addr: "0.0.0.0:3041"}, "http://localhost:3041", "http://localhost:3041/api", false},
		{"indicator kept", Config{Addr: "0.0.0.0:3041", ManagementIndicator: "https://api.example/mgmt"}, "http://localhost:3041", "https://api.example/mgmt", false},
		{"same port", Config{Addr: "0.0.0.0:3041", Endpoint: "http://auth.example:3041/"}, "http://auth.example:3041", "http://auth.example:3041/api", false},
		{"another port", Config{Addr: "127.0.0.1:3041", Endpoint: "http://localhost:3001"}, "http://localhost:3001", "http://localhost:3001/api", true},
		{"https default port", Config{Addr: "0.0.0.0:443", Endpoint: "https://auth.example"}, "https://auth.example", "https://auth.example/api", false},
		{"behind a proxy", Config{Addr: "0.0.0.0:3001", Endpoint: "https://auth.example",
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, "https://auth.example", "https://auth.example/api", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			cfg := c.cfg
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			if err := resolveEndpoint(&cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.Endpoint != c.endpoint || cfg.ManagementIndicator != c.indicator {
				t.Errorf("endpoint %q, indicator %q; want %q, %q", cfg.Endpoint, cfg.ManagementIndicator, c.endpoint, c.indicator)
			}
			if warned := strings.Contains(logs.String(), "port differs"); warned != c.warn {
				t.Errorf("warned %v, want %v: %s", warned, c.warn, logs.String())
			}
		})
	}
	cfg := Config{Addr: "nonsense", Logger: slog.New(slog.DiscardHandler)}
	if err := resolveEndpoint(&cfg); err == nil || !strings.Contains(err.Error(), "not host:port") {
		t.Errorf("nonsense: %v", err)
	}
}

// A database seeded at another endpoint (the port changed, say): the
// console's redirect URIs follow the new endpoint, and the change is
// warned about, since the issuer changed with it.
func TestEndpointChangeOnExistingDatabase(t *testing.T) {
	db := "sqlite://" + t.TempDir() + "/m.db"
	start := func(endpoint string) string {
		t.Helper()
		var logs bytes.Buffer
		s, err := New(t.Context(), Config{DatabaseURL: db, Endpoint: endpoint, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			Users: UserSettings{PasswordParams: password.Params{Time: 1, Memory: 64, Threads: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		app, err := s.store.GetApplication(t.Context(), console.DefaultClientID)
		s.Close()
		if err != nil || len(app.RedirectURIs) != 1 || app.RedirectURIs[0] != console.RedirectURI(endpoint) {
			t.Fatalf("console app at %s: %v %v", endpoint, app.RedirectURIs, err)
		}
		return logs.String()
	}
	if logs := start("http://localhost:3001"); strings.Contains(logs, "endpoint differs") {
		t.Errorf("first start warned: %s", logs)
	}
	if logs := start("http://localhost:3001"); strings.Contains(logs, "endpoint differs") {
		t.Errorf("same endpoint warned: %s", logs)
	}
	if logs := start("http://localhost:3041"); !strings.Contains(logs, "endpoint differs") || !strings.Contains(logs, "localhost:3001/console") {
		t.Errorf("moved endpoint not warned: %s", logs)
	}
}
