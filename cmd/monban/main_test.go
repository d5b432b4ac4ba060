package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/server"
)

func TestCLI(t *testing.T) {
	noenv := func(string) string { return "" }
	cases := []struct {
		args []string
		env  map[string]string
		code int
		out  string
	}{
		{nil, nil, 2, "Usage"},
		{[]string{"version"}, nil, 0, "monban"},
		{[]string{"help"}, nil, 0, "Usage"},
		{[]string{"launch"}, nil, 2, `unknown command "launch"`},
		{[]string{"serve", "-no-such-flag"}, nil, 2, "flag provided but not defined"},
		{[]string{"serve", "extra"}, nil, 2, "unexpected argument"},
		{[]string{"serve", "-log-level", "loud"}, nil, 2, "unknown log level"},
		{[]string{"serve", "-log-format", "xml"}, nil, 2, "unknown log format"},
		{[]string{"serve"}, map[string]string{"MONBAN_LOG_FORMAT": "xml"}, 2, "unknown log format"},
		{[]string{"serve", "-h"}, nil, 0, "MONBAN_DATABASE_URL"},
		{[]string{"serve", "-rate-limit-token-client", "fast"}, nil, 2, "RATE:BURST"},
		{[]string{"serve", "-trusted-proxies", "10.0.0.0/99"}, nil, 2, `-trusted-proxies (MONBAN_TRUSTED_PROXIES): "10.0.0.0/99" is not a network such as 10.0.0.0/8`},
		{[]string{"serve"}, map[string]string{"MONBAN_TRUSTED_PROXIES": "banana"}, 2, `-trusted-proxies (MONBAN_TRUSTED_PROXIES): "banana" is not an IP address or a network`},
		{[]string{"serve", "-script-fetch-allow", "api.internal, 10.0.0.0/33"}, nil, 2, "not a network"},
		{[]string{"serve", "-hook-allow", "10.0.0.0/33"}, nil, 2, "webhook allow-list"},
		{[]string{"serve"}, map[string]string{"MONBAN_HOOK_ALLOW": "hooks.internal,10.0.0.0/33"}, 2, "webhook allow-list"},
		{[]string{"serve", "-database-url", "mysql://u:hunter2@h/db"}, nil, 1, "unsupported database URL"},
		{[]string{"serve", "-admin-username", "root"}, nil, 1, "set both MONBAN_ADMIN_USERNAME and MONBAN_ADMIN_PASSWORD"},
		{[]string{"serve"}, map[string]string{"MONBAN_ADMIN_PASSWORD": "hunter2-hunter2"}, 1, "set both"},
		{[]string{"serve", "-admin-username", "root", "-admin-password", "hunter2"}, nil, 1, "Password rejected: it must be at least 8 characters long"},
		{[]string{"serve", "-admin-username", "root", "-admin-password", "hunter2"}, map[string]string{"MONBAN_ADMIN_USERNAME": "x y", "MONBAN_ADMIN_PASSWORD": "hunter2-hunter2"}, 1, "at least 8 characters"}, // flags win
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := noenv
			if c.env != nil {
				getenv = func(k string) string { return c.env[k] }
			}
			code := run(c.args, getenv, &stdout, &stderr)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, stderr.String())
			}
			if all := stdout.String() + stderr.String(); !strings.Contains(all, c.out) {
				t.Errorf("output lacks %q:\n%s", c.out, all)
			}
			if strings.Contains(stderr.String(), "hunter2") {
				t.Error("a password reached the output")
			}
			// Messages for people: no package or function names.
			for _, internal := range []string{"ratelimit:", "ParseAddr", "ParsePrefix", "claims:"} {
				if strings.Contains(stderr.String(), internal) {
					t.Errorf("the message names %q: %s", internal, stderr.String())
				}
			}
		})
	}
}

func TestParseRule(t *testing.T) {
	for in, want := range map[string]string{"100:200": "100:200", "0.5:1": "0.5:1", "0": "0:0", "off": "0:0"} {
		r, err := parseRule(in)
		if err != nil || ruleString(r) != want {
			t.Errorf("%q: %v %v", in, ruleString(r), err)
		}
	}
	for _, bad := range []string{"100", "x:1", "1:x", "-1:5", "1:0"} {
		if _, err := parseRule(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A malformed variable stops start-up with a message naming it and the
// accepted forms, exactly as the same value given to its flag does.
func TestServeRefusesMalformedSettings(t *testing.T) {
	cases := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"MONBAN_SESSION_TTL": "1x"}, nil, `MONBAN_SESSION_TTL: "1x" is not a duration such as 0, 90s, 15m, 12h, 90d or 1d12h`},
		{map[string]string{"MONBAN_SESSION_TTL": "1.5d"}, nil, `MONBAN_SESSION_TTL: "1.5d" is not a duration`},
		{map[string]string{"MONBAN_REFRESH_TOKEN_GRACE": "-5s"}, nil, `MONBAN_REFRESH_TOKEN_GRACE: "-5s" is not a duration`},
		{map[string]string{"MONBAN_KEY_PUBLISH_DELAY": "1d-1h"}, nil, `MONBAN_KEY_PUBLISH_DELAY: "1d-1h" is not a duration`},
		{map[string]string{"MONBAN_AUDIT_RETENTION": "-1h"}, nil, `MONBAN_AUDIT_RETENTION: "-1h" is not a duration such as 0, 90s, 15m, 12h, 90d or 1d12h, nor forever`},
		{map[string]string{"MONBAN_CATALOG_REFRESH": "soon"}, nil, `MONBAN_CATALOG_REFRESH: "soon" is not a duration`},
		{map[string]string{"MONBAN_SCRIPT_TIMEOUT": "2"}, nil, `MONBAN_SCRIPT_TIMEOUT: "2" is not a duration`},
		{map[string]string{"MONBAN_ACCESS_LOG": "yes"}, nil, `MONBAN_ACCESS_LOG: "yes" is not a boolean: use true or false (or 1 or 0)`},
		{map[string]string{"MONBAN_SCRIPT_MEMORY_MB": "32MB"}, nil, `MONBAN_SCRIPT_MEMORY_MB: "32MB" is not a whole number`},
		{map[string]string{"MONBAN_SCRIPT_MAX_FETCHES": "five"}, nil, `MONBAN_SCRIPT_MAX_FETCHES: "five" is not a whole number`},
		{map[string]string{"MONBAN_RATE_LIMIT_FAILED_AUTH_COST": "1e3"}, nil, `MONBAN_RATE_LIMIT_FAILED_AUTH_COST: "1e3" is not a whole number`},
		// A malformed variable is refused even when its flag is given.
		{map[string]string{"MONBAN_SESSION_TTL": "1x"}, []string{"-session-ttl", "1h"}, `MONBAN_SESSION_TTL: "1x"`},
		// The flags refuse the same values.
		{nil, []string{"-session-ttl", "1x"}, `invalid value "1x" for flag -session-ttl: "1x" is not a duration`},
		{nil, []string{"-refresh-token-grace", "-1s"}, `invalid value "-1s" for flag -refresh-token-grace`},
		{nil, []string{"-audit-retention", "always"}, `nor forever`},
		// Where 0 means nothing, it is refused rather than replaced.
		{map[string]string{"MONBAN_SESSION_TTL": "0"}, nil, "-session-ttl (MONBAN_SESSION_TTL) must be more than 0"},
		{nil, []string{"-catalog-refresh", "0s"}, "-catalog-refresh (MONBAN_CATALOG_REFRESH) must be more than 0"},
		{nil, []string{"-script-timeout", "0"}, "-script-timeout (MONBAN_SCRIPT_TIMEOUT) must be more than 0"},
		{map[string]string{"MONBAN_SCRIPT_MEMORY_MB": "0"}, nil, "-script-memory-mb (MONBAN_SCRIPT_MEMORY_MB) must be from 1 to 65536"},
		{nil, []string{"-script-memory-mb", "9000000000000"}, "must be from 1 to 65536"},
		{nil, []string{"-script-max-fetches", "-1"}, "must be 0 (no fetch) or more"},
		{nil, []string{"-rate-limit-failed-auth-cost", "0"}, "must be 1 or more"},
		{map[string]string{"MONBAN_SIGNING_ALG": "HS256"}, nil, `-signing-alg (MONBAN_SIGNING_ALG) must be ES256, ES384, RS256 or EdDSA, got "HS256"`},
		{nil, []string{"-signing-alg", "rs256"}, `must be ES256, ES384, RS256 or EdDSA, got "rs256"`},
		{map[string]string{"MONBAN_TLS_CERT_FILE": "cert.pem"}, nil, "-tls-cert-file (MONBAN_TLS_CERT_FILE) and -tls-key-file (MONBAN_TLS_KEY_FILE) must be given together"},
		{map[string]string{"MONBAN_SIGN_UP": "no"}, nil, `MONBAN_SIGN_UP: "no" is not a boolean`},
		{map[string]string{"MONBAN_PPROF": "true"}, nil, "-pprof (MONBAN_PPROF) needs -metrics-addr (MONBAN_METRICS_ADDR): the profiler is served on the metrics address only"},
		{nil, []string{"-pprof"}, "-pprof (MONBAN_PPROF) needs -metrics-addr"},
		{map[string]string{"MONBAN_PPROF": "on"}, nil, `MONBAN_PPROF: "on" is not a boolean`},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.env, c.args), func(t *testing.T) {
			var stderr bytes.Buffer
			cfg, code := parseServe(c.args, func(k string) string { return c.env[k] }, &stderr)
			if cfg != nil || code != 2 {
				t.Fatalf("accepted (code %d)", code)
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("output lacks %q:\n%s", c.want, stderr.String())
			}
		})
	}
}

// Each setting reads the same from its variable and its flag, durations in
// days too, and a flag wins over its variable.
func TestServeSettings(t *testing.T) {
	const day = 24 * time.Hour
	cases := []struct {
		env  map[string]string
		args []string
		get  func(*server.Config) any
		want any
	}{
		{nil, nil, func(c *server.Config) any { return c.Users.SessionTTL }, 14 * day},
		{map[string]string{"MONBAN_SESSION_TTL": "1d"}, nil, func(c *server.Config) any { return c.Users.SessionTTL }, day},
		{map[string]string{"MONBAN_SESSION_TTL": "1d12h"}, nil, func(c *server.Config) any { return c.Users.SessionTTL }, 36 * time.Hour},
		{nil, []string{"-session-ttl", "90d"}, func(c *server.Config) any { return c.Users.SessionTTL }, 90 * day},
		{map[string]string{"MONBAN_SESSION_TTL": "1d"}, []string{"-session-ttl", "2h"}, func(c *server.Config) any { return c.Users.SessionTTL }, 2 * time.Hour},
		{map[string]string{"MONBAN_AUDIT_RETENTION": "90d"}, nil, func(c *server.Config) any { return c.AuditRetention }, 90 * day},
		{nil, nil, func(c *server.Config) any { return c.AuditRetention }, 30 * day},
		{map[string]string{"MONBAN_CATALOG_REFRESH": "30s"}, nil, func(c *server.Config) any { return c.RefreshInterval }, 30 * time.Second},
		{map[string]string{"MONBAN_ACCESS_LOG": "true"}, nil, func(c *server.Config) any { return c.AccessLog }, true},
		{map[string]string{"MONBAN_SIGNING_ALG": "RS256"}, nil, func(c *server.Config) any { return c.SigningAlgorithm }, "RS256"},
		{nil, nil, func(c *server.Config) any { return c.SigningAlgorithm }, ""},
		{nil, nil, func(c *server.Config) any { return c.SignUp }, true},
		{map[string]string{"MONBAN_METRICS_ADDR": "127.0.0.1:9090"}, nil, func(c *server.Config) any { return c.Pprof }, false},
		{map[string]string{"MONBAN_METRICS_ADDR": "127.0.0.1:9090", "MONBAN_PPROF": "1"}, nil, func(c *server.Config) any { return c.Pprof }, true},
		{map[string]string{"MONBAN_PPROF": "true"}, []string{"-metrics-addr", "127.0.0.1:9090"}, func(c *server.Config) any { return c.Pprof }, true},
		{map[string]string{"MONBAN_SIGN_UP": "false"}, nil, func(c *server.Config) any { return c.SignUp }, false},
		{map[string]string{"MONBAN_SIGN_UP": "0"}, []string{"-sign-up=true"}, func(c *server.Config) any { return c.SignUp }, true},
		{map[string]string{"MONBAN_TLS_CERT_FILE": "c.pem", "MONBAN_TLS_KEY_FILE": "k.pem"}, nil, func(c *server.Config) any { return c.TLSCertFile + " " + c.TLSKeyFile }, "c.pem k.pem"},
		{map[string]string{"MONBAN_ACCESS_LOG": "1"}, []string{"-access-log=false"}, func(c *server.Config) any { return c.AccessLog }, false},
		{map[string]string{"MONBAN_SCRIPT_MEMORY_MB": "64"}, nil, func(c *server.Config) any { return c.ScriptLimits.MemoryBytes }, int64(64 << 20)},
		{map[string]string{"MONBAN_SCRIPT_TIMEOUT": "1500ms"}, nil, func(c *server.Config) any { return c.ScriptLimits.Timeout }, 1500 * time.Millisecond},
		{map[string]string{"MONBAN_REFRESH_TOKEN_GRACE": "30s"}, nil, func(c *server.Config) any { return c.Users.RefreshGrace }, 30 * time.Second},
		{nil, nil, func(c *server.Config) any { return c.Users.RefreshGrace }, 10 * time.Second},
		{map[string]string{"MONBAN_REFRESH_TOKEN_GRACE": "0"}, nil, func(c *server.Config) any { return c.Users.RefreshGrace }, time.Duration(0)},
		{map[string]string{"MONBAN_REFRESH_TOKEN_GRACE": "5s"}, []string{"-refresh-token-grace", "0s"}, func(c *server.Config) any { return c.Users.RefreshGrace }, time.Duration(0)},
		// Where 0 is meaningful, it means 0, from a variable or a flag.
		{map[string]string{"MONBAN_KEY_PUBLISH_DELAY": "0"}, nil, func(c *server.Config) any { return c.KeyPublishDelay }, time.Duration(0)},
		{nil, []string{"-key-publish-delay", "0s"}, func(c *server.Config) any { return c.KeyPublishDelay }, time.Duration(0)},
		{nil, nil, func(c *server.Config) any { return c.KeyPublishDelay }, time.Minute},
		{map[string]string{"MONBAN_AUDIT_RETENTION": "0"}, nil, func(c *server.Config) any { return c.AuditRetention }, time.Duration(0)},
		{map[string]string{"MONBAN_AUDIT_RETENTION": "forever"}, nil, func(c *server.Config) any { return c.AuditRetention }, audit.Forever},
		{map[string]string{"MONBAN_SCRIPT_MAX_FETCHES": "0"}, nil, func(c *server.Config) any { return c.ScriptLimits.MaxFetches }, 0},
		{nil, nil, func(c *server.Config) any { return c.ScriptLimits.MaxFetches }, 5},
		{nil, nil, func(c *server.Config) any { return c.ScriptPolicy.MaxRedirects }, 3},
		{map[string]string{"MONBAN_RATE_LIMIT_FAILED_AUTH_COST": "3"}, nil, func(c *server.Config) any { return c.RateLimits.FailedAuthCost }, 3},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.env, c.args), func(t *testing.T) {
			var stderr bytes.Buffer
			cfg, code := parseServe(c.args, func(k string) string { return c.env[k] }, &stderr)
			if cfg == nil {
				t.Fatalf("refused (code %d): %s", code, stderr.String())
			}
			if got := c.get(cfg); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	for in, want := range map[string]time.Duration{
		"0": 0, "0s": 0, "90s": 90 * time.Second, "1h30m": 90 * time.Minute, "1d": day, "90d": 90 * day,
		"1d12h": 36 * time.Hour, "0d": 0, "2d0s": 2 * day, "65535d": 65535 * day,
	} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "d", "1", "1x", "1.5d", "-1d", "1d-1h", "1d+1h", "-1s", "1dd", "1h1d", "+1d", "1 d", "65536d", "1d2562048h", "forever"} {
		if got, err := parseDuration(bad); err == nil {
			t.Errorf("%q accepted as %v", bad, got)
		}
	}
	for _, d := range []time.Duration{0, time.Second, 36 * time.Hour, 14 * day} {
		if got, err := parseDuration(formatDuration(d)); err != nil || got != d {
			t.Errorf("%v → %q → %v %v", d, formatDuration(d), got, err)
		}
	}
}
