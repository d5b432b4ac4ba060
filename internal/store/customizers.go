package store

import (
	"context"
	"time"
)

// Token types a custom claims script can be saved for, with Logto's names.
const (
	TokenTypeAccessToken       = "access-token"       // user access tokens
	TokenTypeClientCredentials = "client-credentials" // M2M access tokens
)

// JWTCustomizer is the custom claims script for one token type, with its
// settings. EnvironmentVariables hold secrets: they reach the script and the
// Management API, never a log.
type JWTCustomizer struct {
	TokenType            string
	Script               string
	EnvironmentVariables map[string]string
	// ContextSample and TokenSample are JSON documents the admin keeps for
	// test runs; nil when not set.
	ContextSample        []byte
	TokenSample          []byte
	BlockIssuanceOnError bool
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// CustomizerStore persists custom claims scripts, one per token type.
type CustomizerStore interface {
	// PutJWTCustomizer creates or replaces the script of c.TokenType, and
	// reports whether it was created. CreatedAt of a replaced one is kept.
	PutJWTCustomizer(ctx context.Context, c JWTCustomizer) (created bool, err error)
	GetJWTCustomizer(ctx context.Context, tokenType string) (JWTCustomizer, error)
	ListJWTCustomizers(ctx context.Context) ([]JWTCustomizer, error)
	DeleteJWTCustomizer(ctx context.Context, tokenType string) error
}
