package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/monban/monban/internal/store"
)

func decodeList(raw, what string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("malformed %s column: %w", what, err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// Sessions.

const sessionCols = "id, user_id, auth_time, sign_in_id, identifier_type, identifier_value, created_at, expires_at, interaction"

func scanSession(r scanner) (store.Session, error) {
	var (
		ss                     store.Session
		auth, created, expires int64
		signIn                 string
	)
	if err := r.Scan(&ss.ID, &ss.UserID, &auth, &ss.SignIn.VerificationID, &ss.SignIn.IdentifierType,
		&ss.SignIn.IdentifierValue, &created, &expires, &signIn); err != nil {
		return ss, err
	}
	if err := decodeSignIn(signIn, &ss.SignIn); err != nil {
		return ss, err
	}
	ss.AuthTime, ss.CreatedAt, ss.ExpiresAt = fromMillis(auth), fromMillis(created), fromMillis(expires)
	return ss, nil
}

// CreateSession stores a session; an unknown user is ErrNotFound.
func (s *Store) CreateSession(ctx context.Context, ss store.Session) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.exists(notFound("user", ss.UserID), "users", ss.UserID); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO sessions ("+sessionCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			ss.ID, ss.UserID, millis(ss.AuthTime), ss.SignIn.VerificationID, ss.SignIn.IdentifierType,
			ss.SignIn.IdentifierValue, millis(ss.CreatedAt), millis(ss.ExpiresAt), encodeSignIn(ss.SignIn))
		return err
	})
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// GetSession returns the session with the id.
func (s *Store) GetSession(ctx context.Context, id string) (store.Session, error) {
	return getOne(ctx, s, "get session", "session", "", scanSession, "SELECT "+sessionCols+" FROM sessions WHERE id = ?", id)
}

// DeleteSession deletes a session; an unknown one is ErrNotFound.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("session", ""), "DELETE FROM sessions WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// Grants.

const grantCols = "id, user_id, client_id, scope, resources, auth_time, sign_in_id, identifier_type, identifier_value, created_at, expires_at, interaction"

func scanGrant(r scanner) (store.Grant, error) {
	var (
		g                      store.Grant
		resources, signIn      string
		auth, created, expires int64
	)
	if err := r.Scan(&g.ID, &g.UserID, &g.ClientID, &g.Scope, &resources, &auth, &g.SignIn.VerificationID,
		&g.SignIn.IdentifierType, &g.SignIn.IdentifierValue, &created, &expires, &signIn); err != nil {
		return g, err
	}
	if err := decodeSignIn(signIn, &g.SignIn); err != nil {
		return g, err
	}
	var err error
	if g.Resources, err = decodeList(resources, "resources"); err != nil {
		return g, err
	}
	g.AuthTime, g.CreatedAt, g.ExpiresAt = fromMillis(auth), fromMillis(created), fromMillis(expires)
	return g, nil
}

// CreateGrant stores a grant and, if given, its authorization code. An
// unknown user or client is ErrNotFound.
func (s *Store) CreateGrant(ctx context.Context, g store.Grant, code *store.AuthCode) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.insertGrant(g); err != nil {
			return err
		}
		if code == nil {
			return nil
		}
		_, err := t.exec("INSERT INTO auth_codes ("+codeCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			code.ID, g.ID, code.ClientID, code.UserID, code.RedirectURI, code.Scope, jsonList(code.Resources),
			code.Nonce, code.CodeChallenge, code.Issuer, millis(code.AuthTime), millis(code.CreatedAt), millis(code.ExpiresAt),
			nullMillis(code.UsedAt), code.DPoPJKT)
		return err
	})
	if err != nil {
		return fmt.Errorf("create grant: %w", err)
	}
	return nil
}

// insertGrant inserts g, whose user and application must exist.
func (t txn) insertGrant(g store.Grant) error {
	if err := t.exists(notFound("user", g.UserID), "users", g.UserID); err != nil {
		return err
	}
	if err := t.exists(notFound("application", g.ClientID), "applications", g.ClientID); err != nil {
		return err
	}
	_, err := t.exec("INSERT INTO grants ("+grantCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		g.ID, g.UserID, g.ClientID, g.Scope, jsonList(g.Resources), millis(g.AuthTime), g.SignIn.VerificationID,
		g.SignIn.IdentifierType, g.SignIn.IdentifierValue, millis(g.CreatedAt), millis(g.ExpiresAt), encodeSignIn(g.SignIn))
	return err
}

// GetGrant returns the grant with the id.
func (s *Store) GetGrant(ctx context.Context, id string) (store.Grant, error) {
	return getOne(ctx, s, "get grant", "grant", id, scanGrant, "SELECT "+grantCols+" FROM grants WHERE id = ?", id)
}

// RevokeGrant puts the grant's unexpired access tokens on the revocation
// list and deletes it; codes, refresh tokens and the issued-token records
// go with it through ON DELETE CASCADE. An unknown grant is ErrNotFound.
func (s *Store) RevokeGrant(ctx context.Context, id string, now time.Time) error {
	err := s.change(ctx, event(store.EventGrantRevoked, id, nil), func(t txn) error {
		if _, err := t.exec(`INSERT INTO revoked_access_tokens (jti, expires_at)
			SELECT jti, expires_at FROM issued_access_tokens WHERE grant_id = ? AND expires_at > ?
			ON CONFLICT DO NOTHING`, id, millis(now)); err != nil {
			return err
		}
		return t.execOne(notFound("grant", id), "DELETE FROM grants WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("revoke grant: %w", err)
	}
	return nil
}

// record writes what a token response issued from grantID and moves the
// grant's expiry to cover it. A grant that is gone is ErrNotFound.
func (t txn) record(grantID string, issue store.Issue) error {
	var latest int64
	if rt := issue.RefreshToken; rt != nil {
		if _, err := t.exec("INSERT INTO refresh_tokens ("+refreshCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			rt.ID, grantID, rt.ClientID, rt.UserID, millis(rt.CreatedAt), millis(rt.ExpiresAt), nullMillis(rt.UsedAt), rt.DPoPJKT); err != nil {
			return err
		}
		latest = max(latest, millis(rt.ExpiresAt))
	}
	for _, at := range issue.AccessTokens {
		if _, err := t.exec("INSERT INTO issued_access_tokens (jti, grant_id, expires_at) VALUES (?, ?, ?)",
			at.JTI, grantID, millis(at.ExpiresAt)); err != nil {
			return err
		}
		latest = max(latest, millis(at.ExpiresAt))
	}
	// The grant's row is written only when its expiry moves: a refresh
	// that issues access tokens only (a refresh token that does not
	// rotate) then reads the row and leaves it, so that concurrent
	// refreshes of one grant do not conflict over it (on PostgreSQL,
	// serializable transactions writing one row fail each other).
	res, err := t.exec("UPDATE grants SET expires_at = ? WHERE id = ? AND expires_at < ?", latest, grantID, latest)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	return t.exists(notFound("grant", grantID), "grants", grantID)
}

// IssueFromGrant records issue under the grant.
func (s *Store) IssueFromGrant(ctx context.Context, grantID string, issue store.Issue) error {
	err := s.write(ctx, func(t txn) error { return t.record(grantID, issue) })
	if err != nil {
		return fmt.Errorf("issue from grant: %w", err)
	}
	return nil
}

// Authorization codes.

const codeCols = "id, grant_id, client_id, user_id, redirect_uri, scope, resources, nonce, code_challenge, issuer, auth_time, created_at, expires_at, used_at, dpop_jkt"

func scanCode(r scanner) (store.AuthCode, error) {
	var (
		c                      store.AuthCode
		resources              string
		auth, created, expires int64
		used                   sql.NullInt64
	)
	if err := r.Scan(&c.ID, &c.GrantID, &c.ClientID, &c.UserID, &c.RedirectURI, &c.Scope, &resources, &c.Nonce,
		&c.CodeChallenge, &c.Issuer, &auth, &created, &expires, &used, &c.DPoPJKT); err != nil {
		return c, err
	}
	var err error
	if c.Resources, err = decodeList(resources, "resources"); err != nil {
		return c, err
	}
	c.AuthTime, c.CreatedAt, c.ExpiresAt, c.UsedAt = fromMillis(auth), fromMillis(created), fromMillis(expires), fromNullMillis(used)
	return c, nil
}

// GetAuthCode returns the code with the id.
func (s *Store) GetAuthCode(ctx context.Context, id string) (store.AuthCode, error) {
	return getOne(ctx, s, "get authorization code", "authorization code", "", scanCode, "SELECT "+codeCols+" FROM auth_codes WHERE id = ?", id)
}

// RedeemAuthCode marks the code used and records issue, atomically; the
// conditional update makes two concurrent redemptions of one code end with
// exactly one winner.
func (s *Store) RedeemAuthCode(ctx context.Context, id string, now time.Time, issue store.Issue) error {
	err := s.write(ctx, func(t txn) error {
		var grantID string
		switch err := t.queryRow("SELECT grant_id FROM auth_codes WHERE id = ?", id).Scan(&grantID); {
		case errors.Is(err, sql.ErrNoRows):
			return notFound("authorization code", "")
		case err != nil:
			return err
		}
		if err := t.execOne(store.ErrAlreadyUsed,
			"UPDATE auth_codes SET used_at = ? WHERE id = ? AND used_at IS NULL", millis(now), id); err != nil {
			return err
		}
		return t.record(grantID, issue)
	})
	if err != nil {
		return fmt.Errorf("redeem authorization code: %w", err)
	}
	return nil
}

// Refresh tokens.

const refreshCols = "id, grant_id, client_id, user_id, created_at, expires_at, used_at, dpop_jkt"

func scanRefresh(r scanner) (store.RefreshToken, error) {
	var (
		rt               store.RefreshToken
		created, expires int64
		used             sql.NullInt64
	)
	if err := r.Scan(&rt.ID, &rt.GrantID, &rt.ClientID, &rt.UserID, &created, &expires, &used, &rt.DPoPJKT); err != nil {
		return rt, err
	}
	rt.CreatedAt, rt.ExpiresAt, rt.UsedAt = fromMillis(created), fromMillis(expires), fromNullMillis(used)
	return rt, nil
}

// GetRefreshToken returns the refresh token with the id.
func (s *Store) GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, error) {
	return getOne(ctx, s, "get refresh token", "refresh token", "", scanRefresh, "SELECT "+refreshCols+" FROM refresh_tokens WHERE id = ?", id)
}

// RotateRefreshToken marks the token used (keeping its first use time) and
// records issue, unless it was first used at or before reuseAfter.
func (s *Store) RotateRefreshToken(ctx context.Context, id string, now, reuseAfter time.Time, issue store.Issue) error {
	err := s.write(ctx, func(t txn) error {
		var grantID string
		switch err := t.queryRow("SELECT grant_id FROM refresh_tokens WHERE id = ?", id).Scan(&grantID); {
		case errors.Is(err, sql.ErrNoRows):
			return notFound("refresh token", "")
		case err != nil:
			return err
		}
		if err := t.execOne(store.ErrAlreadyUsed,
			"UPDATE refresh_tokens SET used_at = CASE WHEN used_at IS NULL THEN ? ELSE used_at END "+
				"WHERE id = ? AND (used_at IS NULL OR used_at > ?)", millis(now), id, millis(reuseAfter)); err != nil {
			return err
		}
		return t.record(grantID, issue)
	})
	if err != nil {
		return fmt.Errorf("rotate refresh token: %w", err)
	}
	return nil
}

// DeleteRefreshToken deletes one refresh token; an unknown one is
// ErrNotFound.
func (s *Store) DeleteRefreshToken(ctx context.Context, id string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("refresh token", ""), "DELETE FROM refresh_tokens WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete refresh token: %w", err)
	}
	return nil
}

// Access token revocation.

// RevokeAccessToken puts a token on the revocation list; revoking it again
// is not an error.
func (s *Store) RevokeAccessToken(ctx context.Context, rt store.RevokedAccessToken) error {
	err := s.change(ctx, event(store.EventAccessTokenRevoked, rt.JTI, &store.EventPayload{ExpiresAt: rt.ExpiresAt.UnixMilli()}), func(t txn) error {
		_, err := t.exec("INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
			rt.JTI, millis(rt.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke access token: %w", err)
	}
	return nil
}

// ListRevokedAccessTokens returns the revoked tokens that have not expired
// at now.
func (s *Store) ListRevokedAccessTokens(ctx context.Context, now time.Time) ([]store.RevokedAccessToken, error) {
	var list []store.RevokedAccessToken
	err := s.read(ctx, func(t txn) error {
		var err error
		list, err = collect(t, func(r scanner) (store.RevokedAccessToken, error) {
			var (
				rt  store.RevokedAccessToken
				exp int64
			)
			err := r.Scan(&rt.JTI, &exp)
			rt.ExpiresAt = fromMillis(exp)
			return rt, err
		}, "SELECT jti, expires_at FROM revoked_access_tokens WHERE expires_at > ? ORDER BY jti", millis(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list revoked access tokens: %w", err)
	}
	return list, nil
}

// PruneExpired deletes what expired before now, sign-in interactions
// too. Grants go last: deleting one cascades to anything of it that is
// somehow still live.
func (s *Store) PruneExpired(ctx context.Context, now time.Time) error {
	ms := millis(now)
	err := s.write(ctx, func(t txn) error {
		for _, table := range []string{"sessions", "auth_codes", "refresh_tokens", "issued_access_tokens", "revoked_access_tokens", "interactions",
			"used_jtis", "pushed_auth_requests", "device_authorizations", "subject_tokens", "grants", "verification_codes", "code_sends"} {
			if _, err := t.exec("DELETE FROM "+table+" WHERE expires_at < ?", ms); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("prune expired: %w", err)
	}
	return nil
}
