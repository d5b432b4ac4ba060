package oidc

import (
	"net/http"

	"github.com/monban/monban/internal/httpjson"
)

// Error is an OAuth 2.0 error response (RFC 6749 §5.2).
type Error struct {
	Status      int
	Code        string // error
	Description string // error_description; never contains secrets or tokens
	// Challenge, when set, is sent as WWW-Authenticate.
	Challenge string
	// Nonce, when set, is sent as DPoP-Nonce (RFC 9449 §8).
	Nonce string
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func errInvalidRequest(desc string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: desc}
}

func errInvalidTarget(desc string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_target", Description: desc}
}

// writeError sends e as JSON, in the shape of the face the request came
// through (Profile.ErrorBody).
func (p *Provider) writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if e.Challenge != "" {
		h.Set("WWW-Authenticate", e.Challenge)
	}
	if e.Nonce != "" {
		h.Set("DPoP-Nonce", e.Nonce)
	}
	w.WriteHeader(e.Status)
	body := p.profile(r.Context()).ErrorBody
	if body == nil {
		body = rfcErrorBody
	}
	_ = httpjson.Encode(w, body(e))
}
