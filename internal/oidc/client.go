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
	case errors.Is(err, clientauth.ErrMalformed), errors.Is(err, clientauth.ErrMultipleMethods):
		return nil, errInvalidRequest(err.Error())
	case err != nil:
		return nil, invalidClient(r)
	}
	snap := p.cfg.Catalog.Load()
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

func invalidClient(r *http.Request) *Error {
	e := &Error{Status: http.StatusUnauthorized, Code: "invalid_client", Description: "client authentication failed"}
	if r.Header.Get("Authorization") != "" {
		e.Challenge = `Basic realm="monban", charset="UTF-8"`
	}
	return e
}
