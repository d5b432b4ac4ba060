package oidc

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/clientauth"
)

// authenticateClient authenticates the client of a request to the token,
// revocation or introspection endpoint: a confidential client by its
// secret and, when public is true, a public client (SPA, Native) by its
// client_id alone; such a client proves itself with PKCE or its refresh
// token instead. Failures are invalid_client (401) whatever their cause,
// with a Basic challenge when the client tried Basic; malformed credentials
// are invalid_request. The claimed client id goes into ev, for the audit
// log of a failure.
func (p *Provider) authenticateClient(r *http.Request, params url.Values, ev *TokenEvent, public bool) (*catalog.App, *Error) {
	creds, err := clientauth.Parse(r, params)
	ev.ClientID = safeName(creds.ClientID)
	switch {
	case errors.Is(err, clientauth.ErrMalformed), errors.Is(err, clientauth.ErrMultipleMethods), errors.Is(err, clientauth.ErrAssertionType):
		return nil, errInvalidRequest(err.Error())
	case err != nil:
		return nil, invalidClient(r)
	}
	snap := p.cfg.Catalog.Load()
	if creds.Method == clientauth.MethodPrivateKeyJWT {
		return p.authenticateAssertion(r, snap.Apps[creds.ClientID], creds)
	}
	if creds.Method == clientauth.MethodNone {
		if app := snap.Apps[creds.ClientID]; public && app != nil && publicClient(app.Type) {
			return app, nil
		}
		return nil, invalidClient(r)
	}
	app, err := clientauth.Authenticate(snap, p.cfg.Hasher, creds, p.cfg.Now())
	if err != nil {
		return nil, invalidClient(r)
	}
	return app, nil
}

// authenticateAssertion checks a private_key_jwt client assertion of app
// (nil when the client is unknown). Its aud must name this face: its
// issuer, its token endpoint or the endpoint the request came to. A key set
// that cannot be fetched, or a replay record that cannot be checked, is
// the server's trouble, not the client's: 503.
func (p *Provider) authenticateAssertion(r *http.Request, app *catalog.App, creds clientauth.Credentials) (*catalog.App, *Error) {
	if app == nil || p.cfg.ClientKeys == nil || p.cfg.Replay == nil {
		return nil, invalidClient(r)
	}
	f := p.profile(r.Context())
	audiences := []string{f.Issuer, f.Token.URL, f.Introspection.URL, f.Revocation.URL, f.DeviceAuthorization.URL}
	err := clientauth.AuthenticateAssertion(r.Context(), app, creds.Assertion, clientauth.AssertionCheck{
		Audiences: audiences, Keys: p.cfg.ClientKeys, Replay: p.cfg.Replay, Now: p.cfg.Now(),
	})
	switch {
	case err == nil:
		return app, nil
	case errors.Is(err, clientauth.ErrKeysUnavailable):
		p.cfg.Logger.Warn("a client's key set could not be fetched", "client_id", app.ID, "err", err)
		return nil, invalidClient(r)
	case !errors.Is(err, clientauth.ErrInvalidClient):
		p.cfg.Logger.Error("checking a client assertion's jti failed", "client_id", app.ID, "err", err)
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "the client assertion cannot be checked now"}
	}
	p.cfg.Logger.Debug("client assertion refused", "client_id", app.ID, "err", err)
	return nil, invalidClient(r)
}

func invalidClient(r *http.Request) *Error {
	e := &Error{Status: http.StatusUnauthorized, Code: "invalid_client", Description: "client authentication failed"}
	if r.Header.Get("Authorization") != "" {
		e.Challenge = `Basic realm="monban", charset="UTF-8"`
	}
	return e
}
