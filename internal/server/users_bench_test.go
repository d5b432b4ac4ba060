package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
)

// handlerTransport serves requests with a handler in process: benchmarks
// measure the server's work, not the loopback network.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = req
	return res, nil
}

// benchUser is a server with a user signed in to a SPA and a web app that
// does not rotate refresh tokens, reached in process.
type benchUser struct {
	h                 http.Handler
	spa, web          appCreds
	spaRT, webRT, uat string // refresh tokens and a userinfo access token
	// webCode makes an authorization request for the web app with the
	// user's session and returns the code it answers with.
	webCode func() string
}

// benchOnEngines runs a benchmark of the user grants, which write, on SQLite
// and on PostgreSQL (skipped without MONBAN_TEST_POSTGRES_URL), each on a
// new database.
func benchOnEngines(b *testing.B, bench func(b *testing.B, dbURL string)) {
	b.Run("sqlite", func(b *testing.B) { bench(b, "sqlite://"+filepath.Join(b.TempDir(), "monban.db")) })
	b.Run("postgres", func(b *testing.B) { bench(b, postgres.NewTestDatabase(b)) })
}

func newBenchUser(b *testing.B, dbURL string) *benchUser {
	b.Helper()
	const endpoint = "http://localhost:3001"
	srv, err := server.New(context.Background(), server.Config{
		Addr: "127.0.0.1:0", Endpoint: endpoint, DatabaseURL: dbURL, SecretKey: storetest.NewKey(b),
		ManagementIndicator: endpoint + "/api", BootstrapAppID: bootID, BootstrapAppSecret: bootSecret,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Users:      server.UserSettings{PasswordParams: fastPasswords},
		RateLimits: &server.RateLimits{}, // off: they would cap a single client
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	bu := &benchUser{h: srv.Handler()}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: handlerTransport{bu.h}, Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), endpoint+"/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	call := func(method, path, ctype, auth string, body string, want int) (map[string]any, *http.Response, string) {
		b.Helper()
		req, _ := http.NewRequest(method, endpoint+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		if want != 0 && res.StatusCode != want {
			b.Fatalf("%s %s: %d %s", method, path, res.StatusCode, data)
		}
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		return m, res, string(data)
	}
	tokForm := url.Values{"grant_type": {"client_credentials"}, "resource": {endpoint + "/api"}, "scope": {"all"},
		"client_id": {bootID}, "client_secret": {bootSecret}}
	m, _, _ := call("POST", "/oidc/token", "application/x-www-form-urlencoded", "", tokForm.Encode(), 200)
	mt := "Bearer " + m["access_token"].(string)
	api := func(method, path string, body any, want int) map[string]any {
		data, _ := json.Marshal(body)
		m, _, _ := call(method, path, "application/json", mt, string(data), want)
		return m
	}
	resID := api("POST", "/api/resources", map[string]any{"name": "Shop", "indicator": shopAPI}, 201)["id"].(string)
	readID := api("POST", "/api/resources/"+resID+"/scopes", map[string]any{"name": "read:products"}, 201)["id"].(string)
	roleID := api("POST", "/api/roles", map[string]any{"name": "Shopper", "description": "r", "type": "User", "scopeIds": []string{readID}}, 200)["id"].(string)
	userID := api("POST", "/api/users", map[string]any{"username": "jane", "primaryEmail": "jane@example.com", "name": "Jane", "password": userPass}, 200)["id"].(string)
	api("POST", "/api/users/"+userID+"/roles", map[string]any{"roleIds": []string{roleID}}, 201)
	spa := api("POST", "/api/applications", map[string]any{"name": "SPA", "type": "SPA", "oidcClientMetadata": map[string]any{"redirectUris": []string{spaRedirect}}}, 200)
	web := api("POST", "/api/applications", map[string]any{"name": "Web", "type": "Traditional",
		"oidcClientMetadata": map[string]any{"redirectUris": []string{webRedirect}}, "customClientMetadata": map[string]any{"rotateRefreshToken": false}}, 200)
	bu.spa, bu.web = appCreds{ID: spa["id"].(string)}, appCreds{ID: web["id"].(string), Secret: web["secret"].(string)}

	signIn := func(client, redirect string, challenge string) string {
		q := url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {redirect},
			"scope": {"openid profile email offline_access read:products"}, "resource": {shopAPI}}
		if challenge != "" {
			q.Set("code_challenge", challenge)
			q.Set("code_challenge_method", "S256")
		}
		// The sign-in page the first time; then the session answers at once.
		_, res, body := call("GET", "/oidc/auth?"+q.Encode(), "", "", "", 0)
		if res.Request.URL.Path == "/sign-in" {
			form := page{Body: body}.hidden()
			form.Set("identifier", "jane")
			form.Set("password", userPass)
			_, res, _ = call("POST", "/sign-in", "application/x-www-form-urlencoded", "", form.Encode(), http.StatusSeeOther)
		}
		loc, _ := url.Parse(res.Header.Get("Location"))
		return loc.Query().Get("code")
	}
	verifier, challenge := pkce()
	code := signIn(bu.spa.ID, spaRedirect, challenge)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {spaRedirect},
		"code_verifier": {verifier}, "client_id": {bu.spa.ID}}
	m, _, _ = call("POST", "/oidc/token", "application/x-www-form-urlencoded", "", form.Encode(), 200)
	bu.spaRT, bu.uat = m["refresh_token"].(string), m["access_token"].(string)
	bu.webCode = func() string { return signIn(bu.web.ID, webRedirect, "") }
	code = bu.webCode()
	form = url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect},
		"client_id": {bu.web.ID}, "client_secret": {bu.web.Secret}}
	m, _, _ = call("POST", "/oidc/token", "application/x-www-form-urlencoded", "", form.Encode(), 200)
	bu.webRT = m["refresh_token"].(string)
	return bu
}

func (bu *benchUser) serve(b *testing.B, method, path, ctype, auth, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	bu.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return rec
}

// BenchmarkRefreshGrantRotating refreshes a SPA's grant one request after
// another, each with the refresh token the previous one returned: lookup,
// rotation and a new token pair in one write transaction, an access token
// and an ID token signed.
func BenchmarkRefreshGrantRotating(b *testing.B) { benchOnEngines(b, benchRefreshRotating) }

func benchRefreshRotating(b *testing.B, dbURL string) {
	bu := newBenchUser(b, dbURL)
	rt := bu.spaRT
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		body := "grant_type=refresh_token&client_id=" + bu.spa.ID + "&refresh_token=" + rt + "&resource=" + url.QueryEscape(shopAPI)
		rec := bu.serve(b, "POST", "/oidc/token", "application/x-www-form-urlencoded", "", body)
		var m struct {
			RefreshToken string `json:"refresh_token"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m.RefreshToken == "" {
			b.Fatalf("no refresh token in %s", rec.Body)
		}
		rt = m.RefreshToken
	}
}

// BenchmarkRefreshGrantConfidential refreshes a confidential app's grant
// whose refresh token does not rotate, from parallel clients.
func BenchmarkRefreshGrantConfidential(b *testing.B) { benchOnEngines(b, benchRefreshConfidential) }

func benchRefreshConfidential(b *testing.B, dbURL string) {
	bu := newBenchUser(b, dbURL)
	body := "grant_type=refresh_token&refresh_token=" + bu.webRT + "&client_id=" + bu.web.ID + "&client_secret=" + url.QueryEscape(bu.web.Secret)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bu.serve(b, "POST", "/oidc/token", "application/x-www-form-urlencoded", "", body)
		}
	})
}

// BenchmarkCodeExchange redeems authorization codes of a confidential web
// app one after another: a code read, the user, their roles and the grant
// read, an access, an ID and a refresh token signed, and the code spent
// with what it issued in one write transaction. Each code is made by an
// authorization request with the user's session, outside the timer.
func BenchmarkCodeExchange(b *testing.B) { benchOnEngines(b, benchCodeExchange) }

func benchCodeExchange(b *testing.B, dbURL string) {
	bu := newBenchUser(b, dbURL)
	form := url.Values{"grant_type": {"authorization_code"}, "redirect_uri": {webRedirect},
		"client_id": {bu.web.ID}, "client_secret": {bu.web.Secret}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		form.Set("code", bu.webCode())
		body := form.Encode()
		b.StartTimer()
		bu.serve(b, "POST", "/oidc/token", "application/x-www-form-urlencoded", "", body)
	}
}

// BenchmarkUserinfo measures the userinfo endpoint: JWT verification, the
// in-memory revocation check and one user read.
func BenchmarkUserinfo(b *testing.B) {
	bu := newBenchUser(b, "sqlite://"+filepath.Join(b.TempDir(), "monban.db"))
	auth := "Bearer " + bu.uat
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bu.serve(b, "GET", "/oidc/me", "", auth, "")
		}
	})
}
