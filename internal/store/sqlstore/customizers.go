package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/store"
)

const customizerCols = "token_type, script, environment_variables, context_sample, token_sample, block_issuance_on_error, created_at, updated_at"

// customizerScanner returns the scanner of customizer rows, which opens the
// environment variables with box.
func customizerScanner(box *sealed.Box) func(scanner) (store.JWTCustomizer, error) {
	return func(r scanner) (store.JWTCustomizer, error) { return scanCustomizer(box, r) }
}

func scanCustomizer(box *sealed.Box, r scanner) (store.JWTCustomizer, error) {
	var (
		c                store.JWTCustomizer
		env              string
		ctxSample, token sql.NullString
		created, updated int64
	)
	if err := r.Scan(&c.TokenType, &c.Script, &env, &ctxSample, &token, &c.BlockIssuanceOnError, &created, &updated); err != nil {
		return c, err
	}
	env, err := box.OpenString(envPurpose(c.TokenType), env)
	if err != nil {
		return c, fmt.Errorf("environment variables of %s: %w", c.TokenType, err)
	}
	if err := json.Unmarshal([]byte(env), &c.EnvironmentVariables); err != nil {
		return c, fmt.Errorf("environment variables of %s: %w", c.TokenType, err)
	}
	if ctxSample.Valid {
		c.ContextSample = []byte(ctxSample.String)
	}
	if token.Valid {
		c.TokenSample = []byte(token.String)
	}
	c.CreatedAt, c.UpdatedAt = fromMillis(created), fromMillis(updated)
	return c, nil
}

func nullJSON(b []byte) sql.NullString {
	return sql.NullString{String: string(b), Valid: b != nil}
}

// PutJWTCustomizer creates or replaces the script of c.TokenType.
func (s *Store) PutJWTCustomizer(ctx context.Context, c store.JWTCustomizer) (bool, error) {
	env, err := json.Marshal(c.EnvironmentVariables)
	if err != nil {
		return false, err
	}
	if c.EnvironmentVariables == nil {
		env = []byte("{}")
	}
	box, err := s.sealer()
	var sealedEnv string
	if err == nil {
		sealedEnv, err = box.SealString(envPurpose(c.TokenType), string(env))
	}
	if err != nil {
		return false, fmt.Errorf("put jwt customizer %s: %w", c.TokenType, err)
	}
	var created bool
	err = s.change(ctx, event(store.EventJWTCustomizerPut, c.TokenType, nil), func(t txn) error {
		var n int
		if err := t.queryRow("SELECT COUNT(*) FROM jwt_customizers WHERE token_type = ?", c.TokenType).Scan(&n); err != nil {
			return err
		}
		created = n == 0
		if created {
			_, err := t.exec("INSERT INTO jwt_customizers ("+customizerCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				c.TokenType, c.Script, sealedEnv, nullJSON(c.ContextSample), nullJSON(c.TokenSample), c.BlockIssuanceOnError, millis(c.CreatedAt), millis(c.UpdatedAt))
			return err
		}
		_, err := t.exec("UPDATE jwt_customizers SET script = ?, environment_variables = ?, context_sample = ?, token_sample = ?, block_issuance_on_error = ?, updated_at = ? WHERE token_type = ?",
			c.Script, sealedEnv, nullJSON(c.ContextSample), nullJSON(c.TokenSample), c.BlockIssuanceOnError, millis(c.UpdatedAt), c.TokenType)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("put jwt customizer %s: %w", c.TokenType, err)
	}
	return created, nil
}

// GetJWTCustomizer returns the script of one token type.
func (s *Store) GetJWTCustomizer(ctx context.Context, tokenType string) (store.JWTCustomizer, error) {
	var c store.JWTCustomizer
	box, err := s.sealer()
	if err != nil {
		return c, fmt.Errorf("get jwt customizer %s: %w", tokenType, err)
	}
	err = s.read(ctx, func(t txn) error {
		var err error
		c, err = scanCustomizer(box, t.queryRow("SELECT "+customizerCols+" FROM jwt_customizers WHERE token_type = ?", tokenType))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return c, fmt.Errorf("get jwt customizer %s: %w", tokenType, err)
	}
	return c, nil
}

// ListJWTCustomizers returns every saved script, by token type.
func (s *Store) ListJWTCustomizers(ctx context.Context) ([]store.JWTCustomizer, error) {
	box, err := s.sealer()
	if err != nil {
		return nil, fmt.Errorf("list jwt customizers: %w", err)
	}
	var list []store.JWTCustomizer
	err = s.read(ctx, func(t txn) error {
		var err error
		list, err = collect(t, customizerScanner(box), "SELECT "+customizerCols+" FROM jwt_customizers ORDER BY token_type")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list jwt customizers: %w", err)
	}
	return list, nil
}

// DeleteJWTCustomizer removes the script of one token type.
func (s *Store) DeleteJWTCustomizer(ctx context.Context, tokenType string) error {
	err := s.change(ctx, event(store.EventJWTCustomizerDeleted, tokenType, nil), func(t txn) error {
		return t.execOne(store.ErrNotFound, "DELETE FROM jwt_customizers WHERE token_type = ?", tokenType)
	})
	if err != nil {
		return fmt.Errorf("delete jwt customizer %s: %w", tokenType, err)
	}
	return nil
}
