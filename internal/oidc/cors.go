package oidc

import (
	"net/http"
	"strings"
)

// cors answers a browser's cross-origin request to an endpoint SPAs call
// (token, userinfo, revocation) when its Origin belongs to an app that signs
// users in: listed in its corsAllowedOrigins or the origin of one of its
// redirect URIs. Credentials travel in headers and bodies, never cookies,
// so Access-Control-Allow-Credentials is not sent.
func (p *Provider) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || p.u == nil {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	ix := p.cfg.Catalog.Load().Users
	if ix == nil || !ix.Origins[strings.ToLower(origin)] {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "WWW-Authenticate")
	return true
}

// servePreflight answers CORS preflight requests.
func (p *Provider) servePreflight(w http.ResponseWriter, r *http.Request) {
	if p.cors(w, r) {
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}
