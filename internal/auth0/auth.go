package auth0

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/token"
)

type claimsKey struct{}

func claimsFrom(ctx context.Context) *token.Claims {
	c, _ := ctx.Value(claimsKey{}).(*token.Claims)
	return c
}

// authorized lets a request through only with a bearer token (RFC 6750)
// this server issued for this API, holding one of the route's scopes,
// whose caller still exists and still holds that scope.
func (s *server) authorized(rt route, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		header := r.Header.Get("Authorization")
		if header == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.Identifier+`"`)
			writeError(w, http.StatusUnauthorized, "", "Missing authentication")
			return nil
		}
		scheme, raw, _ := strings.Cut(header, " ")
		raw = strings.TrimSpace(raw)
		if !strings.EqualFold(scheme, "Bearer") || raw == "" {
			s.unauthorized(w, r, "Bad HTTP authentication header format")
			return nil
		}
		claims, err := token.VerifyOnce(r.Context(), s.Verifier, raw)
		if err != nil || claims == nil {
			desc := "Invalid token"
			if err != nil && errors.Is(err, token.ErrInvalid) {
				desc = "Invalid token: " + err.Error()
			}
			s.unauthorized(w, r, desc)
			return nil
		}
		if !claims.HasAudience(s.Identifier) {
			s.unauthorized(w, r, "Bad audience: "+strings.Join(claims.Audience, " "))
			return nil
		}
		var held string
		for _, sc := range rt.scopes {
			if claims.HasScope(sc) {
				held = sc
				break
			}
		}
		if held == "" {
			s.insufficient(w, r, rt, claims)
			return nil
		}
		// The token may be older than a change that ended the caller's
		// access: check the caller as it stands now, from memory.
		switch s.Standing(held, claims.Subject, claims.ClientID) {
		case catalog.Holds:
		case catalog.Gone:
			s.unauthorized(w, r, "Invalid token: its caller no longer exists or is blocked")
			return nil
		default:
			s.insufficient(w, r, rt, claims)
			return nil
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
	}
}

// insufficient answers 403 insufficient_scope with Auth0's text.
func (s *server) insufficient(w http.ResponseWriter, r *http.Request, rt route, claims *token.Claims) {
	want := strings.Join(rt.scopes, ", ")
	w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+strings.Join(rt.scopes, " ")+`"`)
	writeError(w, http.StatusForbidden, "insufficient_scope", "Insufficient scope, expected any of: "+want)
	s.log.Info("management API v2 request forbidden: missing scope", "method", r.Method, "path", r.URL.Path, "sub", claims.Subject)
}

// unauthorized answers 401 invalid_token. desc never contains the token.
func (s *server) unauthorized(w http.ResponseWriter, r *http.Request, desc string) {
	desc = headerSafe(desc)
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+desc+`"`)
	writeError(w, http.StatusUnauthorized, "invalid_token", desc)
	s.log.Debug("management API v2 request rejected", "method", r.Method, "path", r.URL.Path, "reason", desc)
}

// headerSafe keeps only the characters RFC 6750 §3 allows in
// error_description, and bounds the length.
func headerSafe(s string) string {
	const max = 200
	var b strings.Builder
	for _, c := range s {
		if b.Len() >= max {
			break
		}
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\'')
		case c >= 0x20 && c <= 0x7e:
			b.WriteRune(c)
		default:
			b.WriteByte(' ')
		}
	}
	return b.String()
}
