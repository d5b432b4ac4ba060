// Command monban is the Monban identity and access server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/monban/monban/internal/claims"
	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/declare"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/ratelimit"
	"github.com/monban/monban/internal/server"
)

// version is set at build time with -ldflags "-X main.version=…", and
// commit may be (-X main.commit=…); otherwise the commit is the one Go
// stamped into the binary (go build in a git checkout).
var (
	version = "dev"
	commit  = ""
)

// versionString is the version and, when known, the commit it was built
// from ("+dirty" when the checkout had uncommitted changes).
func versionString() string {
	c, dirty := commit, false
	if info, ok := debug.ReadBuildInfo(); ok && c == "" {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				c = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if c == "" {
		return version
	}
	if len(c) > 12 {
		c = c[:12]
	}
	if dirty {
		c += "+dirty"
	}
	return version + " (commit " + c + ")"
}

const usage = `Monban: an OAuth 2.0 / OpenID Connect server for services and their users.

Usage:
  monban serve [flags]   start the server
  monban healthcheck [flags]
                         exit 0 if the server at -addr (MONBAN_ADDR) answers
                         /healthz, else 1 (for container health checks)
  monban reset-admin-password [-username admin] [flags]
                         give a console administrator a new password,
                         printed once (when the first one is lost)
  monban create-bootstrap-app [flags]
                         create another M2M app with Management API access,
                         its secret printed once (when the first is lost)
  monban rotate-secret-key [flags]
                         re-wrap the secrets at rest with a new secret key
  monban apply -f FILE   make a server match a configuration document
  monban export          write a server's configuration as a document
  monban config schema   print the document's JSON Schema
  monban version         print the version and commit

Run "monban serve -h" for the flags; each has an environment variable,
and a flag wins over its variable.
`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], getenv, stderr)
	case "rotate-secret-key":
		return rotateSecretKey(args[1:], getenv, stdout, stderr)
	case "reset-admin-password":
		return resetAdminPassword(args[1:], getenv, stdout, stderr)
	case "create-bootstrap-app":
		return createBootstrapApp(args[1:], getenv, stdout, stderr)
	case "healthcheck":
		return healthcheck(args[1:], getenv, stdout, stderr)
	case "apply":
		return applyConfig(args[1:], getenv, stdout, stderr)
	case "export":
		return exportConfig(args[1:], getenv, stdout, stderr)
	case "config":
		return configCommand(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "monban", versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "monban: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

// parseServe reads the flags and variables of "monban serve" into a
// configuration; on a mistake, or for -h, it returns nil and the exit code.
func parseServe(args []string, getenv func(string) string, stderr io.Writer) (*server.Config, int) {
	fs := flag.NewFlagSet("monban serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	def := server.DefaultConfig()
	var (
		addr          = fs.String("addr", env("MONBAN_ADDR", server.DefaultAddr), "listen address (MONBAN_ADDR)")
		endpoint      = fs.String("endpoint", getenv("MONBAN_ENDPOINT"), "public base URL; the issuers are {endpoint}/oidc (Logto's face) and {endpoint}/ (Auth0's); default http://localhost:{port of -addr}, or http://{host of -addr}:{port} for another host (MONBAN_ENDPOINT)")
		dbURL         = fs.String("database-url", env("MONBAN_DATABASE_URL", server.DefaultDatabaseURL), "database URL (MONBAN_DATABASE_URL)")
		indicator     = fs.String("management-api-indicator", getenv("MONBAN_MANAGEMENT_API_INDICATOR"), "Management API resource indicator, default {endpoint}/api (MONBAN_MANAGEMENT_API_INDICATOR)")
		appID         = fs.String("bootstrap-app-id", getenv("MONBAN_BOOTSTRAP_APP_ID"), "App ID of an M2M app given Management API access at start-up (MONBAN_BOOTSTRAP_APP_ID)")
		appSecret     = fs.String("bootstrap-app-secret", getenv("MONBAN_BOOTSTRAP_APP_SECRET"), "its App Secret (MONBAN_BOOTSTRAP_APP_SECRET; prefer the variable: flags show in process lists)")
		adminUser     = fs.String("admin-username", getenv("MONBAN_ADMIN_USERNAME"), "username of a console administrator made sure of at start-up (MONBAN_ADMIN_USERNAME)")
		adminPassword = fs.String("admin-password", getenv("MONBAN_ADMIN_PASSWORD"), "their password (MONBAN_ADMIN_PASSWORD; prefer the variable: flags show in process lists)")
		logFormat     = fs.String("log-format", env("MONBAN_LOG_FORMAT", "text"), "log format: text or json (MONBAN_LOG_FORMAT)")
		logLevel      = fs.String("log-level", env("MONBAN_LOG_LEVEL", "info"), "log level: debug, info, warn or error (MONBAN_LOG_LEVEL)")
		accessLog     = fs.Bool("access-log", false, "log every request (MONBAN_ACCESS_LOG)")
		catalogRefr   = durationFlag(fs, "catalog-refresh", def.RefreshInterval, "how often to re-read apps, roles, resources and keys from the database even without a change (MONBAN_CATALOG_REFRESH)")
		metricsAddr   = fs.String("metrics-addr", getenv("MONBAN_METRICS_ADDR"), "serve /metrics on this address instead of the main one (MONBAN_METRICS_ADDR)")
		pprofOn       = fs.Bool("pprof", false, "serve Go's profiler under /debug/pprof/ on the metrics address, never the main one; needs -metrics-addr (MONBAN_PPROF)")
		keyDelay      = durationFlag(fs, "key-publish-delay", def.KeyPublishDelay, "how long a rotated-in key is published in the JWKS before it signs; 0 signs at once (MONBAN_KEY_PUBLISH_DELAY)")
		scriptTimeout = durationFlag(fs, "script-timeout", def.ScriptLimits.Timeout, "wall-clock limit of one custom JWT claims script run (MONBAN_SCRIPT_TIMEOUT)")
		scriptMemory  = fs.Int("script-memory-mb", int(def.ScriptLimits.MemoryBytes>>20), "memory limit of a script VM, in MiB (MONBAN_SCRIPT_MEMORY_MB)")
		scriptFetches = fs.Int("script-max-fetches", def.ScriptLimits.MaxFetches, "fetch calls allowed per script run; 0 disables fetch (MONBAN_SCRIPT_MAX_FETCHES)")
		scriptAllow   = fs.String("script-fetch-allow", getenv("MONBAN_SCRIPT_FETCH_ALLOW"), "comma-separated hosts (*.example.com) and networks (10.0.0.0/8) that script fetches may reach besides public addresses (MONBAN_SCRIPT_FETCH_ALLOW)")
		hookAllow     = fs.String("hook-allow", getenv("MONBAN_HOOK_ALLOW"), "comma-separated hosts (*.example.com) and networks (10.0.0.0/8) that webhook deliveries may reach besides public addresses (MONBAN_HOOK_ALLOW)")
		connAllow     = fs.String("connector-allow", getenv("MONBAN_CONNECTOR_ALLOW"), "comma-separated hosts (*.example.com) and networks (10.0.0.0/8) that the SMTP and SMS connectors may reach besides public addresses (MONBAN_CONNECTOR_ALLOW)")
		jwksAllow     = fs.String("client-jwks-allow", getenv("MONBAN_CLIENT_JWKS_ALLOW"), "comma-separated hosts (*.example.com) and networks (10.0.0.0/8) that applications' jwks_uri may reach besides public addresses (MONBAN_CLIENT_JWKS_ALLOW)")
		dpopNonce     = fs.Bool("dpop-nonce", false, "DPoP proofs must carry a nonce the server gave (use_dpop_nonce) (MONBAN_DPOP_NONCE)")
		redisURL      = fs.String("redis-url", getenv("MONBAN_REDIS_URL"), "Redis shared by all instances for rate limits, e.g. redis://127.0.0.1:6379/0 (MONBAN_REDIS_URL)")
		proxies       = fs.String("trusted-proxies", getenv("MONBAN_TRUSTED_PROXIES"), "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed (MONBAN_TRUSTED_PROXIES)")
		limitClient   = fs.String("rate-limit-token-client", env("MONBAN_RATE_LIMIT_TOKEN_CLIENT", ruleString(server.DefaultRateLimits.TokenClient)), "token requests per client id, RATE:BURST per second; 0 disables (MONBAN_RATE_LIMIT_TOKEN_CLIENT)")
		limitIP       = fs.String("rate-limit-token-ip", env("MONBAN_RATE_LIMIT_TOKEN_IP", ruleString(server.DefaultRateLimits.TokenIP)), "token requests per client address, RATE:BURST (MONBAN_RATE_LIMIT_TOKEN_IP)")
		limitMgmt     = fs.String("rate-limit-management", env("MONBAN_RATE_LIMIT_MANAGEMENT", ruleString(server.DefaultRateLimits.Management)), "Management API requests per caller, RATE:BURST (MONBAN_RATE_LIMIT_MANAGEMENT)")
		limitSignIn   = fs.String("rate-limit-sign-in", env("MONBAN_RATE_LIMIT_SIGN_IN", ruleString(server.DefaultRateLimits.SignIn)), "Authorization requests and sign-in pages per client address, RATE:BURST (MONBAN_RATE_LIMIT_SIGN_IN)")
		failedCost    = fs.Int("rate-limit-failed-auth-cost", server.DefaultRateLimits.FailedAuthCost, "what a failed client authentication costs, in requests (MONBAN_RATE_LIMIT_FAILED_AUTH_COST)")
		retention     = retentionFlag(fs, "audit-retention", def.AuditRetention, "how long audit logs are kept, or forever; 0 keeps none past the hourly prune (MONBAN_AUDIT_RETENTION)")
		sessionTTL    = durationFlag(fs, "session-ttl", def.Users.SessionTTL, "how long a sign-in at the hosted page lasts (MONBAN_SESSION_TTL)")
		refreshGrace  = durationFlag(fs, "refresh-token-grace", def.Users.RefreshGrace, "how long a rotated refresh token still works, for retries; 0: not at all (MONBAN_REFRESH_TOKEN_GRACE)")
		mfaRemember   = durationFlag(fs, "mfa-remember-device", def.MFARememberDevice, "how long the sign-in pages may remember a browser that gave a second factor, at most 2160h; 0: never (MONBAN_MFA_REMEMBER_DEVICE)")
		configFile    = fs.String("config-file", "", "a configuration document applied at every start (MONBAN_CONFIG_FILE)")
		configPrune   = fs.Bool("config-prune", false, "with -config-file: delete what the document does not declare (MONBAN_CONFIG_PRUNE)")
		signingAlg    = fs.String("signing-alg", getenv("MONBAN_SIGNING_ALG"), "algorithm of the first signing key and of rotations that name none: ES256, ES384, RS256 or EdDSA; unset: ES256 first, rotations keep the current key's (MONBAN_SIGNING_ALG)")
		tlsCert       = fs.String("tls-cert-file", getenv("MONBAN_TLS_CERT_FILE"), "PEM certificate chain: serve HTTPS directly, with -tls-key-file (MONBAN_TLS_CERT_FILE)")
		tlsKey        = fs.String("tls-key-file", getenv("MONBAN_TLS_KEY_FILE"), "PEM private key of -tls-cert-file (MONBAN_TLS_KEY_FILE)")
		signUp        = fs.Bool("sign-up", def.SignUp, "allow self sign-up at Auth0's POST /dbconnections/signup (MONBAN_SIGN_UP)")
	)
	secretKeyFlags := addKeyFlags(fs, getenv, "secret-key", "MONBAN_SECRET_KEY", "the key that encrypts the secrets at rest")
	if err := applyEnv(fs, getenv); err != nil {
		fmt.Fprintln(stderr, "monban serve:", err)
		return nil, 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "monban serve: unexpected argument %q\n", fs.Arg(0))
		return nil, 2
	}
	for _, c := range []struct {
		flag string
		bad  bool
		want string
	}{
		{"session-ttl", *sessionTTL <= 0, "more than 0"},
		{"catalog-refresh", *catalogRefr <= 0, "more than 0"},
		{"script-timeout", *scriptTimeout <= 0, "more than 0"},
		{"script-memory-mb", *scriptMemory <= 0 || *scriptMemory > 1<<16, "from 1 to 65536"},
		{"script-max-fetches", *scriptFetches < 0, "0 (no fetch) or more"},
		{"rate-limit-failed-auth-cost", *failedCost < 1, "1 or more"},
		{"mfa-remember-device", *mfaRemember < 0 || *mfaRemember > server.MaxMFARememberDevice, "from 0 to 2160h"},
	} {
		if c.bad {
			fmt.Fprintf(stderr, "monban serve: %s must be %s\n", settingName(fs, c.flag), c.want)
			return nil, 2
		}
	}
	logger, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "monban serve:", err)
		return nil, 2
	}
	policy, err := egress.ParseAllow("script fetch allow-list", *scriptAllow)
	if err != nil {
		fmt.Fprintln(stderr, "monban serve:", err)
		return nil, 2
	}
	webhooks := server.DefaultConfig().Webhooks
	if webhooks.Egress, err = egress.ParseAllow("webhook allow-list", *hookAllow); err != nil {
		fmt.Fprintln(stderr, "monban serve:", err)
		return nil, 2
	}
	connectors := connector.DefaultOptions()
	if connectors.Egress, err = egress.ParseAllow("connector allow-list", *connAllow); err != nil {
		fmt.Fprintln(stderr, "monban serve:", err)
		return nil, 2
	}
	jwksPolicy, err := egress.ParseAllow("client key set allow-list", *jwksAllow)
	if err != nil {
		fmt.Fprintln(stderr, "monban serve:", err)
		return nil, 2
	}
	limits := server.RateLimits{FailedAuthCost: *failedCost}
	for _, l := range []struct {
		name string
		v    string
		rule *ratelimit.Rule
	}{{"rate-limit-token-client", *limitClient, &limits.TokenClient}, {"rate-limit-token-ip", *limitIP, &limits.TokenIP}, {"rate-limit-management", *limitMgmt, &limits.Management}, {"rate-limit-sign-in", *limitSignIn, &limits.SignIn}} {
		if *l.rule, err = parseRule(l.v); err != nil {
			fmt.Fprintf(stderr, "monban serve: -%s: %v\n", l.name, err)
			return nil, 2
		}
	}
	policy.MaxRedirects = def.ScriptPolicy.MaxRedirects
	trusted, err := ratelimit.ParsePrefixes(*proxies)
	if err != nil {
		fmt.Fprintf(stderr, "monban serve: %s: %v\n", settingName(fs, "trusted-proxies"), err)
		return nil, 2
	}
	secretKey, err := secretKeyFlags.key()
	if err != nil {
		fmt.Fprintln(stderr, "monban serve:", err)
		return nil, 2
	}
	var doc *declare.Document
	if *configFile != "" {
		if doc, err = readDocument(*configFile, nil, getenv); err != nil {
			fmt.Fprintf(stderr, "monban serve: %s: %v\n", settingName(fs, "config-file"), err)
			return nil, 2
		}
	} else if *configPrune {
		fmt.Fprintf(stderr, "monban serve: %s needs %s\n", settingName(fs, "config-prune"), settingName(fs, "config-file"))
		return nil, 2
	}
	if *signingAlg != "" && !keys.Supported(*signingAlg) {
		fmt.Fprintf(stderr, "monban serve: %s must be ES256, ES384, RS256 or EdDSA, got %q\n", settingName(fs, "signing-alg"), *signingAlg)
		return nil, 2
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		fmt.Fprintf(stderr, "monban serve: %s and %s must be given together\n", settingName(fs, "tls-cert-file"), settingName(fs, "tls-key-file"))
		return nil, 2
	}
	if *pprofOn && *metricsAddr == "" {
		fmt.Fprintf(stderr, "monban serve: %s needs %s: the profiler is served on the metrics address only\n", settingName(fs, "pprof"), settingName(fs, "metrics-addr"))
		return nil, 2
	}
	return &server.Config{
		Config:              doc,
		ConfigPrune:         *configPrune,
		Addr:                *addr,
		Endpoint:            *endpoint,
		DatabaseURL:         *dbURL,
		ManagementIndicator: *indicator,
		BootstrapAppID:      *appID,
		BootstrapAppSecret:  *appSecret,
		AdminUsername:       *adminUser,
		AdminPassword:       *adminPassword,
		AccessLog:           *accessLog,
		MetricsAddr:         *metricsAddr,
		Pprof:               *pprofOn,
		AuditRetention:      *retention,
		KeyPublishDelay:     *keyDelay,
		ScriptLimits:        claims.Limits{Timeout: *scriptTimeout, MemoryBytes: int64(*scriptMemory) << 20, MaxFetches: *scriptFetches},
		ScriptPolicy:        policy,
		Webhooks:            webhooks,
		Connectors:          connectors,
		ClientKeysEgress:    jwksPolicy,
		DPoPNonce:           *dpopNonce,
		RateLimits:          &limits,
		RedisURL:            *redisURL,
		TrustedProxies:      trusted,
		RefreshInterval:     *catalogRefr,
		Users:               server.UserSettings{SessionTTL: *sessionTTL, RefreshGrace: *refreshGrace},
		MFARememberDevice:   *mfaRemember,
		SecretKey:           secretKey,
		SigningAlgorithm:    *signingAlg,
		TLSCertFile:         *tlsCert,
		TLSKeyFile:          *tlsKey,
		SignUp:              *signUp,
		Logger:              logger,
		Stderr:              stderr,
		NoticesJSON:         *logFormat == "json",
	}, 0
}

func serve(args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, code := parseServe(args, getenv, stderr)
	if cfg == nil {
		return code
	}
	logger := cfg.Logger
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start := time.Now()
	// Bind first: a wrong or taken address fails before the database is
	// created or seeded, and before any credentials are made.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		logger.Error("cannot listen", "addr", cfg.Addr, "setting", "MONBAN_ADDR", "err", err)
		return 1
	}
	cfg.Listener = ln
	if cfg.MetricsAddr != "" {
		if cfg.MetricsListener, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			logger.Error("cannot listen", "addr", cfg.MetricsAddr, "setting", "MONBAN_METRICS_ADDR", "err", err)
			return 1
		}
	}
	srv, err := server.New(ctx, *cfg)
	if err != nil {
		ln.Close()
		if cfg.MetricsListener != nil {
			cfg.MetricsListener.Close()
		}
		logger.Error("start-up failed", "err", err)
		return 1
	}
	defer srv.Close()
	// The first start's credentials are written now, the server listening.
	if err := srv.Listen(); err != nil {
		logger.Error("cannot listen", "addr", cfg.Addr, "err", err)
		return 1
	}
	endpoint := srv.Endpoint()
	logger.Info("monban is ready",
		"version", versionString(),
		"addr", srv.Addr(),
		"endpoint", endpoint,
		"console", endpoint+"/console",
		"issuer", server.Issuer(endpoint),
		"auth0_issuer", server.Auth0Issuer(endpoint),
		"management_api", srv.ManagementIndicator(),
		"started_in", time.Since(start).Round(time.Millisecond).String())
	if err := srv.Serve(ctx); err != nil {
		logger.Error("server stopped with an error", "err", err)
		return 1
	}
	logger.Info("monban stopped")
	return 0
}

// parseRule reads "RATE:BURST" (per second); "0" or "off" is no limit.
func parseRule(v string) (ratelimit.Rule, error) {
	v = strings.TrimSpace(v)
	if v == "0" || v == "off" || v == "" {
		return ratelimit.Rule{}, nil
	}
	r, b, ok := strings.Cut(v, ":")
	rate, err1 := strconv.ParseFloat(r, 64)
	burst, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || rate <= 0 || burst < 1 {
		return ratelimit.Rule{}, fmt.Errorf("%q is not RATE:BURST (e.g. 100:200) or 0", v)
	}
	return ratelimit.Rule{Rate: rate, Burst: burst}, nil
}

func ruleString(r ratelimit.Rule) string {
	return strconv.FormatFloat(r.Rate, 'f', -1, 64) + ":" + strconv.Itoa(r.Burst)
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("unknown log level %q", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("unknown log format %q (use text or json)", format)
}
