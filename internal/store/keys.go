package store

import (
	"context"
	"time"
)

// SigningKeyStore keeps the token signing keys. RotateSigningKeys, in one
// transaction, marks every current key previous (RetiredAt = now), deletes
// previous keys retired before dropBefore, and inserts next as current.
type SigningKeyStore interface {
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	CreateSigningKey(ctx context.Context, key SigningKey) error
	RotateSigningKeys(ctx context.Context, next SigningKey, now, dropBefore time.Time) error
}
