package token

import "context"

type verifiedKey struct{}

// verified is the outcome of verifying one bearer token during a request.
type verified struct {
	raw    string
	claims *Claims
	err    error
}

// WithVerified returns a context that remembers the outcome of verifying
// raw, so that a later step of the same request (the Management API after
// its rate limiter) need not verify the same token again.
func WithVerified(ctx context.Context, raw string, c *Claims, err error) context.Context {
	return context.WithValue(ctx, verifiedKey{}, verified{raw: raw, claims: c, err: err})
}

// VerifyOnce returns the outcome WithVerified remembered for raw in ctx, or
// else verifies raw with v.
func VerifyOnce(ctx context.Context, v Verifier, raw string) (*Claims, error) {
	if got, ok := ctx.Value(verifiedKey{}).(verified); ok && got.raw == raw {
		return got.claims, got.err
	}
	return v.Verify(raw)
}
