package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/internal/auth0"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/metrics"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/ratelimit"
	"github.com/monban/monban/internal/token"
)

// RateLimits configures the request limits. A zero Rule is no limit.
type RateLimits struct {
	// TokenClient and TokenIP limit token requests per claimed client id and
	// per client address.
	TokenClient ratelimit.Rule
	TokenIP     ratelimit.Rule
	// FailedAuthCost is what a failed client authentication takes from both
	// buckets instead of 1, so that guessing secrets is throttled harder
	// than using them. The extra is taken even from buckets that do not
	// hold it, leaving them in debt until it has refilled.
	FailedAuthCost int
	// Management limits Management API requests per caller: per verified
	// token's subject and client, and per address for requests without a
	// valid Management API token.
	Management ratelimit.Rule
	// SignIn limits, per client address, the requests that may store a
	// sign-in interaction: authorization requests and the sign-in page.
	SignIn ratelimit.Rule
}

// DefaultRateLimits are generous for real clients (which cache their
// tokens) and tight for anyone guessing secrets.
var DefaultRateLimits = RateLimits{
	TokenClient:    ratelimit.Rule{Rate: 100, Burst: 200},
	TokenIP:        ratelimit.Rule{Rate: 200, Burst: 400},
	FailedAuthCost: 10,
	Management:     ratelimit.Rule{Rate: 50, Burst: 100},
	SignIn:         ratelimit.Rule{Rate: 20, Burst: 200},
}

// limiter applies RateLimits in front of the handlers.
type limiter struct {
	limits RateLimits
	take   ratelimit.Limiter
	logger *slog.Logger
	// mgmtCaller names the caller of a Management API request whose bearer
	// token verifies, "" for any other; nil: every request is limited per
	// address.
	mgmtCaller func(r *http.Request) (*http.Request, string)
	// isTokenPath reports whether a path is a token endpoint's
	// (oidc.Provider.IsTokenPath); nil: none is.
	isTokenPath func(path string) bool
	// isSignInPath reports whether a path may store a sign-in interaction.
	isSignInPath func(path string) bool
}

func newLimiter(limits RateLimits, redisURL string, logger *slog.Logger) (*limiter, func() float64, func() map[string]uint64, error) {
	limits.TokenClient.Name, limits.TokenIP.Name, limits.Management.Name, limits.SignIn.Name = "token_client", "token_ip", "management", "sign_in"
	if limits.FailedAuthCost < 1 {
		limits.FailedAuthCost = 1
	}
	local := ratelimit.NewLocal()
	l := &limiter{limits: limits, take: local, logger: logger}
	fallback := func() float64 { return 0 }
	rejections := local.Rejections
	if redisURL != "" {
		r, err := ratelimit.NewRedisURL(redisURL, local, logger)
		if err != nil {
			return nil, nil, nil, err
		}
		l.take = r
		rejections = r.Rejections
		fallback = func() float64 {
			if r.InFallback() {
				return 1
			}
			return 0
		}
	}
	return l, fallback, rejections, nil
}

// registerMetrics exports the limiter's counters.
func registerLimiterMetrics(m *metrics.Metrics, fallback func() float64, rejections func() map[string]uint64) {
	m.CounterVecFunc("monban_rate_limit_rejections_total", "Requests refused by a rate limit, by limit.",
		[]string{"limit"}, func() []metrics.Sample {
			var out []metrics.Sample
			for name, n := range rejections() {
				out = append(out, metrics.Sample{Labels: []string{name}, Value: float64(n)})
			}
			return out
		})
	m.GaugeFunc("monban_rate_limit_redis_fallback", "1 while shared rate limits are unavailable (Redis unreachable) and each instance limits on its own.", fallback)
}

// tooMany answers 429 with Retry-After and an OAuth-style error body.
func tooMany(w http.ResponseWriter, d ratelimit.Decision, oauth bool) {
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(d.RetryAfterSeconds()))
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusTooManyRequests)
	body := map[string]string{"error": "too_many_requests", "error_description": "rate limit exceeded; retry after " + strconv.Itoa(d.RetryAfterSeconds()) + " s"}
	if oauth {
		body["code"], body["message"] = "oidc.too_many_requests", body["error_description"]
	} else {
		body["code"], body["message"] = "request.too_many_requests", body["error_description"]
	}
	_ = httpjson.Encode(w, body)
}

// tokenEndpoint limits token requests by claimed client and by address, and
// charges a failed client authentication FailedAuthCost more. The request's
// parameters are read here, once, and handed on to the token endpoint.
func (l *limiter) tokenEndpoint(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ipKey := addrKey(ctx)
		if d := l.take.Take(ctx, l.limits.TokenIP, ipKey, 1); !d.Allowed {
			tooMany(w, d, true)
			return
		}
		// inner carries the parameters, read once, to the token endpoint;
		// the metrics read the route the mux matched from the outer request.
		inner, client := oidc.ReadTokenRequest(w, r)
		defer func() { r.Pattern = inner.Pattern }()
		if client != "" {
			if d := l.take.Take(ctx, l.limits.TokenClient, client, 1); !d.Allowed {
				tooMany(w, d, true)
				return
			}
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, inner)
		if sw.status == http.StatusUnauthorized {
			// Charged even when the buckets are short of it, into debt:
			// a penalty taken only from full buckets would leave a
			// guesser at the normal rate once they ran low.
			extra := l.limits.FailedAuthCost - 1
			if extra > 0 {
				l.take.Charge(ctx, l.limits.TokenIP, ipKey, extra)
				if client != "" {
					l.take.Charge(ctx, l.limits.TokenClient, client, extra)
				}
			}
		}
	})
}

// addrKey is the rate-limit key of the client's address: IPv6 clients are
// limited per /64, which one client may rotate through.
func addrKey(ctx context.Context) string {
	info := infoOf(ctx)
	switch {
	case info == nil:
		return ""
	case !info.addr.IsValid():
		return info.ip
	case info.addr.Is4():
		return info.ip // what ratelimit.AddrKey makes of it, already made
	}
	return ratelimit.AddrKey(info.addr)
}

// routes applies the limits that fit each request's endpoint.
func (l *limiter) routes(next http.Handler) http.Handler {
	token := l.tokenEndpoint(next)
	mgmt := l.management(next)
	signIn := l.signIn(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case (r.Method == http.MethodGet || r.Method == http.MethodPost) && l.isSignInPath != nil && l.isSignInPath(r.URL.Path):
			signIn.ServeHTTP(w, r)
		case r.Method == http.MethodPost && l.isTokenPath != nil && l.isTokenPath(r.URL.Path):
			token.ServeHTTP(w, r)
		case len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/":
			mgmt.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// signIn limits, per address, the requests that may store a sign-in
// interaction, so that no one client fills the database with them.
func (l *limiter) signIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := l.take.Take(r.Context(), l.limits.SignIn, "ip:"+addrKey(r.Context()), 1); !d.Allowed {
			tooMany(w, d, true)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// management limits Management API requests per caller: per verified
// caller, or per address for anything unverified (no token, or one that
// does not verify), so that sending random tokens earns no fresh bucket.
func (l *limiter) management(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "ip:" + addrKey(r.Context())
		if l.mgmtCaller != nil {
			var c string
			if r, c = l.mgmtCaller(r); c != "" {
				sum := sha256.Sum256([]byte(c))
				key = "caller:" + hex.EncodeToString(sum[:12])
			}
		}
		d := l.take.Take(r.Context(), l.limits.Management, key, 1)
		if strings.HasPrefix(r.URL.Path, auth0.Prefix) {
			// Auth0 tells every caller of its Management API where it
			// stands, and answers a refusal in its own error shape.
			rateLimitHeaders(w.Header(), l.limits.Management, d, time.Now())
			if !d.Allowed {
				w.Header().Set("Retry-After", strconv.Itoa(d.RetryAfterSeconds()))
				auth0.WriteError(w, http.StatusTooManyRequests, "too_many_requests",
					"Global limit has been reached; retry after "+strconv.Itoa(d.RetryAfterSeconds())+" s")
				return
			}
		}
		if !d.Allowed {
			tooMany(w, d, false)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimitHeaders sets Auth0's x-ratelimit-limit (the bucket's size),
// x-ratelimit-remaining and x-ratelimit-reset (the Unix time, in seconds,
// when the bucket is full again; after a refusal, when the request may be
// retried). Nothing is set when the rule limits nothing.
func rateLimitHeaders(h http.Header, rule ratelimit.Rule, d ratelimit.Decision, now time.Time) {
	if d.Remaining < 0 || rule.Rate <= 0 {
		return
	}
	wait := d.RetryAfter
	if d.Allowed {
		wait = time.Duration(float64(rule.Burst-d.Remaining) / rule.Rate * float64(time.Second))
	}
	h.Set("X-Ratelimit-Limit", strconv.Itoa(rule.Burst))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(d.Remaining, 0)))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(now.Add(wait).Add(time.Second-1).Unix(), 10))
}

// managementCaller returns the Management API limit's caller of a request:
// the subject and client of its bearer token when v verifies it (the same
// verifier the Management API uses: signature, times, issuer, revocation)
// and it is for one of indicators, else "". The request it returns carries the
// outcome of the verification for the Management API to read.
func managementCaller(v token.Verifier, indicators ...string) func(r *http.Request) (*http.Request, string) {
	return func(r *http.Request) (*http.Request, string) {
		scheme, raw, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		raw = strings.TrimSpace(raw)
		if !strings.EqualFold(scheme, "Bearer") || raw == "" {
			return r, ""
		}
		c, err := v.Verify(raw)
		// The Management API reads this outcome rather than verifying the
		// same token a second time.
		r = r.WithContext(token.WithVerified(r.Context(), raw, c, err))
		if err != nil || c == nil || !slices.ContainsFunc(indicators, c.HasAudience) {
			return r, ""
		}
		return r, c.Subject + " " + c.ClientID
	}
}
