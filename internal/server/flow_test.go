package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/monban/monban/internal/server"
)

// verifyWithJWKS checks an access token's signature against the server's
// published JWKS with an independent JOSE library, and returns its claims.
func verifyWithJWKS(t *testing.T, ts *testServer, raw string) (map[string]any, jose.Header) {
	t.Helper()
	r := ts.do("GET", "/oidc/jwks", nil, nil)
	if r.Status != 200 {
		t.Fatalf("jwks: %d", r.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.Body, &set); err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.RS256, jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	h := tok.Headers[0]
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q is published %d times", h.KeyID, len(keys))
	}
	if keys[0].Algorithm != h.Algorithm || keys[0].Use != "sig" {
		t.Fatalf("jwk alg/use = %s/%s, token alg %s", keys[0].Algorithm, keys[0].Use, h.Algorithm)
	}
	var claims map[string]any
	if err := tok.Claims(keys[0].Key, &claims); err != nil {
		t.Fatalf("signature does not verify against the JWKS: %v", err)
	}
	return claims, h
}

// The seed guide's walk-through, end to end: a management token from the
// bootstrap app, a resource with two permissions, an M2M role and app, and
// tokens for the app through a standard client and an Auth0-style JSON body.
func TestM2MFlow(t *testing.T) {
	ts := startServer(t)
	mt := ts.managementToken()

	res := ts.mustAPI(mt, "POST", "/api/resources", map[string]any{"name": "Shopping", "indicator": "https://shopping.api"}, 201)
	resID := res["id"].(string)
	if res["accessTokenTtl"].(float64) != 3600 {
		t.Errorf("default accessTokenTtl = %v", res["accessTokenTtl"])
	}
	read := ts.mustAPI(mt, "POST", "/api/resources/"+resID+"/scopes", map[string]any{"name": "read:products", "description": "Read products"}, 201)
	write := ts.mustAPI(mt, "POST", "/api/resources/"+resID+"/scopes", map[string]any{"name": "write:products", "description": "Write products"}, 201)
	role := ts.mustAPI(mt, "POST", "/api/roles", map[string]any{
		"name": "Shop client", "description": "Reads and writes products", "type": "MachineToMachine",
		"scopeIds": []string{read["id"].(string), write["id"].(string)},
	}, 200)
	app := ts.mustAPI(mt, "POST", "/api/applications", map[string]any{"name": "Order sync", "type": "MachineToMachine"}, 200)
	appID, secret := app["id"].(string), app["secret"].(string)
	if len(secret) < 43 {
		t.Fatalf("secret %q is shorter than 32 random bytes", secret)
	}
	ts.mustAPI(mt, "POST", "/api/applications/"+appID+"/roles", map[string]any{"roleIds": []string{role["id"].(string)}}, 201)

	// golang.org/x/oauth2's client credentials flow, Basic auth, RFC 8707 resource.
	cc := clientcredentials.Config{
		ClientID: appID, ClientSecret: secret, TokenURL: ts.URL + "/oidc/token",
		Scopes:         []string{"read:products", "write:products", "delete:everything"},
		EndpointParams: url.Values{"resource": {"https://shopping.api"}},
	}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || time.Until(tok.Expiry) < 59*time.Minute {
		t.Errorf("token type %q, expiry %v", tok.TokenType, tok.Expiry)
	}
	if got := tok.Extra("scope"); got != "read:products write:products" {
		t.Errorf("scope = %v (the unheld scope must be dropped silently)", got)
	}
	claims, h := verifyWithJWKS(t, ts, tok.AccessToken)
	if h.ExtraHeaders["typ"] != "at+jwt" || h.Algorithm != "ES256" || h.KeyID == "" {
		t.Errorf("header = %+v", h)
	}
	for k, want := range map[string]any{"iss": ts.Issuer, "sub": appID, "aud": "https://shopping.api", "client_id": appID, "scope": "read:products write:products"} {
		if claims[k] != want {
			t.Errorf("claim %s = %v, want %v", k, claims[k], want)
		}
	}
	if jti, _ := claims["jti"].(string); len(jti) < 16 {
		t.Errorf("jti = %v", claims["jti"])
	}
	iat, exp := claims["iat"].(float64), claims["exp"].(float64)
	if exp-iat != 3600 || time.Since(time.Unix(int64(iat), 0)) > time.Minute {
		t.Errorf("iat %v exp %v", iat, exp)
	}

	// Client secret in the body (client_secret_post).
	cc.AuthStyle = 1 // oauth2.AuthStyleInParams
	if _, err := cc.Token(context.Background()); err != nil {
		t.Fatalf("client_secret_post: %v", err)
	}

	// Auth0's shape: JSON body with audience, at /oauth/token.
	body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": appID, "client_secret": secret, "audience": "https://shopping.api", "scope": "read:products"})
	r := ts.do("POST", "/oauth/token", http.Header{"Content-Type": {"application/json"}}, strings.NewReader(string(body)))
	if r.Status != 200 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("auth0-style: %d %v %s", r.Status, r.Header, r.Body)
	}
	m := r.json(t)
	if m["scope"] != "read:products" || m["token_type"] != "Bearer" || m["expires_in"].(float64) != 3600 {
		t.Errorf("auth0-style response = %v", m)
	}
	claims, _ = verifyWithJWKS(t, ts, m["access_token"].(string))
	if claims["aud"] != "https://shopping.api" {
		t.Errorf("aud = %v", claims["aud"])
	}

	// No scope parameter: no scopes, and no scope claim.
	r = ts.tokenForm(appID, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {"https://shopping.api"}})
	claims, _ = verifyWithJWKS(t, ts, r.json(t)["access_token"].(string))
	if _, ok := claims["scope"]; ok {
		t.Errorf("scope claim present without a scope parameter: %v", claims["scope"])
	}

	// The app's token is no Management API token.
	r = ts.tokenForm(appID, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {ts.Mgmt}, "scope": {"all"}})
	appMgmt := r.json(t)["access_token"].(string)
	if r := ts.api(appMgmt, "GET", "/api/applications", nil); r.Status != 403 || !strings.Contains(r.Header.Get("WWW-Authenticate"), "insufficient_scope") {
		t.Errorf("token without all: %d %q", r.Status, r.Header.Get("WWW-Authenticate"))
	}
	// The shopping token is not for the Management API at all.
	if r := ts.api(tok.AccessToken, "GET", "/api/applications", nil); r.Status != 401 {
		t.Errorf("token for another audience: %d", r.Status)
	}

	// The seed's last step: list applications with the management token.
	r = ts.api(mt, "GET", "/api/applications?page=1", nil)
	// The bootstrap app, the console's own app and the new one.
	if r.Status != 200 || r.Header.Get("Total-Number") != "3" {
		t.Fatalf("list applications: %d total %q", r.Status, r.Header.Get("Total-Number"))
	}
	if strings.Contains(string(r.Body), secret) {
		t.Error("a secret value appears in the application list")
	}

	// Changes take effect on the very next token request.
	ts.mustAPI(mt, "DELETE", "/api/applications/"+appID+"/roles/"+role["id"].(string), nil, 204)
	r = ts.tokenForm(appID, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {"https://shopping.api"}, "scope": {"read:products"}})
	if got := r.json(t)["scope"]; got != "" {
		t.Errorf("scope after the role was removed = %v", got)
	}
	ts.mustAPI(mt, "DELETE", "/api/applications/"+appID+"/secrets/"+url.PathEscape(firstSecretName(t, ts, mt, appID)), nil, 204)
	if r := ts.tokenForm(appID, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {"https://shopping.api"}}); r.Status != 401 {
		t.Errorf("deleted secret still authenticates: %d", r.Status)
	}

	if logs := ts.Logs.String(); strings.Contains(logs, secret) || strings.Contains(logs, bootSecret) || strings.Contains(logs, mt) {
		t.Error("a secret or token reached the log")
	}
}

func firstSecretName(t *testing.T, ts *testServer, mt, appID string) string {
	t.Helper()
	r := ts.api(mt, "GET", "/api/applications/"+appID+"/secrets", nil)
	var list []map[string]any
	if err := json.Unmarshal(r.Body, &list); err != nil || len(list) == 0 {
		t.Fatalf("secrets: %d %s", r.Status, r.Body)
	}
	if _, ok := list[0]["value"]; ok {
		t.Error("GET secrets returns a value")
	}
	return list[0]["name"].(string)
}

// Stop and start on the same file: tokens from before still verify, the app
// still authenticates, nothing is seeded twice.
func TestRestartKeepsEverything(t *testing.T) {
	ts := startServer(t)
	mt := ts.managementToken()
	ts.mustAPI(mt, "POST", "/api/resources", map[string]any{"name": "Shopping", "indicator": "https://shopping.api"}, 201)
	app := ts.mustAPI(mt, "POST", "/api/applications", map[string]any{"name": "Worker", "type": "MachineToMachine"}, 200)
	jwksBefore := string(ts.do("GET", "/oidc/jwks", nil, nil).Body)

	ts.restart()

	if got := string(ts.do("GET", "/oidc/jwks", nil, nil).Body); got != jwksBefore {
		t.Errorf("JWKS changed across a restart:\n%s\n%s", jwksBefore, got)
	}
	verifyWithJWKS(t, ts, mt)
	// The Management API, the Management API v2 and Shopping.
	if r := ts.api(mt, "GET", "/api/resources?page=1", nil); r.Status != 200 || r.Header.Get("Total-Number") != "3" {
		t.Errorf("old management token after restart: %d, total %q", r.Status, r.Header.Get("Total-Number"))
	}
	r := ts.tokenForm(app["id"].(string), app["secret"].(string), url.Values{"grant_type": {"client_credentials"}, "resource": {"https://shopping.api"}})
	if r.Status != 200 {
		t.Errorf("app after restart: %d %s", r.Status, r.Body)
	}
	roles := ts.api(mt, "GET", "/api/roles", nil)
	var list []map[string]any
	_ = json.Unmarshal(roles.Body, &list)
	n := 0
	for _, r := range list {
		if r["name"] == "Management API access" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d Management API access roles after restart", n)
	}
}

func TestDiscoveryAndJWKS(t *testing.T) {
	ts := startServer(t)
	r := ts.do("GET", "/oidc/.well-known/openid-configuration", nil, nil)
	if r.Status != 200 {
		t.Fatal(r.Status)
	}
	d := r.json(t)
	if d["issuer"] != ts.Issuer || d["token_endpoint"] != ts.Issuer+"/token" || d["jwks_uri"] != ts.Issuer+"/jwks" {
		t.Errorf("discovery = %v", d)
	}
	if !slices.Contains(anyStrings(d["grant_types_supported"]), "client_credentials") ||
		!slices.Contains(anyStrings(d["token_endpoint_auth_methods_supported"]), "client_secret_basic") ||
		!slices.Contains(anyStrings(d["token_endpoint_auth_methods_supported"]), "client_secret_post") {
		t.Errorf("discovery = %v", d)
	}
	a := ts.do("GET", "/oidc/jwks", nil, nil)
	b := ts.do("GET", "/.well-known/jwks.json", nil, nil)
	if a.Status != 200 || string(a.Body) != string(b.Body) || a.Header.Get("ETag") == "" || !strings.Contains(a.Header.Get("Cache-Control"), "max-age") {
		t.Fatalf("jwks: %d %v", a.Status, a.Header)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(a.Body, &set); err != nil || len(set.Keys) != 1 || !set.Keys[0].IsPublic() || set.Keys[0].Algorithm != "ES256" {
		t.Fatalf("jwks = %s (%v)", a.Body, err)
	}
	if strings.Contains(string(a.Body), `"d"`) {
		t.Fatal("private key material in JWKS")
	}
	nm := ts.do("GET", "/oidc/jwks", http.Header{"If-None-Match": {a.Header.Get("ETag")}}, nil)
	if nm.Status != 304 {
		t.Errorf("If-None-Match: %d", nm.Status)
	}
}

func anyStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// Rotation: a new key signs, the old one stays published, and tokens of
// both verify.
func TestKeyRotation(t *testing.T) {
	ts := startServer(t)
	mt := ts.managementToken()
	_, h1 := verifyWithJWKS(t, ts, mt)
	for _, alg := range []string{"EdDSA", "RS256", "ES384", "ES256"} {
		r := ts.api(mt, "POST", "/api/configs/oidc/private-keys/rotate", map[string]any{"signingKeyAlgorithm": alg})
		if r.Status != 200 && r.Status != 201 {
			t.Fatalf("rotate %s: %d %s", alg, r.Status, r.Body)
		}
		nt := ts.managementToken()
		_, h := verifyWithJWKS(t, ts, nt)
		if h.Algorithm != alg || h.KeyID == h1.KeyID {
			t.Errorf("after rotating to %s: token header %+v", alg, h)
		}
		verifyWithJWKS(t, ts, mt) // the first token still verifies
		if r := ts.api(mt, "GET", "/api/configs/oidc/private-keys", nil); r.Status != 200 || strings.Contains(string(r.Body), "PRIVATE") {
			t.Fatalf("list keys: %d %s", r.Status, r.Body)
		}
	}
	if r := ts.api(mt, "POST", "/api/configs/oidc/private-keys/rotate", map[string]any{"signingKeyAlgorithm": "HS256"}); r.Status != 400 {
		t.Errorf("rotate to HS256: %d", r.Status)
	}
}

// With a publish delay, a rotated-in key is published at once and signs
// only when the delay has passed; then it is recorded as current.
func TestKeyPublishDelay(t *testing.T) {
	const delay = time.Minute
	ts := startServer(t)
	clk := fakeClock()
	ts.restartWith(func(cfg *server.Config) { cfg.KeyPublishDelay = delay; cfg.Clock = clk })
	mt := ts.managementToken()
	_, before := verifyWithJWKS(t, ts, mt)
	r := ts.api(mt, "POST", "/api/configs/oidc/private-keys/rotate", map[string]any{"signingKeyAlgorithm": "EdDSA"})
	var list []map[string]any
	if err := json.Unmarshal(r.Body, &list); r.Status != 200 || err != nil {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	statuses := map[string]string{}
	for _, k := range list {
		statuses[k["id"].(string)] = k["status"].(string)
	}
	var nextID string
	for id, st := range statuses {
		if st == "Next" {
			nextID = id
		}
	}
	if nextID == "" || statuses[before.KeyID] != "Current" {
		t.Fatalf("after rotate: %v", statuses)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(ts.do("GET", "/oidc/jwks", nil, nil).Body, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Key(nextID)) != 1 {
		t.Fatal("the next key is not published at once")
	}
	if _, h := verifyWithJWKS(t, ts, ts.managementToken()); h.KeyID != before.KeyID {
		t.Fatal("the next key signed before its delay")
	}
	clk.Advance(delay - time.Millisecond)
	if _, h := verifyWithJWKS(t, ts, ts.managementToken()); h.KeyID != before.KeyID {
		t.Fatal("the next key signed before its delay")
	}
	clk.Advance(time.Second)
	// The clock has passed the delay; the rebuild and the promotion run
	// in the background, so the test polls for them (the deadline only
	// ends a broken run).
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, h := verifyWithJWKS(t, ts, ts.managementToken())
		if h.KeyID == nextID && h.Algorithm == "EdDSA" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the next key never signed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		r := ts.api(mt, "GET", "/api/configs/oidc/private-keys", nil)
		list = nil
		if err := json.Unmarshal(r.Body, &list); r.Status != 200 || err != nil {
			t.Fatalf("list keys: %d %s", r.Status, r.Body)
		}
		statuses = map[string]string{}
		for _, k := range list {
			statuses[k["id"].(string)] = k["status"].(string)
		}
		if statuses[nextID] == "Current" && statuses[before.KeyID] == "Previous" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("statuses never settled: %v", statuses)
		}
		time.Sleep(50 * time.Millisecond)
	}
	verifyWithJWKS(t, ts, mt) // tokens of the old key still verify
}
