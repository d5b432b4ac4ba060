package store

import (
	"context"
	"errors"

	"github.com/monban/monban/internal/sealed"
)

// ErrLocked: a secret was to be read or written through a store opened
// without the secret key (see SecretStore.UnlockSecrets).
var ErrLocked = errors.New("the store's secrets are locked: it was opened without the secret key")

// SecretStore keeps the stored secrets (signing private keys, the settings,
// script environment variables) encrypted at rest, under data keys wrapped
// with a secret key the database does not hold. A store starts locked: until
// UnlockSecrets, reading or writing a secret fails with ErrLocked, and
// everything else works.
type SecretStore interface {
	// HasSecretKeys reports whether the database holds wrapped data keys,
	// that is, whether its secrets were encrypted under some secret key.
	HasSecretKeys(ctx context.Context) (bool, error)

	// UnlockSecrets unwraps the data keys with key, creating the first one
	// on a database that has none, and encrypts the secrets an earlier
	// version stored in the clear, all in one transaction. It returns how
	// many values it encrypted (0 once done; it is safe to run from several
	// instances at once), and sealed.ErrWrongKey when key is not the one the
	// data keys were wrapped with.
	UnlockSecrets(ctx context.Context, key sealed.Key) (encrypted int, err error)

	// RotateSecretKey re-wraps every data key, wrapped now with old, with
	// next, in one transaction, and returns how many it re-wrapped. The
	// secrets themselves are not re-encrypted. sealed.ErrWrongKey means
	// old is not the key in use.
	RotateSecretKey(ctx context.Context, old, next sealed.Key) (int, error)

	// Sealer returns the Box that seals the store's secrets, for callers that
	// keep secrets of their own; nil while the store is locked.
	Sealer() *sealed.Box
}
