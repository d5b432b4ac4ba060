package directory

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/monban/monban/internal/store"
)

// Limits on OIDC client metadata.
const (
	maxURIs           = 50
	maxURILen         = 2048
	minRefreshTTLDays = 1
	maxRefreshTTLDays = 90
	// DefaultRefreshTokenTTLDays is a new application's refresh token
	// lifetime, and what a stored 0 means.
	DefaultRefreshTokenTTLDays = 14
	// maxTTLSeconds bounds idTokenTtl and refreshTokenTtl (90 days, the
	// longest refreshTokenTtlInDays).
	maxTTLSeconds = maxRefreshTTLDays * 24 * 60 * 60
)

// Metadata is the client metadata a change to an application may give:
// each field that is not nil replaces the stored value.
type Metadata struct {
	RedirectURIs           *[]string
	PostLogoutRedirectURIs *[]string
	CORSAllowedOrigins     *[]string
	RotateRefreshToken     *bool
	RefreshTokenTTLDays    *int
	AllowPasswordGrant     *bool
	// AllowPasswordlessGrant enables Auth0's passwordless OTP grant.
	AllowPasswordlessGrant *bool
	AllowTokenExchange     *bool
	// RequirePAR: the app's authorization requests must be pushed (RFC
	// 9126).
	RequirePAR *bool
	// IsDeviceFlow: a native app of the device authorization grant (RFC
	// 8628), Logto's customClientMetadata.isDeviceFlow.
	IsDeviceFlow *bool

	// Logto's metadata that is kept and returned, not acted upon yet.
	BackchannelLogoutURI             *string
	BackchannelLogoutSessionRequired *bool
	LogoURI                          *string
	IDTokenTTL                       *int // seconds
	RefreshTokenTTL                  *int // seconds
	AlwaysIssueRefreshToken          *bool

	// Client authentication and DPoP (Monban's, in customClientMetadata):
	// the token endpoint authentication method, a JWK Set replacing the
	// registered public keys (null: none), the URL of the app's key set,
	// and whether its tokens must be DPoP-bound.
	TokenEndpointAuthMethod *string
	JWKS                    *json.RawMessage
	JWKSURI                 *string
	RequireDPoP             *bool

	// now is when the change is made (the registered keys' creation
	// time); zero: the clock's now.
	now time.Time
}

// newAppDefaults are the settings of a new application.
func newAppDefaults(a *store.Application) {
	a.RotateRefreshToken = true
	a.RefreshTokenTTLDays = DefaultRefreshTokenTTLDays
}

// apply validates the metadata and writes it into app. It reports whether
// anything was given.
func (m Metadata) apply(app *store.Application) (bool, error) {
	given := false
	if m.RedirectURIs != nil {
		uris, err := checkRedirectURIs("oidcClientMetadata.redirectUris", app.Type, *m.RedirectURIs)
		if err != nil {
			return false, err
		}
		app.RedirectURIs, given = uris, true
	}
	if m.PostLogoutRedirectURIs != nil {
		uris, err := checkRedirectURIs("oidcClientMetadata.postLogoutRedirectUris", app.Type, *m.PostLogoutRedirectURIs)
		if err != nil {
			return false, err
		}
		app.PostLogoutRedirectURIs, given = uris, true
	}
	if m.CORSAllowedOrigins != nil {
		origins, err := checkOrigins(*m.CORSAllowedOrigins)
		if err != nil {
			return false, err
		}
		app.CORSAllowedOrigins, given = origins, true
	}
	if m.RotateRefreshToken != nil {
		app.RotateRefreshToken, given = *m.RotateRefreshToken, true
	}
	if v := m.RefreshTokenTTLDays; v != nil {
		if *v < minRefreshTTLDays || *v > maxRefreshTTLDays {
			return false, invalid(fmt.Sprintf("customClientMetadata.refreshTokenTtlInDays must be an integer from %d to %d", minRefreshTTLDays, maxRefreshTTLDays))
		}
		app.RefreshTokenTTLDays, given = *v, true
	}
	if m.AllowPasswordGrant != nil {
		if *m.AllowPasswordGrant && app.Type == store.AppMachineToMachine {
			return false, invalid("MachineToMachine applications cannot use the password grant")
		}
		app.AllowPasswordGrant, given = *m.AllowPasswordGrant, true
	}
	if m.AllowPasswordlessGrant != nil {
		if *m.AllowPasswordlessGrant && app.Type == store.AppMachineToMachine {
			return false, invalid("MachineToMachine applications cannot use the passwordless grant")
		}
		app.AllowPasswordlessGrant, given = *m.AllowPasswordlessGrant, true
	}
	if m.AllowTokenExchange != nil {
		// Kept for any type, as Logto does; the grant refuses
		// machine-to-machine apps.
		app.AllowTokenExchange, given = *m.AllowTokenExchange, true
	}
	if m.RequirePAR != nil {
		if *m.RequirePAR && app.Type == store.AppMachineToMachine {
			return false, invalid("MachineToMachine applications do not sign users in and cannot require pushed authorization requests")
		}
		app.RequirePAR, given = *m.RequirePAR, true
	}
	if m.IsDeviceFlow != nil {
		if *m.IsDeviceFlow && app.Type != store.AppNative {
			return false, &Error{Kind: Invalid, Reason: ReasonDeviceFlow,
				Message: "customClientMetadata.isDeviceFlow: only Native applications can use the device flow"}
		}
		app.IsDeviceFlow, given = *m.IsDeviceFlow, true
	}
	kept, err := m.applyKept(app)
	if err != nil {
		return false, err
	}
	now := m.now
	if now.IsZero() {
		now = time.Now()
	}
	auth, err := m.applyClientAuth(app, now)
	if err != nil {
		return false, err
	}
	given = given || kept || auth
	if app.Type == store.AppMachineToMachine && (len(app.RedirectURIs) > 0 || len(app.PostLogoutRedirectURIs) > 0) {
		return false, invalid("MachineToMachine applications do not sign users in and take no redirect URIs")
	}
	return given, nil
}

// applyKept validates and writes the metadata Monban keeps without acting
// on it. It reports whether any was given.
func (m Metadata) applyKept(app *store.Application) (bool, error) {
	given := false
	for _, f := range []func() (bool, error){
		func() (bool, error) {
			return keep(m.BackchannelLogoutURI, &app.BackchannelLogoutURI, optionalWebURL("oidcClientMetadata.backchannelLogoutUri"))
		},
		func() (bool, error) {
			return keep(m.LogoURI, &app.LogoURI, optionalWebURL("oidcClientMetadata.logoUri"))
		},
		func() (bool, error) {
			return keep(m.IDTokenTTL, &app.IDTokenTTL, ttlSeconds("customClientMetadata.idTokenTtl"))
		},
		func() (bool, error) {
			return keep(m.RefreshTokenTTL, &app.RefreshTokenTTL, ttlSeconds("customClientMetadata.refreshTokenTtl"))
		},
		func() (bool, error) {
			return keep(m.BackchannelLogoutSessionRequired, &app.BackchannelLogoutSessionRequired, nil)
		},
		func() (bool, error) { return keep(m.AlwaysIssueRefreshToken, &app.AlwaysIssueRefreshToken, nil) },
	} {
		ok, err := f()
		if err != nil {
			return false, err
		}
		given = given || ok
	}
	return given, nil
}

// keep writes *in into dst when in is given and check (if any) accepts it,
// and reports whether it was given.
func keep[T any](in, dst *T, check func(T) error) (bool, error) {
	if in == nil {
		return false, nil
	}
	if check != nil {
		if err := check(*in); err != nil {
			return false, err
		}
	}
	*dst = *in
	return true, nil
}

// optionalWebURL checks an absolute http(s) URL, or "" (unset).
func optionalWebURL(field string) func(string) error {
	return func(v string) error {
		if v == "" {
			return nil
		}
		return checkWebURL(field, v)
	}
}

// ttlSeconds checks a lifetime in whole seconds.
func ttlSeconds(field string) func(int) error {
	return func(v int) error {
		if v < 1 || v > maxTTLSeconds {
			return invalid(fmt.Sprintf("%s must be a number of seconds from 1 to %d", field, maxTTLSeconds))
		}
		return nil
	}
}

// forbiddenSchemes can run code or read local data if a browser is sent to
// them, so no app may register them.
var forbiddenSchemes = map[string]bool{"javascript": true, "data": true, "vbscript": true, "file": true, "blob": true, "about": true, "filesystem": true}

// checkRedirectURIs validates a list of redirect URIs: absolute, without a
// fragment or a user-info part, http(s) with a host for web apps; native
// apps may also use private-use schemes (RFC 8252 §7.1). Repeats are
// dropped.
func checkRedirectURIs(field string, typ store.AppType, uris []string) ([]string, error) {
	if len(uris) > maxURIs {
		return nil, invalid(fmt.Sprintf("%s has more than %d entries", field, maxURIs))
	}
	out := make([]string, 0, len(uris))
	seen := map[string]bool{}
	for _, raw := range uris {
		if raw == "" || len(raw) > maxURILen || strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return nil, invalid(fmt.Sprintf("%s must hold URIs of at most %d characters without spaces or control characters", field, maxURILen))
		}
		u, err := url.Parse(raw)
		if err != nil || !u.IsAbs() {
			return nil, invalid(field + " must hold absolute URIs")
		}
		if u.Fragment != "" || strings.Contains(raw, "#") {
			return nil, invalid(field + " must not hold URIs with a fragment")
		}
		// https://app.example@evil.example/cb reads as app.example but
		// leads to evil.example; a password has no place in a URI either.
		if u.User != nil {
			return nil, invalid(field + " must not hold URIs with a user-info part (user@ or user:password@)")
		}
		scheme := strings.ToLower(u.Scheme)
		switch {
		case forbiddenSchemes[scheme]:
			return nil, invalid(field + ": the " + scheme + " scheme is not allowed")
		case scheme == "http" || scheme == "https":
			if u.Host == "" {
				return nil, invalid(field + " must hold http(s) URIs with a host")
			}
		case typ != store.AppNative:
			return nil, invalid(field + " must hold http or https URIs (only Native applications may use other schemes)")
		}
		if !seen[raw] {
			seen[raw] = true
			out = append(out, raw)
		}
	}
	return out, nil
}

// checkOrigins validates CORS origins: scheme://host[:port] with http(s).
func checkOrigins(origins []string) ([]string, error) {
	if len(origins) > maxURIs {
		return nil, invalid(fmt.Sprintf("customClientMetadata.corsAllowedOrigins has more than %d entries", maxURIs))
	}
	out := make([]string, 0, len(origins))
	for _, raw := range origins {
		o := strings.TrimRight(raw, "/")
		u, err := url.Parse(o)
		if len(raw) > maxURILen || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(o, "#? \t") {
			return nil, invalid("customClientMetadata.corsAllowedOrigins must hold origins such as https://app.example.com")
		}
		out = append(out, u.Scheme+"://"+strings.ToLower(u.Host))
	}
	return out, nil
}
