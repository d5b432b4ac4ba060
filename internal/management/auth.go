package management

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/token"
)

// requiredScope is the one scope the Management API knows, as in Logto.
const requiredScope = "all"

type claimsKey struct{}

func claimsFrom(ctx context.Context) *token.Claims {
	c, _ := ctx.Value(claimsKey{}).(*token.Claims)
	return c
}

// authenticated lets a request through only with a bearer token (RFC 6750)
// this server issued for the Management API with scope "all", whose caller
// still exists and still holds that permission (Deps.Standing).
func (s *server) authenticated(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		header := r.Header.Get("Authorization")
		if header == "" {
			// No credentials at all: RFC 6750 §3.1 says no error code.
			w.Header().Set("WWW-Authenticate", `Bearer`)
			httpjson.Write(w, http.StatusUnauthorized, errorBody{
				Code:    "auth.unauthorized",
				Message: "an Authorization header with a Bearer token is required",
			})
			s.log.Debug("management request without credentials", "method", r.Method, "path", r.URL.Path)
			return nil
		}
		scheme, raw, _ := strings.Cut(header, " ")
		raw = strings.TrimSpace(raw)
		if !strings.EqualFold(scheme, "Bearer") {
			s.unauthorized(w, r, "the Authorization header must use the Bearer scheme")
			return nil
		}
		if raw == "" {
			s.unauthorized(w, r, "the Bearer token is empty")
			return nil
		}
		claims, err := token.VerifyOnce(r.Context(), s.Verifier, raw)
		if err != nil || claims == nil {
			// token.ErrInvalid's messages are written to be shown; any
			// other error might not be.
			desc := "invalid token"
			if err != nil && errors.Is(err, token.ErrInvalid) {
				desc = err.Error()
			}
			s.unauthorized(w, r, desc)
			return nil
		}
		if !claims.HasAudience(s.Indicator) {
			s.unauthorized(w, r, "the token is not for the Management API (aud)")
			return nil
		}
		if !claims.HasScope(requiredScope) {
			forbidden(w, "the token lacks scope "+requiredScope)
			s.log.Info("management request forbidden: missing scope", "method", r.Method, "path", r.URL.Path, "sub", claims.Subject)
			return nil
		}
		// The token may be older than a change that ended the caller's
		// access: check the caller as it stands now, from memory.
		switch st := s.Standing(claims.Subject, claims.ClientID); st {
		case catalog.Holds:
		case catalog.Gone:
			s.unauthorized(w, r, "the token's caller no longer exists or is suspended")
			s.log.Warn("management request refused: the caller no longer exists", "method", r.Method, "path", r.URL.Path, "sub", claims.Subject, "client_id", claims.ClientID)
			return nil
		default:
			forbidden(w, "the caller no longer holds permission "+requiredScope)
			s.log.Warn("management request refused: the caller no longer holds the permission", "method", r.Method, "path", r.URL.Path, "sub", claims.Subject, "client_id", claims.ClientID)
			return nil
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
	}
}

// forbidden answers 403 insufficient_scope (RFC 6750 §3.1) in Logto's
// shape: the token is valid, but does not grant what the route needs.
func forbidden(w http.ResponseWriter, desc string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+requiredScope+`"`)
	writeBearerError(w, http.StatusForbidden, "auth.forbidden", "insufficient_scope", desc)
}

// unauthorized answers 401 invalid_token. desc never contains the token.
func (s *server) unauthorized(w http.ResponseWriter, r *http.Request, desc string) {
	desc = headerSafe(desc)
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+desc+`"`)
	writeBearerError(w, http.StatusUnauthorized, "auth.unauthorized", "invalid_token", desc)
	s.log.Debug("management request rejected", "method", r.Method, "path", r.URL.Path, "reason", desc)
}

// writeBearerError answers a refused token in Logto's shape with the RFC
// 6750 error: desc is both the message and the error_description.
func writeBearerError(w http.ResponseWriter, status int, code, oauthError, desc string) {
	httpjson.Write(w, status, errorBody{Code: code, Message: desc, Error: oauthError, ErrorDescription: desc})
}

// headerSafe keeps only the characters RFC 6750 §3 allows in
// error_description (printable ASCII without '"' and '\'), and bounds the
// length.
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
