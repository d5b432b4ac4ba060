package server

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

// customizer runs the saved custom JWT claims scripts at token issuance.
type customizer struct {
	runner  *claims.Runner
	catalog *catalog.Cache
	audit   *audit.Writer
	logger  *slog.Logger
}

// scriptApplication is the application as a script sees it (Logto's
// shape), never with a secret. Fields are in alphabetical order, as the
// keys of a map would be.
type scriptApplication struct {
	CreatedAt    int64  `json:"createdAt"`
	Description  string `json:"description"`
	ID           string `json:"id"`
	IsThirdParty bool   `json:"isThirdParty"`
	Name         string `json:"name"`
	Type         string `json:"type"`
}

func applicationContext(app store.Application) scriptApplication {
	return scriptApplication{
		CreatedAt: app.CreatedAt.UnixMilli(), Description: app.Description, ID: app.ID,
		Name: app.Name, Type: string(app.Type),
	}
}

// clientCredentialsToken and clientCredentialsContext are the token and
// context of Logto's client-credentials script. Structs, not maps: the
// input is encoded at every issuance. JTI stays empty: it holds the claim's
// place, and the runner is given the value apart (see run).
type clientCredentialsToken struct {
	Aud      string `json:"aud"`
	ClientID string `json:"clientId"`
	JTI      string `json:"jti"`
	Kind     string `json:"kind"`
	Scope    string `json:"scope,omitempty"`
}

type clientCredentialsContext struct {
	Application scriptApplication `json:"application"`
}

// ClientCredentials implements oidc.Customizer.
func (c *customizer) ClientCredentials(ctx context.Context, in oidc.ClientCredentialsInput) (map[string]any, *oidc.Error) {
	cfg := c.catalog.Load().Customizers[store.TokenTypeClientCredentials]
	if cfg == nil {
		return nil, nil
	}
	tok := clientCredentialsToken{Aud: in.Audience, ClientID: in.App.ID, Kind: "ClientCredentials", Scope: in.Scope}
	return c.run(ctx, cfg, in.App.ID, "", in.JTI, tok, clientCredentialsContext{Application: applicationContext(in.App)})
}

// AccessToken implements oidc.Customizer for user access tokens, with
// Logto's token and context: context.user (profile, custom data, roles with
// their permissions, organizations), context.application and
// context.interaction (the sign-in that produced the grant).
func (c *customizer) AccessToken(ctx context.Context, in oidc.AccessTokenInput) (map[string]any, *oidc.Error) {
	cfg := c.catalog.Load().Customizers[store.TokenTypeAccessToken]
	if cfg == nil {
		return nil, nil
	}
	tok := map[string]any{
		"jti": "", "aud": in.Audience, "scope": in.Scope, "clientId": in.ClientID,
		"accountId": in.AccountID, "expiresWithSession": false, "grantId": in.GrantID,
		"gty": in.GrantType, "kind": "AccessToken",
	}
	scriptCtx := map[string]any{"user": in.User, "application": applicationContext(in.App)}
	if in.Interaction != nil {
		scriptCtx["interaction"] = in.Interaction
	}
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
func (c *customizer) run(ctx context.Context, cfg *store.JWTCustomizer, appID, userID, jti string, tok, scriptCtx any) (map[string]any, *oidc.Error) {
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
func (c *customizer) logScript(cfg *store.JWTCustomizer, appID, userID, outcome string, line, col int) {
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
