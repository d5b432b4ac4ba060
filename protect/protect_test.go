package protect

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/monban/monban/compat/monbantest"
)

// products is the shopping API of Logto's guide: GET needs read:products,
// POST needs write:products.
func products(v *Verifier) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /products", v.RequireScopes("read:products")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := ClaimsFrom(r.Context())
		fmt.Fprintf(w, "products for %s", c.ClientID)
	})))
	mux.Handle("POST /products", v.RequireScopes("write:products")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})))
	return mux
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	text   string
}

func call(t *testing.T, h http.Handler, method, auth string) answer {
	t.Helper()
	req := httptest.NewRequest(method, "/products", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := answer{status: rec.Code, header: rec.Header(), text: rec.Body.String()}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &a.body); err != nil {
			t.Fatalf("body %q: %v", rec.Body.String(), err)
		}
	}
	return a
}

// wantError checks an RFC 6750 error answer.
func (a answer) wantError(t *testing.T, status int, code, challenge string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d (%s)", a.status, status, a.text)
	}
	if got := a.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, challenge) {
		t.Errorf("WWW-Authenticate %q, want it to start with %q", got, challenge)
	}
	if a.body["error"] != code || a.body["error_description"] == "" {
		t.Errorf("body %v, want error %q with a description", a.body, code)
	}
}

// shop is a Monban with Logto's "shopping" API and two apps.
type shop struct {
	srv       *monbantest.Server
	res       monbantest.Resource
	readWrite monbantest.App
	readOnly  monbantest.App
}

func newShop(t *testing.T) *shop {
	t.Helper()
	srv := monbantest.Start(t, monbantest.Options{})
	res := srv.CreateShop(t, 0)
	return &shop{srv: srv, res: res,
		readWrite: srv.CreateAppWith(t, "Order sync", "Shop client", res, "read:products", "write:products"),
		readOnly:  srv.CreateAppWith(t, "Stats", "Shop reader", res, "read:products")}
}

func (s *shop) verifier(t *testing.T, edit func(*Config)) (*Verifier, *monbantest.Counter) {
	t.Helper()
	c := &monbantest.Counter{}
	cfg := Config{Issuer: s.srv.Issuer, Audience: s.res.Indicator, HTTPClient: &http.Client{Transport: c, Timeout: 5 * time.Second}}
	if edit != nil {
		edit(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v, c
}

// clockedVerifier is s.verifier with a clock that the test moves on,
// starting now.
func (s *shop) clockedVerifier(t *testing.T) (*Verifier, *monbantest.Counter, *monbantest.Clock) {
	t.Helper()
	v, c := s.verifier(t, nil)
	clk := monbantest.NewClock(time.Now())
	v.now = clk.Now
	return v, c, clk
}

func (s *shop) token(t *testing.T, app monbantest.App, scopes ...string) string {
	t.Helper()
	return s.srv.Token(t, app, s.res.Indicator, scopes...)["access_token"].(string)
}

func TestShoppingAPI(t *testing.T) {
	s := newShop(t)
	v, c := s.verifier(t, nil)
	api := products(v)
	rw := s.token(t, s.readWrite, "read:products", "write:products")
	ro := s.token(t, s.readOnly, "read:products", "write:products")

	t.Run("read", func(t *testing.T) {
		a := call(t, api, "GET", "Bearer "+rw)
		if a.status != 200 || a.text != "products for "+s.readWrite.ID {
			t.Fatalf("%d %s", a.status, a.text)
		}
		// Case-insensitive scheme (RFC 7235).
		if a := call(t, api, "GET", "bearer "+ro); a.status != 200 {
			t.Fatalf("lower-case scheme: %d %s", a.status, a.text)
		}
	})
	t.Run("write", func(t *testing.T) {
		if a := call(t, api, "POST", "Bearer "+rw); a.status != 201 {
			t.Fatalf("%d %s", a.status, a.text)
		}
	})
	t.Run("write without write:products", func(t *testing.T) {
		a := call(t, api, "POST", "Bearer "+ro)
		a.wantError(t, 403, "insufficient_scope", `Bearer realm="https://shopping.api", error="insufficient_scope", error_description=`)
		if h := a.header.Get("WWW-Authenticate"); !strings.HasSuffix(h, `, scope="write:products"`) {
			t.Errorf("WWW-Authenticate %q lacks the scope", h)
		}
	})
	t.Run("no token", func(t *testing.T) {
		a := call(t, api, "GET", "")
		if a.status != 401 || a.header.Get("WWW-Authenticate") != `Bearer realm="https://shopping.api"` || a.body["error"] != "unauthorized" {
			t.Fatalf("%d %v %v", a.status, a.header, a.body)
		}
		a = call(t, api, "GET", "Basic "+base64.StdEncoding.EncodeToString([]byte("a:b")))
		if a.status != 401 || a.header.Get("WWW-Authenticate") != `Bearer realm="https://shopping.api"` {
			t.Fatalf("Basic credentials: %d %v", a.status, a.header)
		}
	})
	t.Run("malformed header", func(t *testing.T) {
		call(t, api, "GET", "Bearer ").wantError(t, 400, "invalid_request", `Bearer realm="https://shopping.api", error="invalid_request"`)
		call(t, api, "GET", "Bearer a b").wantError(t, 400, "invalid_request", `Bearer realm="https://shopping.api", error="invalid_request"`)
		req := httptest.NewRequest("GET", "/products", nil)
		req.Header.Add("Authorization", "Bearer "+rw)
		req.Header.Add("Authorization", "Bearer "+rw)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code != 400 {
			t.Errorf("two Authorization headers: %d", rec.Code)
		}
	})
	t.Run("claims", func(t *testing.T) {
		cl, err := v.Verify(context.Background(), rw)
		if err != nil {
			t.Fatal(err)
		}
		if cl.Subject != s.readWrite.ID || cl.ClientID != s.readWrite.ID || cl.Issuer != s.srv.Issuer ||
			len(cl.Audience) != 1 || cl.Audience[0] != "https://shopping.api" ||
			strings.Join(cl.Scopes, " ") != "read:products write:products" || cl.ID == "" ||
			time.Until(cl.Expiry) < 59*time.Minute || time.Since(cl.IssuedAt) > time.Minute || !cl.NotBefore.IsZero() ||
			cl.Raw()["client_id"] != s.readWrite.ID {
			t.Errorf("claims %+v", cl)
		}
		// The read-only app asked for write:products too: it was dropped.
		cl, err = v.Verify(context.Background(), ro)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(cl.Scopes, " ") != "read:products" {
			t.Errorf("read-only scopes %v", cl.Scopes)
		}
	})
	t.Run("other audience", func(t *testing.T) {
		mt := s.srv.Token(t, monbantest.App{ID: monbantest.AdminID, Secret: monbantest.AdminSecret}, s.srv.ManagementIndicator, "all")["access_token"].(string)
		call(t, api, "GET", "Bearer "+mt).wantError(t, 401, "invalid_token", `Bearer realm="https://shopping.api", error="invalid_token", error_description="not for this API (aud)"`)
	})
	t.Run("tampered", func(t *testing.T) {
		parts := strings.Split(rw, ".")
		var claims map[string]any
		b, _ := base64.RawURLEncoding.DecodeString(parts[1])
		_ = json.Unmarshal(b, &claims)
		claims["scope"] = "read:products write:products admin"
		b, _ = json.Marshal(claims)
		forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
		call(t, api, "GET", "Bearer "+forged).wantError(t, 401, "invalid_token", `Bearer realm="https://shopping.api", error="invalid_token", error_description="bad signature"`)
		call(t, api, "GET", "Bearer not.a.jwt").wantError(t, 401, "invalid_token", `Bearer realm="https://shopping.api", error="invalid_token", error_description="malformed token"`)
	})
	t.Run("forged with the real kid", func(t *testing.T) {
		h := headerOf(t, rw)
		k := newKey(t, h.KeyID)
		forged := k.sign(t, map[string]any{"typ": "at+jwt"}, s.claims(s.readWrite.ID, "read:products write:products", time.Now()))
		call(t, api, "GET", "Bearer "+forged).wantError(t, 401, "invalid_token", `Bearer realm="https://shopping.api", error="invalid_token", error_description="bad signature"`)
	})
	t.Run("algorithm confusion", func(t *testing.T) {
		h := headerOf(t, rw)
		for _, alg := range []string{"none", "HS256"} {
			head, _ := json.Marshal(map[string]any{"alg": alg, "kid": h.KeyID, "typ": "at+jwt"})
			body, _ := json.Marshal(s.claims(s.readWrite.ID, "read:products", time.Now()))
			tok := base64.RawURLEncoding.EncodeToString(head) + "." + base64.RawURLEncoding.EncodeToString(body) + "."
			if alg == "HS256" {
				tok += "c2lnbmF0dXJl"
			}
			call(t, api, "GET", "Bearer "+tok).wantError(t, 401, "invalid_token", `Bearer realm="https://shopping.api", error="invalid_token", error_description="unsupported signing algorithm"`)
		}
		// The real key with another asymmetric algorithm than its own.
		k := newKey(t, h.KeyID)
		k.alg = jose.ES384
		k.priv, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		tok := k.sign(t, map[string]any{"typ": "at+jwt"}, s.claims(s.readWrite.ID, "read:products", time.Now()))
		call(t, api, "GET", "Bearer "+tok).wantError(t, 401, "invalid_token", `Bearer realm="https://shopping.api", error="invalid_token", error_description="the algorithm is not the signing key's"`)
	})
	t.Run("expired", func(t *testing.T) {
		ev, _ := s.verifier(t, nil)
		clk := monbantest.NewClock(time.Now().Add(time.Hour + DefaultLeeway + time.Second))
		ev.now = clk.Now
		call(t, products(ev), "GET", "Bearer "+rw).wantError(t, 401, "invalid_token", `Bearer realm="https://shopping.api", error="invalid_token", error_description="expired (exp)"`)
	})
	t.Run("unknown kids are rate-limited", func(t *testing.T) {
		before := c.Get("/oidc/jwks")
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Go(func() {
				k := newKey(t, fmt.Sprintf("forged-%d", i))
				tok := k.sign(t, map[string]any{"typ": "at+jwt"}, s.claims(s.readWrite.ID, "read:products", time.Now()))
				a := call(t, api, "GET", "Bearer "+tok)
				if a.status != 401 || a.body["error_description"] != "unknown signing key (kid)" {
					t.Errorf("forged kid: %d %v", a.status, a.body)
				}
			})
		}
		wg.Wait()
		if n := c.Get("/oidc/jwks") - before; n > 1 {
			t.Errorf("200 tokens with unknown kids made %d JWKS fetches, want at most 1", n)
		}
		if d := c.Get("/oidc/.well-known/openid-configuration"); d != 1 {
			t.Errorf("%d discovery fetches, want 1", d)
		}
	})
}

// After a key rotation, a token signed by the new key is accepted: the
// unknown kid makes the verifier fetch the keys again (once ten seconds
// have passed since the last fetch).
func TestKeyRotation(t *testing.T) {
	s := newShop(t)
	v, c, clk := s.clockedVerifier(t)
	old := s.token(t, s.readWrite, "read:products")
	if _, err := v.Verify(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"ES384", "RS256", "EdDSA", "ES256"} {
		s.srv.RotateKey(t, alg)
		tok := s.token(t, s.readWrite, "read:products")
		if got := headerOf(t, tok).Algorithm; got != alg {
			t.Fatalf("rotated to %s, token signed with %s", alg, got)
		}
		clk.Add(5 * time.Second)
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("%s: new kid within ten seconds of a fetch: %v", alg, err)
		}
		clk.Add(6 * time.Second)
		cl, err := v.Verify(context.Background(), tok)
		if err != nil {
			t.Fatalf("%s: after rotation: %v", alg, err)
		}
		if cl.Subject != s.readWrite.ID {
			t.Errorf("sub %q", cl.Subject)
		}
	}
	// The first token's key is still published (as a previous key).
	if _, err := v.Verify(context.Background(), old); err != nil {
		t.Errorf("token of the previous key: %v", err)
	}
	if n := c.Get("/oidc/jwks"); n != 5 {
		t.Errorf("%d JWKS fetches, want 5", n)
	}
}

func TestUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The issuer's port stays bound (a closed port could be taken by
	// another process) and hangs up on every connection.
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	v, err := New(Config{Issuer: "http://" + addr + "/oidc", Audience: "https://shopping.api"})
	if err != nil {
		t.Fatal(err)
	}
	k := newKey(t, "k1")
	tok := k.sign(t, map[string]any{"typ": "at+jwt"}, map[string]any{"iss": "http://" + addr + "/oidc", "aud": "https://shopping.api", "exp": time.Now().Add(time.Hour).Unix()})
	a := call(t, products(v), "GET", "Bearer "+tok)
	if a.status != 503 || a.header.Get("Retry-After") == "" || a.body["error"] != "temporarily_unavailable" {
		t.Fatalf("%d %v %v", a.status, a.header, a.body)
	}
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Verify: %v, want ErrUnavailable", err)
	}
	if err := v.Refresh(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Refresh: %v", err)
	}

	// A discovery document naming another issuer is refused.
	s := newShop(t)
	other := strings.Replace(s.srv.Issuer, "127.0.0.1", "localhost", 1)
	v, err = New(Config{Issuer: other, Audience: "https://shopping.api"})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Refresh(context.Background()); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "issuer") {
		t.Errorf("issuer mismatch: %v", err)
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Audience: "https://shopping.api"},
		{Issuer: "localhost:3001/oidc", Audience: "https://shopping.api"},
		{Issuer: "http://localhost:3001/oidc"},
		{Issuer: "http://localhost:3001/oidc", Audience: "x", JWKSURL: "/jwks"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// claims are an access token's claims as Monban would write them.
func (s *shop) claims(sub, scope string, iat time.Time) map[string]any {
	return map[string]any{
		"jti": "j" + sub, "sub": sub, "iat": iat.Unix(), "exp": iat.Add(time.Hour).Unix(),
		"scope": scope, "client_id": sub, "iss": s.srv.Issuer, "aud": s.res.Indicator,
	}
}

func headerOf(t testing.TB, tok string) jose.Header {
	t.Helper()
	jws, err := jose.ParseSignedCompact(tok, signatureAlgorithms)
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Protected
}

// signingKey is a key of a test issuer.
type signingKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv any
}

func newKey(t testing.TB, kid string) *signingKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &signingKey{kid: kid, alg: jose.ES256, priv: priv}
}

func (k *signingKey) sign(t testing.TB, headers map[string]any, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	for h, v := range headers {
		opts.WithHeader(jose.HeaderKey(h), v)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (k *signingKey) jwk() jose.JSONWebKey {
	var pub any
	switch p := k.priv.(type) {
	case *ecdsa.PrivateKey:
		pub = &p.PublicKey
	case *rsa.PrivateKey:
		pub = &p.PublicKey
	}
	return jose.JSONWebKey{Key: pub, KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// issuer is a test issuer: a JWKS served over HTTP, for claims Monban never
// writes (nbf, aud arrays, other typ values) and for key sets that change.
type issuer struct {
	srv   *httptest.Server
	keys  atomic.Pointer[[]byte]
	fetch atomic.Int32
}

func newIssuer(t testing.TB, keys ...*signingKey) *issuer {
	is := &issuer{}
	is.setKeys(t, keys...)
	is.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		is.fetch.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(*is.keys.Load())
	}))
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) setKeys(t testing.TB, keys ...*signingKey) {
	var set jose.JSONWebKeySet
	for _, k := range keys {
		set.Keys = append(set.Keys, k.jwk())
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	is.keys.Store(&b)
}

const testIssuer = "https://issuer.example/oidc"

func (is *issuer) verifier(t testing.TB, edit func(*Config)) *Verifier {
	cfg := Config{Issuer: testIssuer, Audience: "https://shopping.api", JWKSURL: is.srv.URL + "/jwks"}
	if edit != nil {
		edit(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestClaimsChecks(t *testing.T) {
	k := newKey(t, "k1")
	is := newIssuer(t, k)
	v := is.verifier(t, nil)
	now := time.Now()
	base := func() map[string]any {
		return map[string]any{"iss": testIssuer, "aud": "https://shopping.api", "sub": "app", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	}
	at := map[string]any{"typ": "at+jwt"}
	for _, tc := range []struct {
		name    string
		headers map[string]any
		edit    func(map[string]any)
		want    string // "" for valid
	}{
		{"valid", at, nil, ""},
		{"typ application/at+jwt", map[string]any{"typ": "application/at+jwt"}, nil, ""},
		{"typ AT+JWT", map[string]any{"typ": "AT+JWT"}, nil, ""},
		{"typ JWT", map[string]any{"typ": "JWT"}, nil, "not an access token (typ is not at+jwt)"},
		{"no typ", nil, nil, "not an access token (typ is not at+jwt)"},
		{"aud array", at, func(c map[string]any) { c["aud"] = []string{"https://other.api", "https://shopping.api"} }, ""},
		{"aud array without us", at, func(c map[string]any) { c["aud"] = []string{"https://other.api"} }, "not for this API (aud)"},
		{"no aud", at, func(c map[string]any) { delete(c, "aud") }, "not for this API (aud)"},
		{"wrong iss", at, func(c map[string]any) { c["iss"] = "https://evil.example/oidc" }, "wrong issuer (iss)"},
		{"no exp", at, func(c map[string]any) { delete(c, "exp") }, "missing or malformed expiry (exp)"},
		{"string exp", at, func(c map[string]any) { c["exp"] = "2099-01-01" }, "malformed claims"},
		{"expired within leeway", at, func(c map[string]any) { c["exp"] = now.Add(-10 * time.Second).Unix() }, ""},
		{"expired", at, func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() }, "expired (exp)"},
		{"nbf within leeway", at, func(c map[string]any) { c["nbf"] = now.Add(10 * time.Second).Unix() }, ""},
		{"nbf future", at, func(c map[string]any) { c["nbf"] = now.Add(time.Minute).Unix() }, "not valid yet (nbf)"},
		{"iat future", at, func(c map[string]any) { c["iat"] = now.Add(time.Minute).Unix() }, "issued in the future (iat)"},
		{"scope number", at, func(c map[string]any) { c["scope"] = 1 }, "malformed claims"},
		{"crit header", map[string]any{"typ": "at+jwt", "crit": []string{"exp"}, "exp": 1}, nil, "unsupported critical header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			if tc.edit != nil {
				tc.edit(c)
			}
			_, err := v.Verify(context.Background(), k.sign(t, tc.headers, c))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("rejected: %v", err)
			case tc.want != "" && (err == nil || !errors.Is(err, ErrInvalidToken) || !strings.HasSuffix(err.Error(), tc.want)):
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}

	// scp (an array) and azp, as other issuers write them.
	c := base()
	c["scp"], c["azp"] = []string{"read:products", "write:products"}, "app-2"
	cl, err := v.Verify(context.Background(), k.sign(t, at, c))
	if err != nil || !cl.HasScope("write:products") || cl.ClientID != "app-2" {
		t.Errorf("scp/azp: %v %+v", err, cl)
	}
}

// NoLeeway checks exp exactly; the zero Leeway is DefaultLeeway.
func TestNoLeeway(t *testing.T) {
	k := newKey(t, "k1")
	is := newIssuer(t, k)
	now := time.Now()
	tok := k.sign(t, map[string]any{"typ": "at+jwt"}, map[string]any{"iss": testIssuer, "aud": "https://shopping.api", "exp": now.Add(-2 * time.Second).Unix()})
	exact := is.verifier(t, func(c *Config) { c.Leeway, c.CacheSize = NoLeeway, NoCache })
	if _, err := exact.Verify(context.Background(), tok); err == nil || !strings.Contains(err.Error(), "expired (exp)") {
		t.Errorf("NoLeeway: %v", err)
	}
	if _, err := is.verifier(t, nil).Verify(context.Background(), tok); err != nil {
		t.Errorf("default leeway: %v", err)
	}
}

// The cache answers for a token seen before, until its exp; a key that
// disappears from the JWKS empties it.
func TestCache(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	is := newIssuer(t, k1)
	v := is.verifier(t, nil)
	clk := monbantest.NewClock(time.Now())
	v.now = clk.Now
	claims := map[string]any{"iss": testIssuer, "aud": "https://shopping.api", "exp": clk.Now().Add(time.Minute).Unix()}
	tok := k1.sign(t, map[string]any{"typ": "at+jwt"}, claims)
	first, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	again, err := v.Verify(context.Background(), tok)
	if err != nil || again != first {
		t.Fatalf("second Verify: %v, from the cache: %v", err, again == first)
	}
	// Past exp (but within the leeway) the cached entry is not used; the
	// token is checked again, and not cached again.
	clk.Add(time.Minute + time.Second)
	if again, err := v.Verify(context.Background(), tok); err != nil || again == first {
		t.Fatalf("after exp: %v, from the cache: %v", err, again == first)
	}
	clk.Add(-time.Minute)

	// k1 is withdrawn, k2 published: once the keys are fetched again, the
	// cached token of k1 is no longer accepted.
	is.setKeys(t, k2)
	clk.Add(11 * time.Second)
	tok2 := k2.sign(t, map[string]any{"typ": "at+jwt"}, claims)
	if _, err := v.Verify(context.Background(), tok2); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("token of a withdrawn key: %v", err)
	}

	// The cache stays within its size.
	small := is.verifier(t, func(c *Config) { c.CacheSize = 32 })
	for i := range 500 {
		claims["jti"] = fmt.Sprint(i)
		if _, err := small.Verify(context.Background(), k2.sign(t, map[string]any{"typ": "at+jwt"}, claims)); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for i := range small.cache.shards {
		n += len(small.cache.shards[i].entries)
	}
	if n > 32 {
		t.Errorf("cache of size 32 holds %d entries", n)
	}
}

// Keys older than five minutes are fetched again in the background, with
// If-None-Match; a 304 keeps them.
func TestKeysAge(t *testing.T) {
	s := newShop(t)
	v, c, clk := s.clockedVerifier(t)
	tok := s.token(t, s.readWrite, "read:products")
	v.cache = nil
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	clk.Add(maxKeyAge + time.Second)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.Get("/oidc/jwks") < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := c.Get("/oidc/jwks"); n != 2 {
		t.Fatalf("%d JWKS fetches, want 2", n)
	}
	for time.Now().Before(deadline) {
		if ks := v.keys.cur.Load(); ks.fetched.Equal(clk.Now()) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if ks := v.keys.cur.Load(); !ks.fetched.Equal(clk.Now()) || ks.etag == "" {
		t.Errorf("keys fetched at %v (etag %q), want %v", ks.fetched, ks.etag, clk.Now())
	}
}

// An RSA key of under 2048 bits, a symmetric key and an encryption key are
// skipped; a JWK without alg gets the one its type implies.
func TestParseJWKS(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	big, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec := newKey(t, "ec")
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &small.PublicKey, KeyID: "small", Algorithm: "RS256"},
		{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "oct", Algorithm: "HS256"},
		{Key: &big.PublicKey, KeyID: "enc", Use: "enc"},
		{Key: &big.PublicKey, KeyID: "rsa"},
		{Key: &ec.priv.(*ecdsa.PrivateKey).PublicKey, KeyID: "ec"},
		{Key: &ec.priv.(*ecdsa.PrivateKey).PublicKey, KeyID: "ec-wrong", Algorithm: "ES384"},
	}}
	b, _ := json.Marshal(set)
	var doc map[string][]any
	_ = json.Unmarshal(b, &doc)
	doc["keys"] = append(doc["keys"], map[string]any{"kty": "unknown", "kid": "x"})
	b, _ = json.Marshal(doc)
	ks, err := parseJWKS(b)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]jose.SignatureAlgorithm{}
	for kid, keys := range ks.byKID {
		for _, k := range keys {
			got[kid] = k.alg
		}
	}
	if len(got) != 2 || got["rsa"] != jose.RS256 || got["ec"] != jose.ES256 {
		t.Errorf("usable keys %v, want rsa RS256 and ec ES256", got)
	}
	if _, err := parseJWKS([]byte(`{"keys":[]}`)); err == nil {
		t.Error("an empty set was accepted")
	}
	if _, err := parseJWKS([]byte(`<html>`)); err == nil {
		t.Error("HTML was accepted")
	}
}

func TestBigAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"keys":[`+strings.Repeat(" ", 2<<20)+`]}`)
	}))
	defer srv.Close()
	v, err := New(Config{Issuer: testIssuer, Audience: "x", JWKSURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("2 MiB JWKS: %v", err)
	}
}

// Every asymmetric JWS algorithm verifies with its key, and only with it.
func TestAlgorithms(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	strangerRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	var keys []*signingKey
	for alg, priv := range map[jose.SignatureAlgorithm]any{
		jose.ES384: p384, jose.ES512: p521,
		jose.RS256: rsaKey, jose.RS384: rsaKey, jose.RS512: rsaKey,
		jose.PS256: rsaKey, jose.PS384: rsaKey, jose.PS512: rsaKey,
	} {
		keys = append(keys, &signingKey{kid: string(alg), alg: alg, priv: priv})
	}
	is := newIssuer(t, keys...)
	v := is.verifier(t, func(c *Config) { c.CacheSize = NoCache })
	claims := map[string]any{"iss": testIssuer, "aud": "https://shopping.api", "exp": time.Now().Add(time.Hour).Unix()}
	for _, k := range keys {
		tok := k.sign(t, map[string]any{"typ": "at+jwt"}, claims)
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Errorf("%s: %v", k.alg, err)
		}
		// The same key's kid with a signature by a stranger's key.
		other := &signingKey{kid: k.kid, alg: k.alg}
		switch k.priv.(type) {
		case *rsa.PrivateKey:
			other.priv = strangerRSA
		case *ecdsa.PrivateKey:
			other.priv, _ = ecdsa.GenerateKey(k.priv.(*ecdsa.PrivateKey).Curve, rand.Reader)
		}
		if _, err := v.Verify(context.Background(), other.sign(t, map[string]any{"typ": "at+jwt"}, claims)); err == nil || !strings.HasSuffix(err.Error(), "bad signature") {
			t.Errorf("%s by another key: %v", k.alg, err)
		}
	}
}

// AlsoIssuers: the other face of the same server is accepted, nothing
// else is, and the token's own iss is reported.
func TestAlsoIssuers(t *testing.T) {
	k := newKey(t, "k1")
	is := newIssuer(t, k)
	v := is.verifier(t, func(c *Config) { c.AlsoIssuers = []string{"https://issuer.example/"} })
	now := time.Now()
	for iss, ok := range map[string]bool{testIssuer: true, "https://issuer.example/": true, "https://issuer.example": false, "https://evil.example/": false} {
		c := map[string]any{"iss": iss, "aud": "https://shopping.api", "sub": "app@clients", "azp": "app", "exp": now.Add(time.Hour).Unix()}
		cl, err := v.Verify(context.Background(), k.sign(t, map[string]any{"typ": "at+jwt"}, c))
		if ok && (err != nil || cl.Issuer != iss || cl.ClientID != "app") {
			t.Errorf("%s: %v %+v", iss, err, cl)
		}
		if !ok && (err == nil || !strings.HasSuffix(err.Error(), "wrong issuer (iss)")) {
			t.Errorf("%s accepted: %v", iss, err)
		}
	}
}
