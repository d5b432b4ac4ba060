package oidc

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/dpop"
	"github.com/monban/monban/internal/keys"
)

// buildDiscovery encodes the metadata document (OIDC Discovery 1.0 and
// RFC 8414) of face f once, when it is mounted. senderBound says that
// private_key_jwt and DPoP are offered (Config.ClientKeys and Replay).
func buildDiscovery(f *Profile, users, senderBound bool) []byte {
	doc := map[string]any{
		"issuer":                                    f.Issuer,
		"grant_types_supported":                     offeredGrantTypes(f, users),
		"token_endpoint_auth_methods_supported":     []string{"client_secret_basic", "client_secret_post"},
		"response_types_supported":                  []string{},
		"subject_types_supported":                   []string{"public"},
		"id_token_signing_alg_values_supported":     []string{keys.ES256, keys.ES384, keys.RS256, keys.EdDSA},
		"scopes_supported":                          []string{},
		"claims_supported":                          []string{"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"},
		"access_token_signing_alg_values_supported": []string{keys.ES256, keys.ES384, keys.RS256, keys.EdDSA},
	}
	advertise(doc, "token_endpoint", f.Token)
	advertise(doc, "jwks_uri", f.JWKS)
	if users {
		addUserDiscovery(doc, f)
	}
	if senderBound {
		addSenderBoundDiscovery(doc)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err) // a static document: cannot fail
	}
	return b
}

// addSenderBoundDiscovery adds private_key_jwt to each endpoint's
// authentication methods, with the algorithms an assertion may use, and
// DPoP's algorithms (RFC 9449 §5.1).
func addSenderBoundDiscovery(doc map[string]any) {
	for _, e := range []string{"token_endpoint", "revocation_endpoint", "introspection_endpoint"} {
		methods, ok := doc[e+"_auth_methods_supported"].([]string)
		if !ok {
			continue
		}
		doc[e+"_auth_methods_supported"] = append(slices.Clone(methods), "private_key_jwt")
		doc[e+"_auth_signing_alg_values_supported"] = clientauth.AssertionAlgorithms
	}
	doc["dpop_signing_alg_values_supported"] = dpop.Algorithms
}

// advertise puts endpoint e's URL into the document under name, if it has
// one.
func advertise(doc map[string]any, name string, e Endpoint) {
	if e.URL != "" {
		doc[name] = e.URL
	}
}

// serveDiscovery answers with a discovery document.
func serveDiscovery(w http.ResponseWriter, doc []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(doc)
}

// serveJWKS publishes every key that may have signed a live token. Clients
// may cache for five minutes and revalidate with the ETag; a client that sees
// an unknown kid fetches again, so rotation is picked up at once.
func (p *Provider) serveJWKS(w http.ResponseWriter, r *http.Request) {
	set := p.cfg.Catalog.Load().Keys
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=300, must-revalidate")
	h.Set("ETag", set.ETag)
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Header.Get("If-None-Match") == set.ETag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/jwk-set+json")
	_, _ = w.Write(set.JWKS)
}
