package m2m

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/monban/monban/compat/monbantest"
	"github.com/monban/monban/internal/testkit"
)

// shop is a Monban with a "shopping" API and an app that may read and write.
type shop struct {
	srv *monbantest.Server
	res monbantest.Resource
	app monbantest.App
}

func newShop(t *testing.T, ttl int) shop {
	t.Helper()
	srv := monbantest.Start(t, monbantest.Options{})
	res := srv.CreateShop(t, ttl)
	return shop{srv, res, srv.CreateAppWith(t, "Order sync", "Shop client", res, "read:products", "write:products")}
}

func (s shop) config(c *monbantest.Counter) Config {
	return Config{
		Endpoint: s.srv.URL, AppID: s.app.ID, AppSecret: s.app.Secret,
		Resource: s.res.Indicator, Scopes: []string{"read:products", "write:products"},
		HTTPClient: &http.Client{Transport: c, Timeout: 5 * time.Second},
	}
}

// mustNew is New for a configuration that must be valid.
func mustNew(t *testing.T, cfg Config) *TokenSource {
	t.Helper()
	ts, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// newToken makes a token source and gets its first token, which must come.
func newToken(t *testing.T, cfg Config) (*TokenSource, *oauth2.Token) {
	t.Helper()
	ts := mustNew(t, cfg)
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	return ts, tok
}

func TestTokenSource(t *testing.T) {
	s := newShop(t, 0)

	t.Run("endpoint+basic", func(t *testing.T) {
		c := &monbantest.Counter{}
		ts, tok := newToken(t, s.config(c))
		if tok.TokenType != "Bearer" || tok.Extra("scope") != "read:products write:products" {
			t.Errorf("token type %q, scope %v", tok.TokenType, tok.Extra("scope"))
		}
		if d := time.Until(tok.Expiry); d < 3590*time.Second || d > 3600*time.Second {
			t.Errorf("expiry in %v, want about an hour", d)
		}
		p := testkit.Claims(t, tok.AccessToken)
		if p["aud"] != s.res.Indicator || p["client_id"] != s.app.ID {
			t.Errorf("claims %v", p)
		}
		for range 10 {
			again, err := ts.Token()
			if err != nil || again.AccessToken != tok.AccessToken {
				t.Fatalf("second call: %v, same token %v", err, again != nil && again.AccessToken == tok.AccessToken)
			}
		}
		if n, d := c.Get("/oidc/token"), c.Get("/oidc/.well-known/openid-configuration"); n != 1 || d != 1 {
			t.Errorf("%d token requests and %d discovery requests, want 1 and 1", n, d)
		}
	})

	t.Run("issuer+post", func(t *testing.T) {
		cfg := s.config(&monbantest.Counter{})
		cfg.Endpoint, cfg.Issuer, cfg.AuthStyle = "", s.srv.Issuer, AuthInBody
		cfg.Scopes = []string{"read:products"}
		_, tok := newToken(t, cfg)
		if p := testkit.Claims(t, tok.AccessToken); p["scope"] != "read:products" {
			t.Errorf("scope %v", p["scope"])
		}
	})

	t.Run("tokenurl+audience", func(t *testing.T) {
		c := &monbantest.Counter{}
		cfg := s.config(c)
		cfg.Endpoint, cfg.TokenURL = "", s.srv.URL+"/oauth/token"
		cfg.Resource, cfg.Audience = "", s.res.Indicator
		_, tok := newToken(t, cfg)
		if p := testkit.Claims(t, tok.AccessToken); p["aud"] != s.res.Indicator {
			t.Errorf("aud %v", p["aud"])
		}
		if c.Get("/oidc/.well-known/openid-configuration") != 0 {
			t.Error("discovery was fetched although TokenURL was given")
		}
	})

	t.Run("one request for concurrent callers", func(t *testing.T) {
		c := &monbantest.Counter{}
		ts := mustNew(t, s.config(c))
		var wg sync.WaitGroup
		toks := make([]string, 64)
		start := make(chan struct{})
		for i := range toks {
			wg.Go(func() {
				<-start
				tok, err := ts.Token()
				if err != nil {
					t.Error(err)
					return
				}
				toks[i] = tok.AccessToken
			})
		}
		close(start)
		wg.Wait()
		for _, tok := range toks {
			if tok != toks[0] {
				t.Fatal("callers got different tokens")
			}
		}
		if n := c.Get("/oidc/token"); n != 1 {
			t.Errorf("%d token requests for 64 concurrent callers, want 1", n)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			edit   func(*Config)
			code   string
			status int
		}{
			{"wrong secret", func(c *Config) { c.AppSecret = "wrong" }, "invalid_client", 401},
			{"wrong secret in body", func(c *Config) { c.AppSecret, c.AuthStyle = "wrong", AuthInBody }, "invalid_client", 401},
			{"unknown resource", func(c *Config) { c.Resource = "https://nowhere.api" }, "invalid_target", 400},
			{"no resource", func(c *Config) { c.Resource = "" }, "invalid_target", 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				cfg := s.config(&monbantest.Counter{})
				tc.edit(&cfg)
				_, err := mustNew(t, cfg).Token()
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error %v (%T) is no *Error", err, err)
				}
				if e.Code != tc.code || e.Status != tc.status || e.Description == "" {
					t.Errorf("error %+v, want %s %d with a description", e, tc.code, tc.status)
				}
				if !strings.Contains(e.Error(), tc.code) {
					t.Errorf("message %q lacks the code", e.Error())
				}
			})
		}
	})

	t.Run("issuer mismatch", func(t *testing.T) {
		cfg := s.config(&monbantest.Counter{})
		// The same server under another name: its document names
		// 127.0.0.1, so discovery must refuse it.
		cfg.Endpoint = strings.Replace(s.srv.URL, "127.0.0.1", "localhost", 1)
		ts := mustNew(t, cfg)
		if _, err := ts.Token(); err == nil || !strings.Contains(err.Error(), "issuer") {
			t.Errorf("error %v, want an issuer mismatch", err)
		}
	})

	t.Run("client", func(t *testing.T) {
		ts := mustNew(t, Config{Endpoint: s.srv.URL, AppID: monbantest.AdminID, AppSecret: monbantest.AdminSecret,
			Resource: s.srv.ManagementIndicator, Scopes: []string{"all"}})
		for name, hc := range map[string]*http.Client{"Client": ts.Client(context.Background()), "oauth2.NewClient": oauth2.NewClient(context.Background(), ts)} {
			res, err := hc.Get(s.srv.URL + "/api/applications")
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("%s: GET /api/applications: %d", name, res.StatusCode)
			}
		}
	})

	t.Run("context", func(t *testing.T) {
		ts := mustNew(t, s.config(&monbantest.Counter{}))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := ts.TokenContext(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
		// The shared request went on: the next caller gets its token.
		if _, err := ts.TokenContext(context.Background()); err != nil {
			t.Error(err)
		}
	})
}

// Tokens are refreshed 60 s before they expire (or a tenth of their
// lifetime, if sooner); a failed refresh hands out the current token while
// it is still valid, then the error.
func TestRefresh(t *testing.T) {
	for _, tc := range []struct {
		ttl   int
		early time.Duration
	}{{3600, 60 * time.Second}, {300, 30 * time.Second}} {
		s := newShop(t, tc.ttl)
		c := &monbantest.Counter{}
		ts := mustNew(t, s.config(c))
		clk := monbantest.NewClock(time.Now())
		ts.now = clk.Now
		first, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		life := time.Duration(tc.ttl) * time.Second
		clk.Add(life - tc.early - time.Second)
		if tok, _ := ts.Token(); tok.AccessToken != first.AccessToken || c.Get("/oidc/token") != 1 {
			t.Fatalf("ttl %d: refreshed more than %v early", tc.ttl, tc.early)
		}
		clk.Add(2 * time.Second)
		second, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if second.AccessToken == first.AccessToken || c.Get("/oidc/token") != 2 {
			t.Fatalf("ttl %d: not refreshed %v before expiry", tc.ttl, tc.early)
		}

		// The app is deleted: refreshing fails, but the current token is
		// still good for a while.
		s.srv.MustCall(t, "DELETE", "/api/applications/"+s.app.ID, nil, http.StatusNoContent)
		clk.Add(life - tc.early + time.Second)
		tok, err := ts.Token()
		if err != nil || tok.AccessToken != second.AccessToken {
			t.Fatalf("ttl %d: failed refresh with a valid token: %v", tc.ttl, err)
		}
		n := c.Get("/oidc/token")
		if _, err := ts.Token(); err != nil || c.Get("/oidc/token") != n {
			t.Fatalf("ttl %d: retried at once after a failed refresh (%v)", tc.ttl, err)
		}
		clk.Add(tc.early) // now past expiry
		_, err = ts.Token()
		var e *Error
		if !errors.As(err, &e) || e.Code != "invalid_client" {
			t.Fatalf("ttl %d: after expiry: %v, want invalid_client", tc.ttl, err)
		}
	}
}

func TestBadAnswers(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/huge":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"` + strings.Repeat("a", 2<<20) + `"}`))
		case "/html":
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>\n<body>Bad gateway</body></html>"))
		case "/ok200error":
			_, _ = w.Write([]byte(`{"error":"invalid_scope","error_description":"nope"}`))
		case "/noexp":
			_, _ = w.Write([]byte(`{"access_token":"opaque","token_type":"bearer","expires_in":"120"}`))
		}
	}))
	defer srv.Close()
	get := func(path string) (*oauth2.Token, error) {
		ts := mustNew(t, Config{TokenURL: srv.URL + path, AppID: "a", AppSecret: "b"})
		return ts.Token()
	}
	if _, err := get("/huge"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("huge answer: %v", err)
	}
	var e *Error
	if _, err := get("/html"); !errors.As(err, &e) || e.Status != 502 || e.Code != "" || !strings.Contains(e.Description, "Bad gateway") {
		t.Errorf("html answer: %v", err)
	}
	if _, err := get("/ok200error"); !errors.As(err, &e) || e.Code != "invalid_scope" {
		t.Errorf("200 with error: %v", err)
	}
	tok, err := get("/noexp")
	if err != nil || tok.TokenType != "bearer" || time.Until(tok.Expiry) > 120*time.Second || time.Until(tok.Expiry) < 110*time.Second {
		t.Errorf("string expires_in: %v %+v", err, tok)
	}
	if _, err := New(Config{AppID: "a", AppSecret: "b"}); err == nil {
		t.Error("New without an endpoint")
	}
	if _, err := New(Config{Endpoint: "localhost:3001", AppID: "a", AppSecret: "b"}); err == nil {
		t.Error("New with a relative endpoint")
	}
}
