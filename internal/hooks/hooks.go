// Package hooks runs the custom JWT claims scripts at token issuance: it
// builds the inputs of Logto's getCustomJwtClaims (token, context,
// environment variables) from the neutral description of the token the
// protocol core hands its oidc.Customizer, runs the script with
// internal/claims, and applies Logto's semantics to the outcome. A script
// that is an Auth0 Action (claims.IsAction) gets Auth0's event instead
// (auth0.go) and Auth0's semantics for its denial.
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
	if claims.IsAction(cfg.Script) {
		res, err := c.run(ctx, cfg, in.App.ID, "", claims.Input{
			Context: credentialsExchangeInput(in), Trigger: ActionTrigger(cfg.TokenType),
		})
		return res.Claims, err
	}
	tok, scriptCtx := clientCredentialsInput(in)
	res, err := c.run(ctx, cfg, in.App.ID, "", claims.Input{Token: tok, Context: scriptCtx, JTI: in.JTI})
	return res.Claims, err
}

// AccessToken implements oidc.Customizer for user access tokens, with
// Logto's token and context: context.user (profile, custom data, roles with
// their permissions, organizations), context.application and
// context.interaction (the sign-in that produced the grant).
//
// An Auth0 Action's onExecutePostLogin gets Auth0's event instead, and may
// set claims on the ID token too.
func (c *Customizer) AccessToken(ctx context.Context, in oidc.AccessTokenInput) (oidc.CustomClaims, *oidc.Error) {
	snap := c.catalog.Load()
	cfg := snap.Customizers[store.TokenTypeAccessToken]
	if cfg == nil {
		return oidc.CustomClaims{}, nil
	}
	var input claims.Input
	if claims.IsAction(cfg.Script) {
		input = claims.Input{Context: postLoginInput(in), Trigger: ActionTrigger(cfg.TokenType)}
	} else {
		tok, scriptCtx := accessTokenInput(in, snap)
		input = claims.Input{Token: tok, Context: scriptCtx, JTI: in.JTI}
	}
	res, err := c.run(ctx, cfg, in.ClientID, in.AccountID, input)
	out := oidc.CustomClaims{Access: res.Claims}
	if in.IDToken && len(res.IDClaims) > 0 {
		out.ID = res.IDClaims
	}
	return out, err
}

// run runs cfg's script and applies Logto's semantics: a denial refuses the
// token with access_denied and the script's message; any other failure
// issues the token without custom claims, or refuses it with a generic
// invalid_request when the script is set to block issuance on error.
//
// in's token has an empty jti: the runner gets it apart (in.JTI), to know
// whether the script read it, and may answer from the result of an earlier
// run on the same input otherwise (claims.Input.Memoize). run adds the
// script's environment variables.
func (c *Customizer) run(ctx context.Context, cfg *store.JWTCustomizer, appID, userID string, in claims.Input) (claims.Result, *oidc.Error) {
	in.EnvironmentVariables, in.Memoize = cfg.EnvironmentVariables, true
	res, err := c.runner.Run(ctx, cfg.TokenType, cfg.Script, in)
	if err == nil {
		return res, nil
	}
	outcome := claims.Outcome(err)
	var denied *claims.DeniedError
	if errors.As(err, &denied) {
		c.logScript(cfg, appID, userID, outcome, 0, 0)
		return claims.Result{}, denial(denied)
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
		return claims.Result{}, &oidc.Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: "the token could not be issued"}
	}
	return claims.Result{}, nil
}

// denial is the token endpoint's refusal for a script's denial. Logto's
// api.denyAccess: 400 access_denied. An Auth0 Action's api.access.deny, as
// Auth0 answers it: a post-login Action's 403 access_denied; a
// credentials-exchange Action's code, 400 (500 for server_error). The
// description is the script's reason.
func denial(d *claims.DeniedError) *oidc.Error {
	msg := d.Message
	if msg == "" {
		msg = "access denied by the custom JWT claims script"
	}
	status := http.StatusBadRequest
	switch d.Code {
	case "":
		return &oidc.Error{Status: status, Code: "access_denied", Description: msg}
	case "access_denied":
		status = http.StatusForbidden
	case "server_error":
		status = http.StatusInternalServerError
	}
	return &oidc.Error{Status: status, Code: d.Code, Description: msg}
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
