package token

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/randid"
)

// Access is the content of an access token (RFC 9068).
type Access struct {
	Issuer   string
	Subject  string
	Audience string
	// AlsoAudience, when set, is a second audience: aud is then the
	// array [Audience, AlsoAudience] (Auth0's userinfo audience).
	AlsoAudience string
	ClientID     string
	// AuthorizedParty, when set, is the azp claim (Auth0's M2M tokens).
	AuthorizedParty string
	Scope           string // space-separated; omitted from the JWT when empty
	IssuedAt        time.Time
	TTL             time.Duration
	// Extra claims (from a custom claims script). One named like a
	// reserved claim (see Reserved), in any letter case, is dropped.
	Extra map[string]any
	// Confirmation, when set, binds the token to a DPoP key: cnf.jkt is
	// this RFC 7638 thumbprint (RFC 9449 §6.1).
	Confirmation string
	// Act, when set, is the act claim of a token issued by token exchange
	// (RFC 8693 §4.1): the actor, and the actors before it nested.
	Act map[string]any
}

// confirmation is the cnf claim (RFC 7800) of a DPoP-bound token.
type confirmation struct {
	JKT string `json:"jkt"`
}

type accessPayload struct {
	Jti      string        `json:"jti"`
	Sub      string        `json:"sub"`
	Iat      int64         `json:"iat"`
	Exp      int64         `json:"exp"`
	Scope    string        `json:"scope,omitempty"`
	ClientID string        `json:"client_id"`
	Iss      string        `json:"iss"`
	Aud      any           `json:"aud"`
	Azp      string        `json:"azp,omitempty"`
	Cnf      *confirmation `json:"cnf,omitempty"`
	Act      any           `json:"act,omitempty"`
}

// NewJTI returns a fresh token id.
func NewJTI() string { return randid.Secret(16) }

// MintAccess signs an access token and returns it with its expiry. jti may be
// empty, in which case a fresh one is made.
func MintAccess(s *Signer, a Access, jti string) (string, time.Time, error) {
	if jti == "" {
		jti = NewJTI()
	}
	iat := a.IssuedAt.Unix()
	exp := a.IssuedAt.Add(a.TTL)
	p := accessPayload{
		Jti: jti, Sub: a.Subject, Iat: iat, Exp: exp.Unix(), Scope: a.Scope,
		ClientID: a.ClientID, Iss: a.Issuer, Aud: a.Audience, Azp: a.AuthorizedParty,
	}
	if a.Act != nil {
		p.Act = a.Act
	}
	if a.AlsoAudience != "" {
		p.Aud = []string{a.Audience, a.AlsoAudience}
	}
	if a.Confirmation != "" {
		p.Cnf = &confirmation{JKT: a.Confirmation}
	}
	var payload []byte
	var err error
	if len(a.Extra) == 0 {
		payload, err = json.Marshal(p)
	} else {
		payload, err = mergeClaims(a.Extra, p)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("encode access token: %w", err)
	}
	tok, err := s.Sign(TypeAccessToken, payload)
	return tok, exp, err
}

// mergeClaims encodes p followed by the claims of extra that are not
// reserved (in any letter case), in key order.
func mergeClaims(extra map[string]any, p accessPayload) ([]byte, error) {
	base, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(extra))
	for k := range extra {
		if !reservedFold(k) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return base, nil
	}
	slices.Sort(names)
	out := append(make([]byte, 0, len(base)+32*len(names)), base[:len(base)-1]...)
	for _, k := range names {
		name, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(extra[k])
		if err != nil {
			return nil, err
		}
		out = append(append(append(append(out, ','), name...), ':'), value...)
	}
	return append(out, '}'), nil
}

// Leeway tolerated between clocks when checking exp, nbf and iat.
const Leeway = 30 * time.Second

// KeyVerifier verifies access tokens against the keys of the moment.
type KeyVerifier struct {
	Issuer string
	// AlsoIssuers are other issuers accepted too (the server's other face).
	AlsoIssuers []string
	// Keys returns the current key set; it is called on every verification so
	// that rotation takes effect at once.
	Keys func() *keys.Set
	Now  func() time.Time
	// Revoked, when set, reports a token revoked before its expiry (by its
	// jti); such a token fails verification.
	Revoked func(jti string) bool
}

// Verify implements Verifier.
func (v *KeyVerifier) Verify(raw string) (*Claims, error) {
	set := v.Keys()
	if set == nil {
		return nil, fmt.Errorf("%w: no keys", ErrInvalid)
	}
	h, payload, err := parseCompact(raw, set.Lookup)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(h.Typ, TypeAccessToken) && !strings.EqualFold(h.Typ, "application/"+TypeAccessToken) {
		return nil, fmt.Errorf("%w: not an access token (typ)", ErrInvalid)
	}
	c, err := decodeClaims(payload)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if err := c.checkTimes(now); err != nil {
		return nil, err
	}
	if c.Issuer != v.Issuer && !slices.Contains(v.AlsoIssuers, c.Issuer) {
		return nil, fmt.Errorf("%w: wrong issuer", ErrInvalid)
	}
	if v.Revoked != nil && c.JTI != "" && v.Revoked(c.JTI) {
		return nil, fmt.Errorf("%w: revoked", ErrInvalid)
	}
	return &c.Claims, nil
}

type decoded struct {
	Claims
	nbf, iat int64
	hasNbf   bool
	hasIat   bool
}

func decodeClaims(payload []byte) (*decoded, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: malformed claims", ErrInvalid)
	}
	d := &decoded{}
	str := func(name string, dst *string) error {
		v, ok := m[name]
		if !ok {
			return nil
		}
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%w: claim %s is not a string", ErrInvalid, name)
		}
		*dst = s
		delete(m, name)
		return nil
	}
	num := func(name string, dst *int64, present *bool) error {
		v, ok := m[name]
		if !ok {
			return nil
		}
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%w: claim %s is not a number", ErrInvalid, name)
		}
		f, err := n.Float64()
		if err != nil {
			return fmt.Errorf("%w: claim %s is not a number", ErrInvalid, name)
		}
		*dst = int64(f)
		if present != nil {
			*present = true
		}
		delete(m, name)
		return nil
	}
	var hasExp bool
	for _, err := range []error{
		str("iss", &d.Issuer), str("sub", &d.Subject), str("client_id", &d.ClientID),
		str("scope", &d.Scope), str("jti", &d.JTI),
		num("exp", &d.Expiry, &hasExp), num("iat", &d.iat, &d.hasIat), num("nbf", &d.nbf, &d.hasNbf),
	} {
		if err != nil {
			return nil, err
		}
	}
	if !hasExp {
		return nil, fmt.Errorf("%w: no exp claim", ErrInvalid)
	}
	d.IssuedAt = d.iat
	switch aud := m["aud"].(type) {
	case string:
		d.Audience = []string{aud}
	case []any:
		for _, a := range aud {
			s, ok := a.(string)
			if !ok {
				return nil, fmt.Errorf("%w: claim aud is malformed", ErrInvalid)
			}
			d.Audience = append(d.Audience, s)
		}
	case nil:
	default:
		return nil, fmt.Errorf("%w: claim aud is malformed", ErrInvalid)
	}
	delete(m, "aud")
	if len(m) > 0 {
		d.Extra = m
	}
	return d, nil
}

func (d *decoded) checkTimes(now time.Time) error {
	t := now.Unix()
	lw := int64(Leeway / time.Second)
	if t >= d.Expiry+lw {
		return fmt.Errorf("%w: expired", ErrInvalid)
	}
	if d.hasNbf && d.nbf > t+lw {
		return fmt.Errorf("%w: not valid yet", ErrInvalid)
	}
	if d.hasIat && d.iat > t+lw {
		return fmt.Errorf("%w: issued in the future", ErrInvalid)
	}
	return nil
}
