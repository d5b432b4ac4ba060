package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/netip"
	"strings"
	"time"
)

// SignInPolicy is the sign-in back-off: once an account has had
// AccountFree failures (an IP address IPFree) within Window, it is locked
// for Base, and each further failure doubles that, up to Max. Zero or
// negative fields take the defaults (WithDefaults).
type SignInPolicy struct {
	AccountFree int           // default 5
	IPFree      int           // default 20
	Base        time.Duration // default 1 s
	Max         time.Duration // default 15 min
	Window      time.Duration // failures older than this are forgotten; default 15 min
	MaxEntries  int           // memory bound of the in-memory counts (without a shared store); default 100 000
}

// WithDefaults returns p with each field that is not above zero set to its
// default.
func (p SignInPolicy) WithDefaults() SignInPolicy {
	p.AccountFree = orDefault(p.AccountFree, 5)
	p.IPFree = orDefault(p.IPFree, 20)
	p.Base = orDefault(p.Base, time.Second)
	p.Max = orDefault(p.Max, 15*time.Minute)
	p.Window = orDefault(p.Window, 15*time.Minute)
	p.MaxEntries = orDefault(p.MaxEntries, 100_000)
	return p
}

// orDefault returns v if it is above zero, else def.
func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// SignIn is the sign-in back-off: it counts failures per account (see
// AccountKeys) and per client address, in a FailureCounter, shared through
// Redis when the server has one, in memory otherwise.
type SignIn struct {
	counts          FailureCounter
	account, client Backoff
}

// NewSignIn returns the back-off of policy p (its defaults filled in) over
// counts; nil counts are kept in memory, in a Local of p.MaxEntries keys
// on the clock now.
func NewSignIn(p SignInPolicy, counts FailureCounter, now func() time.Time) *SignIn {
	p = p.WithDefaults()
	if counts == nil {
		counts = NewLocal(WithMaxKeys(p.MaxEntries), WithClock(now))
	}
	return &SignIn{
		counts:  counts,
		account: Backoff{Name: "signin_account", Free: p.AccountFree, Base: p.Base, Max: p.Max, Window: p.Window},
		client:  Backoff{Name: "signin_ip", Free: p.IPFree, Base: p.Base, Max: p.Max, Window: p.Window},
	}
}

// AccountKeys are the back-off keys of a sign-in attempt: the identifier
// as typed, in any case, and, when it names an account, the account's user
// id, so that the username and the e-mail address of one account share one
// count. The typed identifier counts for known accounts too: were it left
// out, an identifier that names no account only because of its case
// ("JANE" for "jane") would stay free while its lower-case twin is locked,
// telling that the twin exists. Unknown identifiers (userID "") are
// counted and locked just as known ones are, under two keys as well (the
// second one standing in for the account's), so that the back-off does the
// same work, and with Redis the same round trips, whether or not the
// account exists.
func AccountKeys(userID, identifier string) []string {
	id := identifierKey(identifier)
	if userID != "" {
		return []string{id, "u:" + userID}
	}
	return []string{id, "n" + id[1:]}
}

// identifierKey is the key of an identifier as typed: a digest, so that
// neither memory nor Redis holds what people type in the field (a password
// typed there by mistake, say).
func identifierKey(identifier string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(identifier)))
	return "a:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// SuccessKeys are the keys a successful sign-in to the account userID
// clears: the account's and those of its identifiers (username, e-mail
// address; empty ones are skipped).
func SuccessKeys(userID string, identifiers ...string) []string {
	keys := []string{"u:" + userID}
	for _, id := range identifiers {
		if id != "" {
			keys = append(keys, identifierKey(id))
		}
	}
	return keys
}

// ipKey is the back-off key of a client address: IPv6 addresses count per
// /64, as at the token endpoint, since one client commonly holds a whole
// /64.
func ipKey(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		return AddrKey(a)
	}
	return ip
}

// Wait returns how long any of the account keys (AccountKeys) or the
// client address is still locked out, or 0 when an attempt may go ahead.
func (s *SignIn) Wait(ctx context.Context, accounts []string, ip string) time.Duration {
	d := s.counts.Locked(ctx, s.client, ipKey(ip))
	for _, k := range accounts {
		d = max(d, s.counts.Locked(ctx, s.account, k))
	}
	return d
}

// Fail records a failed attempt against each of the account keys and the
// client address. It is recorded even if the client has gone away.
func (s *SignIn) Fail(ctx context.Context, accounts []string, ip string) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range accounts {
		s.counts.Fail(ctx, s.account, k)
	}
	s.counts.Fail(ctx, s.client, ipKey(ip))
}

// Succeed forgets the failures of the keys (SuccessKeys; not the client
// address's).
func (s *SignIn) Succeed(ctx context.Context, keys []string) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range keys {
		s.counts.Forget(ctx, s.account, k)
	}
}
