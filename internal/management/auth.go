package management

import (
	"context"
	"net/http"

	"github.com/monban/monban/internal/apiauth"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/token"
)

// requiredScope is the one scope the Management API knows, as in Logto.
const requiredScope = "all"

var requiredScopes = []string{requiredScope}

type claimsKey struct{}

func claimsFrom(ctx context.Context) *token.Claims {
	c, _ := ctx.Value(claimsKey{}).(*token.Claims)
	return c
}

// gate is the check of the API's callers (apiauth): tokens for the
// Management API with scope "all", whose caller still holds that
// permission (Deps.Standing).
func (s *server) gate() apiauth.Gate {
	return apiauth.Gate{Verifier: s.Verifier, Audience: s.Indicator,
		Standing: func(_, subject, clientID string) catalog.Standing { return s.Standing(subject, clientID) }}
}

// authenticated lets a request through only when apiauth allows its
// caller, and answers every refusal in Logto's shape.
func (s *server) authenticated(h handlerFunc) handlerFunc {
	gate := s.gate()
	return func(w http.ResponseWriter, r *http.Request) error {
		d := gate.Check(r, requiredScopes)
		switch d.Outcome {
		case apiauth.Allowed:
			return h(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, d.Claims)))
		case apiauth.NoCredentials:
			// No credentials at all: RFC 6750 §3.1 says no error code.
			w.Header().Set("WWW-Authenticate", `Bearer`)
			httpjson.Write(w, http.StatusUnauthorized, errorBody{
				Code:    "auth.unauthorized",
				Message: "an Authorization header with a Bearer token is required",
			})
			s.log.Debug("management request without credentials", "method", r.Method, "path", r.URL.Path)
		case apiauth.NotBearer:
			s.unauthorized(w, r, "the Authorization header must use the Bearer scheme")
		case apiauth.EmptyToken:
			s.unauthorized(w, r, "the Bearer token is empty")
		case apiauth.InvalidToken:
			desc := "invalid token"
			if d.Reason != "" {
				desc = d.Reason
			}
			s.unauthorized(w, r, desc)
		case apiauth.WrongAudience:
			s.unauthorized(w, r, "the token is not for the Management API (aud)")
		case apiauth.MissingScope:
			forbidden(w, "the token lacks scope "+requiredScope)
			s.log.Info("management request forbidden: missing scope", "method", r.Method, "path", r.URL.Path, "sub", d.Claims.Subject)
		case apiauth.CallerGone:
			s.unauthorized(w, r, "the token's caller no longer exists or is suspended")
			s.log.Warn("management request refused: the caller no longer exists", "method", r.Method, "path", r.URL.Path, "sub", d.Claims.Subject, "client_id", d.Claims.ClientID)
		default: // apiauth.CallerLacks
			forbidden(w, "the caller no longer holds permission "+requiredScope)
			s.log.Warn("management request refused: the caller no longer holds the permission", "method", r.Method, "path", r.URL.Path, "sub", d.Claims.Subject, "client_id", d.Claims.ClientID)
		}
		return nil
	}
}

// forbidden answers 403 insufficient_scope (RFC 6750 §3.1) in Logto's
// shape: the token is valid, but does not grant what the route needs.
func forbidden(w http.ResponseWriter, desc string) {
	w.Header().Set("WWW-Authenticate", apiauth.InsufficientScopeChallenge(requiredScopes))
	writeBearerError(w, http.StatusForbidden, "auth.forbidden", "insufficient_scope", desc)
}

// unauthorized answers 401 invalid_token. desc never contains the token.
func (s *server) unauthorized(w http.ResponseWriter, r *http.Request, desc string) {
	desc = apiauth.HeaderSafe(desc)
	w.Header().Set("WWW-Authenticate", apiauth.InvalidTokenChallenge(desc))
	writeBearerError(w, http.StatusUnauthorized, "auth.unauthorized", "invalid_token", desc)
	s.log.Debug("management request rejected", "method", r.Method, "path", r.URL.Path, "reason", desc)
}

// writeBearerError answers a refused token in Logto's shape with the RFC
// 6750 error: desc is both the message and the error_description.
func writeBearerError(w http.ResponseWriter, status int, code, oauthError, desc string) {
	httpjson.Write(w, status, errorBody{Code: code, Message: desc, Error: oauthError, ErrorDescription: desc})
}
