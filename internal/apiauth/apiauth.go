// Package apiauth decides who is calling a Management API and whether
// they may: the bearer token of the request (RFC 6750), its signature and
// lifetime, its audience, the route's scopes, and whether the caller it
// names still exists and still holds the scope. Both API faces (Logto's
// under /api, Auth0's under /api/v2) ask it; each answers the outcome in
// its own wire shape.
package apiauth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/token"
)

// Outcome is what Check found, in the order it checks.
type Outcome int

const (
	// Allowed: the caller may use the route.
	Allowed Outcome = iota
	// NoCredentials: the request has no Authorization header (RFC 6750
	// §3.1: answered without an error code).
	NoCredentials
	// NotBearer: the Authorization header uses another scheme.
	NotBearer
	// EmptyToken: the Bearer scheme without a token.
	EmptyToken
	// InvalidToken: the token does not verify (Decision.Reason says why
	// when the reason may be shown).
	InvalidToken
	// WrongAudience: the token is not for this API.
	WrongAudience
	// MissingScope: the token holds none of the route's scopes.
	MissingScope
	// CallerGone: the token's caller no longer exists or is suspended.
	CallerGone
	// CallerLacks: the token's caller no longer holds the scope.
	CallerLacks
)

// Decision is Check's answer.
type Decision struct {
	Outcome Outcome
	// Claims are the verified token's, from WrongAudience on.
	Claims *token.Claims
	// Scope is the route's scope the token holds, when Allowed.
	Scope string
	// Reason, for InvalidToken, is the verifier's message when it is one
	// written to be shown (token.ErrInvalid); "" otherwise.
	Reason string
}

// Gate checks the callers of one API.
type Gate struct {
	// Verifier checks bearer access tokens issued by this server.
	Verifier token.Verifier
	// Audience is the API's identifier: a token must carry it in aud.
	Audience string
	// Standing says whether the caller a verified token names (its sub
	// and client_id) still exists and still holds scope on the API. It is
	// asked on every request, so it must answer from memory.
	Standing func(scope, subject, clientID string) catalog.Standing
}

// Check decides whether r may use a route that any one of scopes opens.
func (g Gate) Check(r *http.Request, scopes []string) Decision {
	header := r.Header.Get("Authorization")
	if header == "" {
		return Decision{Outcome: NoCredentials}
	}
	scheme, raw, _ := strings.Cut(header, " ")
	raw = strings.TrimSpace(raw)
	if !strings.EqualFold(scheme, "Bearer") {
		return Decision{Outcome: NotBearer}
	}
	if raw == "" {
		return Decision{Outcome: EmptyToken}
	}
	claims, err := token.VerifyOnce(r.Context(), g.Verifier, raw)
	if err != nil || claims == nil {
		d := Decision{Outcome: InvalidToken}
		// token.ErrInvalid's messages are written to be shown; any other
		// error might not be.
		if err != nil && errors.Is(err, token.ErrInvalid) {
			d.Reason = err.Error()
		}
		return d
	}
	if !claims.HasAudience(g.Audience) {
		return Decision{Outcome: WrongAudience, Claims: claims}
	}
	var held string
	for _, sc := range scopes {
		if claims.HasScope(sc) {
			held = sc
			break
		}
	}
	if held == "" {
		return Decision{Outcome: MissingScope, Claims: claims}
	}
	// The token may be older than a change that ended the caller's
	// access: check the caller as it stands now.
	switch g.Standing(held, claims.Subject, claims.ClientID) {
	case catalog.Holds:
		return Decision{Outcome: Allowed, Claims: claims, Scope: held}
	case catalog.Gone:
		return Decision{Outcome: CallerGone, Claims: claims}
	default:
		return Decision{Outcome: CallerLacks, Claims: claims}
	}
}

// InvalidTokenChallenge is the WWW-Authenticate value of a 401 for a
// refused token, with desc made safe for the header (HeaderSafe).
func InvalidTokenChallenge(desc string) string {
	return `Bearer error="invalid_token", error_description="` + HeaderSafe(desc) + `"`
}

// InsufficientScopeChallenge is the WWW-Authenticate value of a 403 for a
// token without any of scopes.
func InsufficientScopeChallenge(scopes []string) string {
	return `Bearer error="insufficient_scope", scope="` + strings.Join(scopes, " ") + `"`
}

// HeaderSafe keeps only the characters RFC 6750 §3 allows in
// error_description (printable ASCII without '"' and '\'), and bounds the
// length.
func HeaderSafe(s string) string {
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
