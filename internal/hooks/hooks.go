// Package hooks runs the custom JWT claims scripts at token issuance: it
// builds the inputs of Logto's getCustomJwtClaims (token, context,
// environment variables) from the neutral description of the token the
// protocol core hands its oidc.Customizer, runs the script with
// internal/claims, and applies Logto's semantics to the outcome. Auth0's
// Actions will live beside it.
package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/claims"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/store"
)

// Customizer runs the saved custom JWT claims scripts at token issuance. It
// implements oidc.Customizer.
type Customizer struct {
	runner  *claims.Runner
	catalog *catalog.Cache
	audit   *audit.Writer
	logger  *slog.Logger
}

// New returns a Customizer that runs the scripts the catalog holds with
// runner, and writes their failures to the audit log and to logger.
func New(runner *claims.Runner, cat *catalog.Cache, aud *audit.Writer, logger *slog.Logger) *Customizer {
	return &Customizer{runner: runner, catalog: cat, audit: aud, logger: logger}
}

// ClientCredentials implements oidc.Customizer.
func (c *Customizer) ClientCredentials(ctx context.Context, in oidc.ClientCredentialsInput) (map[string]any, *oidc.Error) {
	cfg := c.catalog.Load().Customizers[store.TokenTypeClientCredentials]
	if cfg == nil {
		return nil, nil
	}
	tok, scriptCtx := clientCredentialsInput(in)
	return c.run(ctx, cfg, in.App.ID, "", in.JTI, tok, scriptCtx)
}

// AccessToken implements oidc.Customizer for user access tokens, with
// Logto's token and context: context.user (profile, custom data, roles with
// their permissions, organizations), context.application and
// context.interaction (the sign-in that produced the grant).
func (c *Customizer) AccessToken(ctx context.Context, in oidc.AccessTokenInput) (map[string]any, *oidc.Error) {
	snap := c.catalog.Load()
	cfg := snap.Customizers[store.TokenTypeAccessToken]
	if cfg == nil {
		return nil, nil
	}
	tok, scriptCtx := accessTokenInput(in, snap)
	return c.run(ctx, cfg, in.ClientID, in.AccountID, in.JTI, tok, scriptCtx)
}

// run runs cfg's script and applies Logto's semantics: a denial refuses the
// token with access_denied and the script's message; any other failure
// issues the token without custom claims, or refuses it with a generic
// invalid_request when the script is set to block issuance on error.
//
// tok's jti is empty: the runner gets it apart, to know whether the script
// read it, and may answer from the result of an earlier run on the same
// input otherwise (claims.Input.Memoize).
func (c *Customizer) run(ctx context.Context, cfg *store.JWTCustomizer, appID, userID, jti string, tok, scriptCtx any) (map[string]any, *oidc.Error) {
	res, err := c.runner.Run(ctx, cfg.TokenType, cfg.Script, claims.Input{
		Token: tok, Context: scriptCtx, EnvironmentVariables: cfg.EnvironmentVariables, JTI: jti, Memoize: true,
	})
	if err == nil {
		return res.Claims, nil
	}
	outcome := claims.Outcome(err)
	var denied *claims.DeniedError
	if errors.As(err, &denied) {
		c.logScript(cfg, appID, userID, outcome, 0, 0)
		msg := denied.Message
		if msg == "" {
			msg = "access denied by the custom JWT claims script"
		}
		return nil, &oidc.Error{Status: http.StatusBadRequest, Code: "access_denied", Description: msg}
	}
	// Only the kind of failure and where it happened: the script's message
	// is its own text, which may quote a variable's value in any form
	// (encoded, partial, short), so it never reaches a log. A test run shows
	// it to whoever runs the script.
	line, col := scriptPosition(err)
	c.logger.Warn("custom JWT claims script failed", "token_type", cfg.TokenType, "client_id", appID, "outcome", outcome,
		"line", line, "column", col, "blocking", cfg.BlockIssuanceOnError)
	c.logScript(cfg, appID, userID, outcome, line, col)
	if cfg.BlockIssuanceOnError {
		return nil, &oidc.Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: "the token could not be issued"}
	}
	return nil, nil
}

// logScript writes a script's failure or denial to the audit log: the
// outcome and, when known, the line and column in the script.
func (c *Customizer) logScript(cfg *store.JWTCustomizer, appID, userID, outcome string, line, col int) {
	key := "JwtCustomizer.ClientCredentials"
	if cfg.TokenType == store.TokenTypeAccessToken {
		key = "JwtCustomizer.AccessToken"
	}
	details := map[string]any{"outcome": outcome, "blockIssuanceOnError": cfg.BlockIssuanceOnError}
	if line > 0 {
		details["line"], details["column"] = line, col
	}
	payload, _ := json.Marshal(details)
	c.audit.Log(store.LogEntry{Key: key, Result: store.ResultError, ApplicationID: appID, UserID: userID, Payload: payload})
}

// scriptPosition is where in the script a run failed, 0 when unknown.
func scriptPosition(err error) (line, col int) {
	var se *claims.ScriptError
	var sx *claims.SyntaxError
	switch {
	case errors.As(err, &se):
		return se.Line, se.Column
	case errors.As(err, &sx):
		return sx.Line, sx.Column
	}
	return 0, 0
}
