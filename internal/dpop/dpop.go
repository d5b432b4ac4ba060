// Package dpop checks DPoP proofs (RFC 9449): the JWT a client signs with
// its own key for each request, so that a token bound to that key (cnf.jkt)
// is of no use to anyone without it. The token endpoint, userinfo and the
// resource servers' verifier (package protect) all check proofs here; each
// keeps its own replay record of the proofs' jti (see Replay).
package dpop

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/monban/monban/internal/jwk"
	"github.com/monban/monban/internal/jws"
)

// Type is the typ of a DPoP proof's header.
const Type = "dpop+jwt"

// Algorithms are the signature algorithms a proof may use, as discovery
// lists them (dpop_signing_alg_values_supported).
var Algorithms = []string{jws.ES256, jws.ES384, jws.ES512, jws.EdDSA, jws.RS256, jws.PS256}

// MaxLen bounds a proof; one with an RSA key of 4096 bits is under 2 KiB.
const MaxLen = 8 << 10

// maxJTILen bounds a proof's jti.
const maxJTILen = 256

// Defaults for Expect.
const (
	// DefaultWindow is how old a proof's iat may be.
	DefaultWindow = 60 * time.Second
	// DefaultLeeway is how far in the future a proof's iat may be.
	DefaultLeeway = 5 * time.Second
)

// Error is a refused proof. Its text is safe to show the client, in an
// invalid_dpop_proof error's description.
type Error struct{ Desc string }

func (e *Error) Error() string { return "dpop: " + e.Desc }

func refuse(desc string) error { return &Error{desc} }

// ErrNonce is returned (wrapped in nothing) when the server requires a
// nonce and the proof has none or a stale one: the client is to retry with
// the nonce of the DPoP-Nonce header (use_dpop_nonce).
var ErrNonce = errors.New("dpop: a fresh server nonce is required")

// Expect is what a proof must say about its request.
type Expect struct {
	Method string // htm
	URL    string // htu: the request's URL; its query and fragment are ignored
	// AccessToken, when set, is the token sent with the proof: the proof
	// must carry its hash (ath).
	AccessToken string
	// Window is how old iat may be (zero: DefaultWindow); Leeway how far
	// ahead of the clock (zero: DefaultLeeway).
	Window, Leeway time.Duration
	// Nonce, when set, says whether a proof's nonce is one the server
	// issued and still takes; a proof without one is then refused with
	// ErrNonce.
	Nonce func(string) bool
}

// Proof is a checked proof.
type Proof struct {
	JKT      string // the RFC 7638 thumbprint of its key
	JTI      string
	IssuedAt time.Time
	// Until is when the proof stops being accepted: how long its jti must
	// be remembered.
	Until time.Time
}

// ReplayID is the id under which p's jti is remembered: a hash of the key
// and the jti, so that ids are short and one client's cannot collide with
// another's.
func (p Proof) ReplayID() string {
	sum := sha256.Sum256([]byte(p.JKT + "\x00" + p.JTI))
	return "dpop:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// header is a proof's protected header.
type header struct {
	Alg  string
	Typ  string
	JWK  json.RawMessage
	Crit json.RawMessage
}

type claims struct {
	JTI   *string
	HTM   *string
	HTU   *string
	IAT   *float64
	ATH   *string
	Nonce *string
}

// Check verifies a proof against what its request must be, at now. It does
// not remember the jti: the caller records Proof.ReplayID until
// Proof.Until, and refuses an id seen before.
func Check(raw string, want Expect, now time.Time) (Proof, error) {
	if len(raw) > MaxLen {
		return Proof{}, refuse("the DPoP proof is too long")
	}
	c, err := jws.Split(raw, jws.Strict)
	if err != nil {
		return Proof{}, refuse("the DPoP proof is not a compact JWS")
	}
	h, err := readHeader(c)
	if err != nil {
		return Proof{}, err
	}
	key, err := jwk.Parse(h.JWK)
	if err != nil {
		return Proof{}, refuse("the DPoP proof's jwk is not a public signature key")
	}
	if !key.Allows(h.Alg) {
		return Proof{}, refuse("the DPoP proof's alg does not fit its jwk")
	}
	sig, err := c.Signature()
	if err != nil || !jws.Verify(h.Alg, key.Pub, c.SigningInput(), sig) {
		return Proof{}, refuse("the DPoP proof's signature is not by its jwk")
	}
	payload, err := c.Payload()
	if err != nil {
		return Proof{}, refuse("the DPoP proof's payload is malformed")
	}
	var cl claims
	if jws.UnmarshalExact(payload, map[string]any{
		"jti": &cl.JTI, "htm": &cl.HTM, "htu": &cl.HTU, "iat": &cl.IAT, "ath": &cl.ATH, "nonce": &cl.Nonce,
	}) != nil {
		return Proof{}, refuse("the DPoP proof's claims are malformed")
	}
	p, err := checkClaims(cl, want, now)
	if err != nil {
		return Proof{}, err
	}
	p.JKT = key.Thumbprint
	return p, nil
}

// readHeader decodes and checks the header: typ dpop+jwt, an algorithm of
// Algorithms, no critical extension.
func readHeader(c jws.Compact) (header, error) {
	var h header
	raw, err := base64.RawURLEncoding.Strict().DecodeString(c.RawHeader())
	if err != nil || jws.UnmarshalExact(raw, map[string]any{"alg": &h.Alg, "typ": &h.Typ, "jwk": &h.JWK, "crit": &h.Crit}) != nil {
		return h, refuse("the DPoP proof's header is malformed")
	}
	switch {
	case h.Typ != Type:
		return h, refuse("the DPoP proof's typ is not dpop+jwt")
	case !allowed(h.Alg):
		return h, refuse("the DPoP proof's alg is not one of " + strings.Join(Algorithms, ", "))
	case h.Crit != nil:
		return h, refuse("the DPoP proof has a critical header this server does not understand")
	case len(h.JWK) == 0:
		return h, refuse("the DPoP proof has no jwk")
	}
	return h, nil
}

func allowed(alg string) bool {
	for _, a := range Algorithms {
		if a == alg {
			return true
		}
	}
	return false
}

// checkClaims checks jti, htm, htu, iat, ath and nonce.
func checkClaims(cl claims, want Expect, now time.Time) (Proof, error) {
	window, leeway := want.Window, want.Leeway
	if window <= 0 {
		window = DefaultWindow
	}
	if leeway <= 0 {
		leeway = DefaultLeeway
	}
	switch {
	case cl.JTI == nil || *cl.JTI == "" || len(*cl.JTI) > maxJTILen:
		return Proof{}, refuse("the DPoP proof's jti is missing or too long")
	case cl.HTM == nil || *cl.HTM != want.Method:
		return Proof{}, refuse("the DPoP proof's htm is not the request's method")
	case cl.HTU == nil || !SameURL(*cl.HTU, want.URL):
		return Proof{}, refuse("the DPoP proof's htu is not the request's URL")
	case cl.IAT == nil || math.IsNaN(*cl.IAT) || *cl.IAT <= 0 || *cl.IAT > 1<<40:
		return Proof{}, refuse("the DPoP proof's iat is missing or malformed")
	}
	iat := time.Unix(int64(*cl.IAT), 0)
	if iat.After(now.Add(leeway)) || iat.Before(now.Add(-window)) {
		return Proof{}, refuse("the DPoP proof's iat is outside the accepted window")
	}
	if want.AccessToken != "" {
		sum := sha256.Sum256([]byte(want.AccessToken))
		ath := base64.RawURLEncoding.EncodeToString(sum[:])
		if cl.ATH == nil || subtle.ConstantTimeCompare([]byte(*cl.ATH), []byte(ath)) != 1 {
			return Proof{}, refuse("the DPoP proof's ath is missing or not the access token's hash")
		}
	}
	if want.Nonce != nil && (cl.Nonce == nil || !want.Nonce(*cl.Nonce)) {
		return Proof{}, ErrNonce
	}
	return Proof{JTI: *cl.JTI, IssuedAt: iat, Until: iat.Add(window + leeway)}, nil
}

// SameURL compares a proof's htu with the request's URL as RFC 9449 §4.3
// asks: without query and fragment, after RFC 3986's syntax- and
// scheme-based normalization (case of the scheme and host, the default
// port, an empty path as "/", percent-encodings of unreserved characters).
func SameURL(htu, request string) bool {
	a, ok1 := normalize(htu)
	b, ok2 := normalize(request)
	return ok1 && ok2 && a == b
}

func normalize(raw string) (string, bool) {
	if len(raw) > 4096 {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	path := normalizePercents(u.EscapedPath())
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}

// normalizePercents decodes the percent-encodings of unreserved
// characters and upper-cases the hex digits of the others (RFC 3986
// §6.2.2.1, §6.2.2.2); a reserved character stays encoded, so "%2F" is not
// "/".
func normalizePercents(p string) string {
	if !strings.Contains(p, "%") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+2 >= len(p) {
			b.WriteByte(p[i])
			continue
		}
		hi, lo := unhex(p[i+1]), unhex(p[i+2])
		if hi < 0 || lo < 0 {
			b.WriteByte(p[i])
			continue
		}
		c := byte(hi<<4 | lo)
		if unreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(p[i+1 : i+3]))
		}
		i += 2
	}
	return b.String()
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// ATH returns the ath of a proof sent with token: its SHA-256, base64url.
func ATH(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
