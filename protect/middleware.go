package protect

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/dpop"
)

type ctxKey struct{}

// ctxValue is what the middleware puts in a request's context.
type ctxValue struct {
	v      *Verifier
	claims *Claims
}

// ClaimsFrom returns the verified claims that RequireScopes (or Handler) put
// in a request's context, or nil if there are none. Do not modify them.
func ClaimsFrom(ctx context.Context) *Claims {
	if cv, ok := ctx.Value(ctxKey{}).(*ctxValue); ok {
		return cv.claims
	}
	return nil
}

// Handler lets a request through to next only with a valid access token for
// this API; it is RequireScopes with no scopes.
func (v *Verifier) Handler(next http.Handler) http.Handler {
	return v.RequireScopes()(next)
}

// RequireScopes returns a middleware that lets a request through only with
// a valid access token for this API that holds every one of scopes. The
// answers otherwise (RFC 6750 §3):
//
//   - no bearer token: 401, WWW-Authenticate: Bearer realm="…" (no error,
//     as RFC 6750 §3.1 asks), body error "unauthorized";
//   - a malformed Authorization header: 400, error="invalid_request";
//   - a token that is not valid: 401, error="invalid_token" with an
//     error_description saying why;
//   - a valid token without a required scope: 403,
//     error="insufficient_scope" and scope="…" naming the scopes needed;
//   - the issuer's keys could not be fetched yet: 503 with Retry-After.
//
// Error bodies are JSON: {"error": …, "error_description": …}. A token
// already verified by this Verifier further out in the chain is not checked
// again.
func (v *Verifier) RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	required := make([]string, 0, len(scopes))
	for _, s := range scopes {
		required = append(required, strings.Fields(s)...)
	}
	scopeAttr := strings.Join(required, " ")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var claims *Claims
			if cv, ok := r.Context().Value(ctxKey{}).(*ctxValue); ok && cv.v == v {
				claims = cv.claims
			} else {
				claims = v.authenticate(w, r)
				if claims == nil {
					return
				}
				r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, &ctxValue{v, claims}))
			}
			for _, s := range required {
				if !claims.HasScope(s) {
					v.fail(w, http.StatusForbidden, "insufficient_scope", "the token lacks the scope "+s, scopeAttr)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// authenticate verifies the request's bearer token; on failure it writes the
// answer and returns nil.
func (v *Verifier) authenticate(w http.ResponseWriter, r *http.Request) *Claims {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		v.challenge(w)
		return nil
	}
	if len(values) > 1 {
		v.fail(w, http.StatusBadRequest, "invalid_request", "more than one Authorization header", "")
		return nil
	}
	scheme, token, _ := strings.Cut(values[0], " ")
	isDPoP := strings.EqualFold(scheme, "DPoP")
	if !isDPoP && !strings.EqualFold(scheme, "Bearer") {
		// Credentials of another scheme are no bearer token at all.
		v.challenge(w)
		return nil
	}
	token = strings.Trim(token, " ")
	if token == "" || strings.ContainsAny(token, " \t") {
		v.fail(w, http.StatusBadRequest, "invalid_request", "malformed Bearer credentials", "")
		return nil
	}
	claims, err := v.Verify(r.Context(), token)
	if err != nil {
		var ve *verifyError
		switch {
		case errors.As(err, &ve) && ve.kind == ErrInvalidToken:
			v.fail(w, http.StatusUnauthorized, "invalid_token", ve.desc, "")
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			// The client went away, or the request's deadline passed
			// while keys were being fetched.
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.Header().Set("Retry-After", "10")
			writeJSON(w, http.StatusServiceUnavailable, "temporarily_unavailable", "the token cannot be checked now: the issuer's signing keys could not be fetched")
		}
		return nil
	}
	if (isDPoP || claims.DPoPKey != "" || v.requireDPoP) && !v.authenticateDPoP(w, r, token, claims, isDPoP) {
		return nil
	}
	return claims
}

// challenge answers a request that has no bearer token.
func (v *Verifier) challenge(w http.ResponseWriter) {
	if v.requireDPoP {
		w.Header().Set("WWW-Authenticate", `DPoP algs="`+strings.Join(dpop.Algorithms, " ")+`"`)
		writeJSON(w, http.StatusUnauthorized, "unauthorized", "a DPoP-bound access token is required")
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm=`+quote(v.realm))
	writeJSON(w, http.StatusUnauthorized, "unauthorized", "a bearer access token is required")
}

// fail answers with an RFC 6750 error and challenge.
func (v *Verifier) fail(w http.ResponseWriter, status int, code, desc, scope string) {
	var b strings.Builder
	b.WriteString(`Bearer realm=`)
	b.WriteString(quote(v.realm))
	b.WriteString(`, error="`)
	b.WriteString(code)
	b.WriteString(`", error_description=`)
	b.WriteString(quote(desc))
	if scope != "" {
		b.WriteString(`, scope=`)
		b.WriteString(quote(scope))
	}
	w.Header().Set("WWW-Authenticate", b.String())
	writeJSON(w, status, code, desc)
}

func writeJSON(w http.ResponseWriter, status int, code, desc string) {
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, desc})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// quote makes a quoted-string of the characters RFC 6750 §3 allows in its
// attributes (printable ASCII but '"' and '\'), other characters replaced,
// at most 200 of them.
func quote(s string) string {
	const maxLen = 200
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s) && i < maxLen; i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\'')
		case c >= 0x20 && c <= 0x7e:
			b.WriteByte(c)
		default:
			b.WriteByte('?')
		}
	}
	b.WriteByte('"')
	return b.String()
}
