package compat_test

import (
	"testing"
)

// The steps of par-exchange.mjs.
var parExchangeSteps = []string{
	"discovery: the PAR endpoint and the token exchange grant",
	"buildAuthorizationUrlWithPAR, the hosted sign-in page, the code exchange",
	"@logto/api subject token, exchanged once with genericGrantRequest",
	"@logto/api personal access tokens: create, list, rename, exchange, delete",
}

// openid-client pushes an authorization request (RFC 9126) and signs a
// user in through it; @logto/api makes a subject token and personal
// access tokens, which openid-client exchanges (RFC 8693) for an app that
// opted in.
func (e *env) nodePARExchange(t *testing.T) {
	requireNode(t)
	const redirect, username, password = "https://par.example/cb", "par_user", "par-correct-horse-1"
	spa := e.srv.MustCall(t, "POST", "/api/applications", map[string]any{"name": "PAR SPA", "type": "SPA",
		"oidcClientMetadata": map[string]any{"redirectUris": []string{redirect}}}, 200)["id"].(string)
	web := e.srv.MustCall(t, "POST", "/api/applications", map[string]any{"name": "Exchanger", "type": "Traditional",
		"oidcClientMetadata":   map[string]any{"redirectUris": []string{"https://exchanger.example/cb"}},
		"customClientMetadata": map[string]any{"allowTokenExchange": true}}, 200)
	userID := e.srv.MustCall(t, "POST", "/api/users", map[string]any{"username": username, "password": password}, 200)["id"].(string)
	role := e.srv.MustCall(t, "POST", "/api/roles", map[string]any{"name": "PAR reader", "description": "reads products",
		"type": "User", "scopeIds": []string{e.shop.Scopes["read:products"]}}, 200)["id"].(string)
	e.srv.MustCall(t, "POST", "/api/users/"+userID+"/roles", map[string]any{"roleIds": []string{role}}, 201)
	runSteps(t, "openid-client PAR and @logto/api token exchange (Node.js)", "par-exchange.mjs", map[string]string{
		"LOGTO_ENDPOINT": e.srv.URL, "TENANT_ID": tenant, "APP_ID": e.admin.ID, "APP_SECRET": e.admin.Secret,
		"SPA_ID": spa, "REDIRECT_URI": redirect, "WEB_ID": web["id"].(string), "WEB_SECRET": web["secret"].(string),
		"RESOURCE": shopAPI, "SCOPE": "read:products", "USERNAME": username, "PASSWORD": password, "USER_ID": userID,
	}, parExchangeSteps)
}
