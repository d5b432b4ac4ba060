package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/clientauth"
)

// tokenResponse is a successful token response (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
}

// serveToken is the token endpoint: it reads the parameters and hands them
// to the grant's handler.
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	params, perr := readParams(w, r)
	if perr != nil {
		writeError(w, perr)
		return
	}
	var resp *tokenResponse
	var err *Error
	switch gt := params.Get("grant_type"); gt {
	case "client_credentials":
		resp, err = p.clientCredentials(r, params)
	case "":
		err = errInvalidRequest("missing grant_type")
	default:
		err = &Error{Status: http.StatusBadRequest, Code: "unsupported_grant_type", Description: "grant_type " + safeName(gt) + " is not supported"}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	_ = json.NewEncoder(w).Encode(resp)
}

// authenticateClient authenticates a confidential client. Failures are
// invalid_client (401) whatever their cause, with a Basic challenge when the
// client tried Basic; malformed credentials are invalid_request.
func (p *Provider) authenticateClient(r *http.Request, params url.Values) (*catalog.App, *Error) {
	creds, err := clientauth.Parse(r, params)
	switch {
	case errors.Is(err, clientauth.ErrMalformed), errors.Is(err, clientauth.ErrMultipleMethods):
		return nil, errInvalidRequest(err.Error())
	case err != nil:
		return nil, invalidClient(r)
	}
	if creds.Method == clientauth.MethodNone {
		return nil, invalidClient(r)
	}
	app, err := clientauth.Authenticate(p.cfg.Catalog.Load(), p.cfg.Hasher, creds, p.cfg.Now())
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
