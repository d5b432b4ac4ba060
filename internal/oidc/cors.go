package oidc

import (
	"net/http"
	"strings"

	"github.com/monban/monban/internal/catalog"
)

// cors answers a browser's cross-origin request to an endpoint SPAs call
// (token, userinfo, revocation) when its Origin belongs to an app that signs
// users in: listed in its corsAllowedOrigins or the origin of one of its
// redirect URIs. Credentials travel in headers and bodies, never cookies,
// so Access-Control-Allow-Credentials is not sent.
func (p *Provider) cors(w http.ResponseWriter, r *http.Request) bool {
	if p.u == nil {
		return false
	}
	return CORS(p.cfg.Catalog.Load(), w, r)
}

// CORS is that rule over a catalog snapshot, for the other endpoints SPAs
// call (Auth0's sign-up): it sets the response headers and reports whether
// the origin is allowed.
func CORS(snap *catalog.Snapshot, w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	ix := snap.Users
	if ix == nil || !ix.Origins[strings.ToLower(origin)] {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, DPoP-Nonce")
	return true
}

// servePreflight answers CORS preflight requests.
func (p *Provider) servePreflight(w http.ResponseWriter, r *http.Request) {
	if p.u == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	Preflight(p.cfg.Catalog.Load(), w, r)
}

// Preflight answers a CORS preflight request under the CORS rule.
func Preflight(snap *catalog.Snapshot, w http.ResponseWriter, r *http.Request) {
	if CORS(snap, w, r) {
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP")
		h.Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}
