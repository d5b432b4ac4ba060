package verifycode

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Options configure a Service.
type Options struct {
	// TTL is a code's lifetime; 0 is DefaultTTL.
	TTL time.Duration
	// MaxTries is how many wrong tries a code survives; 0 is
	// DefaultMaxTries.
	MaxTries int
	// Policy, when set, is asked for the lifetime and wrong tries in force
	// (the sign-in experience's verificationCodePolicy) each time a code is
	// sent or verified; a zero field of its answer is TTL or MaxTries.
	Policy func(ctx context.Context) (Policy, error)
	// Throttle limits sending; nil is DefaultThrottle().
	Throttle *Throttle
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// DefaultTTL and DefaultMaxTries are a code's lifetime and wrong tries
// unless configured: Logto's ten minutes and five tries.
const (
	DefaultTTL      = 10 * time.Minute
	DefaultMaxTries = 5
)

// Policy is a code's lifetime and how many wrong tries it survives, as
// an administrator sets them; zero fields leave the Service's own.
type Policy struct {
	TTL      time.Duration
	MaxTries int
}

// Throttle limits how often codes are sent. A limit of 0 is no limit.
type Throttle struct {
	// Interval is the least time between two codes to one address.
	Interval time.Duration
	// Window is the period PerTarget and PerClient count over.
	Window time.Duration
	// PerTarget is the most codes sent to one address per Window.
	PerTarget int
	// PerClient is the most codes sent from one client address per Window.
	PerClient int
}

// DefaultThrottle is one code a minute to an address, at most 10 an hour
// to an address and 30 an hour from a client address.
func DefaultThrottle() Throttle {
	return Throttle{Interval: time.Minute, Window: time.Hour, PerTarget: 10, PerClient: 30}
}

// Service sends and verifies codes.
type Service struct {
	st       store.VerificationCodeStore
	d        Deliverer
	ttl      time.Duration
	maxTries int
	policy   func(ctx context.Context) (Policy, error)
	throttle Throttle
	now      func() time.Time
}

// New returns a Service that keeps codes in st and hands them to d.
func New(st store.VerificationCodeStore, d Deliverer, opts Options) *Service {
	s := &Service{st: st, d: d, ttl: opts.TTL, maxTries: opts.MaxTries, throttle: DefaultThrottle(), now: opts.Now, policy: opts.Policy}
	if s.ttl <= 0 {
		s.ttl = DefaultTTL
	}
	if s.maxTries <= 0 {
		s.maxTries = DefaultMaxTries
	}
	if opts.Throttle != nil {
		s.throttle = *opts.Throttle
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// TTL is a code's lifetime unless the policy sets another (see Limits).
func (s *Service) TTL() time.Duration { return s.ttl }

// Limits returns the lifetime and wrong tries in force: the policy's,
// over the Service's own.
func (s *Service) Limits(ctx context.Context) (Policy, error) {
	p := Policy{TTL: s.ttl, MaxTries: s.maxTries}
	if s.policy == nil {
		return p, nil
	}
	got, err := s.policy(ctx)
	if err != nil {
		return Policy{}, fmt.Errorf("verifycode: the code policy: %w", err)
	}
	if got.TTL > 0 {
		p.TTL = got.TTL
	}
	if got.MaxTries > 0 {
		p.MaxTries = got.MaxTries
	}
	return p, nil
}

// HasConnector reports whether codes can be delivered on ch.
func (s *Service) HasConnector(ch Channel) bool {
	if s.d == nil || !ch.Valid() {
		return false
	}
	if c, ok := s.d.(ChannelChecker); ok {
		return c.HasChannel(ch)
	}
	return true
}

// Minutes is a code lifetime as the messages and pages tell it: in whole
// minutes, rounded down (never more than the code lives), at least 1.
func Minutes(ttl time.Duration) int { return max(1, int(ttl/time.Minute)) }

// Send makes a fresh code for req, replacing any earlier one for the same
// (Purpose, Channel, To, Bind), and queues its delivery. Its answer never
// depends on whether an account has the address.
func (s *Service) Send(ctx context.Context, req Request) error {
	req, err := checked(req)
	if err != nil {
		return err
	}
	if !s.HasConnector(req.Channel) {
		return ErrNoConnector
	}
	lim, err := s.Limits(ctx)
	if err != nil {
		return err
	}
	if err := s.admit(ctx, req); err != nil {
		return err
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	now := s.now()
	c := store.VerificationCode{ID: randid.ID(), Key: codeKey(req), Salt: make([]byte, 16), CreatedAt: now, ExpiresAt: now.Add(lim.TTL)}
	if _, err := rand.Read(c.Salt); err != nil {
		return err
	}
	c.Hash = digest(c.Salt, c.Key, code)
	if err := s.st.PutVerificationCode(ctx, c); err != nil {
		return fmt.Errorf("verifycode: store the code: %w", err)
	}
	m := Message{Channel: req.Channel, To: req.To, Purpose: req.Purpose, Locale: req.Locale, Code: code, ApplicationID: req.ApplicationID,
		Vars: map[string]string{"minutes": strconv.Itoa(Minutes(lim.TTL))}, ExpiresAt: c.ExpiresAt}
	if err := s.d.Deliver(ctx, m); err != nil {
		return fmt.Errorf("verifycode: queue the message: %w", err)
	}
	return nil
}

// Verify checks code against the one sent for exactly req's (Purpose,
// Channel, To, Bind) and consumes it on success. Every try, right or
// wrong, is counted before the code is compared, so parallel guesses get
// no more than the wrong tries in force between them; of parallel right answers exactly
// one succeeds (the others get ErrNotFound).
func (s *Service) Verify(ctx context.Context, req Request, code string) error {
	req, err := checked(req)
	if err != nil {
		return err
	}
	c, err := s.st.GetVerificationCode(ctx, codeKey(req))
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("verifycode: read the code: %w", err)
	}
	lim, err := s.Limits(ctx)
	if err != nil {
		return err
	}
	// A code expires at the lifetime it was sent with, or sooner when the
	// policy has since been shortened (Logto judges the age of a code by
	// the policy in force when it is verified).
	if !s.now().Before(c.ExpiresAt) || !s.now().Before(c.CreatedAt.Add(lim.TTL)) {
		return ErrExpired
	}
	tries, counted, err := s.st.CountVerificationTry(ctx, c.ID, lim.MaxTries)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrNotFound
	case err != nil:
		return fmt.Errorf("verifycode: count the try: %w", err)
	case !counted:
		return ErrExhausted // no try was left: the code is not even compared
	}
	if !wellFormed(code) || !hmac.Equal(digest(c.Salt, c.Key, code), c.Hash) {
		if tries >= lim.MaxTries {
			return ErrExhausted
		}
		return ErrMismatch
	}
	if err := s.st.ConsumeVerificationCode(ctx, c.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		}
		return fmt.Errorf("verifycode: consume the code: %w", err)
	}
	return nil
}

// checked validates req and normalizes its address.
func checked(req Request) (Request, error) {
	if !req.Purpose.Valid() || !req.Channel.Valid() || req.Bind == "" || len(req.Bind) > 512 {
		return req, ErrInvalidRequest
	}
	to, err := Normalize(req.Channel, req.To)
	if err != nil {
		return req, err
	}
	req.To = to
	return req, nil
}

// codeDigits is the length of a code.
const codeDigits = 6

// newCode returns six uniformly random digits.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("verifycode: random code: %w", err)
	}
	return fmt.Sprintf("%0*d", codeDigits, n.Int64()), nil
}

// wellFormed reports whether code has the form of a code, so that other
// input is refused without being hashed.
func wellFormed(code string) bool {
	if len(code) != codeDigits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// codeKey names what a code is for, hashed so that the table holds no
// address in the clear.
func codeKey(req Request) string {
	return hashOf("code", string(req.Purpose), string(req.Channel), req.To, req.Bind)
}

// digest is the stored form of a code: HMAC-SHA-256 under the row's salt
// of the code and the key it belongs to.
func digest(salt []byte, key, code string) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(key))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}

// hashOf hashes length-prefixed parts, so no two lists of parts collide.
func hashOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}
