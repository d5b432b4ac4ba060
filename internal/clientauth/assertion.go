package clientauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/jwk"
	"github.com/monban/monban/internal/jws"
	"github.com/monban/monban/internal/replay"
	"github.com/monban/monban/internal/store"
)

// AssertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 §2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// AssertionAlgorithms are the algorithms a client assertion may be signed
// with, as discovery lists them (token_endpoint_auth_signing_alg_values_supported).
var AssertionAlgorithms = []string{jws.RS256, jws.PS256, jws.ES256, jws.EdDSA}

// Bounds of a client assertion's times.
const (
	// MaxAssertionLifetime is how far ahead of now an assertion's exp may
	// be (beyond Skew): a longer-lived assertion is a reusable credential.
	MaxAssertionLifetime = 5 * time.Minute
	// Skew is the clock difference allowed on exp, iat and nbf.
	Skew = 30 * time.Second
	// maxAssertionJTI bounds an assertion's jti.
	maxAssertionJTI = 256
)

// AssertionCheck is what an assertion is held to.
type AssertionCheck struct {
	// Audiences are the values of which aud must hold one: the issuer and
	// the token endpoint's URL of the face the request came to.
	Audiences []string
	Keys      *Keys
	Replay    replay.Cache
	Now       time.Time
}

// assertionClaims are the claims read from an assertion.
type assertionClaims struct {
	Iss, Sub, JTI *string
	Aud           json.RawMessage
	Exp, Iat, Nbf *float64
}

// Why an assertion is refused: never shown to the client (every failure is
// invalid_client), but logged at debug level and tested.
var (
	errAssertion       = errors.New("malformed client assertion")
	errAssertionAlg    = errors.New("client assertion algorithm not allowed")
	errAssertionKey    = errors.New("no registered key verifies the client assertion")
	errAssertionClaims = errors.New("client assertion claims refused")
	errAssertionReplay = errors.New("client assertion replayed")
)

// AssertionSubject returns the sub of an assertion without checking
// anything, to find the client when the request has no client_id.
func AssertionSubject(raw string) string {
	c, err := jws.Split(raw, jws.Strict)
	if err != nil {
		return ""
	}
	payload, err := c.Payload()
	if err != nil {
		return ""
	}
	var sub string
	if jws.UnmarshalExact(payload, map[string]any{"sub": &sub}) != nil || len(sub) > maxCredentialLen {
		return ""
	}
	return sub
}

// AuthenticateAssertion checks a private_key_jwt client assertion
// (RFC 7523 §3, OIDC Core §9) of the app: signed with one of its keys by an
// allowed algorithm, iss and sub its id, aud naming this server, exp
// present and near, iat and nbf not ahead, and its jti never seen before
// (recorded until exp). Every failure is ErrInvalidClient, wrapping the
// reason.
func AuthenticateAssertion(ctx context.Context, app *catalog.App, raw string, chk AssertionCheck) error {
	if app == nil || app.TokenEndpointAuthMethod != store.AuthPrivateKeyJWT {
		return ErrInvalidClient
	}
	c, err := jws.Split(raw, jws.Strict)
	if err != nil {
		return wrap(errAssertion)
	}
	h, err := c.Header()
	if err != nil || h.Critical() {
		return wrap(errAssertion)
	}
	if !slices.Contains(AssertionAlgorithms, h.Alg) {
		return wrap(errAssertionAlg)
	}
	sig, err := c.Signature()
	if err != nil {
		return wrap(errAssertion)
	}
	if err := chk.Keys.verify(ctx, app, h, c.SigningInput(), sig, chk.Now); err != nil {
		return err
	}
	payload, err := c.Payload()
	if err != nil {
		return wrap(errAssertion)
	}
	exp, jti, err := checkAssertionClaims(payload, app.ID, chk)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(app.ID + "\x00" + jti))
	switch err := chk.Replay.UseOnce(ctx, "assertion:"+base64.RawURLEncoding.EncodeToString(sum[:]), exp.Add(Skew)); {
	case errors.Is(err, replay.ErrReplayed):
		return wrap(errAssertionReplay)
	case err != nil:
		return err // not the client's fault: the caller answers so
	}
	return nil
}

func wrap(reason error) error { return errors.Join(ErrInvalidClient, reason) }

// checkAssertionClaims checks the claims and returns exp and jti.
func checkAssertionClaims(payload []byte, clientID string, chk AssertionCheck) (time.Time, string, error) {
	var cl assertionClaims
	if jws.UnmarshalExact(payload, map[string]any{
		"iss": &cl.Iss, "sub": &cl.Sub, "jti": &cl.JTI, "aud": &cl.Aud, "exp": &cl.Exp, "iat": &cl.Iat, "nbf": &cl.Nbf,
	}) != nil {
		return time.Time{}, "", wrap(errAssertion)
	}
	now := chk.Now
	exp, okExp := numericDate(cl.Exp)
	iat, okIat := numericDate(cl.Iat)
	nbf, okNbf := numericDate(cl.Nbf)
	switch {
	case cl.Iss == nil || cl.Sub == nil || *cl.Iss != clientID || *cl.Sub != clientID:
		return time.Time{}, "", wrap(errors.Join(errAssertionClaims, errors.New("iss and sub must be the client id")))
	case !audienceHolds(cl.Aud, chk.Audiences):
		return time.Time{}, "", wrap(errors.Join(errAssertionClaims, errors.New("aud names another server")))
	case !okExp || exp.IsZero():
		return time.Time{}, "", wrap(errors.Join(errAssertionClaims, errors.New("exp missing")))
	case !now.Before(exp.Add(Skew)):
		return time.Time{}, "", wrap(errors.Join(errAssertionClaims, errors.New("expired")))
	case exp.After(now.Add(MaxAssertionLifetime + Skew)):
		return time.Time{}, "", wrap(errors.Join(errAssertionClaims, errors.New("exp too far ahead")))
	case !okIat || iat.After(now.Add(Skew)):
		return time.Time{}, "", wrap(errors.Join(errAssertionClaims, errors.New("iat ahead")))
	case !okNbf || nbf.After(now.Add(Skew)):
		return time.Time{}, "", wrap(errors.Join(errAssertionClaims, errors.New("not valid yet")))
	case cl.JTI == nil || *cl.JTI == "" || len(*cl.JTI) > maxAssertionJTI:
		return time.Time{}, "", wrap(errors.Join(errAssertionClaims, errors.New("jti missing")))
	}
	return exp, *cl.JTI, nil
}

// audienceHolds reports whether aud (a string or an array of strings)
// holds one of want.
func audienceHolds(aud json.RawMessage, want []string) bool {
	var one string
	if json.Unmarshal(aud, &one) == nil {
		return slices.Contains(want, one)
	}
	var list []string
	if json.Unmarshal(aud, &list) != nil || len(list) > 16 {
		return false
	}
	for _, a := range list {
		if slices.Contains(want, a) {
			return true
		}
	}
	return false
}

// numericDate reads a NumericDate; absent is the zero time and ok.
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

// registeredKeys reads an app's registered keys that have not expired.
func registeredKeys(app *catalog.App, now time.Time) []jwk.Key {
	var out []jwk.Key
	for _, ck := range app.ClientKeys {
		if !ck.ExpiresAt.IsZero() && !now.Before(ck.ExpiresAt) {
			continue
		}
		if k, err := jwk.Parse(ck.JWK); err == nil {
			out = append(out, k)
		}
	}
	return out
}
