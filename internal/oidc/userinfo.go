package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/dpop"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/token"
)

// verifier checks access tokens this server issued on the face of ctx,
// including the revocation list.
func (p *Provider) verifier(ctx context.Context) *token.KeyVerifier {
	return &token.KeyVerifier{
		Issuer:  p.issuer(ctx),
		Keys:    func() *keys.Set { return p.cfg.Catalog.Load().Keys },
		Now:     p.cfg.Now,
		Revoked: p.u.Revocations.Revoked,
	}
}

// bearerError is an RFC 6750 §3 error: a WWW-Authenticate challenge, with
// the same error in a JSON body.
func bearerError(status int, code, desc string) *Error {
	ch := `Bearer realm="monban"`
	if code != "" {
		// RFC 6750 §3: no '"' or '\' inside the quoted string.
		safe := strings.NewReplacer(`"`, "'", `\`, "/").Replace(desc)
		ch += `, error="` + code + `", error_description="` + safe + `"`
	}
	if code == "" {
		code = "invalid_request"
	}
	return &Error{Status: status, Code: code, Description: desc, Challenge: ch}
}

// boundKey returns the thumbprint of the DPoP key an access token is bound
// to (cnf.jkt), or "".
func boundKey(c *token.Claims) string {
	cnf, _ := c.Extra["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	return jkt
}

// bearerToken reads the access token from the Authorization header (in
// the Bearer or, RFC 9449 §7.1, the DPoP scheme; dpop says which) or, for
// a form POST, the access_token parameter (RFC 6750 §2.1, §2.2). Never from
// the query: URLs end up in logs.
func bearerToken(w http.ResponseWriter, r *http.Request) (tok string, isDPoP bool, e *Error) {
	var fromBody string
	if r.Method == http.MethodPost {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
			if err := r.ParseForm(); err != nil || len(r.PostForm["access_token"]) > 1 {
				return "", false, bearerError(http.StatusBadRequest, "invalid_request", "malformed request body")
			}
			fromBody = r.PostForm.Get("access_token")
		}
	}
	header := r.Header.Get("Authorization")
	switch {
	case header != "" && fromBody != "":
		return "", false, bearerError(http.StatusBadRequest, "invalid_request", "the access token was sent twice")
	case fromBody != "":
		return fromBody, false, nil
	case header == "":
		return "", false, bearerError(http.StatusUnauthorized, "", "an access token is required")
	}
	scheme, raw, _ := strings.Cut(header, " ")
	raw = strings.TrimSpace(raw)
	isDPoP = strings.EqualFold(scheme, "DPoP")
	if (!strings.EqualFold(scheme, "Bearer") && !isDPoP) || raw == "" {
		return "", false, bearerError(http.StatusUnauthorized, "invalid_token", "use the Bearer or DPoP scheme")
	}
	return raw, isDPoP, nil
}

// checkBinding holds an access token to its binding (RFC 9449 §7): a token
// bound to a DPoP key is taken only in the DPoP scheme with a proof by that
// key for this request and token; a DPoP proof does not make a bearer
// token bound.
func (p *Provider) checkBinding(r *http.Request, raw string, c *token.Claims, scheme bool) *Error {
	jkt := boundKey(c)
	if jkt == "" {
		if scheme {
			return bearerError(http.StatusUnauthorized, "invalid_token", "the token is not bound to a DPoP key: use the Bearer scheme")
		}
		return nil
	}
	if !scheme {
		return dpopChallenge("invalid_token", "the token is bound to a DPoP key: use the DPoP scheme with a proof")
	}
	if len(r.Header.Values("DPoP")) == 0 {
		return dpopChallenge("invalid_dpop_proof", "a DPoP proof is required")
	}
	proof, err := p.dpopProof(r, raw)
	if err != nil {
		if err.Code == "invalid_dpop_proof" {
			return dpopChallenge(err.Code, err.Description)
		}
		return err
	}
	if proof == nil || subtle.ConstantTimeCompare([]byte(proof.JKT), []byte(jkt)) != 1 {
		return dpopChallenge("invalid_dpop_proof", "the DPoP proof is not signed by the key the token is bound to")
	}
	return nil
}

// dpopChallenge is an error of a DPoP-bound token's use (RFC 9449 §7.1):
// 401 with a DPoP challenge naming the algorithms a proof may use.
func dpopChallenge(code, desc string) *Error {
	e := bearerError(http.StatusUnauthorized, code, desc)
	e.Challenge = `DPoP algs="` + strings.Join(dpop.Algorithms, " ") + `"` + strings.TrimPrefix(e.Challenge, `Bearer realm="monban"`)
	return e
}

// serveUserinfo answers with the claims of the token's user that its
// scopes allow (OIDC Core §5.3). Only tokens issued for userinfo (without
// a resource, carrying openid) are accepted.
func (p *Provider) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	p.cors(w, r)
	raw, scheme, berr := bearerToken(w, r)
	if berr != nil {
		p.writeError(w, r, berr)
		return
	}
	claims, err := p.verifier(r.Context()).Verify(raw)
	if err != nil {
		desc := "invalid token"
		if errors.Is(err, token.ErrInvalid) {
			desc = err.Error()
		}
		p.writeError(w, r, bearerError(http.StatusUnauthorized, "invalid_token", desc))
		return
	}
	if berr := p.checkBinding(r, raw, claims, scheme); berr != nil {
		p.writeError(w, r, berr)
		return
	}
	if !claims.HasAudience(p.userinfoAudience(r.Context())) {
		p.writeError(w, r, bearerError(http.StatusUnauthorized, "invalid_token", "the token is not for the userinfo endpoint; request one without a resource"))
		return
	}
	scopes := claims.Scopes()
	if !slices.Contains(scopes, "openid") {
		p.writeError(w, r, bearerError(http.StatusForbidden, "insufficient_scope", "the token lacks scope openid"))
		return
	}
	u, err := p.u.Store.GetUser(r.Context(), claims.Subject)
	if err != nil || u.IsSuspended {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			p.cfg.Logger.Error("reading a user failed", "err", err)
			p.writeError(w, r, &Error{Status: http.StatusInternalServerError, Code: "server_error", Description: "internal error"})
			return
		}
		p.writeError(w, r, bearerError(http.StatusUnauthorized, "invalid_token", "the user no longer exists or is suspended"))
		return
	}
	var roles []store.Role
	if slices.Contains(scopes, "roles") {
		if roles, err = p.userRolesOrNil(r, u.ID); err != nil {
			p.writeError(w, r, &Error{Status: http.StatusInternalServerError, Code: "server_error", Description: "internal error"})
			return
		}
	}
	out := userClaims(&u, scopes, true, roles)
	orgs, err := p.userOrganizations(r.Context(), u.ID, scopes)
	if err != nil {
		p.cfg.Logger.Error("reading a user's organizations failed", "err", err)
		p.writeError(w, r, &Error{Status: http.StatusInternalServerError, Code: "server_error", Description: "internal error"})
		return
	}
	if orgs != nil {
		maps.Copy(out, organizationClaims(orgs, scopes))
	}
	out["sub"] = u.ID
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	_ = httpjson.Encode(w, out)
}

func (p *Provider) userRolesOrNil(r *http.Request, userID string) ([]store.Role, error) {
	roles, _, err := p.u.Store.ListUserRoles(r.Context(), userID, store.Page{})
	if err != nil {
		p.cfg.Logger.Error("reading user roles failed", "err", err)
	}
	return roles, err
}

// looksLikeJWT tells access tokens (JWS compact) from opaque refresh tokens.
func looksLikeJWT(s string) bool { return strings.Count(s, ".") == 2 }

// serveRevocation is RFC 7009. The client may revoke its own tokens: a
// refresh token revokes its whole grant, access tokens included; an access
// token goes on the revocation list until it expires. Unknown tokens, and
// tokens of other clients, are answered 200 as well, so the endpoint tells
// nothing about tokens the caller does not own.
func (p *Provider) serveRevocation(w http.ResponseWriter, r *http.Request) {
	p.cors(w, r)
	app, tok, ok := p.readTokenOperation(w, r, true)
	if !ok {
		return
	}
	ctx := r.Context()
	if looksLikeJWT(tok) {
		v := p.verifier(r.Context())
		v.Revoked = nil
		if c, err := v.Verify(tok); err == nil && c.ClientID == app.ID && c.JTI != "" {
			// Stays listed as long as any verifier would still accept it.
			if err := p.u.Revocations.Revoke(ctx, c.JTI, time.Unix(c.Expiry, 0).Add(token.Leeway)); err != nil {
				p.cfg.Logger.Error("revoking an access token failed", "err", err)
				p.writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "try again"})
				return
			}
		}
	} else if rt, err := p.u.Store.GetRefreshToken(ctx, hashToken(tok)); err == nil && rt.ClientID == app.ID {
		if err := p.u.Store.RevokeGrant(ctx, rt.GrantID, p.cfg.Now()); err != nil && !errors.Is(err, store.ErrNotFound) {
			p.cfg.Logger.Error("revoking a grant failed", "err", err)
			p.writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "try again"})
			return
		}
		if err := p.u.Revocations.Changed(ctx); err != nil {
			p.cfg.Logger.Error("reloading the revocation list failed", "err", err)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// readTokenOperation reads a revocation or introspection request: the
// client, authenticated (a public one too when public is true), and the
// token it names. When it answers false it has sent the error.
func (p *Provider) readTokenOperation(w http.ResponseWriter, r *http.Request, public bool) (*catalog.App, string, bool) {
	params, perr := readParams(w, r)
	if perr != nil {
		p.writeError(w, r, perr)
		return nil, "", false
	}
	app, aerr := p.authenticateClient(r, params, &TokenEvent{}, public)
	if aerr != nil {
		p.writeError(w, r, aerr)
		return nil, "", false
	}
	tok := params.Get("token")
	if tok == "" {
		p.writeError(w, r, errInvalidRequest("token is required"))
		return nil, "", false
	}
	return app, tok, true
}

// introspection is an RFC 7662 answer.
type introspection struct {
	Active    bool   `json:"active"`
	TokenType string `json:"token_type,omitempty"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Subject   string `json:"sub,omitempty"`
	Audience  any    `json:"aud,omitempty"`
	Issuer    string `json:"iss,omitempty"`
	JTI       string `json:"jti,omitempty"`
	IssuedAt  int64  `json:"iat,omitempty"`
	Expiry    int64  `json:"exp,omitempty"`
	// Cnf is the DPoP key a token is bound to (RFC 9449 §6.2).
	Cnf any `json:"cnf,omitempty"`
}

// serveIntrospection is RFC 7662, for confidential clients (resource
// servers are usually M2M apps): JWT access tokens are checked for
// signature, expiry and revocation without a database read; refresh tokens
// are answered for the client they were issued to only.
func (p *Provider) serveIntrospection(w http.ResponseWriter, r *http.Request) {
	app, tok, ok := p.readTokenOperation(w, r, false)
	if !ok {
		return
	}
	out := introspection{}
	if looksLikeJWT(tok) {
		// Every face's access tokens are this server's: introspection
		// answers for all of them, with the token's own iss.
		v := p.verifier(r.Context())
		v.AlsoIssuers = p.otherIssuers(r.Context())
		if c, err := v.Verify(tok); err == nil {
			jkt := boundKey(c)
			out = introspection{Active: true, TokenType: tokenType(jkt), Scope: c.Scope, ClientID: c.ClientID, Subject: c.Subject,
				Issuer: c.Issuer, JTI: c.JTI, IssuedAt: c.IssuedAt, Expiry: c.Expiry}
			if jkt != "" {
				out.Cnf = map[string]string{"jkt": jkt}
			}
			if len(c.Audience) == 1 {
				out.Audience = c.Audience[0]
			} else if len(c.Audience) > 1 {
				out.Audience = c.Audience
			}
		}
	} else if rt, err := p.u.Store.GetRefreshToken(r.Context(), hashToken(tok)); err == nil &&
		rt.ClientID == app.ID && rt.UsedAt.IsZero() && p.cfg.Now().Before(rt.ExpiresAt) {
		if g, err := p.u.Store.GetGrant(r.Context(), rt.GrantID); err == nil {
			out = introspection{Active: true, TokenType: "refresh_token", Scope: g.Scope, ClientID: rt.ClientID,
				Subject: rt.UserID, Issuer: p.issuer(r.Context()), IssuedAt: rt.CreatedAt.Unix(), Expiry: rt.ExpiresAt.Unix()}
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	_ = httpjson.Encode(w, out)
}
