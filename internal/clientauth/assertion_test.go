package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/jws"
	"github.com/monban/monban/internal/replay"
	"github.com/monban/monban/internal/store"
)

const testIssuer = "https://id.example/oidc"

var assertNow = time.Unix(1_800_000_000, 0)

func ecJWK(t testing.TB, k *ecdsa.PrivateKey, kid string) json.RawMessage {
	b, err := jose.JSONWebKey{Key: k.Public(), KeyID: kid}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signAssertion(t testing.TB, k *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	h := map[string]any{"alg": "ES256"}
	if kid != "" {
		h["kid"] = kid
	}
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	sig, err := jws.Sign("ES256", k, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func goodClaims(jti string) map[string]any {
	return map[string]any{"iss": "app", "sub": "app", "aud": testIssuer, "jti": jti, "iat": assertNow.Unix(), "exp": assertNow.Add(time.Minute).Unix()}
}

func check(keys *Keys, r replay.Cache, now time.Time) AssertionCheck {
	return AssertionCheck{Audiences: []string{testIssuer, testIssuer + "/token"}, Keys: keys, Replay: r, Now: now}
}

// The claims' bounds, one at a time.
func TestAuthenticateAssertionClaims(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	app := &catalog.App{Application: store.Application{ID: "app", TokenEndpointAuthMethod: store.AuthPrivateKeyJWT,
		ClientKeys: []store.ClientKey{{ID: "k1", JWK: ecJWK(t, k, "k1")}}}}
	keys := NewKeys(KeysConfig{})
	mem := replay.NewMemory(100, func() time.Time { return assertNow })
	run := func(edit func(map[string]any)) error {
		c := goodClaims(base64.RawURLEncoding.EncodeToString([]byte(time.Now().String())))
		edit(c)
		return AuthenticateAssertion(context.Background(), app, signAssertion(t, k, "k1", c), check(keys, mem, assertNow))
	}
	if err := run(func(map[string]any) {}); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(map[string]any){
		"aud array with ours": func(c map[string]any) { c["aud"] = []string{"https://x.example", testIssuer + "/token"} },
		"exp at the bound":    func(c map[string]any) { c["exp"] = assertNow.Add(MaxAssertionLifetime + Skew).Unix() },
		"expired within skew": func(c map[string]any) { c["exp"] = assertNow.Add(-Skew / 2).Unix() },
		"no iat":              func(c map[string]any) { delete(c, "iat") },
		"nbf within skew":     func(c map[string]any) { c["nbf"] = assertNow.Add(Skew / 2).Unix() },
	} {
		if err := run(edit); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, edit := range map[string]func(map[string]any){
		"exp past the bound": func(c map[string]any) { c["exp"] = assertNow.Add(MaxAssertionLifetime + Skew + time.Second).Unix() },
		"expired":            func(c map[string]any) { c["exp"] = assertNow.Add(-Skew).Unix() },
		"exp not a number":   func(c map[string]any) { c["exp"] = "soon" },
		"sub differs":        func(c map[string]any) { c["sub"] = "other" },
		"no iss":             func(c map[string]any) { delete(c, "iss") },
		"aud missing":        func(c map[string]any) { delete(c, "aud") },
		"aud a prefix":       func(c map[string]any) { c["aud"] = "https://id.example" },
		"jti empty":          func(c map[string]any) { c["jti"] = "" },
		"jti too long":       func(c map[string]any) { c["jti"] = string(make([]byte, 300)) },
		"upper-case ISS":     func(c map[string]any) { c["ISS"] = c["iss"]; delete(c, "iss") },
	} {
		if err := run(edit); !errors.Is(err, ErrInvalidClient) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Secrets are not an app's method once it takes assertions, and an
	// app of the secret methods takes no assertion.
	other := &catalog.App{Application: store.Application{ID: "app", ClientKeys: app.ClientKeys}}
	if err := AuthenticateAssertion(context.Background(), other, signAssertion(t, k, "k1", goodClaims("z")), check(keys, mem, assertNow)); !errors.Is(err, ErrInvalidClient) {
		t.Errorf("assertion of a client_secret app: %v", err)
	}
	// An expired registered key verifies nothing.
	expired := &catalog.App{Application: store.Application{ID: "app", TokenEndpointAuthMethod: store.AuthPrivateKeyJWT,
		ClientKeys: []store.ClientKey{{ID: "k1", JWK: ecJWK(t, k, "k1"), ExpiresAt: assertNow}}}}
	if err := AuthenticateAssertion(context.Background(), expired, signAssertion(t, k, "k1", goodClaims("y")), check(keys, mem, assertNow)); !errors.Is(err, ErrInvalidClient) {
		t.Errorf("expired key: %v", err)
	}
}

// A jwks_uri's set is cached for the TTL, fetched again on an unknown kid
// at most once per MinRefetch, and kept when a fetch fails.
func TestKeysRefetch(t *testing.T) {
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var set atomic.Value
	set.Store([]json.RawMessage{ecJWK(t, k1, "k1")})
	var fetches atomic.Int32
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		if down.Load() {
			http.Error(w, "down", 500)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": set.Load()})
	}))
	defer srv.Close()
	keys := NewKeys(KeysConfig{Egress: egress.New(egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}),
		TTL: time.Hour, MinRefetch: time.Minute})
	app := &catalog.App{Application: store.Application{ID: "app", TokenEndpointAuthMethod: store.AuthPrivateKeyJWT, JWKSURI: srv.URL}}
	mem := replay.NewMemory(100, time.Now)
	jti := 0
	auth := func(k *ecdsa.PrivateKey, kid string, now time.Time) error {
		jti++
		c := goodClaims(string(rune('a' + jti)))
		c["iat"], c["exp"] = now.Unix(), now.Add(time.Minute).Unix()
		return AuthenticateAssertion(context.Background(), app, signAssertion(t, k, kid, c), check(keys, mem, now))
	}
	t0 := assertNow
	if err := auth(k1, "k1", t0); err != nil {
		t.Fatal(err)
	}
	if err := auth(k1, "", t0.Add(time.Second)); err != nil || fetches.Load() != 1 {
		t.Fatalf("cached set: %v, %d fetches", err, fetches.Load())
	}
	set.Store([]json.RawMessage{ecJWK(t, k1, "k1"), ecJWK(t, k2, "k2")})
	if err := auth(k2, "k2", t0.Add(30*time.Second)); err == nil || fetches.Load() != 1 {
		t.Fatalf("unknown kid within MinRefetch: %v, %d fetches", err, fetches.Load())
	}
	if err := auth(k2, "k2", t0.Add(2*time.Minute)); err != nil || fetches.Load() != 2 {
		t.Fatalf("unknown kid after MinRefetch: %v, %d fetches", err, fetches.Load())
	}
	down.Store(true)
	if err := auth(k1, "k1", t0.Add(2*time.Hour)); err != nil {
		t.Fatalf("the set fetched before is kept while the URL fails: %v", err)
	}
	if fetches.Load() != 3 {
		t.Fatalf("%d fetches, want 3", fetches.Load())
	}

	// A private address without an allow-list is refused before dialing.
	strict := NewKeys(KeysConfig{})
	app2 := &catalog.App{Application: store.Application{ID: "app", TokenEndpointAuthMethod: store.AuthPrivateKeyJWT, JWKSURI: srv.URL}}
	before := fetches.Load()
	err := AuthenticateAssertion(context.Background(), app2, signAssertion(t, k1, "k1", goodClaims("q")), check(strict, mem, assertNow))
	if !errors.Is(err, ErrKeysUnavailable) || fetches.Load() != before {
		t.Fatalf("private jwks_uri: %v", err)
	}
	var denied *egress.DeniedError
	if !errors.As(err, &denied) {
		t.Fatalf("not refused by the egress policy: %v", err)
	}
}

// FuzzAssertion feeds arbitrary assertions and client ids: no panic, and
// nothing but a well-signed assertion of the app authenticates it.
func FuzzAssertion(f *testing.F) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	app := &catalog.App{Application: store.Application{ID: "app", TokenEndpointAuthMethod: store.AuthPrivateKeyJWT,
		ClientKeys: []store.ClientKey{{ID: "k1", JWK: ecJWK(f, k, "k1")}}}}
	good := signAssertion(f, k, "k1", goodClaims("seed"))
	f.Add(good, "")
	f.Add(good, "app")
	f.Add("e30.e30.", "app")
	f.Add(good[:len(good)-2], "")
	keys := NewKeys(KeysConfig{})
	f.Fuzz(func(t *testing.T, assertion, clientID string) {
		params := url.Values{"client_assertion_type": {AssertionType}, "client_assertion": {assertion}}
		if clientID != "" {
			params.Set("client_id", clientID)
		}
		creds, err := Parse(httptest.NewRequest("POST", "/oidc/token", nil), params)
		if err != nil {
			return
		}
		if creds.Method != MethodPrivateKeyJWT {
			t.Fatalf("method %q", creds.Method)
		}
		mem := replay.NewMemory(10, func() time.Time { return assertNow })
		if err := AuthenticateAssertion(context.Background(), app, assertion, check(keys, mem, assertNow)); err == nil && creds.ClientID != "app" {
			t.Fatalf("authenticated for %q", creds.ClientID)
		}
	})
}
