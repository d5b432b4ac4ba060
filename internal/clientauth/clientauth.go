// Package clientauth reads client credentials from a token request
// (client_secret_basic, client_secret_post or private_key_jwt) and checks
// them: secrets against the catalog's keyed secret hashes, in constant
// time; client assertions against the keys the application registered
// (AuthenticateAssertion).
package clientauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/jws"
	"github.com/monban/monban/internal/store"
)

// Method is a token endpoint client authentication method (RFC 8414 names).
type Method string

const (
	MethodBasic Method = "client_secret_basic"
	MethodPost  Method = "client_secret_post"
	MethodNone  Method = "none" // only a client_id: a public client
	// MethodPrivateKeyJWT is a client assertion signed with the client's
	// key (RFC 7523 §2.2, OIDC Core §9).
	MethodPrivateKeyJWT Method = "private_key_jwt"
)

// Credentials are what the client presented.
type Credentials struct {
	ClientID  string
	Secret    string
	Assertion string // the client_assertion of MethodPrivateKeyJWT
	Method    Method
}

// Errors of Parse and Authenticate. ErrMalformed and ErrMultipleMethods are
// the client's request mistakes (invalid_request); ErrNoCredentials and
// ErrInvalidClient fail authentication (invalid_client).
var (
	ErrMalformed       = errors.New("malformed client credentials in the Authorization header")
	ErrMultipleMethods = errors.New("more than one client authentication method used")
	ErrNoCredentials   = errors.New("no client authentication")
	ErrInvalidClient   = errors.New("client authentication failed")
)

// maxCredentialLen bounds ids and secrets; anything longer cannot be ours.
const maxCredentialLen = 512

// ErrAssertionType is a client_assertion_type other than AssertionType.
var ErrAssertionType = errors.New("unsupported client_assertion_type")

// Parse reads the client's credentials from the Authorization header
// (HTTP Basic, RFC 6749 §2.3.1: each part form-urlencoded before base64) or
// from client_id / client_secret in the request parameters.
func Parse(r *http.Request, params url.Values) (Credentials, error) {
	auth := r.Header.Get("Authorization")
	postID, postSecret := params.Get("client_id"), params.Get("client_secret")
	if params.Has("client_assertion_type") || params.Has("client_assertion") {
		return parseAssertion(auth, postID, postSecret, params)
	}
	if auth != "" {
		scheme, rest, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return Credentials{}, ErrMalformed
		}
		if postSecret != "" {
			return Credentials{}, ErrMultipleMethods
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			return Credentials{}, ErrMalformed
		}
		encID, encSecret, ok := strings.Cut(string(raw), ":")
		if !ok {
			return Credentials{}, ErrMalformed
		}
		id, err1 := url.QueryUnescape(encID)
		secret, err2 := url.QueryUnescape(encSecret)
		if err1 != nil || err2 != nil || id == "" || len(id) > maxCredentialLen || len(secret) > maxCredentialLen {
			return Credentials{}, ErrMalformed
		}
		// A client_id in the body must name the same client (RFC 6749 §3.2.1
		// allows it); a different one is an attempt to use two identities.
		if postID != "" && postID != id {
			return Credentials{}, ErrMultipleMethods
		}
		return Credentials{ClientID: id, Secret: secret, Method: MethodBasic}, nil
	}
	if postID == "" {
		return Credentials{}, ErrNoCredentials
	}
	if len(postID) > maxCredentialLen || len(postSecret) > maxCredentialLen {
		return Credentials{}, ErrInvalidClient
	}
	if postSecret == "" {
		return Credentials{ClientID: postID, Method: MethodNone}, nil
	}
	return Credentials{ClientID: postID, Secret: postSecret, Method: MethodPost}, nil
}

// parseAssertion reads a JWT client assertion (RFC 7523 §2.2): with no
// other credentials beside it, and a client_id, if any, that is the
// assertion's sub.
func parseAssertion(auth, postID, postSecret string, params url.Values) (Credentials, error) {
	switch {
	case auth != "" || postSecret != "":
		return Credentials{}, ErrMultipleMethods
	case params.Get("client_assertion_type") != AssertionType:
		return Credentials{}, ErrAssertionType
	}
	assertion := params.Get("client_assertion")
	if assertion == "" || len(assertion) > jws.MaxLen {
		return Credentials{}, ErrMalformed
	}
	id := postID
	if id == "" {
		id = AssertionSubject(assertion)
	}
	if id == "" || len(id) > maxCredentialLen {
		return Credentials{}, ErrInvalidClient
	}
	return Credentials{ClientID: id, Assertion: assertion, Method: MethodPrivateKeyJWT}, nil
}

// Claimed returns the client id a token request names, its Basic
// credentials' or else its client_id parameter, without checking anything:
// for rate limits keyed by client, which run before authentication. A Basic
// user id that is not validly percent-encoded is returned as sent.
func Claimed(r *http.Request, params url.Values) string {
	if user, _, ok := r.BasicAuth(); ok {
		if id, err := url.QueryUnescape(user); err == nil {
			return id
		}
		return user
	}
	if id := params.Get("client_id"); id != "" || !params.Has("client_assertion") {
		return id
	}
	return AssertionSubject(params.Get("client_assertion"))
}

// Hasher makes the keyed hash (HMAC-SHA-256) under which secrets are stored.
// Secrets are 256-bit random values, so a fast keyed hash is enough; a slow
// password hash would cap the token endpoint at a few hundred requests/s.
type Hasher struct {
	key []byte
	// macs are HMACs keyed with key, reset before they are put back:
	// keying one costs more than hashing a secret.
	macs sync.Pool
}

// NewHasher returns a Hasher with the server's hashing key.
func NewHasher(key []byte) *Hasher {
	h := &Hasher{key: key}
	h.macs.New = func() any { return hmac.New(sha256.New, h.key) }
	return h
}

// Hash returns the stored form of secret.
func (h *Hasher) Hash(secret string) []byte {
	m := h.macs.Get().(hash.Hash)
	m.Write([]byte(secret))
	sum := m.Sum(make([]byte, 0, sha256.Size))
	m.Reset()
	h.macs.Put(m)
	return sum
}

// dummyHash is compared against when the client is unknown, so that unknown
// clients and wrong secrets take the same path and time.
var dummyHash = make([]byte, sha256.Size)

// Authenticate checks confidential client credentials against the snapshot.
// Every failure is ErrInvalidClient, whatever the cause.
func Authenticate(snap *catalog.Snapshot, h *Hasher, c Credentials, now time.Time) (*catalog.App, error) {
	got := h.Hash(c.Secret)
	app := snap.Apps[c.ClientID]
	// An app that authenticates with private_key_jwt has no use for its
	// secrets at the token endpoint.
	if app == nil || c.Secret == "" || app.TokenEndpointAuthMethod == store.AuthPrivateKeyJWT {
		subtle.ConstantTimeCompare(got, dummyHash)
		return nil, ErrInvalidClient
	}
	match := 0
	for _, s := range app.Secrets {
		// Compare against every secret, expired ones included, and decide
		// after: the time taken does not tell which secret matched.
		eq := subtle.ConstantTimeCompare(got, s.Hash)
		if !s.Expired(now) {
			match |= eq
		}
	}
	if len(app.Secrets) == 0 {
		subtle.ConstantTimeCompare(got, dummyHash)
	}
	if match != 1 {
		return nil, ErrInvalidClient
	}
	return app, nil
}
