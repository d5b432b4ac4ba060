package token

import (
	"context"
	"errors"
	"testing"
)

type countingVerifier struct{ calls int }

func (v *countingVerifier) Verify(raw string) (*Claims, error) {
	v.calls++
	return &Claims{Subject: "fresh:" + raw}, nil
}

func TestVerifyOnce(t *testing.T) {
	v := &countingVerifier{}
	remembered := &Claims{Subject: "remembered"}
	ctx := WithVerified(context.Background(), "tok", remembered, nil)

	if c, err := VerifyOnce(ctx, v, "tok"); err != nil || c != remembered || v.calls != 0 {
		t.Fatalf("same token: got %v, %v after %d verifications; want the remembered claims and none", c, err, v.calls)
	}
	// Another token in the same request is verified, never answered from
	// the remembered outcome.
	if c, _ := VerifyOnce(ctx, v, "other"); c == nil || c.Subject != "fresh:other" || v.calls != 1 {
		t.Fatalf("other token: got %v after %d verifications; want a fresh verification", c, v.calls)
	}
	if c, _ := VerifyOnce(context.Background(), v, "tok"); c == nil || c.Subject != "fresh:tok" || v.calls != 2 {
		t.Fatalf("no remembered outcome: got %v after %d verifications", c, v.calls)
	}
	// A remembered failure stays a failure.
	bad := errors.New("invalid token: revoked")
	ctx = WithVerified(context.Background(), "tok", nil, bad)
	if c, err := VerifyOnce(ctx, v, "tok"); c != nil || !errors.Is(err, bad) || v.calls != 2 {
		t.Fatalf("remembered failure: got %v, %v after %d verifications", c, err, v.calls)
	}
}
