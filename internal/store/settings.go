package store

import "context"

// SettingStore keeps named settings the instances share.
type SettingStore interface {
	// EnsureSetting stores value under name unless a value is there already,
	// and returns the stored one (first writer wins across instances).
	// Settings are secrets: the values are stored encrypted.
	EnsureSetting(ctx context.Context, name, value string) (string, error)
}
