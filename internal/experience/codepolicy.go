package experience

import (
	"context"
	"encoding/json"
	"time"

	"github.com/monban/monban/internal/verifycode"
)

// Bounds of Logto's verificationCodePolicy guard.
const (
	MinCodeLifetime = 60   // seconds
	MaxCodeLifetime = 3600 // seconds
	MinCodeTries    = 1
	MaxCodeTries    = 100
)

// CodePolicy is Logto's verificationCodePolicy: how long a one-time code
// lives (expirationDuration, seconds) and how many wrong tries it survives
// (maxRetryAttempts). A missing field leaves the server's own value.
type CodePolicy struct {
	ExpirationDuration *int `json:"expirationDuration,omitempty"`
	MaxRetryAttempts   *int `json:"maxRetryAttempts,omitempty"`
}

// decodeCodePolicy reads the stored or patched policy strictly ({} and
// an absent document are the empty policy).
func decodeCodePolicy(raw json.RawMessage) (CodePolicy, error) {
	var p CodePolicy
	if len(raw) == 0 || isNull(raw) {
		return p, nil
	}
	err := strictDecode(raw, &p)
	return p, err
}

// checkCodePolicy holds verificationCodePolicy to Logto's guard: integers,
// 60 to 3600 seconds and 1 to 100 tries.
func checkCodePolicy(st Settings) error {
	p, err := decodeCodePolicy(st.VerificationCodePolicy)
	if err != nil {
		return invalid("verificationCodePolicy: " + plain(err))
	}
	if d := p.ExpirationDuration; d != nil && (*d < MinCodeLifetime || *d > MaxCodeLifetime) {
		return invalid("verificationCodePolicy.expirationDuration must be 60 to 3600 seconds")
	}
	if n := p.MaxRetryAttempts; n != nil && (*n < MinCodeTries || *n > MaxCodeTries) {
		return invalid("verificationCodePolicy.maxRetryAttempts must be 1 to 100")
	}
	return nil
}

// CodeLimits returns the code lifetime and wrong tries the sign-in
// experience sets; zero for what it leaves to the server.
func (st Settings) CodeLimits() (ttl time.Duration, maxTries int) {
	p, err := decodeCodePolicy(st.VerificationCodePolicy)
	if err != nil { // Check refuses such a policy; a stored one is not trusted
		return 0, 0
	}
	if p.ExpirationDuration != nil {
		ttl = time.Duration(*p.ExpirationDuration) * time.Second
	}
	if p.MaxRetryAttempts != nil {
		maxTries = *p.MaxRetryAttempts
	}
	return ttl, maxTries
}

// CodePolicy returns the code lifetime and wrong tries in force, for
// verifycode.Options.Policy.
func (s *Service) CodePolicy(ctx context.Context) (verifycode.Policy, error) {
	st, err := s.Get(ctx)
	if err != nil {
		return verifycode.Policy{}, err
	}
	ttl, tries := st.CodeLimits()
	return verifycode.Policy{TTL: ttl, MaxTries: tries}, nil
}
