package federation

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// fakeOP is a small OpenID provider: discovery, keys, and a token
// endpoint answering with the ID token its test makes.
type fakeOP struct {
	*httptest.Server
	key      *ecdsa.PrivateKey
	issParam bool
	// token makes the claims of the ID token for the code's nonce.
	token func(nonce string) map[string]any
	// otherKey signs the ID token with a key not in the JWKS.
	otherKey bool
	nonce    string
	verifier string
}

func newFakeOP(t *testing.T) *fakeOP {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	op := &fakeOP{key: key}
	mux := http.NewServeMux()
	op.Server = httptest.NewServer(mux)
	t.Cleanup(op.Close)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": op.URL, "authorization_endpoint": op.URL + "/auth",
			"token_endpoint": op.URL + "/token", "jwks_uri": op.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"ES256"},
			"authorization_response_iss_parameter_supported": op.issParam})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("code") != "good-code" || s256(r.PostForm.Get("code_verifier")) != op.verifier {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		signKey := op.key
		if op.otherKey {
			signKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: signKey}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
		raw, _ := jwt.Signed(signer).Claims(op.token(op.nonce)).Serialize()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "id_token": raw, "expires_in": 60})
	})
	return op
}

// s256 is the PKCE S256 challenge of a verifier.
func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (op *fakeOP) claims(nonce string) map[string]any {
	now := time.Now()
	return map[string]any{"iss": op.URL, "aud": "client-1", "sub": "u-1", "nonce": nonce, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		"email": "ada@example.com", "email_verified": true, "name": "Ada"}
}

// start makes a trip: it checks the authorization request and remembers
// what the token endpoint will check.
func (op *fakeOP) start(t *testing.T, p *OIDC) Pending {
	t.Helper()
	pending := NewPending("it-1")
	raw, err := p.AuthURL(t.Context(), pending)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if !strings.HasPrefix(raw, op.URL+"/auth?") || q.Get("state") != pending.State || q.Get("nonce") != pending.Nonce ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") != s256(pending.Verifier) || q.Get("client_id") != "client-1" ||
		!strings.Contains(q.Get("scope"), "openid") || q.Get("redirect_uri") != "https://rp.example/cb" {
		t.Fatalf("authorization request %s", raw)
	}
	op.nonce, op.verifier = pending.Nonce, s256(pending.Verifier)
	return pending
}

func TestOIDCExchange(t *testing.T) {
	op := newFakeOP(t)
	p, err := NewOIDC(OIDCConfig{ConnectorID: "c1", Target: "op", Issuer: op.URL, ClientID: "client-1", ClientSecret: "s",
		RedirectURL: "https://rp.example/cb", Scope: []string{"email", "profile"}})
	if err != nil {
		t.Fatal(err)
	}
	type change struct {
		name   string
		setup  func()
		cb     func(pending Pending) Callback
		claims func(c map[string]any)
		want   error
	}
	good := func(pending Pending) Callback { return Callback{Code: "good-code", State: pending.State} }
	for _, tc := range []change{
		{name: "good", want: nil},
		{name: "state of another trip", cb: func(p Pending) Callback { return Callback{Code: "good-code", State: NewPending("it-1").State} }, want: ErrState},
		{name: "no state", cb: func(p Pending) Callback { return Callback{Code: "good-code"} }, want: ErrState},
		{name: "mix-up: another issuer's response", cb: func(p Pending) Callback {
			return Callback{Code: "good-code", State: p.State, Iss: "https://evil.example"}
		}, want: ErrMixUp},
		{name: "iss promised but missing", setup: func() { op.issParam = true; p.provider = nil }, want: ErrMixUp},
		{name: "iss promised and sent", setup: func() { op.issParam = true; p.provider = nil }, cb: func(p Pending) Callback {
			return Callback{Code: "good-code", State: p.State, Iss: op.URL}
		}},
		{name: "denied", cb: func(p Pending) Callback { return Callback{Error: "access_denied", State: p.State} }, want: ErrDenied},
		{name: "a code not redeemed", cb: func(p Pending) Callback { return Callback{Code: "bad", State: p.State} }, want: ErrToken},
		{name: "token of another client", claims: func(c map[string]any) { c["aud"] = "client-2" }, want: ErrToken},
		{name: "token of another issuer", claims: func(c map[string]any) { c["iss"] = "https://evil.example" }, want: ErrToken},
		{name: "another nonce", claims: func(c map[string]any) { c["nonce"] = "other" }, want: ErrToken},
		{name: "no nonce", claims: func(c map[string]any) { delete(c, "nonce") }, want: ErrToken},
		{name: "expired", claims: func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, want: ErrToken},
		{name: "several audiences without azp", claims: func(c map[string]any) { c["aud"] = []string{"client-1", "client-2"} }, want: ErrToken},
		{name: "azp of another client", claims: func(c map[string]any) { c["azp"] = "client-2" }, want: ErrToken},
		{name: "no subject", claims: func(c map[string]any) { delete(c, "sub") }, want: ErrToken},
		{name: "signed by another key", setup: func() { op.otherKey = true }, want: ErrToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op.issParam, op.otherKey, p.provider = false, false, nil
			if tc.setup != nil {
				tc.setup()
			}
			op.token = func(nonce string) map[string]any {
				c := op.claims(nonce)
				if tc.claims != nil {
					tc.claims(c)
				}
				return c
			}
			pending := op.start(t, p)
			cb := good(pending)
			if tc.cb != nil {
				cb = tc.cb(pending)
			}
			id, err := p.Exchange(t.Context(), pending, cb)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("Exchange = %+v, %v; want %v", id, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.ExternalID != "u-1" || id.Email != "ada@example.com" || !id.EmailVerified || id.Name != "Ada" || id.Target != "op" ||
				id.ConnectorID != "c1" || id.Kind != Social || id.Details["sub"] != "u-1" {
				t.Fatalf("identity %+v", id)
			}
		})
	}
}

// An unverified address (or a string "false") stays unverified; Apple's
// string "true" is verified.
func TestClaimMapping(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{{false, false}, {"false", false}, {nil, false}, {"true", true}, {true, true}, {1.0, false}} {
		id, err := ClaimMapping{}.identity(Social, "c", "t", map[string]any{"sub": "s", "email": "a@example.com", "email_verified": tc.v})
		if err != nil || id.EmailVerified != tc.want {
			t.Errorf("email_verified %v: %v %v", tc.v, id.EmailVerified, err)
		}
	}
	id, _ := ClaimMapping{ID: "id", Email: "data.mail"}.identity(Social, "c", "t", map[string]any{"id": json.Number("12345678901234567"), "data": map[string]any{"mail": "b@example.com"}})
	if id.ExternalID != "12345678901234567" || id.Email != "b@example.com" {
		t.Errorf("mapped %+v", id)
	}
	if _, err := (ClaimMapping{}).identity(Social, "c", "t", map[string]any{"sub": strings.Repeat("x", 300)}); !errors.Is(err, ErrToken) {
		t.Errorf("an overlong id: %v", err)
	}
}

func TestCallbackParsing(t *testing.T) {
	for _, q := range []string{"code=a", "state=s", "state=s&state=t&code=a", "code=a&code=b&state=s"} {
		v, _ := url.ParseQuery(q)
		if _, err := ParseCallback(v); !errors.Is(err, ErrCallback) {
			t.Errorf("%s: %v", q, err)
		}
	}
	if InteractionOf("abc.def") != "abc" || InteractionOf("abc") != "" || InteractionOf(".x") != "" || InteractionOf("x.") != "" {
		t.Error("InteractionOf")
	}
}

// A multi-tenant provider (Entra ID's common endpoint): the ID token's
// issuer must be that of its own tenant.
func TestOIDCTenantIssuer(t *testing.T) {
	op := newFakeOP(t)
	p, err := NewOIDC(OIDCConfig{Target: "azuread", ConnectorID: "c1", Issuer: op.URL, IssuerTemplate: op.URL + "/{tenantid}/v2.0",
		ClientID: "client-1", ClientSecret: "s", RedirectURL: "https://rp.example/cb"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		iss, tid string
		ok       bool
	}{
		{op.URL + "/t1/v2.0", "t1", true},
		{op.URL + "/t2/v2.0", "t1", false},
		{op.URL + "/t1/v2.0", "", false},
		{"https://evil.example/t1/v2.0", "t1", false},
		{op.URL + "/t1/v2.0", "t1/../t2", false},
	} {
		op.token = func(nonce string) map[string]any {
			c := op.claims(nonce)
			c["iss"] = tc.iss
			if tc.tid != "" {
				c["tid"] = tc.tid
			}
			return c
		}
		pending := op.start(t, p)
		_, err := p.Exchange(t.Context(), pending, Callback{Code: "good-code", State: pending.State})
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrToken) {
			t.Errorf("iss %s tid %q: %v", tc.iss, tc.tid, err)
		}
	}
}
