package clientauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/jwk"
	"github.com/monban/monban/internal/jws"
)

// Defaults of KeysConfig.
const (
	DefaultKeysTTL        = 10 * time.Minute
	DefaultKeysMinRefetch = 30 * time.Second
	DefaultKeysMaxSets    = 1024
	// maxJWKSBody bounds what is read of a client's key set.
	maxJWKSBody = 64 << 10
	// jwksFetchTimeout bounds one fetch of a client's key set.
	jwksFetchTimeout = 5 * time.Second
)

// KeysConfig configures Keys.
type KeysConfig struct {
	// Egress decides which addresses a jwks_uri may reach; nil: public
	// addresses only.
	Egress *egress.Guard
	// TTL is how long a fetched key set is used before it is fetched
	// again; MinRefetch the least time between two fetches of one set
	// (an assertion naming an unknown kid fetches again, at most that
	// often); MaxSets how many sets are cached (the least recently
	// fetched is dropped). Zero takes the defaults.
	TTL, MinRefetch time.Duration
	MaxSets         int
}

// Keys finds the public keys of an application: the ones it registered,
// or those at its jwks_uri, fetched under the egress policy and cached.
type Keys struct {
	cfg    KeysConfig
	client *http.Client

	mu   sync.Mutex
	sets map[string]*remoteSet // by URL
}

// remoteSet is the cached key set at one jwks_uri.
type remoteSet struct {
	mu          sync.Mutex // held while fetching
	keys        []jwk.Key
	fetched     time.Time // of keys; zero before the first success
	lastAttempt time.Time
}

// NewKeys returns a Keys.
func NewKeys(cfg KeysConfig) *Keys {
	if cfg.Egress == nil {
		cfg.Egress = egress.New(egress.Policy{})
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultKeysTTL
	}
	if cfg.MinRefetch <= 0 {
		cfg.MinRefetch = DefaultKeysMinRefetch
	}
	if cfg.MaxSets <= 0 {
		cfg.MaxSets = DefaultKeysMaxSets
	}
	return &Keys{
		cfg: cfg,
		client: &http.Client{
			Transport: cfg.Egress.Transport(), Timeout: jwksFetchTimeout,
			// A redirect is not followed: the set must be where it was
			// registered.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		sets: map[string]*remoteSet{},
	}
}

// ErrKeysUnavailable means an app's jwks_uri could not be fetched (or is
// refused by the egress policy) and no earlier copy is at hand.
var ErrKeysUnavailable = errors.New("the client's key set could not be fetched")

// verify checks a signature by the app's keys: the one with the header's
// kid (or, without a kid, each that allows the algorithm), fetching the
// app's jwks_uri again when the kid is unknown.
func (k *Keys) verify(ctx context.Context, app *catalog.App, h jws.Header, input string, sig []byte, now time.Time) error {
	if app.JWKSURI == "" {
		if try(registeredKeys(app, now), h, input, sig) {
			return nil
		}
		return wrap(errAssertionKey)
	}
	set := k.set(app.JWKSURI)
	keys, err := set.get(ctx, k, app.JWKSURI, h.Kid, now)
	if err != nil {
		return errors.Join(ErrInvalidClient, ErrKeysUnavailable, err)
	}
	if try(keys, h, input, sig) {
		return nil
	}
	return wrap(errAssertionKey)
}

// try reports whether a key of keys, with the header's kid if it names
// one, verifies the signature.
func try(keys []jwk.Key, h jws.Header, input string, sig []byte) bool {
	for _, key := range keys {
		if (h.Kid == "" || key.Kid == h.Kid) && key.Allows(h.Alg) && jws.Verify(h.Alg, key.Pub, input, sig) {
			return true
		}
	}
	return false
}

func hasKid(keys []jwk.Key, kid string) bool {
	for _, key := range keys {
		if kid == "" || key.Kid == kid {
			return true
		}
	}
	return false
}

// set returns the cache entry of a URL, making room when the cache is full.
func (k *Keys) set(u string) *remoteSet {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s := k.sets[u]; s != nil {
		return s
	}
	if len(k.sets) >= k.cfg.MaxSets {
		var oldest string
		var at time.Time
		for key, s := range k.sets {
			s.mu.Lock()
			t := s.lastAttempt
			s.mu.Unlock()
			if oldest == "" || t.Before(at) {
				oldest, at = key, t
			}
		}
		delete(k.sets, oldest)
	}
	s := &remoteSet{}
	k.sets[u] = s
	return s
}

// get returns the set's keys, fetching them when there are none yet, they
// are older than the TTL, or kid is not among them, but never twice within
// MinRefetch.
func (s *remoteSet) get(ctx context.Context, k *Keys, u, kid string, now time.Time) ([]jwk.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fresh := !s.fetched.IsZero() && now.Sub(s.fetched) < k.cfg.TTL
	if fresh && hasKid(s.keys, kid) {
		return s.keys, nil
	}
	if !s.lastAttempt.IsZero() && now.Sub(s.lastAttempt) < k.cfg.MinRefetch {
		if s.fetched.IsZero() {
			return nil, errors.New("fetched less than the least interval ago, without success")
		}
		return s.keys, nil
	}
	s.lastAttempt = now
	keys, err := k.fetch(ctx, u)
	if err != nil {
		if s.fetched.IsZero() {
			return nil, err
		}
		return s.keys, nil // keep using the set fetched before
	}
	s.keys, s.fetched = keys, now
	return keys, nil
}

// fetch gets and parses the key set at u.
func (k *Keys) fetch(ctx context.Context, raw string) ([]jwk.Key, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if err := k.cfg.Egress.CheckURL(u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	res, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxJWKSBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKSBody {
		return nil, fmt.Errorf("larger than %d bytes", maxJWKSBody)
	}
	return jwk.ParseSet(body)
}
