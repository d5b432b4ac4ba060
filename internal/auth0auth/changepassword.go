package auth0auth

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/monban/monban/internal/oidc"
)

// ChangePasswordPath is where Auth0's change-password request is mounted.
const ChangePasswordPath = "/dbconnections/change_password"

// changePasswordText is Auth0's answer, the same whether or not the
// address has an account.
const changePasswordText = "We've just sent you an email to reset your password."

// Resetter sends reset links (a *pwticket.Service).
type Resetter interface {
	RequestReset(ctx context.Context, clientID, email, locale string) error
}

// changePasswordFields are the members of Auth0's request.
var changePasswordFields = []string{"client_id", "email", "connection"}

// serveChangePassword sends a reset link to the address, if an account
// holds it: Auth0's POST /dbconnections/change_password (JSON or form),
// answered with Auth0's text whether or not it does.
func (h *Handler) serveChangePassword(w http.ResponseWriter, r *http.Request) {
	oidc.CORS(h.cfg.Catalog.Load(), w, r)
	req, status, msg := readChangePassword(w, r)
	if msg != "" {
		writeError(w, status, "BadRequestError", "invalid_request", msg)
		return
	}
	switch {
	case req["client_id"] == "":
		writeError(w, http.StatusBadRequest, "BadRequestError", "invalid_request", "Missing required parameter: client_id")
		return
	case h.cfg.Catalog.Load().Apps[req["client_id"]] == nil:
		writeError(w, http.StatusBadRequest, "BadRequestError", "invalid_request", "Unknown client: the client_id names no application")
		return
	case req["connection"] == "":
		writeError(w, http.StatusBadRequest, "BadRequestError", "invalid_request", "Missing required parameter: connection")
		return
	case !slices.Contains(h.cfg.Connections, req["connection"]):
		writeError(w, http.StatusBadRequest, "BadRequestError", "invalid_connection", "Unknown connection: the database connection is "+joinNames(h.cfg.Connections))
		return
	case strings.TrimSpace(req["email"]) == "":
		writeError(w, http.StatusBadRequest, "BadRequestError", "invalid_request", "Missing required parameter: email")
		return
	case len(req["email"]) > 254:
		writeError(w, http.StatusBadRequest, "BadRequestError", "invalid_request", "email is too long")
		return
	}
	if err := h.cfg.Tickets.RequestReset(r.Context(), req["client_id"], req["email"], requestLanguage(r)); err != nil {
		// The answer stays the same: it must not tell whether the
		// address has an account.
		h.cfg.Logger.Error("sending a password reset failed", "client_id", req["client_id"], "err", err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write([]byte(changePasswordText))
}

// readChangePassword reads the body's string members, each once: JSON
// (no other member) or a form.
func readChangePassword(w http.ResponseWriter, r *http.Request) (map[string]string, int, string) {
	mt, body, status, msg := readBody(w, r)
	if msg != "" {
		return nil, status, msg
	}
	out := map[string]string{}
	if mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, http.StatusBadRequest, "malformed form body"
		}
		for k, vals := range form {
			switch {
			case len(vals) > 1:
				return nil, http.StatusBadRequest, "parameter " + shortName(k) + " is repeated"
			case !slices.Contains(changePasswordFields, k):
				return nil, http.StatusBadRequest, "unknown parameter " + shortName(k) + "; the request takes client_id, email and connection"
			}
			out[k] = vals[0]
		}
		return out, 0, ""
	}
	var members map[string]any
	if err := decodeStrict(body, &members); err != nil {
		return nil, http.StatusBadRequest, "malformed body: a JSON object with client_id, email and connection is expected"
	}
	for k, v := range members {
		s, ok := v.(string)
		switch {
		case !slices.Contains(changePasswordFields, k):
			return nil, http.StatusBadRequest, "unknown parameter " + shortName(k) + "; the request takes client_id, email and connection"
		case !ok:
			return nil, http.StatusBadRequest, k + " must be a string"
		}
		out[k] = s
	}
	return out, 0, ""
}
