// Package console serves the admin console: a single-page app, built from
// the TypeScript sources in console/ into dist/ and embedded in the binary,
// under /console/. The console signs its admin in with the authorization
// code flow and PKCE against this server, as a first-party public (SPA)
// client, and calls the Management API with the access token it gets.
//
// Every response carries a strict Content-Security-Policy: scripts, styles,
// images and connections from this origin only, no inline script, and
// inline style elements only with the nonce that index.html hands to the
// code editor (CodeMirror adds its theme as style elements).
package console

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/monban/monban/internal/directory"
)

// Prefix is the path the console is served under.
const Prefix = "/console"

// DefaultClientID is the client_id of the console's own OIDC application.
const DefaultClientID = directory.ConsoleAppID

// nonceMarker stands in dist/index.html for the per-response style nonce.
const nonceMarker = "__CSP_NONCE__"

//go:embed all:dist
var dist embed.FS

// Config is what the console needs to know about the server.
type Config struct {
	// Endpoint is the public base URL of the server (no trailing slash);
	// the issuer is {Endpoint}/oidc.
	Endpoint string
	// ClientID is the console's OIDC application, of type SPA, with
	// RedirectURI and PostLogoutRedirectURI registered. Empty means
	// DefaultClientID.
	ClientID string
	// ManagementIndicator is the Management API's resource indicator; the
	// console asks for an access token for it with scope "all".
	ManagementIndicator string
}

// RedirectURI is the console's OAuth redirect URI for an endpoint.
func RedirectURI(endpoint string) string {
	return strings.TrimRight(endpoint, "/") + Prefix + "/callback"
}

// PostLogoutRedirectURI is where the console asks to be sent after sign-out.
func PostLogoutRedirectURI(endpoint string) string {
	return strings.TrimRight(endpoint, "/") + Prefix + "/"
}

// clientConfig is GET /console/config.json: everything the app needs to
// sign in, so that no value is inlined into the page.
type clientConfig struct {
	Endpoint              string `json:"endpoint"`
	Issuer                string `json:"issuer"`
	ClientID              string `json:"clientId"`
	ManagementIndicator   string `json:"managementApiIndicator"`
	AuthorizationEndpoint string `json:"authorizationEndpoint"`
	TokenEndpoint         string `json:"tokenEndpoint"`
	RevocationEndpoint    string `json:"revocationEndpoint"`
	EndSessionEndpoint    string `json:"endSessionEndpoint"`
	RedirectURI           string `json:"redirectUri"`
	PostLogoutRedirectURI string `json:"postLogoutRedirectUri"`
	Scope                 string `json:"scope"`
}

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
	immutable   bool // content-hashed file name: cache for a year

	// The gzipped body is made on first request: a server whose console is
	// never opened does not spend the memory and time at start-up.
	gzipOnce sync.Once
	gzipped  []byte // nil when compression does not pay
}

// gzip returns the compressed body, or nil when compression does not pay.
func (a *asset) gzip() []byte {
	a.gzipOnce.Do(func() {
		if !compressible(a.contentType) || len(a.body) <= 1024 {
			return
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(a.body)
		_ = zw.Close()
		if buf.Len() < len(a.body)*9/10 {
			a.gzipped = buf.Bytes()
		}
	})
	return a.gzipped
}

type handler struct {
	assets     map[string]*asset // by path below Prefix+"/", e.g. "assets/index-abc.js"
	indexHead  []byte            // index.html up to the nonce marker
	indexTail  []byte            // index.html after it
	config     []byte
	connectSrc string
}

// Handler serves the console under /console/: the built files, config.json,
// and index.html for every other path (the app routes in the browser).
// Mount it for "/console/" and "/console". The embedded files are read
// (hashed, typed) on the first request, not at start-up: a server whose
// console is never opened does not spend the time.
func Handler(cfg Config) http.Handler {
	return lazyHandler(sync.OnceValue(func() *handler {
		sub, err := fs.Sub(dist, "dist")
		if err != nil {
			panic("console: " + err.Error())
		}
		h, err := newHandler(sub, cfg)
		if err != nil {
			panic("console: " + err.Error())
		}
		return h
	}))
}

// lazyHandler builds the handler on its first request.
type lazyHandler func() *handler

func (l lazyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { l().ServeHTTP(w, r) }

func newHandler(files fs.FS, cfg Config) (*handler, error) {
	endpoint := strings.TrimRight(cfg.Endpoint, "/")
	clientID := cfg.ClientID
	if clientID == "" {
		clientID = DefaultClientID
	}
	issuer := endpoint + "/oidc"
	conf, err := json.Marshal(clientConfig{
		Endpoint:              endpoint,
		Issuer:                issuer,
		ClientID:              clientID,
		ManagementIndicator:   cfg.ManagementIndicator,
		AuthorizationEndpoint: issuer + "/auth",
		TokenEndpoint:         issuer + "/token",
		RevocationEndpoint:    issuer + "/token/revocation",
		EndSessionEndpoint:    issuer + "/session/end",
		RedirectURI:           RedirectURI(endpoint),
		PostLogoutRedirectURI: PostLogoutRedirectURI(endpoint),
		Scope:                 "openid profile offline_access all",
	})
	if err != nil {
		return nil, err
	}
	h := &handler{assets: map[string]*asset{}, config: conf, connectSrc: "'self'"}
	// The app only ever talks to its own origin; the endpoint's origin is
	// named as well in case the console is reached under another name
	// (the app then moves to the endpoint's origin before signing in).
	if u, err := url.Parse(endpoint); err == nil && u.Scheme != "" && u.Host != "" {
		h.connectSrc += " " + u.Scheme + "://" + u.Host
	}
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		if p == "index.html" {
			head, tail, ok := bytes.Cut(body, []byte(nonceMarker))
			if !ok {
				head, tail = body, nil
			}
			h.indexHead, h.indexTail = head, tail
			return nil
		}
		h.assets[p] = newAsset(p, body)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if h.indexHead == nil {
		h.indexHead = []byte(missingBuild)
	}
	return h, nil
}

// missingBuild is served when the binary was built without the console.
const missingBuild = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Monban console</title></head>` +
	`<body><p>The console was not built into this binary. Run <code>npm ci && npm run build</code> in console/ and rebuild.</p></body></html>`

func newAsset(p string, body []byte) *asset {
	ct := mime.TypeByExtension(path.Ext(p))
	if ct == "" {
		ct = http.DetectContentType(body)
	}
	sum := sha256.Sum256(body)
	a := &asset{
		body:        body,
		contentType: ct,
		etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		immutable:   strings.HasPrefix(p, "assets/"),
	}
	return a
}

func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "javascript") ||
		strings.Contains(ct, "json") || strings.Contains(ct, "svg")
}

// csp is the policy of every response; nonce, when set, allows the style
// elements the page's scripts add with it.
func (h *handler) csp(nonce string) string {
	style := "'self'"
	if nonce != "" {
		style += " 'nonce-" + nonce + "'"
	}
	return "default-src 'none'; script-src 'self'; style-src " + style +
		"; img-src 'self'; font-src 'self'; connect-src " + h.connectSrc +
		"; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
}

func (h *handler) secure(w http.ResponseWriter, nonce string) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp(nonce))
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.secure(w, "")
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p == Prefix {
		target := Prefix + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		h.secure(w, "")
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	rel, ok := strings.CutPrefix(p, Prefix+"/")
	if !ok {
		h.secure(w, "")
		http.NotFound(w, r)
		return
	}
	switch {
	case rel == "config.json":
		h.secure(w, "")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Length", strconv.Itoa(len(h.config)))
		if r.Method == http.MethodGet {
			_, _ = w.Write(h.config)
		}
		return
	case rel == "index.html":
		// One address per page: the app's root.
		h.secure(w, "")
		http.Redirect(w, r, Prefix+"/", http.StatusMovedPermanently)
		return
	}
	if a := h.assets[rel]; a != nil {
		h.serveAsset(w, r, a)
		return
	}
	// A missing file (a name with an extension, or anything under assets/)
	// is a 404, never the page: a stale script URL must not get HTML.
	if strings.HasPrefix(rel, "assets/") || (rel != "" && strings.Contains(path.Base(rel), ".")) {
		h.secure(w, "")
		w.Header().Set("Cache-Control", "no-store")
		http.NotFound(w, r)
		return
	}
	h.serveIndex(w, r)
}

func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	h.secure(w, "")
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("ETag", a.etag)
	if a.immutable {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "public, max-age=3600")
	}
	hd.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if gz := a.gzip(); gz != nil && acceptsGzip(r) {
		body = gz
		hd.Set("Content-Encoding", "gzip")
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	nonce := newNonce()
	h.secure(w, nonce)
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	body := make([]byte, 0, len(h.indexHead)+len(nonce)+len(h.indexTail))
	body = append(body, h.indexHead...)
	if h.indexTail != nil {
		body = append(body, nonce...)
		body = append(body, h.indexTail...)
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

func newNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip
// (a q=0 refuses it).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
