package console

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

var testCfg = Config{Endpoint: "https://id.example.com/", ManagementIndicator: "https://id.example.com/api"}

func serve(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fakeDist() fstest.MapFS {
	return fstest.MapFS{
		"index.html":              {Data: []byte(`<!doctype html><meta name="csp-nonce" content="__CSP_NONCE__"><script type="module" src="/console/assets/index-abc123.js"></script>`)},
		"assets/index-abc123.js":  {Data: []byte(strings.Repeat("console.log('monban');\n", 200))},
		"assets/style-def456.css": {Data: []byte("body{color:red}")},
		"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
	}
}

func newTestHandler(t *testing.T) http.Handler {
	t.Helper()
	h, err := newHandler(fakeDist(), testCfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func checkSecurityHeaders(t *testing.T, res *http.Response) {
	t.Helper()
	want := map[string]string{
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %q", csp, d)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP %q allows %s", csp, bad)
		}
	}
}

func TestIndexCarriesNonceAndHeaders(t *testing.T) {
	h := newTestHandler(t)
	nonceRe := regexp.MustCompile(`content="([A-Za-z0-9_-]{20,})"`)
	seen := map[string]bool{}
	for _, path := range []string{"/console/", "/console/applications", "/console/applications/abc?tab=roles", "/console/callback?code=x&state=y"} {
		res := serve(t, h, "GET", path, nil)
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		checkSecurityHeaders(t, res)
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
		b := body(t, res)
		m := nonceRe.FindStringSubmatch(b)
		if m == nil {
			t.Fatalf("%s: no nonce in %s", path, b)
		}
		nonce := m[1]
		if seen[nonce] {
			t.Errorf("nonce %q repeated", nonce)
		}
		seen[nonce] = true
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self' 'nonce-"+nonce+"'") {
			t.Errorf("%s: CSP %q does not allow the page's nonce %q", path, csp, nonce)
		}
	}
}

func TestRedirects(t *testing.T) {
	h := newTestHandler(t)
	res := serve(t, h, "GET", "/console", nil)
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/console/" {
		t.Errorf("/console: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	res = serve(t, h, "GET", "/console?x=1", nil)
	if res.Header.Get("Location") != "/console/?x=1" {
		t.Errorf("/console?x=1 → %q", res.Header.Get("Location"))
	}
	res = serve(t, h, "GET", "/console/index.html", nil)
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/console/" {
		t.Errorf("/console/index.html: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestConfigJSON(t *testing.T) {
	h := newTestHandler(t)
	res := serve(t, h, "GET", "/console/config.json", nil)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
	}
	checkSecurityHeaders(t, res)
	var c clientConfig
	if err := json.Unmarshal([]byte(body(t, res)), &c); err != nil {
		t.Fatal(err)
	}
	want := clientConfig{
		Endpoint:              "https://id.example.com",
		Issuer:                "https://id.example.com/oidc",
		ClientID:              DefaultClientID,
		ManagementIndicator:   "https://id.example.com/api",
		AuthorizationEndpoint: "https://id.example.com/oidc/auth",
		TokenEndpoint:         "https://id.example.com/oidc/token",
		RevocationEndpoint:    "https://id.example.com/oidc/token/revocation",
		EndSessionEndpoint:    "https://id.example.com/oidc/session/end",
		RedirectURI:           "https://id.example.com/console/callback",
		PostLogoutRedirectURI: "https://id.example.com/console/",
		Scope:                 "openid profile offline_access all",
	}
	if c != want {
		t.Errorf("config\n got %+v\nwant %+v", c, want)
	}
	if RedirectURI("http://localhost:3001/") != "http://localhost:3001/console/callback" || PostLogoutRedirectURI("http://localhost:3001") != "http://localhost:3001/console/" {
		t.Error("RedirectURI / PostLogoutRedirectURI")
	}
	h2, _ := newHandler(fakeDist(), Config{Endpoint: "http://x", ClientID: "my-console", ManagementIndicator: "http://x/api"})
	_ = json.Unmarshal([]byte(body(t, serve(t, h2, "GET", "/console/config.json", nil))), &c)
	if c.ClientID != "my-console" {
		t.Errorf("clientId %q", c.ClientID)
	}
}

func TestAssets(t *testing.T) {
	h := newTestHandler(t)
	res := serve(t, h, "GET", "/console/assets/index-abc123.js", nil)
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	checkSecurityHeaders(t, res)
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control %q", cc)
	}
	if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("Content-Type %q", ct)
	}
	plain := body(t, res)
	etag := res.Header.Get("ETag")

	res = serve(t, h, "GET", "/console/assets/index-abc123.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("no gzip: %v", res.Header)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if string(unzipped) != plain {
		t.Error("gzipped body differs")
	}
	res = serve(t, h, "GET", "/console/assets/index-abc123.js", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent although refused")
	}
	res = serve(t, h, "GET", "/console/assets/index-abc123.js", map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", res.StatusCode)
	}
	res = serve(t, h, "HEAD", "/console/assets/style-def456.css", nil)
	if res.StatusCode != 200 || body(t, res) != "" || res.Header.Get("Content-Length") != "15" {
		t.Errorf("HEAD: %d %v", res.StatusCode, res.Header)
	}
	res = serve(t, h, "GET", "/console/favicon.svg", nil)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "public, max-age=3600" || res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("favicon: %d %v", res.StatusCode, res.Header)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := newTestHandler(t)
	for _, p := range []string{"/console/assets/index-old.js", "/console/assets/x", "/console/missing.png", "/console/../etc/passwd.txt"} {
		res := serve(t, h, "GET", p, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
		checkSecurityHeaders(t, res)
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		res := serve(t, h, m, "/console/", nil)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d Allow %q", m, res.StatusCode, res.Header.Get("Allow"))
		}
	}
	if res := serve(t, h, "GET", "/other", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("/other: %d", res.StatusCode)
	}
}

// TestEmbeddedBuild checks the committed build: index.html has the nonce
// marker and every asset it names is served.
func TestEmbeddedBuild(t *testing.T) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		t.Fatal(err)
	}
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		t.Fatalf("dist/index.html missing: rebuild the console (npm run build in console/): %v", err)
	}
	if !strings.Contains(string(index), `<meta name="csp-nonce" content="`+nonceMarker+`"`) {
		t.Error("dist/index.html lacks the nonce marker")
	}
	if strings.Contains(string(index), "<script>") || strings.Contains(string(index), "<style") {
		t.Error("dist/index.html has an inline script or style")
	}
	h := Handler(testCfg)
	refs := regexp.MustCompile(`(?:src|href)="(/console/[^"]+)"`).FindAllStringSubmatch(string(index), -1)
	if len(refs) < 2 {
		t.Fatalf("index.html names %d assets", len(refs))
	}
	for _, m := range refs {
		res := serve(t, h, "GET", m[1], nil)
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", m[1], res.StatusCode)
		}
	}
}
