package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/monban/monban/internal/browser"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/ratelimit"
	"github.com/monban/monban/internal/revocation"
	"github.com/monban/monban/internal/store"
)

// UsersConfig enables the end-user endpoints: authorization, the hosted
// sign-in page, the code, refresh and password grants, userinfo,
// revocation, introspection and logout. Zero durations take the defaults,
// except RefreshGrace, where zero means none.
type UsersConfig struct {
	Store       store.Store
	Passwords   *password.Hasher
	Revocations *revocation.List
	// Endpoint is the public base URL; the sign-in page is {Endpoint}/sign-in
	// and cookies are Secure when it is https.
	Endpoint string
	// CSRFKey signs the sign-in form's anti-forgery tokens (32+ bytes).
	CSRFKey []byte
	// ClientIP returns the address a request came from, for the per-address
	// back-off (behind trusted proxies, the forwarded one); nil: the peer.
	ClientIP func(*http.Request) string

	SessionTTL time.Duration // browser sign-in session; default 14 days
	CodeTTL    time.Duration // authorization code; default and maximum 10 minutes
	IDTokenTTL time.Duration // default 1 hour
	// RefreshGrace is how long a rotated refresh token still works, for a
	// client retrying a lost answer. Zero is no grace: a rotated token is
	// refused at once (DefaultRefreshGrace is what the server configures).
	RefreshGrace time.Duration
	// HashWait bounds how long a sign-in waits for a password hashing slot
	// before it is answered "try again"; default 5 s.
	HashWait time.Duration
	Throttle ThrottleConfig
	// Failures keeps the sign-in back-off's counts; a Redis limiter shares
	// them between instances. Nil: in this process's memory.
	Failures ratelimit.FailureCounter
	// Logger logs what a password check could not do; nil: the
	// provider's.
	Logger *slog.Logger
}

// ThrottleConfig is the sign-in back-off's policy (see
// ratelimit.SignInPolicy). Zero fields take the defaults.
type ThrottleConfig = ratelimit.SignInPolicy

// Defaults of UsersConfig.
const (
	DefaultSessionTTL   = 14 * 24 * time.Hour
	DefaultCodeTTL      = 10 * time.Minute
	DefaultIDTokenTTL   = time.Hour
	DefaultRefreshGrace = 10 * time.Second
	defaultHashWait     = 5 * time.Second
	// defaultUserTokenTTL is the lifetime of an access token for the
	// userinfo endpoint (one without a resource).
	defaultUserTokenTTL = 3600
	defaultRefreshDays  = 14
)

func (c *UsersConfig) withDefaults() {
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.CodeTTL <= 0 || c.CodeTTL > DefaultCodeTTL {
		c.CodeTTL = DefaultCodeTTL
	}
	if c.IDTokenTTL <= 0 {
		c.IDTokenTTL = DefaultIDTokenTTL
	}
	c.RefreshGrace = max(c.RefreshGrace, 0)
	if c.HashWait <= 0 {
		c.HashWait = defaultHashWait
	}
	c.Endpoint = strings.TrimRight(c.Endpoint, "/")
	c.Throttle = c.Throttle.WithDefaults()
}

// users is the state of the end-user endpoints.
type users struct {
	UsersConfig
	cookies  *browser.Cookies
	accounts *interaction.Accounts
	pages    *pages
	// deviceFailures counts wrong user codes (Failures, else memory).
	deviceFailures ratelimit.FailureCounter
}

// newUsers readies the end-user endpoints when they are configured.
func newUsers(c *UsersConfig, now func() time.Time) *users {
	if c == nil {
		return nil
	}
	cfg := *c
	cfg.withDefaults()
	u := &users{
		UsersConfig:    cfg,
		cookies:        browser.New(cfg.Endpoint, cfg.CSRFKey),
		accounts:       cfg.newAccounts(now),
		pages:          newPages(),
		deviceFailures: cfg.Failures,
	}
	if u.deviceFailures == nil {
		u.deviceFailures = ratelimit.NewLocal(ratelimit.WithMaxKeys(cfg.Throttle.MaxEntries), ratelimit.WithClock(now))
	}
	return u
}

// newAccounts returns the password checks of c's back-off (see
// interaction.Accounts).
func (c *UsersConfig) newAccounts(now func() time.Time) *interaction.Accounts {
	cfg := *c
	cfg.withDefaults()
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &interaction.Accounts{Store: cfg.Store, Passwords: cfg.Passwords, HashWait: cfg.HashWait, Logger: logger,
		Throttle: ratelimit.NewSignIn(cfg.Throttle, cfg.Failures, now)}
}

// hashToken is the stored id of a code, refresh token or session cookie:
// they are 256-bit random values, so a plain SHA-256 is enough.
func hashToken(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// userinfoAudience is the aud of access tokens issued without a resource
// on the face of ctx: they are good for that face's userinfo endpoint
// only.
func (p *Provider) userinfoAudience(ctx context.Context) string { return p.profile(ctx).Userinfo.URL }

// addUserDiscovery adds the end-user endpoints of face f and what they
// support to the discovery document.
func addUserDiscovery(doc map[string]any, f *Profile) {
	advertise(doc, "authorization_endpoint", f.Authorization)
	advertise(doc, "userinfo_endpoint", f.Userinfo)
	advertise(doc, "revocation_endpoint", f.Revocation)
	advertise(doc, "introspection_endpoint", f.Introspection)
	advertise(doc, "end_session_endpoint", f.EndSession)
	advertise(doc, "pushed_authorization_request_endpoint", f.PushedAuthorization)
	advertise(doc, "device_authorization_endpoint", f.DeviceAuthorization)
	for k, v := range map[string]any{
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query"},
		"code_challenge_methods_supported":              []string{"S256"},
		"token_endpoint_auth_methods_supported":         []string{"client_secret_basic", "client_secret_post", "none"},
		"revocation_endpoint_auth_methods_supported":    []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported": []string{"openid", "profile", "email", "phone", "address", "offline_access", "roles", "custom_data",
			ScopeOrganizations, ScopeOrganizationRoles},
		"prompt_values_supported":                        []string{"none", "login", "consent", "select_account"},
		"authorization_response_iss_parameter_supported": true,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"require_pushed_authorization_requests":          false,
		"claims_parameter_supported":                     false,
		"frontchannel_logout_supported":                  false,
		"backchannel_logout_supported":                   false,
		"acr_values_supported":                           []string{interaction.ACRMultiFactor},
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "jti", "client_id", "scope", "amr", "acr",
			"name", "picture", "username", "preferred_username", "given_name", "family_name", "middle_name", "nickname",
			"profile", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at", "email", "email_verified",
			"phone_number", "phone_number_verified", "address", "roles", "custom_data",
			"organizations", "organization_data", "organization_roles"},
	} {
		doc[k] = v
	}
}

// Accounts is the provider's password checks under its back-off: the
// hosted pages use the same, so that their failures and the password
// grant's count together.
func (p *Provider) Accounts() *interaction.Accounts { return p.u.accounts }
