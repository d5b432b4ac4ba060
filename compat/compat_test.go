package compat_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/monban/monban/compat/monbantest"
	"github.com/monban/monban/m2m"
	"github.com/monban/monban/protect"
)

// tenant names the Logto Cloud tenant the seed guide's code assumes: the
// Management API's indicator is https://{tenant}.logto.app/api, and the
// server under test is configured with exactly that, so the guide's code
// runs unchanged but for its endpoint and credentials.
const tenant = "monban-compat"

const shopAPI = "https://shopping.api"

// env is one Monban for the whole suite, set up as the guide's steps would:
// the shopping API with two permissions, an app holding both, an app holding
// read:products only, and an app holding the Management API role.
type env struct {
	srv    *monbantest.Server
	shop   monbantest.Resource
	writer monbantest.App // read:products and write:products
	reader monbantest.App // read:products
	admin  monbantest.App // "Management API access"
}

func setUp(t *testing.T) *env {
	t.Helper()
	srv := monbantest.Start(t, monbantest.Options{ManagementIndicator: "https://" + tenant + ".logto.app/api"})
	shop := srv.CreateResource(t, "Shopping", shopAPI, 0, "read:products", "write:products")
	return &env{
		srv:    srv,
		shop:   shop,
		writer: srv.CreateApp(t, "Order sync", srv.CreateRole(t, "Shop client", shop.Scopes["read:products"], shop.Scopes["write:products"])),
		reader: srv.CreateApp(t, "Stats", srv.CreateRole(t, "Shop reader", shop.Scopes["read:products"])),
		admin:  srv.CreateApp(t, "Seed guide", srv.RoleID(t, "Management API access")),
	}
}

// flow reports failures with the client's name and the step it was at.
type flow struct {
	t      *testing.T
	client string
	step   string
}

func newFlow(t *testing.T, client string) *flow { return &flow{t: t, client: client} }

// Step names what the flow does next.
func (f *flow) Step(s string) { f.step = s }

func (f *flow) Fatalf(format string, args ...any) {
	f.t.Helper()
	f.t.Fatalf("%s, step %q: %s", f.client, f.step, fmt.Sprintf(format, args...))
}

func (f *flow) Errorf(format string, args ...any) {
	f.t.Helper()
	f.t.Errorf("%s, step %q: %s", f.client, f.step, fmt.Sprintf(format, args...))
}

// check fails the flow on err.
func (f *flow) check(err error) {
	f.t.Helper()
	if err != nil {
		f.Fatalf("%v", err)
	}
}

// verifyToken checks an access token with go-jose against the published
// JWKS, as a resource server would (the key's own algorithm, typ, iss, aud,
// exp), and returns its claims.
func (e *env) verifyToken(f *flow, raw, audience string) map[string]any {
	f.t.Helper()
	return e.verifyTokenOf(f, raw, audience, e.srv.Issuer)
}

// verifyTokenOf is verifyToken for the tokens of issuer (Auth0's face:
// the endpoint with a trailing slash).
func (e *env) verifyTokenOf(f *flow, raw, audience, issuer string) map[string]any {
	f.t.Helper()
	res, err := http.Get(e.srv.Issuer + "/jwks")
	f.check(err)
	defer res.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		f.Fatalf("JWKS: %v", err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.RS256, jose.EdDSA})
	if err != nil {
		f.Fatalf("access token is no JWS: %v", err)
	}
	h := tok.Headers[0]
	keys := set.Key(h.KeyID)
	if len(keys) != 1 || keys[0].Algorithm != h.Algorithm {
		f.Fatalf("kid %q (alg %s) is not one published key of that algorithm", h.KeyID, h.Algorithm)
	}
	if typ := h.ExtraHeaders[jose.HeaderType]; typ != "at+jwt" {
		f.Errorf("typ = %v, want at+jwt", typ)
	}
	var std jwt.Claims
	var all map[string]any
	if err := tok.Claims(keys[0].Key, &std, &all); err != nil {
		f.Fatalf("signature: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: issuer, AnyAudience: jwt.Audience{audience}, Time: time.Now()}, time.Minute); err != nil {
		f.Fatalf("claims: %v", err)
	}
	return all
}

func TestCompat(t *testing.T) {
	e := setUp(t)
	t.Run("go:x-oauth2-clientcredentials", e.xOAuth2)
	t.Run("go:x-oauth2-device", e.xOAuth2Device)
	t.Run("go:coreos-go-oidc", e.goOIDC)
	t.Run("go:go-jose", e.goJose)
	t.Run("go:monban-m2m+protect", e.monbanPackages)
	t.Run("curl:logto", e.curlLogto)
	t.Run("curl:auth0", e.curlAuth0)
	t.Run("node:openid-client", e.nodeOpenIDClient)
	t.Run("node:jose", e.nodeJose)
	t.Run("node:seed-fetch", e.nodeSeedFetch)
	t.Run("node:logto-api", e.nodeLogtoAPI)
	t.Run("node:logto-api-organizations", e.nodeLogtoAPIOrganizations)
	t.Run("node:par-exchange", e.nodePARExchange)
}

// golang.org/x/oauth2/clientcredentials: both auth styles, RFC 8707
// resource in EndpointParams, errors as *oauth2.RetrieveError, and the
// client it builds calling the Management API.
func (e *env) xOAuth2(t *testing.T) {
	f := newFlow(t, "golang.org/x/oauth2/clientcredentials")
	ctx := context.Background()
	for _, style := range []struct {
		name  string
		style oauth2.AuthStyle
	}{{"AuthStyleInHeader", oauth2.AuthStyleInHeader}, {"AuthStyleInParams", oauth2.AuthStyleInParams}, {"AuthStyleAutoDetect", oauth2.AuthStyleAutoDetect}} {
		f.Step("token with " + style.name)
		cc := clientcredentials.Config{
			ClientID: e.writer.ID, ClientSecret: e.writer.Secret, TokenURL: e.srv.Issuer + "/token",
			Scopes:         []string{"read:products", "write:products"},
			EndpointParams: url.Values{"resource": {shopAPI}},
			AuthStyle:      style.style,
		}
		tok, err := cc.Token(ctx)
		f.check(err)
		if tok.TokenType != "Bearer" || tok.Extra("scope") != "read:products write:products" || time.Until(tok.Expiry) < 59*time.Minute {
			f.Errorf("token type %q, scope %v, expiry %v", tok.TokenType, tok.Extra("scope"), tok.Expiry)
		}
		claims := e.verifyToken(f, tok.AccessToken, shopAPI)
		if claims["client_id"] != e.writer.ID || claims["scope"] != "read:products write:products" {
			f.Errorf("claims %v", claims)
		}
	}

	f.Step("Auth0-style audience at /oauth/token")
	cc := clientcredentials.Config{ClientID: e.reader.ID, ClientSecret: e.reader.Secret, TokenURL: e.srv.URL + "/oauth/token",
		Scopes: []string{"read:products"}, EndpointParams: url.Values{"audience": {shopAPI}}}
	tok, err := cc.Token(ctx)
	f.check(err)
	e.verifyTokenOf(f, tok.AccessToken, shopAPI, e.srv.URL+"/")

	f.Step("wrong secret")
	cc = clientcredentials.Config{ClientID: e.reader.ID, ClientSecret: "wrong", TokenURL: e.srv.Issuer + "/token",
		EndpointParams: url.Values{"resource": {shopAPI}}, AuthStyle: oauth2.AuthStyleInHeader}
	_, err = cc.Token(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != 401 {
		f.Errorf("error %v, want a 401 RetrieveError invalid_client", err)
	}

	f.Step("unknown resource")
	cc = clientcredentials.Config{ClientID: e.reader.ID, ClientSecret: e.reader.Secret, TokenURL: e.srv.Issuer + "/token",
		EndpointParams: url.Values{"resource": {"https://unknown.api"}}}
	_, err = cc.Token(ctx)
	if !errors.As(err, &re) || re.ErrorCode != "invalid_target" {
		f.Errorf("error %v, want invalid_target", err)
	}

	f.Step("Client() calls the Management API")
	cc = clientcredentials.Config{ClientID: e.admin.ID, ClientSecret: e.admin.Secret, TokenURL: e.srv.Issuer + "/token",
		Scopes: []string{"all"}, EndpointParams: url.Values{"resource": {e.srv.ManagementIndicator}}}
	res, err := cc.Client(ctx).Get(e.srv.URL + "/api/applications")
	f.check(err)
	res.Body.Close()
	if res.StatusCode != 200 {
		f.Errorf("GET /api/applications: %d", res.StatusCode)
	}
}

// github.com/coreos/go-oidc/v3: discovery with oidc.NewProvider (which
// checks the document's issuer), the token endpoint it finds used by
// x/oauth2, and access tokens verified with the provider's verifier (its
// RemoteKeySet: signature with the JWKS, iss, exp; no client-id audience,
// the API's audience checked here), including after a key rotation.
func (e *env) goOIDC(t *testing.T) {
	f := newFlow(t, "github.com/coreos/go-oidc/v3")
	ctx := context.Background()

	f.Step("discovery")
	provider, err := oidc.NewProvider(ctx, e.srv.Issuer)
	f.check(err)
	var meta struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Grants  []string `json:"grant_types_supported"`
		Auth    []string `json:"token_endpoint_auth_methods_supported"`
	}
	f.check(provider.Claims(&meta))
	if provider.Endpoint().TokenURL != e.srv.Issuer+"/token" || meta.JWKSURI != e.srv.Issuer+"/jwks" ||
		!slices.Contains(meta.Grants, "client_credentials") || !slices.Contains(meta.Auth, "client_secret_basic") || !slices.Contains(meta.Auth, "client_secret_post") {
		f.Errorf("metadata %+v, token endpoint %q", meta, provider.Endpoint().TokenURL)
	}

	f.Step("token from the discovered endpoint")
	cc := clientcredentials.Config{ClientID: e.writer.ID, ClientSecret: e.writer.Secret, TokenURL: provider.Endpoint().TokenURL,
		Scopes: []string{"read:products"}, EndpointParams: url.Values{"resource": {shopAPI}}}
	tok, err := cc.Token(ctx)
	f.check(err)

	f.Step("verify the access token")
	verifier := provider.VerifierContext(ctx, &oidc.Config{SkipClientIDCheck: true})
	verified, err := verifier.Verify(ctx, tok.AccessToken)
	f.check(err)
	if !slices.Contains(verified.Audience, shopAPI) || verified.Subject != e.writer.ID || verified.Issuer != e.srv.Issuer {
		f.Errorf("verified token aud %v sub %q iss %q", verified.Audience, verified.Subject, verified.Issuer)
	}
	var claims struct {
		Scope    string `json:"scope"`
		ClientID string `json:"client_id"`
	}
	f.check(verified.Claims(&claims))
	if claims.Scope != "read:products" || claims.ClientID != e.writer.ID {
		f.Errorf("claims %+v", claims)
	}

	f.Step("reject a tampered token")
	parts := strings.Split(tok.AccessToken, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "read:products", "write:products", 1))) + "." + parts[2]
	if _, err := verifier.Verify(ctx, forged); err == nil {
		f.Errorf("a tampered token verified")
	}

	f.Step("RemoteKeySet after a key rotation")
	keySet := oidc.NewRemoteKeySet(ctx, meta.JWKSURI)
	if _, err := keySet.VerifySignature(ctx, tok.AccessToken); err != nil {
		f.Fatalf("before rotation: %v", err)
	}
	e.srv.RotateKey(t, "")
	rotated, err := cc.Token(ctx)
	f.check(err)
	if oldKID, newKID := kid(f, tok.AccessToken), kid(f, rotated.AccessToken); oldKID == newKID {
		f.Fatalf("the token after rotation has the old kid %q", oldKID)
	}
	if _, err := keySet.VerifySignature(ctx, rotated.AccessToken); err != nil {
		f.Errorf("RemoteKeySet with the new kid: %v", err)
	}
	if _, err := verifier.Verify(ctx, rotated.AccessToken); err != nil {
		f.Errorf("verifier with the new kid: %v", err)
	}
	if _, err := keySet.VerifySignature(ctx, tok.AccessToken); err != nil {
		f.Errorf("token of the previous key: %v", err)
	}
}

func kid(f *flow, raw string) string {
	f.t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.RS256, jose.EdDSA})
	f.check(err)
	return tok.Headers[0].KeyID
}

// github.com/go-jose/go-jose/v4: the JWKS at /oidc/jwks (and the same set at
// Auth0's /.well-known/jwks.json) verifies tokens, with typ and algorithm
// pinned; a token for another API fails the audience check.
func (e *env) goJose(t *testing.T) {
	f := newFlow(t, "github.com/go-jose/go-jose/v4")
	f.Step("JWKS at both paths")
	get := func(path string) (jose.JSONWebKeySet, string) {
		res, err := http.Get(e.srv.URL + path)
		f.check(err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		f.check(err)
		var set jose.JSONWebKeySet
		if res.StatusCode != 200 || json.Unmarshal(b, &set) != nil || len(set.Keys) == 0 {
			f.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
		}
		return set, string(b)
	}
	set, oidcBody := get("/oidc/jwks")
	_, auth0Body := get("/.well-known/jwks.json")
	if oidcBody != auth0Body {
		f.Errorf("/oidc/jwks and /.well-known/jwks.json differ")
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || k.Use != "sig" || k.Algorithm == "" || k.KeyID == "" {
			f.Errorf("published key %q: public %v, use %q, alg %q", k.KeyID, k.IsPublic(), k.Use, k.Algorithm)
		}
	}

	f.Step("verify a token")
	tok := e.srv.Token(t, e.reader, shopAPI, "read:products")["access_token"].(string)
	claims := e.verifyToken(f, tok, shopAPI)
	if claims["sub"] != e.reader.ID || claims["scope"] != "read:products" {
		f.Errorf("claims %v", claims)
	}

	f.Step("a Management API token is not for the shopping API")
	mt := e.srv.Token(t, e.admin, e.srv.ManagementIndicator, "all")["access_token"].(string)
	parsed, err := jwt.ParseSigned(mt, []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.RS256, jose.EdDSA})
	f.check(err)
	var std jwt.Claims
	f.check(parsed.Claims(set.Key(parsed.Headers[0].KeyID)[0].Key, &std))
	if err := std.Validate(jwt.Expected{Issuer: e.srv.Issuer, AnyAudience: jwt.Audience{shopAPI}}); !errors.Is(err, jwt.ErrInvalidAudience) {
		f.Errorf("audience check: %v, want ErrInvalidAudience", err)
	}
}

// Monban's own packages, end to end: the shopping API of the guide guarded by
// protect, called by apps whose tokens come from m2m.
func (e *env) monbanPackages(t *testing.T) {
	f := newFlow(t, "monban m2m+protect")
	ctx := context.Background()
	f.Step("protect.New")
	// No leeway, so that the expired token below is refused at once.
	auth, err := protect.New(protect.Config{Issuer: e.srv.Issuer, Audience: shopAPI, Leeway: -1})
	f.check(err)
	mux := http.NewServeMux()
	mux.Handle("GET /products", auth.RequireScopes("read:products")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"for":%q}`, protect.ClaimsFrom(r.Context()).ClientID)
	})))
	mux.Handle("POST /products", auth.RequireScopes("write:products")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})))
	api := httptest.NewServer(mux)
	defer api.Close()

	source := func(app monbantest.App) *m2m.TokenSource {
		ts, err := m2m.New(m2m.Config{Endpoint: e.srv.URL, AppID: app.ID, AppSecret: app.Secret,
			Resource: shopAPI, Scopes: []string{"read:products", "write:products"}})
		f.check(err)
		return ts
	}
	call := func(c *http.Client, method string, header http.Header) *http.Response {
		f.t.Helper()
		req, _ := http.NewRequest(method, api.URL+"/products", nil)
		for k, v := range header {
			req.Header[k] = v
		}
		res, err := c.Do(req)
		f.check(err)
		res.Body.Close()
		return res
	}

	f.Step("GET with read:products")
	reader := source(e.reader)
	if res := call(reader.Client(ctx), "GET", nil); res.StatusCode != 200 {
		f.Errorf("status %d", res.StatusCode)
	}
	f.Step("POST without write:products")
	res := call(reader.Client(ctx), "POST", nil)
	if res.StatusCode != 403 || res.Header.Get("WWW-Authenticate") != `Bearer realm="https://shopping.api", error="insufficient_scope", error_description="the token lacks the scope write:products", scope="write:products"` {
		f.Errorf("status %d, WWW-Authenticate %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	f.Step("POST with write:products")
	if res := call(source(e.writer).Client(ctx), "POST", nil); res.StatusCode != 201 {
		f.Errorf("status %d", res.StatusCode)
	}
	f.Step("no token")
	if res := call(http.DefaultClient, "GET", nil); res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") != `Bearer realm="https://shopping.api"` {
		f.Errorf("status %d, WWW-Authenticate %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}

	f.Step("forged token")
	real, err := reader.AccessToken(ctx)
	f.check(err)
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: kid(f, real)}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	f.check(err)
	parts := strings.Split(real, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	jws, err := signer.Sign([]byte(strings.Replace(string(payload), `"scope":"read:products"`, `"scope":"read:products write:products"`, 1)))
	f.check(err)
	forged, err := jws.CompactSerialize()
	f.check(err)
	res = call(http.DefaultClient, "POST", http.Header{"Authorization": {"Bearer " + forged}})
	if res.StatusCode != 401 || !strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token", error_description="bad signature"`) {
		f.Errorf("status %d, WWW-Authenticate %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}

	f.Step("expired token")
	e.srv.MustCall(t, "PATCH", "/api/resources/"+e.shop.ID, map[string]any{"accessTokenTtl": 1}, 200)
	short := e.srv.Token(t, e.reader, shopAPI, "read:products")
	e.srv.MustCall(t, "PATCH", "/api/resources/"+e.shop.ID, map[string]any{"accessTokenTtl": 3600}, 200)
	if short["expires_in"] != 1.0 {
		f.Fatalf("expires_in %v after setting accessTokenTtl to 1", short["expires_in"])
	}
	exp := e.verifyToken(f, short["access_token"].(string), shopAPI)["exp"].(float64)
	time.Sleep(time.Until(time.Unix(int64(exp), 0)) + 50*time.Millisecond)
	res = call(http.DefaultClient, "GET", http.Header{"Authorization": {"Bearer " + short["access_token"].(string)}})
	if res.StatusCode != 401 || !strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token", error_description="expired (exp)"`) {
		f.Errorf("status %d, WWW-Authenticate %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}

	f.Step("m2m error for a wrong secret")
	ts, err := m2m.New(m2m.Config{Issuer: e.srv.Issuer, AppID: e.reader.ID, AppSecret: "wrong", Resource: shopAPI})
	f.check(err)
	_, err = ts.Token()
	var me *m2m.Error
	if !errors.As(err, &me) || me.Code != "invalid_client" || me.Status != 401 {
		f.Errorf("error %v, want m2m.Error invalid_client 401", err)
	}
}

// runCurl runs curl with args and returns the status and the JSON answer.
func runCurl(f *flow, args ...string) (int, map[string]any) {
	f.t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		f.Fatalf("curl is not installed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "-w", "\n%{http_code}"}, args...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			f.Fatalf("curl %s: %v: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		f.Fatalf("curl: %v", err)
	}
	s := string(out)
	i := strings.LastIndexByte(s, '\n')
	if i < 0 {
		f.Fatalf("curl wrote %q", s)
	}
	body, code := s[:i], s[i+1:]
	status, err := strconv.Atoi(code)
	if err != nil {
		f.Fatalf("curl wrote the status %q", code)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		f.Fatalf("curl answered %s %q: not JSON", code, body)
	}
	return status, m
}

// checkTokenAnswer checks a successful token response and its token.
func (e *env) checkTokenAnswer(f *flow, status int, m map[string]any, app monbantest.App, scope string) {
	f.t.Helper()
	if status != 200 || m["token_type"] != "Bearer" || m["expires_in"] != 3600.0 || m["scope"] != scope {
		f.Fatalf("status %d, answer %v", status, m)
	}
	claims := e.verifyToken(f, m["access_token"].(string), shopAPI)
	if claims["sub"] != app.ID || claims["client_id"] != app.ID || claims["aud"] != shopAPI {
		f.Errorf("claims %v", claims)
	}
	if scope == "" {
		if _, ok := claims["scope"]; ok {
			f.Errorf("scope claim %v in a token without scopes", claims["scope"])
		}
	} else if claims["scope"] != scope {
		f.Errorf("scope claim %v, want %q", claims["scope"], scope)
	}
}

// checkAuth0Answer checks a client_credentials answer of Auth0's face.
func (e *env) checkAuth0Answer(f *flow, status int, m map[string]any, app monbantest.App, scope string) {
	f.t.Helper()
	if status != 200 || m["token_type"] != "Bearer" || m["expires_in"] != 3600.0 || m["scope"] != scope {
		f.Fatalf("status %d, answer %v", status, m)
	}
	claims := e.verifyTokenOf(f, m["access_token"].(string), shopAPI, e.srv.URL+"/")
	if claims["sub"] != app.ID+"@clients" || claims["azp"] != app.ID || claims["gty"] != "client-credentials" ||
		claims["aud"] != shopAPI || claims["scope"] != scope {
		f.Errorf("claims %v", claims)
	}
}

// curl as Logto's guide and docs/m2m.md show it: Basic credentials, a form
// body, resource.
func (e *env) curlLogto(t *testing.T) {
	f := newFlow(t, "curl (Logto's shape)")
	tokenURL := e.srv.URL + "/oidc/token"

	f.Step("curl -u id:secret, --data-urlencode")
	status, m := runCurl(f, "-u", e.writer.ID+":"+e.writer.Secret, tokenURL,
		"-d", "grant_type=client_credentials", "--data-urlencode", "resource="+shopAPI,
		"--data-urlencode", "scope=read:products write:products")
	e.checkTokenAnswer(f, status, m, e.writer, "read:products write:products")

	f.Step("the guide's raw request body")
	// POST /oidc/token, Authorization: Basic, and the body exactly as the
	// guide prints it (unencoded ':' '/' and a space).
	status, m = runCurl(f, "-X", "POST", tokenURL,
		"-H", "Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte(e.reader.ID+":"+e.reader.Secret)),
		"-H", "Content-Type: application/x-www-form-urlencoded",
		"--data-raw", "grant_type=client_credentials&resource=https://shopping.api&scope=read:products write:products")
	e.checkTokenAnswer(f, status, m, e.reader, "read:products")

	f.Step("Management API token and the seed's last call")
	status, m = runCurl(f, "-u", e.admin.ID+":"+e.admin.Secret, "-d", "grant_type=client_credentials",
		"--data-urlencode", "resource="+e.srv.ManagementIndicator, "-d", "scope=all", tokenURL)
	if status != 200 || m["scope"] != "all" {
		f.Fatalf("status %d, answer %v", status, m)
	}
	mt := m["access_token"].(string)
	out, err := exec.Command("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
		"-H", "Authorization: Bearer "+mt, e.srv.URL+"/api/applications").Output()
	f.check(err)
	if got := string(out); got != "200" {
		f.Errorf("GET /api/applications: status %q", got)
	}

	f.Step("wrong secret")
	status, m = runCurl(f, "-u", e.writer.ID+":wrong", tokenURL, "-d", "grant_type=client_credentials", "--data-urlencode", "resource="+shopAPI)
	if status != 401 || m["error"] != "invalid_client" || m["error_description"] == nil {
		f.Errorf("status %d, answer %v", status, m)
	}
	f.Step("no resource")
	status, m = runCurl(f, "-u", e.writer.ID+":"+e.writer.Secret, tokenURL, "-d", "grant_type=client_credentials")
	if status != 400 || m["error"] != "invalid_target" {
		f.Errorf("status %d, answer %v", status, m)
	}
}

// curl as Auth0's documentation shows it: POST /oauth/token with the
// credentials and audience in a JSON body (the dashboard's "Test" tab) or in
// a form body (the Client Credentials Flow guide).
func (e *env) curlAuth0(t *testing.T) {
	f := newFlow(t, "curl (Auth0's shape)")
	tokenURL := e.srv.URL + "/oauth/token"

	// Auth0's face: without scope, every scope of the client grant (the
	// app's roles on the API); sub is "{client_id}@clients".
	f.Step("JSON body")
	body, _ := json.Marshal(map[string]string{"client_id": e.writer.ID, "client_secret": e.writer.Secret, "audience": shopAPI, "grant_type": "client_credentials"})
	status, m := runCurl(f, "--request", "POST", "--url", tokenURL, "--header", "content-type: application/json", "--data", string(body))
	e.checkAuth0Answer(f, status, m, e.writer, "read:products write:products")

	f.Step("JSON body with scope")
	body, _ = json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": e.writer.ID, "client_secret": e.writer.Secret, "audience": shopAPI, "scope": "read:products"})
	status, m = runCurl(f, "-s", tokenURL, "-H", "Content-Type: application/json", "-d", string(body))
	e.checkAuth0Answer(f, status, m, e.writer, "read:products")

	f.Step("form body")
	status, m = runCurl(f, "--request", "POST", "--url", tokenURL, "--header", "content-type: application/x-www-form-urlencoded",
		"--data", "grant_type=client_credentials", "--data", "client_id="+e.reader.ID, "--data", "client_secret="+e.reader.Secret,
		"--data", "audience="+shopAPI)
	e.checkAuth0Answer(f, status, m, e.reader, "read:products")

	f.Step("a scope outside the client grant")
	body, _ = json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": e.reader.ID, "client_secret": e.reader.Secret, "audience": shopAPI, "scope": "write:products"})
	status, m = runCurl(f, "-s", tokenURL, "-H", "Content-Type: application/json", "-d", string(body))
	if status != 403 || m["error"] != "access_denied" || m["error_description"] != "Client has not been granted scopes: write:products" {
		f.Errorf("status %d, answer %v", status, m)
	}

	f.Step("wrong secret")
	body, _ = json.Marshal(map[string]string{"client_id": e.writer.ID, "client_secret": "wrong", "audience": shopAPI, "grant_type": "client_credentials"})
	status, m = runCurl(f, "--request", "POST", "--url", tokenURL, "--header", "content-type: application/json", "--data", string(body))
	if status != 401 || m["error"] != "invalid_client" {
		f.Errorf("status %d, answer %v", status, m)
	}
}
