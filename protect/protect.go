// Package protect guards the HTTP handlers of an API (a resource server) with
// the JWT access tokens Monban issues: RFC 6750 bearer tokens in
// the RFC 9068 profile.
//
// A Verifier is configured with the issuer and the API's indicator (the
// audience its tokens carry). It reads the issuer's discovery document to
// find the JSON Web Key Set, caches the keys, and fetches them again when a
// token names a key it does not know, at most once every ten seconds, so a
// flood of tokens with made-up key ids cannot make it hammer the server.
// Each token must:
//
//   - be a compact JWS signed by a published key with that key's own
//     algorithm (asymmetric only: never "none" or HMAC);
//   - have the header typ "at+jwt" (or "application/at+jwt");
//   - have iss equal to the issuer and aud (a string or an array) holding
//     the API's indicator;
//   - have an exp in the future, and no nbf or iat in the future, each
//     with a small leeway for clock skew.
//
// Header parameters and claims are read by their exact, case-sensitive
// names (RFC 7515 §4, RFC 7519 §4): a private claim "ISS" or "Aud" is not iss
// or aud.
//
// A token bound to a DPoP key (cnf.jkt, RFC 9449) is taken only in the DPoP
// scheme with a proof by that key for the request (see VerifyDPoP and
// Config.RequireDPoP).
//
// RequireScopes wraps a handler: a request without a valid token gets 401, a
// request whose token lacks a required scope gets 403, each with an RFC 6750
// WWW-Authenticate challenge and a JSON body {"error", "error_description"}.
// The handler finds the verified claims with ClaimsFrom.
//
// Verified tokens are remembered (by their SHA-256, until their exp, in a
// cache of bounded size), so a token seen again costs a map lookup instead of
// a signature check. go-jose reads the keys; signatures are checked with the
// standard library's crypto packages directly. On one core of a 2-vCPU
// server, letting a request through costs about 1 µs for a token in the
// cache and about 60 µs for a new ES256 token, over nine tenths of which is
// the ECDSA check itself (see the benchmarks in bench_test.go).
package protect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/monban/monban/internal/jws"
	"github.com/monban/monban/internal/replay"
)

// Defaults for Config.
const (
	DefaultLeeway    = 30 * time.Second
	DefaultCacheSize = 4096
)

// The zero Config takes the defaults, so "none" is spelled with these.
const (
	// NoLeeway as Config.Leeway checks exp, nbf and iat without any
	// allowance for clock skew.
	NoLeeway time.Duration = -1
	// NoCache as Config.CacheSize verifies every token afresh.
	NoCache = -1
)

const (
	// minRefetch is the least time between two fetches of the keys (the
	// discovery document and the JWKS).
	minRefetch = 10 * time.Second
	// maxKeyAge is how old the keys may get before they are fetched again
	// in the background, so keys the issuer withdrew stop being accepted.
	maxKeyAge = 5 * time.Minute
	// fetchTimeout bounds a fetch when the HTTP client has no timeout.
	fetchTimeout = 10 * time.Second
	// maxBody bounds what is read of a discovery document or key set.
	maxBody = 1 << 20
	// maxTokenLen bounds what Verify looks at; real tokens are far smaller.
	maxTokenLen = jws.MaxLen
)

// Config configures a Verifier.
type Config struct {
	// Issuer is the token issuer: {endpoint}/oidc for Monban's Logto face
	// and Logto, e.g. "http://localhost:3001/oidc", or {endpoint}/ for
	// Monban's Auth0 face and Auth0. Tokens' iss must equal it or one of
	// AlsoIssuers.
	Issuer string
	// AlsoIssuers are other issuers whose tokens are accepted too, signed
	// with the same keys: a Monban server is both {endpoint}/oidc and
	// {endpoint}/, so an API taking tokens from clients of either face
	// names the other here. The keys are still Issuer's.
	AlsoIssuers []string
	// Audience is the API's indicator (the resource the tokens are
	// requested for), e.g. "https://shopping.api". Tokens' aud must hold it.
	Audience string
	// JWKSURL is where the keys are. Empty means the jwks_uri of the
	// issuer's discovery document, Issuer + "/.well-known/openid-configuration".
	JWKSURL string
	// HTTPClient fetches the discovery document and the keys. Nil means a
	// client with a ten-second timeout.
	HTTPClient *http.Client
	// Leeway is the clock skew allowed when checking exp, nbf and iat.
	// Zero means DefaultLeeway; NoLeeway (any negative value) means none.
	Leeway time.Duration
	// CacheSize is how many verified tokens are remembered. Zero means
	// DefaultCacheSize; NoCache (any negative value) turns the cache off.
	CacheSize int
	// Realm is the realm of the WWW-Authenticate challenges. Empty means
	// the Audience.
	Realm string
	// RequireDPoP refuses tokens that are not bound to a DPoP key (see
	// VerifyDPoP); bound tokens are checked with their proof either way.
	RequireDPoP bool
	// PublicURL returns the URL a request was sent to, which a DPoP
	// proof's htu must name: set it behind a proxy that changes the
	// scheme, host or path. Nil: from the request (https when it came over
	// TLS, its Host and path).
	PublicURL func(*http.Request) string
	// DPoPReplaySize is how many DPoP proofs are remembered, so that each
	// is accepted once; zero: DefaultDPoPReplaySize.
	DPoPReplaySize int
}

// Errors that Verify wraps; test with errors.Is. The rest of the message
// says what was wrong and never quotes the token.
var (
	// ErrInvalidToken is a token that is malformed, not signed by the
	// issuer, not for this API, expired, or not yet valid.
	ErrInvalidToken = errors.New("invalid token")
	// ErrUnavailable means no keys could be fetched from the issuer yet,
	// so no token can be checked.
	ErrUnavailable = errors.New("signing keys unavailable")
)

type verifyError struct {
	kind error
	desc string // shown to clients in error_description
}

func (e *verifyError) Error() string { return "protect: " + e.kind.Error() + ": " + e.desc }
func (e *verifyError) Unwrap() error { return e.kind }

func invalid(desc string) error { return &verifyError{ErrInvalidToken, desc} }

// Claims are a verified access token's claims. The values returned by
// ClaimsFrom and Verify may be shared between requests: do not modify them.
type Claims struct {
	Issuer    string
	Subject   string    // sub: the App ID for an M2M token
	ClientID  string    // client_id (or azp when there is no client_id)
	Audience  []string  // aud
	Scopes    []string  // scope, split on spaces (or scp, as an array)
	Expiry    time.Time // exp
	IssuedAt  time.Time // iat; zero if absent
	NotBefore time.Time // nbf; zero if absent
	ID        string    // jti
	// DPoPKey is the thumbprint of the DPoP key the token is bound to
	// (cnf.jkt), "" for a bearer token.
	DPoPKey string

	payload []byte // the decoded JWT payload, for Raw
}

// Raw decodes the whole payload into a new map, as encoding/json does (so
// numbers are float64), for the claims that have no field here (custom
// claims, for one). The map is the caller's; each call decodes again.
func (c *Claims) Raw() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(c.payload, &m) // it decoded once already: it is a JSON object
	return m
}

// HasScope reports whether the token was granted scope s.
func (c *Claims) HasScope(s string) bool {
	for _, x := range c.Scopes {
		if x == s {
			return true
		}
	}
	return false
}

// Verifier checks access tokens for one API. It is safe for concurrent use;
// make one per API and share it.
type Verifier struct {
	issuer   string
	also     []string
	audience string
	realm    string
	leeway   time.Duration
	client   *http.Client
	now      func() time.Time
	cache    *tokenCache // nil when off
	headers  headerCache
	keys     keyStore

	requireDPoP bool
	publicURL   func(*http.Request) string
	proofs      replay.Cache
}

// New checks cfg and returns a Verifier. It makes no request: the keys are
// fetched when the first token arrives (or at Refresh).
func New(cfg Config) (*Verifier, error) {
	if !absoluteHTTP(cfg.Issuer) {
		return nil, fmt.Errorf("protect: Issuer %q is not an absolute http(s) URL", cfg.Issuer)
	}
	if cfg.Audience == "" {
		return nil, errors.New("protect: Audience (the API's indicator) is required")
	}
	if cfg.JWKSURL != "" && !absoluteHTTP(cfg.JWKSURL) {
		return nil, fmt.Errorf("protect: JWKSURL %q is not an absolute http(s) URL", cfg.JWKSURL)
	}
	v := &Verifier{
		issuer:   cfg.Issuer,
		also:     slices.Clone(cfg.AlsoIssuers),
		audience: cfg.Audience,
		realm:    cfg.Realm,
		leeway:   cfg.Leeway,
		client:   cfg.HTTPClient,
		now:      time.Now,

		requireDPoP: cfg.RequireDPoP,
		publicURL:   cfg.PublicURL,
	}
	v.proofs = newProofCache(cfg.DPoPReplaySize, func() time.Time { return v.now() })
	if v.realm == "" {
		v.realm = cfg.Audience
	}
	switch {
	case v.leeway == 0:
		v.leeway = DefaultLeeway
	case v.leeway < 0:
		v.leeway = 0
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: fetchTimeout}
	}
	switch {
	case cfg.CacheSize == 0:
		v.cache = newTokenCache(DefaultCacheSize)
	case cfg.CacheSize > 0:
		v.cache = newTokenCache(cfg.CacheSize)
	}
	v.keys.init(v, cfg.JWKSURL)
	return v, nil
}

// Refresh fetches the keys now (and the discovery document, the first
// time), for a service that wants to know at start-up that its issuer is
// reachable. It is not needed otherwise.
func (v *Verifier) Refresh(ctx context.Context) error {
	_, err := v.keys.fetchNow(ctx)
	return err
}

// signatureAlgorithms are the algorithms a token may name (asymmetric
// only, those of package jws); the key's own algorithm must then match too.
var signatureAlgorithms = func() []jose.SignatureAlgorithm {
	algs := make([]jose.SignatureAlgorithm, len(jws.Algorithms))
	for i, a := range jws.Algorithms {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	return algs
}()

// Verify checks an access token (without the "Bearer " prefix) and returns
// its claims. Errors wrap ErrInvalidToken or ErrUnavailable (or are ctx's
// error, if ctx ends while keys are being fetched).
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if token == "" || len(token) > maxTokenLen {
		return nil, invalid("malformed token")
	}
	now := v.now()
	var sum [sha256.Size]byte
	if v.cache != nil {
		sum = sha256.Sum256([]byte(token))
		if c := v.cache.get(sum, now); c != nil {
			return c, nil
		}
	}
	c, err := v.verify(ctx, token, now)
	if err != nil {
		return nil, err
	}
	if v.cache != nil {
		v.cache.put(sum, c, now)
	}
	return c, nil
}

func (v *Verifier) verify(ctx context.Context, token string, now time.Time) (*Claims, error) {
	c, err := jws.Split(token, jws.Strict)
	if err != nil {
		return nil, invalid("malformed token")
	}
	h, known := v.headers.get(c.RawHeader())
	if !known {
		if h, err = c.Header(); err != nil {
			return nil, invalid("malformed token")
		}
	}
	alg := jose.SignatureAlgorithm(h.Alg)
	if !supported(alg) {
		return nil, invalid("unsupported signing algorithm")
	}
	if h.Critical() {
		// No JWS extension is understood here (RFC 7515 §4.1.11).
		return nil, invalid("unsupported critical header")
	}
	if !isAccessTokenType(h.Typ) {
		return nil, invalid("not an access token (typ is not at+jwt)")
	}
	k, err := v.keys.find(ctx, h.Kid, alg, now)
	if err != nil {
		return nil, err
	}
	sig, err := c.Signature()
	if err != nil || !jws.Verify(string(k.alg), k.pub, c.SigningInput(), sig) {
		return nil, invalid("bad signature")
	}
	payload, err := c.Payload()
	if err != nil {
		return nil, invalid("malformed token")
	}
	cl, err := v.checkClaims(payload, now)
	if err == nil && !known {
		v.headers.add(c.RawHeader(), h)
	}
	return cl, err
}

// headerCache remembers the decoded headers of tokens that verified: an
// issuer puts the same header (one per key) on all its tokens, so most
// tokens skip decoding it. Only headers of valid tokens get in, so what
// others send cannot fill it.
type headerCache struct {
	m atomic.Pointer[map[string]jws.Header]
}

const maxHeaders = 16

func (c *headerCache) get(enc string) (jws.Header, bool) {
	if m := c.m.Load(); m != nil {
		h, ok := (*m)[enc]
		return h, ok
	}
	return jws.Header{}, false
}

func (c *headerCache) add(enc string, h jws.Header) {
	next := map[string]jws.Header{enc: h}
	if m := c.m.Load(); m != nil && len(*m) < maxHeaders {
		for k, v := range *m {
			next[k] = v
		}
	}
	c.m.Store(&next)
}

func supported(alg jose.SignatureAlgorithm) bool { return jws.Supported(string(alg)) }

func isAccessTokenType(typ string) bool {
	return strings.EqualFold(typ, "at+jwt") || strings.EqualFold(typ, "application/at+jwt")
}

// payloadClaims are the claims read from every token. A NumericDate that
// is not a number, or a string claim that is not a string, makes the whole
// payload malformed.
type payloadClaims struct {
	Iss      string   `json:"iss"`
	Sub      string   `json:"sub"`
	Aud      audience `json:"aud"`
	Exp      *float64 `json:"exp"`
	Nbf      *float64 `json:"nbf"`
	Iat      *float64 `json:"iat"`
	Jti      string   `json:"jti"`
	ClientID string   `json:"client_id"`
	Azp      string   `json:"azp"`
	Scope    *string  `json:"scope"`
	Scp      []string `json:"scp"`
	Cnf      *struct {
		JKT string `json:"jkt"`
	} `json:"cnf"`
}

// audience is aud: one string or an array of strings (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		// encoding/json has checked the document: a string without
		// escapes is its bytes between the quotes.
		if bytes.IndexByte(b, '\\') < 0 {
			*a = audience{string(b[1 : len(b)-1])}
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*a = list
	return nil
}

// checkClaims decodes the payload and checks iss, aud, exp, nbf and iat.
func (v *Verifier) checkClaims(payload []byte, now time.Time) (*Claims, error) {
	var p payloadClaims
	if err := decodeExact(payload, map[string]any{
		"iss": &p.Iss, "sub": &p.Sub, "aud": &p.Aud, "exp": &p.Exp, "nbf": &p.Nbf, "iat": &p.Iat,
		"jti": &p.Jti, "client_id": &p.ClientID, "azp": &p.Azp, "scope": &p.Scope, "scp": &p.Scp, "cnf": &p.Cnf,
	}); err != nil {
		return nil, invalid("malformed claims")
	}
	if p.Iss != v.issuer && !slices.Contains(v.also, p.Iss) {
		return nil, invalid("wrong issuer (iss)")
	}
	if !contains(p.Aud, v.audience) {
		return nil, invalid("not for this API (aud)")
	}
	c := &Claims{Issuer: p.Iss, Subject: p.Sub, Audience: p.Aud, ID: p.Jti, ClientID: p.ClientID, payload: payload}
	var ok bool
	if c.Expiry, ok = numericDate(p.Exp); !ok || c.Expiry.IsZero() {
		return nil, invalid("missing or malformed expiry (exp)")
	}
	if now.After(c.Expiry.Add(v.leeway)) {
		return nil, invalid("expired (exp)")
	}
	if c.NotBefore, ok = numericDate(p.Nbf); !ok {
		return nil, invalid("malformed nbf")
	}
	if !c.NotBefore.IsZero() && now.Add(v.leeway).Before(c.NotBefore) {
		return nil, invalid("not valid yet (nbf)")
	}
	if c.IssuedAt, ok = numericDate(p.Iat); !ok {
		return nil, invalid("malformed iat")
	}
	if !c.IssuedAt.IsZero() && now.Add(v.leeway).Before(c.IssuedAt) {
		return nil, invalid("issued in the future (iat)")
	}
	if c.ClientID == "" {
		c.ClientID = p.Azp
	}
	if p.Cnf != nil {
		if p.Cnf.JKT == "" {
			// A confirmation this verifier cannot check (an mTLS
			// certificate's, say) binds the token all the same.
			return nil, invalid("bound to a key by a method other than DPoP (cnf)")
		}
		c.DPoPKey = p.Cnf.JKT
	}
	if p.Scope != nil {
		c.Scopes = strings.Fields(*p.Scope)
	} else {
		c.Scopes = p.Scp
	}
	return c, nil
}

// decodeExact decodes the JSON object b into fields by their exact names
// (see jws.UnmarshalExact): a private claim "ISS" or "Aud", which a custom
// claims script may add, is not read as iss or aud.
func decodeExact(b []byte, fields map[string]any) error { return jws.UnmarshalExact(b, fields) }

// numericDate reads a NumericDate claim; absent is the zero time and ok.
func numericDate(v *float64) (time.Time, bool) {
	if v == nil {
		return time.Time{}, true
	}
	if math.IsNaN(*v) || *v <= 0 || *v > 1<<40 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(*v)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// tokenCache remembers verified tokens by their SHA-256 until their expiry.
// It is split in shards, each with its own lock and its share of the size.
type tokenCache struct {
	shards [16]cacheShard
}

type cacheShard struct {
	mu      sync.Mutex
	max     int
	entries map[[sha256.Size]byte]*Claims
	puts    int // since the last sweep of expired entries
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{}
	per := max(1, (size+len(c.shards)-1)/len(c.shards))
	for i := range c.shards {
		c.shards[i].max = per
		c.shards[i].entries = make(map[[sha256.Size]byte]*Claims)
	}
	return c
}

func (c *tokenCache) shard(sum [sha256.Size]byte) *cacheShard {
	return &c.shards[sum[0]%uint8(len(c.shards))]
}

func (c *tokenCache) get(sum [sha256.Size]byte, now time.Time) *Claims {
	s := c.shard(sum)
	s.mu.Lock()
	cl := s.entries[sum]
	s.mu.Unlock()
	if cl == nil || !now.Before(cl.Expiry) {
		return nil
	}
	return cl
}

func (c *tokenCache) put(sum [sha256.Size]byte, cl *Claims, now time.Time) {
	if !now.Before(cl.Expiry) {
		return // accepted within the leeway only: not worth keeping
	}
	s := c.shard(sum)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts++
	if s.puts >= s.max {
		// Now and then drop every expired entry: amortised, a constant
		// cost per insertion.
		s.puts = 0
		for k, e := range s.entries {
			if !now.Before(e.Expiry) {
				delete(s.entries, k)
			}
		}
	}
	for k := range s.entries {
		if len(s.entries) < s.max {
			break
		}
		// Full of live tokens: drop one (map iteration starts at a random
		// place, so this is a random eviction).
		delete(s.entries, k)
	}
	s.entries[sum] = cl
}
