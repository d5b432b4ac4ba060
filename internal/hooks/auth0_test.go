package hooks

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/store"
)

func tokenRequest(params url.Values) oidc.RequestInfo {
	return oidc.RequestInfo{IP: "203.0.113.7", Hostname: "id.example.com", UserAgent: "curl/8", Method: "POST",
		Query: url.Values{"x": {"1"}}, Body: params}
}

// The credentials-exchange event: the client with its metadata, the API,
// the request without its secrets, the requested scopes.
func TestCredentialsExchangeEvent(t *testing.T) {
	in := ccInput()
	in.App.CustomData = map[string]any{"tier": "gold"}
	in.Request = tokenRequest(url.Values{"grant_type": {"client_credentials"}, "client_secret": {"s3cret"},
		"client_assertion": {"jwt"}, "scope": {"read write"}, "audience": {"https://shop.test"}})
	js, _ := json.Marshal(credentialsExchangeInput(in))
	want := `{"client":{"client_id":"m2m","name":"Robot","metadata":{"tier":"gold"}},` +
		`"request":{"ip":"203.0.113.7","hostname":"id.example.com","user_agent":"curl/8","method":"POST","query":{"x":["1"]},` +
		`"body":{"audience":["https://shop.test"],"grant_type":["client_credentials"],"scope":["read write"]}},` +
		`"resource_server":{"identifier":"https://shop.test"},"transaction":{"requested_scopes":["read","write"]}}`
	if string(js) != want {
		t.Errorf("event\n got %s\nwant %s", js, want)
	}
}

// The post-login event: the user in Auth0's shape, the names of the user's
// roles (M2M roles left out), the connection, the protocol of the grant,
// the request without password or refresh token.
func TestPostLoginEvent(t *testing.T) {
	in := atInput()
	in.Roles = append(in.Roles, store.Role{ID: "ro2", Name: "Robot", Type: store.RoleMachineToMachine})
	in.User.AppMetadata = map[string]any{"plan": "pro"}
	in.Request = tokenRequest(url.Values{"grant_type": {"password"}, "username": {"jane"}, "password": {"pw"}, "refresh_token": {"rt"}})
	ev := postLoginInput(in)
	js, _ := json.Marshal(ev)
	for _, want := range []string{
		`"authorization":{"roles":["Reader"]}`,
		`"user_id":"auth0|u1"`, `"email":"jane@example.com"`, `"email_verified":true`, `"username":"jane"`,
		`"app_metadata":{"plan":"pro"}`, `"user_metadata":{"tier":"gold"}`, `"created_at":"2026-12-02T03:00:00.000Z"`,
		`"connection":{"id":"con_monban_database","name":"Username-Password-Authentication","strategy":"auth0"}`,
		`"resource_server":{"identifier":"https://shop.test"}`,
		`"transaction":{"protocol":"oauth2-password","requested_scopes":["read"]}`,
		`"body":{"grant_type":["password"],"username":["jane"]}`,
	} {
		if !strings.Contains(string(js), want) {
			t.Errorf("event lacks %s:\n%s", want, js)
		}
	}
	for _, secret := range []string{`"pw"`, `"rt"`, "hash"} {
		if strings.Contains(string(js), secret) {
			t.Errorf("event holds %s: %s", secret, js)
		}
	}
}

// Actions run at issuance: claims on both tokens, secrets, roles; a
// denial becomes Auth0's error; Logto scripts are unchanged beside them.
func TestActionsAtIssuance(t *testing.T) {
	f := newFixture(t)
	f.script(t, store.TokenTypeClientCredentials, `exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.client.name !== 'Robot') api.access.deny('invalid_request', 'not a robot');
  api.accessToken.setCustomClaim('tier', event.secrets.TIER).accessToken.setCustomClaim('api', event.resource_server.identifier);
};`, false)
	f.script(t, store.TokenTypeAccessToken, `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('roles_seen', event.authorization.roles);
  api.idToken.setCustomClaim('https://x.test/uid', event.user.user_id);
};`, false)
	extra, err := f.c.ClientCredentials(t.Context(), ccInput())
	if err != nil || extra["tier"] != "gold" || extra["api"] != "https://shop.test" {
		t.Errorf("credentials exchange: %v, %+v", extra, err)
	}
	in := atInput()
	in.IDToken = true
	custom, err := f.c.AccessToken(t.Context(), in)
	if err != nil || custom.ID["https://x.test/uid"] != "auth0|u1" {
		t.Errorf("post-login: %+v, %+v", custom, err)
	}
	if r, _ := custom.Access["roles_seen"].([]any); len(r) != 1 || r[0] != "Reader" {
		t.Errorf("roles: %v", custom.Access)
	}
	// Without an ID token, no ID token claims.
	in.IDToken = false
	if custom, err = f.c.AccessToken(t.Context(), in); err != nil || custom.ID != nil || custom.Access == nil {
		t.Errorf("without an ID token: %+v, %+v", custom, err)
	}

	robot := ccInput()
	robot.App.Name = "Other"
	if extra, err := f.c.ClientCredentials(t.Context(), robot); extra != nil || err == nil ||
		err.Status != 400 || err.Code != "invalid_request" || err.Description != "not a robot" {
		t.Errorf("credentials-exchange denial: %v, %+v", extra, err)
	}
	f.script(t, store.TokenTypeAccessToken, `exports.onExecutePostLogin = async (event, api) => { api.access.deny('no ' + event.user.username); };`, false)
	if custom, err := f.c.AccessToken(t.Context(), atInput()); custom.Access != nil || err == nil ||
		err.Status != 403 || err.Code != "access_denied" || err.Description != "no jane" {
		t.Errorf("post-login denial: %+v, %+v", custom, err)
	}
}

// An Action is held to its token type's trigger; other scripts pass.
func TestCheckAction(t *testing.T) {
	post, cc := `exports.onExecutePostLogin = async () => {};`, `exports.onExecuteCredentialsExchange = async () => {};`
	for _, c := range []struct {
		script, tokenType string
		ok                bool
	}{
		{post, store.TokenTypeAccessToken, true},
		{post, store.TokenTypeClientCredentials, false},
		{cc, store.TokenTypeClientCredentials, true},
		{cc, store.TokenTypeAccessToken, false},
		{post + cc, store.TokenTypeClientCredentials, true},
		{`const getCustomJwtClaims = () => ({});`, store.TokenTypeClientCredentials, true},
	} {
		if err := CheckAction(c.script, c.tokenType); (err == nil) != c.ok {
			t.Errorf("CheckAction(%q, %s) = %v", c.script, c.tokenType, err)
		}
	}
}
