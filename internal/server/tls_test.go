package server_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/testkit"
)

// With a certificate and key, the server speaks HTTPS itself (Auth0's
// SDKs insist on https://), and a renewed certificate is served without a
// restart.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := testkit.WriteCert(t, dir, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "https://" + ln.Addr().String()
	clk := fakeClock()
	cfg := server.DefaultConfig()
	cfg.Listener, cfg.Endpoint, cfg.Clock = ln, endpoint, clk
	cfg.DatabaseURL = "sqlite://" + filepath.Join(dir, "monban.db")
	cfg.ManagementIndicator = endpoint + "/api"
	cfg.TLSCertFile, cfg.TLSKeyFile = certFile, keyFile
	cfg.Users.PasswordParams = fastPasswords
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})

	// get fetches the root discovery document trusting nothing but TLS
	// itself, and returns the serial of the certificate served.
	get := func() (int64, map[string]any) {
		t.Helper()
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}}
		res, err := c.Get(endpoint + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var doc map[string]any
		if err := json.NewDecoder(res.Body).Decode(&doc); err != nil || res.StatusCode != 200 {
			t.Fatalf("discovery over TLS: %d %v", res.StatusCode, err)
		}
		return res.TLS.PeerCertificates[0].SerialNumber.Int64(), doc
	}
	serial, doc := get()
	if serial != 1 || doc["issuer"] != endpoint+"/" || doc["token_endpoint"] != endpoint+"/oauth/token" {
		t.Errorf("serial %d, discovery %v", serial, doc)
	}
	// Plain HTTP on the TLS port is refused.
	if res, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Error("plain HTTP answered on the TLS listener")
		}
	}
	// A renewed certificate is picked up once the files are looked at again.
	testkit.WriteCert(t, dir, 2)
	future := time.Now().Add(time.Minute)
	if err := os.Chtimes(certFile, future, future); err != nil {
		t.Fatal(err)
	}
	if serial, _ := get(); serial != 1 {
		t.Errorf("re-read before the check interval: serial %d", serial)
	}
	clk.Advance(11 * time.Second)
	if serial, _ := get(); serial != 2 {
		t.Errorf("renewed certificate not served: serial %d", serial)
	}
	// A broken pair keeps the last good one.
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	clk.Advance(11 * time.Second)
	if serial, _ := get(); serial != 2 {
		t.Errorf("after a broken renewal: serial %d", serial)
	}
}

// A certificate that cannot be loaded fails the start; so do half a pair
// and an unknown signing algorithm.
func TestTLSAndAlgorithmSettings(t *testing.T) {
	dir := t.TempDir()
	for name, edit := range map[string]func(*server.Config){
		"missing files": func(c *server.Config) {
			c.TLSCertFile, c.TLSKeyFile = filepath.Join(dir, "no.pem"), filepath.Join(dir, "no.key")
		},
		"half a pair": func(c *server.Config) { c.TLSCertFile = filepath.Join(dir, "no.pem") },
		"algorithm":   func(c *server.Config) { c.SigningAlgorithm = "HS256" },
	} {
		cfg := server.DefaultConfig()
		cfg.DatabaseURL = "sqlite://" + filepath.Join(dir, name+".db")
		cfg.ManagementIndicator = cfg.Endpoint + "/api"
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		edit(&cfg)
		if srv, err := server.New(context.Background(), cfg); err == nil {
			srv.Close()
			t.Errorf("%s: started", name)
		} else if strings.Contains(err.Error(), "not a key") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// MONBAN_SIGNING_ALG=RS256: the first key, and so every token, is RS256,
// on both faces, for verifiers that take Auth0's RS256 only.
func TestSigningAlgorithmRS256(t *testing.T) {
	f := &m2mFixture{userFixture: newUserFixture(t, func(c *server.Config) { c.SigningAlgorithm = "RS256" })}
	jwks := f.do("GET", "/.well-known/jwks.json", nil, nil).json(t)
	keys := jwks["keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["alg"] != "RS256" || keys[0].(map[string]any)["kty"] != "RSA" {
		t.Fatalf("keys: %v", keys)
	}
	r := f.postJSON("/oauth/token", map[string]string{"grant_type": "client_credentials", "client_id": bootID, "client_secret": bootSecret, "audience": f.Mgmt})
	if r.Status != 200 {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	_, h := verifyWithJWKS(t, f.testServer, r.json(t)["access_token"].(string))
	if h.Algorithm != "RS256" {
		t.Errorf("alg %s", h.Algorithm)
	}
}
