package protect

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// key is a published verification key, with the one algorithm it may be
// used with.
type key struct {
	alg jose.SignatureAlgorithm
	pub any // *ecdsa.PublicKey, ed25519.PublicKey or *rsa.PublicKey
}

// keySet is one fetched JWKS.
type keySet struct {
	byKID   map[string][]key
	all     []key
	fetched time.Time
	etag    string
}

// lookup returns the key with this kid and algorithm. A token without a
// kid matches only when the set has a single key of that algorithm.
func (s *keySet) lookup(kid string, alg jose.SignatureAlgorithm) (key, bool) {
	if kid == "" {
		var found key
		n := 0
		for _, k := range s.all {
			if k.alg == alg {
				found, n = k, n+1
			}
		}
		return found, n == 1
	}
	for _, k := range s.byKID[kid] {
		if k.alg == alg {
			return k, true
		}
	}
	return key{}, false
}

func (s *keySet) hasKID(kid string) bool {
	if kid == "" {
		return len(s.all) > 0
	}
	return len(s.byKID[kid]) > 0
}

// keyStore holds the current key set and fetches new ones: one fetch at a
// time, shared by every caller that waits for it, and at most one every
// minRefetch.
type keyStore struct {
	v   *Verifier
	cur atomic.Pointer[keySet]

	mu          sync.Mutex
	jwksURL     string // configured or discovered
	lastAttempt time.Time
	inflight    *fetchCall
}

type fetchCall struct {
	done chan struct{}
	ks   *keySet
	err  error
}

func (s *keyStore) init(v *Verifier, jwksURL string) {
	s.v = v
	s.jwksURL = jwksURL
}

// find returns the key for a token's kid and alg, fetching the keys again
// (rate-limited) when the kid is unknown.
func (s *keyStore) find(ctx context.Context, kid string, alg jose.SignatureAlgorithm, now time.Time) (key, error) {
	ks := s.cur.Load()
	if ks != nil {
		if now.Sub(ks.fetched) > maxKeyAge {
			s.refreshInBackground(ks, now)
		}
		if k, ok := ks.lookup(kid, alg); ok {
			return k, nil
		}
		if ks.hasKID(kid) {
			// The key is known: the token names another algorithm.
			return key{}, invalid("the algorithm is not the signing key's")
		}
	}
	fresh, err := s.refetch(ctx, ks, now)
	if fresh == nil {
		if err == nil || errors.Is(err, errTooSoon) {
			err = &verifyError{ErrUnavailable, "the issuer's signing keys could not be fetched"}
		}
		return key{}, err
	}
	if k, ok := fresh.lookup(kid, alg); ok {
		return k, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return key{}, ctxErr
	}
	return key{}, invalid("unknown signing key (kid)")
}

var errTooSoon = errors.New("keys were fetched less than ten seconds ago")

// refetch fetches the keys unless they changed since seen was loaded, a
// fetch is under way (then it waits for that one), or the last attempt was
// less than minRefetch ago. It returns the keys to use (nil if there are
// none).
func (s *keyStore) refetch(ctx context.Context, seen *keySet, now time.Time) (*keySet, error) {
	s.mu.Lock()
	if cur := s.cur.Load(); cur != seen {
		s.mu.Unlock()
		return cur, nil
	}
	c := s.inflight
	if c == nil {
		if !s.lastAttempt.IsZero() && now.Sub(s.lastAttempt) < minRefetch {
			s.mu.Unlock()
			return seen, errTooSoon
		}
		c = s.start(ctx, now)
	}
	s.mu.Unlock()
	select {
	case <-c.done:
	case <-ctx.Done():
		return seen, ctx.Err()
	}
	if c.ks != nil {
		return c.ks, c.err
	}
	return seen, c.err
}

// refreshInBackground starts a fetch of keys that have grown old, unless
// one is under way or was tried recently; requests go on with the old keys.
func (s *keyStore) refreshInBackground(seen *keySet, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur.Load() != seen || s.inflight != nil || now.Sub(s.lastAttempt) < minRefetch {
		return
	}
	s.start(context.Background(), now)
}

// fetchNow fetches the keys, ignoring the rate limit (for Refresh).
func (s *keyStore) fetchNow(ctx context.Context) (*keySet, error) {
	s.mu.Lock()
	c := s.inflight
	if c == nil {
		c = s.start(ctx, s.v.now())
	}
	s.mu.Unlock()
	select {
	case <-c.done:
		return c.ks, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// start runs a fetch in its own goroutine; s.mu is held. The fetch does not
// end with the context of the request that started it, since others may
// wait for it: it is bounded by the HTTP client's timeout instead.
func (s *keyStore) start(ctx context.Context, now time.Time) *fetchCall {
	c := &fetchCall{done: make(chan struct{})}
	s.inflight = c
	s.lastAttempt = now
	go func() {
		ks, err := s.fetch(context.WithoutCancel(ctx), s.cur.Load())
		s.mu.Lock()
		if err == nil {
			s.cur.Store(ks)
			c.ks = ks
		}
		c.err = err
		s.inflight = nil
		s.mu.Unlock()
		close(c.done)
	}()
	return c
}

// fetch reads the discovery document (the first time, unless JWKSURL was
// given) and the key set. A set that has not changed (304, by ETag) is
// kept.
func (s *keyStore) fetch(ctx context.Context, prev *keySet) (*keySet, error) {
	if s.v.client.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, fetchTimeout)
		defer cancel()
	}
	s.mu.Lock()
	jwksURL := s.jwksURL
	s.mu.Unlock()
	if jwksURL == "" {
		u, err := s.discover(ctx)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.jwksURL = u
		s.mu.Unlock()
		jwksURL = u
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, unavailable("JWKS request: %v", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	if prev != nil && prev.etag != "" {
		req.Header.Set("If-None-Match", prev.etag)
	}
	status, header, body, err := s.get(req)
	if err != nil {
		return nil, unavailable("GET %s: %v", jwksURL, err)
	}
	now := s.v.now()
	if status == http.StatusNotModified && prev != nil {
		ks := *prev
		ks.fetched = now
		return &ks, nil
	}
	if status != http.StatusOK {
		return nil, unavailable("GET %s: HTTP %d", jwksURL, status)
	}
	ks, err := parseJWKS(body)
	if err != nil {
		return nil, unavailable("%s: %v", jwksURL, err)
	}
	ks.fetched, ks.etag = now, header.Get("ETag")
	if prev != nil && s.v.cache != nil && removedKeys(prev, ks) {
		// A key was withdrawn: tokens it signed must not stay accepted
		// through the cache.
		s.v.cache.clear()
	}
	return ks, nil
}

func unavailable(format string, args ...any) error {
	return &verifyError{ErrUnavailable, fmt.Sprintf(format, args...)}
}

// discover reads jwks_uri from the issuer's discovery document, whose issuer
// must be ours.
func (s *keyStore) discover(ctx context.Context) (string, error) {
	u := strings.TrimRight(s.v.issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", unavailable("discovery: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	status, _, body, err := s.get(req)
	if err != nil {
		return "", unavailable("discovery: %v", err)
	}
	if status != http.StatusOK {
		return "", unavailable("discovery: GET %s: HTTP %d", u, status)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", unavailable("discovery: %s: %v", u, err)
	}
	if doc.Issuer != s.v.issuer {
		return "", unavailable("discovery: the document's issuer %q is not %q", doc.Issuer, s.v.issuer)
	}
	if !absoluteHTTP(doc.JWKSURI) {
		return "", unavailable("discovery: jwks_uri %q is not an absolute http(s) URL", doc.JWKSURI)
	}
	return doc.JWKSURI, nil
}

// get sends req and reads at most maxBody bytes of the answer.
func (s *keyStore) get(req *http.Request) (int, http.Header, []byte, error) {
	res, err := s.v.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return 0, nil, nil, err
	}
	if len(body) > maxBody {
		return 0, nil, nil, fmt.Errorf("the answer is larger than %d bytes", maxBody)
	}
	return res.StatusCode, res.Header, body, nil
}

// parseJWKS keeps the set's usable signature keys; a key it cannot use (an
// encryption key, a symmetric key, an unknown type, an algorithm that does
// not fit the key, RSA under 2048 bits) is skipped, not an error.
func parseJWKS(body []byte) (*keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("malformed JWKS: %v", err)
	}
	ks := &keySet{byKID: map[string][]key{}}
	for _, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue
		}
		if jwk.Use != "" && jwk.Use != "sig" {
			continue
		}
		k, ok := usableKey(jwk)
		if !ok {
			continue
		}
		ks.all = append(ks.all, k)
		ks.byKID[jwk.KeyID] = append(ks.byKID[jwk.KeyID], k)
	}
	if len(ks.all) == 0 {
		return nil, errors.New("the JWKS has no usable signature key")
	}
	return ks, nil
}

// usableKey returns the public key and its algorithm: the JWK's alg when it
// has one (it must fit the key), else the one its type implies.
func usableKey(jwk jose.JSONWebKey) (key, bool) {
	alg := jose.SignatureAlgorithm(jwk.Algorithm)
	switch k := jwk.Key.(type) {
	case *ecdsa.PrivateKey:
		return ecKey(&k.PublicKey, alg)
	case *ecdsa.PublicKey:
		return ecKey(k, alg)
	case ed25519.PrivateKey:
		return edKey(k.Public().(ed25519.PublicKey), alg)
	case ed25519.PublicKey:
		return edKey(k, alg)
	case *rsa.PrivateKey:
		return rsaKey(&k.PublicKey, alg)
	case *rsa.PublicKey:
		return rsaKey(k, alg)
	}
	return key{}, false
}

func ecKey(pub *ecdsa.PublicKey, alg jose.SignatureAlgorithm) (key, bool) {
	var want jose.SignatureAlgorithm
	switch pub.Curve {
	case elliptic.P256():
		want = jose.ES256
	case elliptic.P384():
		want = jose.ES384
	case elliptic.P521():
		want = jose.ES512
	default:
		return key{}, false
	}
	if alg != "" && alg != want {
		return key{}, false
	}
	return key{alg: want, pub: pub}, true
}

func edKey(pub ed25519.PublicKey, alg jose.SignatureAlgorithm) (key, bool) {
	if (alg != "" && alg != jose.EdDSA) || len(pub) != ed25519.PublicKeySize {
		return key{}, false
	}
	return key{alg: jose.EdDSA, pub: pub}, true
}

func rsaKey(pub *rsa.PublicKey, alg jose.SignatureAlgorithm) (key, bool) {
	if pub.N.BitLen() < 2048 {
		return key{}, false
	}
	switch alg {
	case "":
		alg = jose.RS256
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
	default:
		return key{}, false
	}
	return key{alg: alg, pub: pub}, true
}

// removedKeys reports whether a key of prev is not in next.
func removedKeys(prev, next *keySet) bool {
	for kid, ks := range prev.byKID {
		if len(next.byKID[kid]) < len(ks) {
			return true
		}
	}
	return false
}

func (c *tokenCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.entries)
		s.mu.Unlock()
	}
}
