package management

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/monban/monban/internal/store"
)

// Limits on OIDC client metadata.
const (
	maxURIs           = 50
	maxURILen         = 2048
	minRefreshTTLDays = 1
	maxRefreshTTLDays = 90
	defaultRefreshTTL = 14
)

// oidcMetadataIn is oidcClientMetadata in a request: a list that is present
// replaces the stored one.
type oidcMetadataIn struct {
	RedirectURIs           *[]string `json:"redirectUris"`
	PostLogoutRedirectURIs *[]string `json:"postLogoutRedirectUris"`
}

// customMetadataIn is customClientMetadata in a request: each field present
// replaces the stored value.
type customMetadataIn struct {
	CORSAllowedOrigins    *[]string `json:"corsAllowedOrigins"`
	RotateRefreshToken    *bool     `json:"rotateRefreshToken"`
	RefreshTokenTTLInDays *int      `json:"refreshTokenTtlInDays"`
	AllowPasswordGrant    *bool     `json:"allowPasswordGrant"`
}

// customClientMetadata is the per-app token settings, in Logto's names
// (allowPasswordGrant is Monban's).
type customClientMetadata struct {
	CORSAllowedOrigins    []string `json:"corsAllowedOrigins"`
	RotateRefreshToken    bool     `json:"rotateRefreshToken"`
	RefreshTokenTTLInDays int      `json:"refreshTokenTtlInDays"`
	AllowPasswordGrant    bool     `json:"allowPasswordGrant"`
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func metadataOut(a store.Application) (oidcClientMetadata, customClientMetadata) {
	ttl := a.RefreshTokenTTLDays
	if ttl == 0 {
		ttl = defaultRefreshTTL
	}
	return oidcClientMetadata{RedirectURIs: nonNil(a.RedirectURIs), PostLogoutRedirectURIs: nonNil(a.PostLogoutRedirectURIs)},
		customClientMetadata{CORSAllowedOrigins: nonNil(a.CORSAllowedOrigins), RotateRefreshToken: a.RotateRefreshToken,
			RefreshTokenTTLInDays: ttl, AllowPasswordGrant: a.AllowPasswordGrant}
}

// newAppDefaults are the settings of a new application.
func newAppDefaults(a *store.Application) {
	a.RotateRefreshToken = true
	a.RefreshTokenTTLDays = defaultRefreshTTL
}

// applyMetadata validates the metadata of a request and writes it into app.
// It reports whether anything was given.
func applyMetadata(app *store.Application, oidc *oidcMetadataIn, custom *customMetadataIn) (bool, error) {
	given := false
	if oidc != nil {
		if oidc.RedirectURIs != nil {
			uris, err := checkRedirectURIs("oidcClientMetadata.redirectUris", app.Type, *oidc.RedirectURIs)
			if err != nil {
				return false, err
			}
			app.RedirectURIs, given = uris, true
		}
		if oidc.PostLogoutRedirectURIs != nil {
			uris, err := checkRedirectURIs("oidcClientMetadata.postLogoutRedirectUris", app.Type, *oidc.PostLogoutRedirectURIs)
			if err != nil {
				return false, err
			}
			app.PostLogoutRedirectURIs, given = uris, true
		}
	}
	if custom != nil {
		if custom.CORSAllowedOrigins != nil {
			origins, err := checkOrigins(*custom.CORSAllowedOrigins)
			if err != nil {
				return false, err
			}
			app.CORSAllowedOrigins, given = origins, true
		}
		if custom.RotateRefreshToken != nil {
			app.RotateRefreshToken, given = *custom.RotateRefreshToken, true
		}
		if v := custom.RefreshTokenTTLInDays; v != nil {
			if *v < minRefreshTTLDays || *v > maxRefreshTTLDays {
				return false, invalid(fmt.Sprintf("customClientMetadata.refreshTokenTtlInDays must be an integer from %d to %d", minRefreshTTLDays, maxRefreshTTLDays))
			}
			app.RefreshTokenTTLDays, given = *v, true
		}
		if custom.AllowPasswordGrant != nil {
			if *custom.AllowPasswordGrant && app.Type == store.AppMachineToMachine {
				return false, invalid("MachineToMachine applications cannot use the password grant")
			}
			app.AllowPasswordGrant, given = *custom.AllowPasswordGrant, true
		}
	}
	if app.Type == store.AppMachineToMachine && (len(app.RedirectURIs) > 0 || len(app.PostLogoutRedirectURIs) > 0) {
		return false, invalid("MachineToMachine applications do not sign users in and take no redirect URIs")
	}
	return given, nil
}

// forbiddenSchemes can run code or read local data if a browser is sent to
// them, so no app may register them.
var forbiddenSchemes = map[string]bool{"javascript": true, "data": true, "vbscript": true, "file": true, "blob": true, "about": true, "filesystem": true}

// checkRedirectURIs validates a list of redirect URIs: absolute, without a
// fragment or a user-info part, http(s) with a host for web apps; native apps may also use
// private-use schemes (RFC 8252 §7.1). Repeats are dropped.
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
