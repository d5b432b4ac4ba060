// Package server wires Monban together: storage, the in-memory catalog, the
// protocol endpoints and the Management API, behind common HTTP middleware.
package server

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/auth0"
	"github.com/monban/monban/internal/auth0auth"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/claims"
	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/console"
	"github.com/monban/monban/internal/declare"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/events"
	"github.com/monban/monban/internal/experience"
	"github.com/monban/monban/internal/hooks"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/management"
	"github.com/monban/monban/internal/metrics"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/pwticket"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/ratelimit"
	"github.com/monban/monban/internal/revocation"
	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/signin"
	"github.com/monban/monban/internal/sso"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/token"
	"github.com/monban/monban/internal/verifycode"
	"github.com/monban/monban/internal/webhook"
)

// Config is the server's configuration (see the README for the variables).
// Where zero is a meaningful value (a grace, a delay, a retention, a count
// of fetches or redirects), a zero field means zero; other zero fields (a
// lifetime, a time limit, a size) take their defaults. DefaultConfig
// returns every setting at its default: start from it.
type Config struct {
	Addr string // listen address
	// Listener, when set, is used instead of listening on Addr: "monban
	// serve" binds before anything is opened or seeded, so that a wrong
	// address fails first, and tests bind a random port.
	Listener net.Listener
	// Endpoint is the public base URL, without a trailing slash. Unset, it
	// is derived from the address listened on (EndpointFor).
	Endpoint    string
	DatabaseURL string
	// ManagementIndicator is the built-in Management API resource's
	// indicator; unset, {Endpoint}/api.
	ManagementIndicator string
	BootstrapAppID      string
	BootstrapAppSecret  string
	// AdminUsername and AdminPassword, when set, name a user who is made
	// sure at every start to exist with this password and to hold a role
	// with the Management API's "all" permission (the console's
	// administrator). With neither set, a start that finds no such user
	// creates one and prints the credentials on Stderr.
	AdminUsername string
	AdminPassword string
	AccessLog     bool
	// MetricsAddr, when set, serves /metrics on its own listener (so that
	// metrics need not be public); otherwise /metrics is on the main one.
	MetricsAddr string
	// MetricsListener, when set, is used instead of listening on
	// MetricsAddr.
	MetricsListener net.Listener
	// Pprof serves Go's profiler (net/http/pprof, under /debug/pprof/) on
	// the metrics listener, never on the main one; it needs MetricsAddr.
	Pprof bool
	// MFARememberDevice is how long the hosted pages may remember a
	// browser that gave a second factor, so that it is not asked again
	// there (the person ticks a box); zero: never. At most
	// MaxMFARememberDevice.
	MFARememberDevice time.Duration
	// AuditRetention is how long audit logs are kept: zero keeps none past
	// the next (hourly) prune; audit.Forever keeps them all. Default
	// audit.DefaultRetention.
	AuditRetention time.Duration
	// ScriptLimits and ScriptPolicy bound custom JWT claims scripts and say
	// which hosts their fetch may reach besides public addresses. Zero
	// MaxFetches disables fetch and zero MaxRedirects follows none; other
	// zero limits take their defaults.
	ScriptLimits claims.Limits
	ScriptPolicy claims.Policy
	// Webhooks set the delivery of Logto's hooks: the egress policy of
	// their URLs, the time per attempt, the retries and their back-off,
	// and how long attempts are kept. The zero Options (unset) is
	// webhook.DefaultOptions(); any field set makes every field count as
	// given. Logger and Now are the server's.
	Webhooks webhook.Options
	// Connectors set the delivery of one-time codes: the egress policy of
	// the SMTP and SMS providers, the time per attempt, the retries and
	// their back-off. The zero Options (unset) is connector.DefaultOptions();
	// any field set makes every field count as given. Audit, Logger and Now
	// are the server's.
	Connectors connector.Options
	// ClientKeysEgress says which addresses applications' jwks_uri may
	// reach besides public ones (private_key_jwt).
	ClientKeysEgress egress.Policy
	// SSOEgress says which addresses enterprise SSO connectors' metadata
	// URLs and OIDC issuers may reach besides public ones.
	SSOEgress egress.Policy
	// DPoPNonce makes DPoP proofs carry a nonce the server gave
	// (RFC 9449 §8): a proof without a current one is answered
	// use_dpop_nonce with the nonce in DPoP-Nonce.
	DPoPNonce bool
	// RateLimits are the request limits; nil means DefaultRateLimits.
	RateLimits *RateLimits
	// RedisURL, when set, shares the rate limits between instances.
	RedisURL string
	// TrustedProxies may set X-Forwarded-For; from anyone else it is
	// ignored and the peer address is the client's.
	TrustedProxies []netip.Prefix
	// KeyPublishDelay is how long a rotated-in key is published before it
	// signs, so that every instance and every verifier's JWKS cache has it
	// first. Zero: it signs at once. Default DefaultKeyPublishDelay.
	KeyPublishDelay time.Duration
	// RefreshInterval is how often the catalog is re-read from the database
	// even without a change made here. Zero means one minute.
	RefreshInterval time.Duration
	Logger          *slog.Logger
	// Stderr receives the one-time credentials of the bootstrap app and of
	// the first administrator, once the server listens (Listen).
	Stderr io.Writer
	// NoticesJSON writes those credentials as JSON lines, one object per
	// line as the JSON log has, instead of a text block.
	NoticesJSON bool

	// Users tunes end-user sign-in (password hashing, sessions, refresh
	// token grace, back-off).
	Users UserSettings
	// SigningAlgorithm, when set, is the algorithm of the first signing
	// key and of key rotations that name none (ES256, ES384, RS256 or
	// EdDSA); RS256 suits verifiers that only take Auth0's RS256. Empty:
	// the first key is ES256 and a rotation keeps the current key's
	// algorithm. An existing key is not replaced at start: rotate it.
	SigningAlgorithm string
	// TLSCertFile and TLSKeyFile, set together, make the server serve
	// HTTPS itself with this PEM certificate chain and key, re-read when
	// the files change (a renewed certificate needs no restart). Unset:
	// plain HTTP, for a TLS-terminating proxy in front.
	TLSCertFile, TLSKeyFile string
	// SignUp leaves self sign-up (Auth0's POST /dbconnections/signup and
	// the hosted pages) to the sign-in experience's signInMode; false
	// closes it whatever the sign-in experience says ("public signup is
	// disabled"). DefaultConfig leaves it open, as Auth0's database
	// connection and Logto's default sign-in experience are. The same
	// rule decides whether a passwordless code may make a new user.
	SignUp bool
	// CodeDeliverer delivers one-time codes (e-mail, SMS); nil: the
	// message connectors configured at /api/connectors do.
	CodeDeliverer verifycode.Deliverer
	// ResetMailer sends the password reset links of Auth0's
	// /dbconnections/change_password; nil: the message connectors do,
	// through their outbox, as they deliver codes.
	ResetMailer pwticket.Mailer

	// Config, when set, is a configuration document (its ${NAME}
	// references resolved) applied at every start, after the seeding and
	// under the same lock, so that instances starting together apply it
	// one after the other; ConfigPrune deletes what it does not declare.
	// A document the directory refuses stops the start.
	Config      *declare.Document
	ConfigPrune bool

	// SecretKey encrypts the secrets kept in the database (see "Secrets at
	// rest" in docs/deploy.md). Unset, an SQLite deployment uses the key in
	// secret.key next to the database, generated on the first start, and a
	// PostgreSQL one refuses to start.
	SecretKey sealed.Key

	// Clock is the time of token lifetimes, key publish delays, secret
	// expiry, sessions, refresh grace and revocations; nil means the
	// system clock. Tests set a clock.Fake and advance it.
	Clock clock.Clock
}

// Defaults for Config.
const (
	// MaxMFARememberDevice bounds Config.MFARememberDevice.
	MaxMFARememberDevice = 90 * 24 * time.Hour
	DefaultAddr          = "127.0.0.1:3001"
	DefaultDatabaseURL   = "sqlite://./monban-data/monban.db"
	// DefaultKeyPublishDelay outlasts the JWKS refetch cool-downs of common
	// verifiers (jose: 30 s) and the spread of a change between instances.
	DefaultKeyPublishDelay = time.Minute
)

// DefaultConfig returns the configuration with every setting at its
// default, the one "monban serve" starts from.
func DefaultConfig() Config {
	limits := DefaultRateLimits
	return Config{
		Addr:            DefaultAddr,
		DatabaseURL:     DefaultDatabaseURL,
		AuditRetention:  audit.DefaultRetention,
		ScriptLimits:    claims.DefaultLimits(),
		ScriptPolicy:    claims.Policy{MaxRedirects: claims.DefaultMaxRedirects},
		Webhooks:        webhook.DefaultOptions(),
		RateLimits:      &limits,
		KeyPublishDelay: DefaultKeyPublishDelay,
		RefreshInterval: time.Minute,
		SignUp:          true,
		Users: UserSettings{
			SessionTTL:   oidc.DefaultSessionTTL,
			CodeTTL:      oidc.DefaultCodeTTL,
			RefreshGrace: oidc.DefaultRefreshGrace,
		},
	}
}

// Issuer returns the OIDC issuer of Logto's face for an endpoint.
func Issuer(endpoint string) string { return strings.TrimRight(endpoint, "/") + "/oidc" }

// Auth0Issuer returns the issuer of Auth0's face for an endpoint: the
// endpoint with a trailing slash, as Auth0's are.
func Auth0Issuer(endpoint string) string { return oidc.Auth0Profile(endpoint).Issuer }

// settingSecretHashKey names the stored key of the client secret HMAC.
const settingSecretHashKey = "client_secret_hash_key"

// Server is a configured Monban, ready to serve.
type Server struct {
	cfg   Config
	store store.Store
	feed  store.ChangeFeed // nil: no other instance to tell
	// life ends at Close; work left running in the background follows it.
	life    context.Context
	endLife context.CancelFunc
	catalog *catalog.Cache
	keys    *keys.Manager    // its promotions end with life; Close waits for them
	events  *events.Follower // the outbox, followed into the catalog and the revocation list
	metrics *metrics.Metrics
	audit   *audit.Writer
	scripts *claims.Runner
	hooks   *webhook.Dispatcher // webhook deliveries, planned from the outbox
	// connectors keeps the message connectors and sends queued messages;
	// codes issues and checks one-time codes through it.
	connectors *connector.Service
	codes      *verifycode.Service
	// sso keeps the enterprise SSO connectors.
	sso *sso.Service
	// mfa verifies and binds users' second factors; factor types beyond
	// TOTP and backup codes register with it.
	mfa *mfa.Service
	// deliverer delivers codes and reset e-mails: the connectors, or
	// Config.CodeDeliverer.
	deliverer verifycode.Deliverer
	// experience is the sign-in experience (and its password policy),
	// dropped from its cache by the outbox.
	experience *experience.Service
	users      *userParts
	handler    http.Handler
	http       *http.Server
	tls        *certFiles // nil: plain HTTP
	ln         net.Listener
	mln        net.Listener // the metrics listener, if MetricsAddr is set

	// notices are the one-time credentials seeding made, written to
	// Stderr once the server listens.
	notices []Notice
	stop    context.CancelFunc
	bg      sync.WaitGroup // the background loops Serve starts
	// drainTimeout bounds the wait for requests in flight at shutdown,
	// flushTimeout the audit log's flush after it: each has its own.
	drainTimeout, flushTimeout time.Duration
}

// New opens the storage, applies migrations, seeds what a first start needs
// and builds the handlers. It does not listen yet (unless given a
// Listener), and prints nothing: the credentials a first start creates are
// written by Listen, once the server listens.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = time.Minute
	}
	cfg.Clock = clock.Or(cfg.Clock)
	if err := resolveEndpoint(&cfg); err != nil {
		return nil, err
	}
	if err := validateConfig(&cfg); err != nil {
		return nil, err
	}
	var certs *certFiles
	if cfg.TLSCertFile != "" {
		var err error
		if certs, err = loadCertFiles(cfg.TLSCertFile, cfg.TLSKeyFile, cfg.Logger, cfg.Clock.Now); err != nil {
			return nil, err
		}
	}
	st, feed, err := OpenStore(ctx, cfg.DatabaseURL, cfg.Logger)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, store: st, feed: feed, tls: certs, drainTimeout: 10 * time.Second, flushTimeout: 10 * time.Second}
	s.life, s.endLife = context.WithCancel(context.Background())
	if err := s.setUp(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func validateConfig(cfg *Config) error {
	for name, v := range map[string]string{"endpoint": cfg.Endpoint, "management API indicator": cfg.ManagementIndicator} {
		if !absoluteHTTPURL(v) {
			return fmt.Errorf("the %s must be an absolute http(s) URL, got %q", name, v)
		}
	}
	for name, d := range map[string]time.Duration{
		"audit retention": cfg.AuditRetention, "key publish delay": cfg.KeyPublishDelay,
		"refresh token grace": cfg.Users.RefreshGrace, "catalog refresh interval": cfg.RefreshInterval,
	} {
		if d < 0 {
			return fmt.Errorf("the %s must not be negative, got %v", name, d)
		}
	}
	if cfg.ScriptLimits.MaxFetches < 0 || cfg.ScriptPolicy.MaxRedirects < 0 {
		return errors.New("the script fetch and redirect limits must not be negative")
	}
	if cfg.SigningAlgorithm != "" && !keys.Supported(cfg.SigningAlgorithm) {
		return fmt.Errorf("the signing algorithm must be ES256, ES384, RS256 or EdDSA, got %q", cfg.SigningAlgorithm)
	}
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return errors.New("the TLS certificate and key files must be given together")
	}
	if cfg.Pprof && cfg.MetricsAddr == "" && cfg.MetricsListener == nil {
		return errors.New("the profiler is served on the metrics listener only: it needs a metrics address")
	}
	return checkAdminConfig(*cfg)
}

func (s *Server) setUp(ctx context.Context) error {
	cfg, st := s.cfg, s.store
	if err := unlockSecrets(ctx, st, cfg); err != nil {
		return fmt.Errorf("secrets at rest: %w", err)
	}
	now := cfg.Clock.Now()
	hasher, err := secretHasher(ctx, st)
	if err != nil {
		return err
	}
	passwords := password.NewHasher(cfg.Users.PasswordParams, cfg.Users.PasswordConcurrency)
	s.scripts = claims.NewRunner(claims.Options{Limits: cfg.ScriptLimits, Policy: cfg.ScriptPolicy})
	if s.notices, err = seed(ctx, st, hasher, passwords, s.scripts, cfg, now); err != nil {
		return err
	}
	delay := cfg.KeyPublishDelay
	km := &keys.Manager{Store: st, Clock: cfg.Clock, PublishDelay: delay, Background: s.life, Logger: cfg.Logger, Algorithm: cfg.SigningAlgorithm}
	s.keys = km
	if err := km.Ensure(ctx); err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	// The follower starts at the outbox's newest event, before the caches
	// load: a change made in between is applied again, which is harmless.
	if s.events, err = events.New(ctx, st, cfg.Logger, outboxPoll); err != nil {
		return err
	}
	cache, err := catalog.New(ctx, st, cfg.Logger, delay, cfg.Clock)
	if err != nil {
		return err
	}
	s.catalog = cache
	s.events.Subscribe("catalog", cache.Apply)
	// MONBAN_SIGN_UP=false closes sign-up whatever the sign-in experience
	// says; true leaves it to the sign-in experience's signInMode.
	s.experience = experience.New(st, experience.Options{SignUpDisabled: !cfg.SignUp,
		// Code methods need a connector of their channel (set up below).
		HasConnector: func(ch string) bool {
			return s.connectors != nil && s.connectors.HasChannel(verifycode.Channel(ch))
		}})
	s.events.Subscribe("experience", s.experience.Apply)
	// The Management API checks its caller's standing on every request.
	mgmtAll := catalog.Privilege{Indicator: cfg.ManagementIndicator, Scope: ManagementScope}
	v2 := ManagementV2Identifier(cfg.Endpoint)
	protected := []catalog.Privilege{mgmtAll}
	for _, sc := range directory.ManagementV2Scopes {
		protected = append(protected, catalog.Privilege{Indicator: v2, Scope: sc.Name})
	}
	if err := cache.Protect(ctx, protected...); err != nil {
		return err
	}
	km.Reload = s.changed
	km.Retention = func() time.Duration { return cache.Load().KeyRetention }

	s.metrics = metrics.New(oidc.GrantTypes()...)
	s.audit = audit.NewWriter(st, cfg.Logger, audit.Options{Retention: cfg.AuditRetention})
	if cfg.Webhooks.IsZero() {
		cfg.Webhooks = webhook.DefaultOptions()
	}
	hookOpts := cfg.Webhooks
	hookOpts.Logger, hookOpts.Now = cfg.Logger, cfg.Clock.Now
	s.hooks = webhook.NewDispatcher(st, hookOpts)
	s.setUpCodes(st)
	if len(cache.Load().Customizers) > 0 {
		s.scripts.Warm()
	}
	s.registerMetrics()

	limits := DefaultRateLimits
	if cfg.RateLimits != nil {
		limits = *cfg.RateLimits
	}
	lim, fallback, rejections, err := newLimiter(limits, cfg.RedisURL, cfg.Logger)
	if err != nil {
		return fmt.Errorf("rate limits: %w", err)
	}
	registerLimiterMetrics(s.metrics, fallback, rejections)
	if s.users, err = s.setUpUsers(ctx, passwords); err != nil {
		return err
	}
	s.events.Subscribe("revocations", s.users.revocations.Apply)
	// With Redis, the sign-in back-off is shared as the rate limits are.
	if shared, ok := lim.take.(*ratelimit.Redis); ok {
		s.users.oidc.Failures = shared
		context.AfterFunc(s.life, func() { _ = shared.Close() })
	}
	used, err := replayCache(s.life, cfg, st)
	if err != nil {
		return err
	}
	s.sso = sso.New(st, sso.Options{Endpoint: cfg.Endpoint, Replay: used, Now: cfg.Clock.Now,
		Fetch: &http.Client{Transport: egress.New(cfg.SSOEgress).Transport(), Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}})
	issuer := Issuer(cfg.Endpoint)
	mux := http.NewServeMux()
	dir := directory.New(directory.Config{Store: st, ManagementIndicator: cfg.ManagementIndicator, Passwords: s.users.passwords, Now: cfg.Clock.Now,
		PasswordPolicy: s.experience.PasswordPolicy})
	pwless := s.passwordless(dir)
	tickets := s.passwordTickets(dir)
	provider := oidc.New(oidc.Config{
		Issuer: issuer, Catalog: cache, Hasher: hasher, Logger: cfg.Logger, Now: cfg.Clock.Now,
		ClientKeys:       clientauth.NewKeys(clientauth.KeysConfig{Egress: egress.New(cfg.ClientKeysEgress)}),
		Replay:           used,
		DPoPNonce:        cfg.DPoPNonce,
		Observer:         tokenObserver(s.metrics, s.audit),
		InteractionAudit: interactionAuditor(s.audit),
		Customizer:       hooks.New(s.scripts, cache, s.audit, cfg.Logger),
		Users:            s.users.oidc,
		Passwordless:     pwless,
		Federated: func(ctx context.Context, name string) bool {
			_, ok, err := s.sso.ByName(ctx, name)
			return err == nil && ok
		},
	})
	provider.Register(mux)
	auth0Face := oidc.Auth0Profile(cfg.Endpoint)
	provider.Mount(mux, auth0Face)
	s.mfa = mfa.New(st, provider.Accounts().Throttle, cfg.Clock.Now)
	s.signInPages(provider, dir, s.experience, s.codes, used, tickets).Register(mux)
	auth0auth.New(auth0auth.Config{
		Directory: dir,
		Catalog:   cache, Connections: auth0Face.Connections, SignUp: cfg.SignUp, Logger: cfg.Logger,
		SignUpAllowed: s.signUpAllowed,
		Interactions:  interactionAuditor(s.audit),
		Passwordless:  pwless, Hasher: hasher, ClientIP: s.users.oidc.ClientIP, Now: cfg.Clock.Now,
		Tickets: tickets,
	}).Register(mux)
	lim.isTokenPath = provider.IsTokenPath
	// Sign-up stores a user and hashes a password, and a passwordless
	// start may store a code and send a message: the sign-in limit.
	lim.isSignInPath = func(path string) bool {
		return provider.IsSignInPath(path) || signin.IsPath(path) || signin.IsSSOPath(path) || path == auth0auth.SignUpPath ||
			path == auth0auth.PasswordlessStartPath || path == auth0auth.ChangePasswordPath || path == pwticket.Path
	}
	mgmtVerifier := &token.KeyVerifier{Issuer: issuer, AlsoIssuers: []string{Auth0Issuer(cfg.Endpoint)}, Keys: func() *keys.Set { return cache.Load().Keys }, Revoked: s.users.revocations.Revoked, Now: cfg.Clock.Now}
	mux.Handle("/api/", management.New(management.Deps{
		Store:      st,
		Verifier:   mgmtVerifier,
		Indicator:  cfg.ManagementIndicator,
		V2:         v2,
		Keys:       km,
		HashSecret: hasher.Hash,
		Changed:    s.changed,
		Audit:      managementAuditor(s.audit),
		Scripts:    s.scripts,
		Passwords:  s.users.passwords,
		Revoked:    s.users.revocations.Changed,
		Logger:     cfg.Logger,
		Standing: func(sub, client string) catalog.Standing {
			return cache.Load().Standing(mgmtAll, sub, client)
		},
		Hooks:      webhook.NewService(st, cfg.Webhooks.Egress, cfg.Webhooks.Timeout, cfg.Clock.Now),
		ClientIP:   func(r *http.Request) string { return ClientIP(r.Context()) },
		Now:        cfg.Clock.Now,
		Connectors: s.connectors,
		Codes:      s.codes,
		Experience: s.experience,
		SSO:        s.sso,
		MFA:        s.mfa,
	}))
	mux.Handle(auth0.Prefix, auth0.New(auth0.Deps{
		Store:               st,
		Verifier:            mgmtVerifier,
		Identifier:          v2,
		ManagementIndicator: cfg.ManagementIndicator,
		HashSecret:          hasher.Hash,
		Passwords:           s.users.passwords,
		Changed:             s.changed,
		Revoked:             s.users.revocations.Changed,
		Audit:               managementV2Auditor(s.audit),
		Logger:              cfg.Logger,
		Now:                 cfg.Clock.Now,
		Tickets:             tickets,
		SSO:                 s.sso,
		Standing: func(scope, sub, client string) catalog.Standing {
			return cache.Load().Standing(catalog.Privilege{Indicator: v2, Scope: scope}, sub, client)
		},
		PasswordPolicy: s.experience.PasswordPolicy,
		MFA:            s.mfa,
	}))
	consoleHandler := console.Handler(console.Config{Endpoint: cfg.Endpoint, ClientID: console.DefaultClientID, ManagementIndicator: cfg.ManagementIndicator})
	mux.Handle("/console/", consoleHandler)
	mux.Handle("/console", consoleHandler)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /readyz", s.serveReady)
	if cfg.MetricsAddr == "" {
		mux.Handle("GET /metrics", s.metrics.Handler())
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		// A person opening the server's address finds the console.
		http.Redirect(w, r, "/console/", http.StatusFound)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":"not_found","error_description":"no such endpoint"}`)
	})
	lim.mgmtCaller = managementCaller(mgmtVerifier, cfg.ManagementIndicator, v2)
	clientIP := ratelimit.ClientIP{TrustedProxies: cfg.TrustedProxies}
	mw := &middleware{logger: cfg.Logger, accessLog: cfg.AccessLog, metrics: s.metrics, ids: newRequestIDs(),
		clientIP: clientIP.From}
	s.handler = mw.wrap(lim.routes(mux))
	return nil
}

// signUpAllowed is the sign-in experience's rule for sign-up, the
// configuration's switch included.
func (s *Server) signUpAllowed(ctx context.Context) (bool, error) {
	st, err := s.experience.Get(ctx)
	return st.SignUpAllowed(), err
}

// secretHasher returns the hasher of client secrets, under the key the
// instances share (made on the first start).
func secretHasher(ctx context.Context, st store.Store) (*clientauth.Hasher, error) {
	hashKey, err := st.EnsureSetting(ctx, settingSecretHashKey, randid.Secret(32))
	if err != nil {
		return nil, fmt.Errorf("secret hashing key: %w", err)
	}
	key, err := base64.RawURLEncoding.DecodeString(hashKey)
	if err != nil || len(key) < 32 {
		return nil, errors.New("the stored secret hashing key is malformed")
	}
	return clientauth.NewHasher(key), nil
}

// seed makes sure of what a first start creates: the Management API
// resource, the console's app, the bootstrap app and the first
// administrator, and returns the credentials it created. Instances sharing
// a database seed it one at a time, so that exactly one of several first
// starts creates (and prints) each.
func seed(ctx context.Context, st store.Store, hasher *clientauth.Hasher, passwords *password.Hasher, scripts *claims.Runner, cfg Config, now time.Time) ([]Notice, error) {
	release, err := st.LockSetUp(ctx)
	if err != nil {
		return nil, fmt.Errorf("set-up: %w", err)
	}
	defer release()
	st = &seedStore{Store: st}
	if err := seedManagementAPI(ctx, st, cfg.ManagementIndicator, now); err != nil {
		return nil, err
	}
	if err := seedManagementV2(ctx, st, cfg, now); err != nil {
		return nil, fmt.Errorf("the Management API v2 resource: %w", err)
	}
	if err := seedConsoleApp(ctx, st, cfg, now); err != nil {
		return nil, err
	}
	var out []Notice
	app, err := bootstrapApp(ctx, st, hasher, cfg, now)
	if err != nil {
		return nil, err
	}
	if app != nil {
		out = append(out, *app)
	}
	admin, err := bootstrapAdmin(ctx, st, passwords, cfg, now)
	if admin != nil {
		out = append(out, *admin)
	}
	if err != nil || cfg.Config == nil {
		return out, err
	}
	target := configTarget(st, hasher, passwords, scripts, cfg.ManagementIndicator, ManagementV2Identifier(cfg.Endpoint), cfg.Webhooks, now)
	return out, applyConfig(ctx, target, cfg.Config, declare.Options{Prune: cfg.ConfigPrune, Protected: cfg.BootstrapAppID}, cfg.Logger)
}

// outboxPoll is how often the outbox is read without a wake-up, in case
// one was lost; outboxRetention how long events are kept.
const (
	outboxPoll      = 2 * time.Second
	outboxRetention = 24 * time.Hour
)

// changed makes a change visible: this instance applies the outbox's new
// events to its catalog before the call returns, and the other instances
// are woken to apply them to theirs.
func (s *Server) changed(ctx context.Context) error {
	err := s.events.Sync(ctx)
	s.hooks.Wake()
	if s.feed != nil {
		if perr := s.feed.Publish(ctx, store.Notice{Kind: store.ChangeCatalog}); perr != nil {
			s.cfg.Logger.Warn("telling other instances of a change failed; they pick it up at their next refresh", "err", perr)
		}
	}
	return err
}

// heard applies another instance's change notice: a revoked token joins
// the list at once, other changes reload what they concern.
func (s *Server) heard(ctx context.Context, n store.Notice) {
	if n.Kind == store.ChangeRevocation {
		s.users.revocations.Add(n.JTI, n.ExpiresAt)
		return
	}
	if n.Kind == store.ChangeAll || n.Kind == store.ChangeRevocations {
		if err := s.users.revocations.Reload(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("revocation list reload after another instance's change failed", "err", err)
		}
	}
	if n.Kind == store.ChangeAll {
		if err := s.catalog.Reload(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("catalog reload after another instance's change failed", "err", err)
		}
	}
	if n.Kind == store.ChangeAll || n.Kind == store.ChangeCatalog {
		s.events.Wake() // the change is in the outbox
	}
}

// registerMetrics exports the counters other parts keep.
func (s *Server) registerMetrics() {
	s.metrics.CounterFunc("monban_audit_logs_dropped_total", "Audit log entries dropped because the buffer was full.",
		func() float64 { return float64(s.audit.Dropped()) })
	s.metrics.CounterFunc("monban_audit_logs_failed_total", "Audit log entries lost to failed database writes.",
		func() float64 { return float64(s.audit.Failed()) })
	s.metrics.CounterFunc("monban_audit_logs_written_total", "Audit log entries written.",
		func() float64 { return float64(s.audit.Written()) })
	s.metrics.CounterVecFunc("monban_custom_jwt_runs_total", "Custom JWT claims script runs, by token type and outcome.",
		[]string{"token_type", "outcome"}, func() []metrics.Sample {
			var out []metrics.Sample
			for kind, ks := range s.scripts.Stats().Kinds {
				for outcome, n := range ks.Outcomes {
					out = append(out, metrics.Sample{Labels: []string{kind, outcome}, Value: float64(n)})
				}
			}
			return out
		})
	// perTokenType samples one figure of each token type's script counters.
	perTokenType := func(figure func(claims.KindStats) float64) func() []metrics.Sample {
		return func() []metrics.Sample {
			var out []metrics.Sample
			for kind, ks := range s.scripts.Stats().Kinds {
				out = append(out, metrics.Sample{Labels: []string{kind}, Value: figure(ks)})
			}
			return out
		}
	}
	s.metrics.CounterVecFunc("monban_custom_jwt_reused_total", "Custom JWT claims results reused for an input seen before, without a run (counted in the ok runs too), by token type.",
		[]string{"token_type"}, perTokenType(func(ks claims.KindStats) float64 { return float64(ks.Reused) }))
	s.metrics.CounterFunc("monban_custom_jwt_runs_abandoned_total", "Custom JWT claims script runs answered with a timeout by the watchdog, not having returned shortly after their deadline (counted as timeouts too).",
		func() float64 { return float64(s.scripts.Stats().RunsAbandoned) })
	s.metrics.GaugeFunc("monban_custom_jwt_runs_abandoned_running", "Custom JWT claims script runs abandoned by the watchdog that have not returned yet.",
		func() float64 { return float64(s.scripts.Stats().AbandonedRunning) })
	s.metrics.CounterVecFunc("monban_custom_jwt_run_seconds_total", "Time spent in custom JWT claims script runs, by token type.",
		[]string{"token_type"}, perTokenType(func(ks claims.KindStats) float64 { return ks.TotalDuration.Seconds() }))
	if p, ok := s.store.(interface{ DB() *sql.DB }); ok {
		s.metrics.DBStats(p.DB())
	}
}

// serveReady answers 200 when the database answers and a signing key is
// loaded, else 503, so a load balancer sends no traffic to an instance
// that cannot issue tokens.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "keys": "ok"}
	ready := true
	if err := s.store.Ping(ctx); err != nil {
		checks["database"], ready = "unreachable", false
	}
	if snap := s.catalog.Load(); snap == nil || snap.Signer == nil {
		checks["keys"], ready = "no signing key", false
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	status := "ready"
	if !ready {
		status = "not ready"
	}
	_ = httpjson.Encode(w, map[string]any{"status": status, "checks": checks})
}

// Handler returns the server's HTTP handler (for tests and benchmarks).
func (s *Server) Handler() http.Handler { return s.handler }

// Listen binds the configured addresses (or takes the listeners given)
// and then writes the credentials a first start created to Stderr, once:
// they are shown only when the server is up. Addr is known after it
// returns.
func (s *Server) Listen() error {
	if s.ln != nil {
		return nil
	}
	ln := s.cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.cfg.Addr); err != nil {
			return err
		}
	}
	mln := s.cfg.MetricsListener
	if mln == nil && s.cfg.MetricsAddr != "" {
		var err error
		if mln, err = net.Listen("tcp", s.cfg.MetricsAddr); err != nil {
			_ = ln.Close()
			return fmt.Errorf("metrics listener: %w", err)
		}
	}
	s.ln, s.mln = ln, mln
	WriteNotices(s.cfg.Stderr, s.notices, s.cfg.NoticesJSON, s.cfg.Clock.Now())
	s.notices = nil
	return nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Endpoint returns the public base URL, configured or derived.
func (s *Server) Endpoint() string { return s.cfg.Endpoint }

// ManagementIndicator returns the Management API's indicator.
func (s *Server) ManagementIndicator() string { return s.cfg.ManagementIndicator }

// Serve serves until ctx is cancelled, then shuts down gracefully: new
// connections are refused and requests in flight get up to ten seconds;
// then the audit log gets ten seconds of its own to write what it buffers.
func (s *Server) Serve(ctx context.Context) error {
	if s.ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	bg, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.bg.Go(func() { s.catalog.Refresh(bg, s.cfg.RefreshInterval) })
	s.bg.Go(func() { s.users.revocations.Run(bg, s.cfg.RefreshInterval) })
	s.bg.Go(func() { revocation.PruneExpired(bg, s.store, s.cfg.RefreshInterval, nil, s.cfg.Logger) })
	s.bg.Go(func() { s.prunePasswordTickets(bg) })
	s.bg.Go(func() { s.events.Run(bg) })
	s.bg.Go(func() { s.hooks.Run(bg) })
	s.bg.Go(func() { s.connectors.Run(bg) })
	s.bg.Go(func() { events.Prune(bg, s.store, s.cfg.RefreshInterval, outboxRetention, s.cfg.Logger) })
	// What start-up allocated for a moment (migrations, a first-run
	// password hash) is garbage now: give it back to the OS at once rather
	// than over minutes, so that the resident set starts small. It is done
	// here, serving, so that it does not delay being ready.
	s.bg.Go(debug.FreeOSMemory)
	if s.feed != nil {
		s.bg.Go(func() { s.feed.Subscribe(bg, func(n store.Notice) { s.heard(bg, n) }) })
	}
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	if s.tls != nil {
		s.http.TLSConfig = s.tls.tlsConfig()
		go func() { errc <- s.http.ServeTLS(s.ln, "", "") }()
	} else {
		go func() { errc <- s.http.Serve(s.ln) }()
	}
	var metricsSrv *http.Server
	if mln := s.mln; mln != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.metrics.Handler())
		if s.cfg.Pprof {
			handleProfiler(mux)
		}
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			// The metrics endpoint failing does not stop the server, but
			// it is said: a scraper would otherwise see only silence.
			if err := metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.cfg.Logger.Error("the metrics endpoint stopped", "addr", s.cfg.MetricsAddr, "err", err)
			}
		}()
	}
	select {
	case err := <-errc:
		stop()
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.drainTimeout)
	defer cancel()
	err := s.http.Shutdown(shutdownCtx)
	if err != nil {
		_ = s.http.Close() // cut off what did not drain in time
	}
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(shutdownCtx)
	}
	// Requests have drained: write what the audit log still buffers, with
	// a deadline of its own, however long the drain took.
	flushCtx, cancelFlush := context.WithTimeout(context.Background(), s.flushTimeout)
	defer cancelFlush()
	if aerr := s.audit.Close(flushCtx); aerr != nil {
		s.cfg.Logger.Warn("flushing the audit log on shutdown did not finish", "err", aerr)
	}
	stop()
	if serveErr := <-errc; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}

// Close flushes the audit log and releases the storage, once the
// background loops Serve started have stopped. Call it after Serve returns.
func (s *Server) Close() error {
	s.endLife()
	if s.stop != nil {
		s.stop()
	}
	s.bg.Wait()
	if s.keys != nil {
		s.keys.Wait() // promotions end with s.life
	}
	if s.catalog != nil {
		s.catalog.Close()
	}
	if s.scripts != nil {
		_ = s.scripts.Close()
	}
	if s.audit != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.audit.Close(ctx)
	}
	return s.store.Close()
}
