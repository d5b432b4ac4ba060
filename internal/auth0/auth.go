package auth0

import (
	"context"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/apiauth"
	"github.com/monban/monban/internal/token"
)

type claimsKey struct{}

func claimsFrom(ctx context.Context) *token.Claims {
	c, _ := ctx.Value(claimsKey{}).(*token.Claims)
	return c
}

// authorized lets a request through only when apiauth allows its caller
// one of the route's scopes, and answers every refusal in Auth0's shape.
func (s *server) authorized(rt route, h handlerFunc) handlerFunc {
	gate := apiauth.Gate{Verifier: s.Verifier, Audience: s.Identifier, Standing: s.Standing}
	return func(w http.ResponseWriter, r *http.Request) error {
		d := gate.Check(r, rt.scopes)
		switch d.Outcome {
		case apiauth.Allowed:
			return h(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, d.Claims)))
		case apiauth.NoCredentials:
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.Identifier+`"`)
			writeError(w, http.StatusUnauthorized, "", "Missing authentication")
		case apiauth.NotBearer, apiauth.EmptyToken:
			s.unauthorized(w, r, "Bad HTTP authentication header format")
		case apiauth.InvalidToken:
			desc := "Invalid token"
			if d.Reason != "" {
				desc = "Invalid token: " + d.Reason
			}
			s.unauthorized(w, r, desc)
		case apiauth.WrongAudience:
			s.unauthorized(w, r, "Bad audience: "+strings.Join(d.Claims.Audience, " "))
		case apiauth.CallerGone:
			s.unauthorized(w, r, "Invalid token: its caller no longer exists or is blocked")
		default: // apiauth.MissingScope, apiauth.CallerLacks
			s.insufficient(w, r, rt, d.Claims)
		}
		return nil
	}
}

// insufficient answers 403 insufficient_scope with Auth0's text.
func (s *server) insufficient(w http.ResponseWriter, r *http.Request, rt route, claims *token.Claims) {
	w.Header().Set("WWW-Authenticate", apiauth.InsufficientScopeChallenge(rt.scopes))
	writeError(w, http.StatusForbidden, "insufficient_scope", "Insufficient scope, expected any of: "+strings.Join(rt.scopes, ", "))
	s.log.Info("management API v2 request forbidden: missing scope", "method", r.Method, "path", r.URL.Path, "sub", claims.Subject)
}

// unauthorized answers 401 invalid_token. desc never contains the token.
func (s *server) unauthorized(w http.ResponseWriter, r *http.Request, desc string) {
	desc = apiauth.HeaderSafe(desc)
	w.Header().Set("WWW-Authenticate", apiauth.InvalidTokenChallenge(desc))
	writeError(w, http.StatusUnauthorized, "invalid_token", desc)
	s.log.Debug("management API v2 request rejected", "method", r.Method, "path", r.URL.Path, "reason", desc)
}
