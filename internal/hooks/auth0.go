package hooks

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/monban/monban/internal/auth0shape"
	"github.com/monban/monban/internal/claims"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/store"
)

// Auth0 Actions' event objects. Only what Monban knows is there; the
// fields follow Auth0's names. The event's secrets are the saved
// environment variables, given to the sandbox apart (claims.Input).

// actionClient is event.client.
type actionClient struct {
	ClientID string         `json:"client_id"`
	Name     string         `json:"name"`
	Metadata map[string]any `json:"metadata"`
}

// actionResourceServer is event.resource_server.
type actionResourceServer struct {
	Identifier string `json:"identifier"`
}

// actionRequest is event.request: the token request, without its secrets.
type actionRequest struct {
	IP        string              `json:"ip"`
	Hostname  string              `json:"hostname"`
	UserAgent string              `json:"user_agent,omitempty"`
	Language  string              `json:"language,omitempty"`
	Method    string              `json:"method"`
	Query     map[string][]string `json:"query"`
	Body      map[string][]string `json:"body"`
}

// actionTransaction is event.transaction.
type actionTransaction struct {
	Protocol        string   `json:"protocol,omitempty"`
	RequestedScopes []string `json:"requested_scopes"`
}

// credentialsExchangeEvent is the event of onExecuteCredentialsExchange.
type credentialsExchangeEvent struct {
	Client         actionClient         `json:"client"`
	Request        actionRequest        `json:"request"`
	ResourceServer actionResourceServer `json:"resource_server"`
	Transaction    actionTransaction    `json:"transaction"`
}

// postLoginEvent is the event of onExecutePostLogin.
type postLoginEvent struct {
	Authorization  actionAuthorization  `json:"authorization"`
	Client         actionClient         `json:"client"`
	Connection     actionConnection     `json:"connection"`
	Request        actionRequest        `json:"request"`
	ResourceServer actionResourceServer `json:"resource_server"`
	Stats          actionStats          `json:"stats"`
	Transaction    actionTransaction    `json:"transaction"`
	User           auth0shape.User      `json:"user"`
}

type actionAuthorization struct {
	Roles []string `json:"roles"`
}

type actionConnection struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Strategy string `json:"strategy"`
}

type actionStats struct {
	LoginsCount int `json:"logins_count"`
}

// secretParams are the request parameters an Action never sees.
var secretParams = []string{
	"client_secret", "client_assertion", "password", "code", "code_verifier", "refresh_token",
	"subject_token", "actor_token", "assertion",
}

// withoutSecrets is v without the secret parameters, never nil.
func withoutSecrets(v url.Values) map[string][]string {
	out := map[string][]string{}
	for k, vs := range v {
		if !slices.Contains(secretParams, strings.ToLower(k)) {
			out[k] = vs
		}
	}
	return out
}

func actionRequestOf(r oidc.RequestInfo) actionRequest {
	return actionRequest{
		IP: r.IP, Hostname: r.Hostname, UserAgent: r.UserAgent, Language: r.Language, Method: r.Method,
		Query: withoutSecrets(r.Query), Body: withoutSecrets(r.Body),
	}
}

func actionClientOf(app store.Application) actionClient {
	return actionClient{ClientID: app.ID, Name: app.Name, Metadata: auth0shape.Object(app.CustomData)}
}

// requestedScopes is the scope the token request asked for, as a list, or
// else the token's (a code or refresh token request names none).
func requestedScopes(r oidc.RequestInfo, tokenScope string) []string {
	s := strings.Fields(r.Body.Get("scope"))
	if len(s) == 0 {
		s = strings.Fields(tokenScope)
	}
	if s == nil {
		s = []string{}
	}
	return s
}

// credentialsExchangeInput is the event of a credentials-exchange Action
// for in.
func credentialsExchangeInput(in oidc.ClientCredentialsInput) credentialsExchangeEvent {
	return credentialsExchangeEvent{
		Client: actionClientOf(in.App), Request: actionRequestOf(in.Request),
		ResourceServer: actionResourceServer{Identifier: in.Audience},
		Transaction:    actionTransaction{RequestedScopes: requestedScopes(in.Request, "")},
	}
}

// Auth0's transaction.protocol for each user grant.
var grantProtocols = map[string]string{
	"authorization_code": "oidc-basic-profile",
	"refresh_token":      "oauth2-refresh-token",
	"password":           "oauth2-password",
	"http://auth0.com/oauth/grant-type/password-realm": "oauth2-password",
	oidc.DeviceCodeGrantType:                           "oauth2-device-code",
}

// postLoginInput is the event of a post-login Action for in: the user in
// Auth0's shape and the names of the roles they hold.
func postLoginInput(in oidc.AccessTokenInput) postLoginEvent {
	ev := postLoginEvent{
		Authorization: actionAuthorization{Roles: []string{}},
		Client:        actionClientOf(in.App),
		Connection:    actionConnection{ID: auth0shape.ConnectionID, Name: auth0shape.ConnectionName, Strategy: "auth0"},
		Request:       actionRequestOf(in.Request),
		Transaction:   actionTransaction{Protocol: grantProtocols[in.GrantType], RequestedScopes: requestedScopes(in.Request, in.Scope)},
	}
	if in.Audience != "" {
		ev.ResourceServer.Identifier = in.Audience
	}
	for _, r := range in.Roles {
		if r.Type.GivenTo(store.HolderUser) {
			ev.Authorization.Roles = append(ev.Authorization.Roles, r.Name)
		}
	}
	if in.User != nil {
		ev.User = auth0shape.UserOf(*in.User)
		ev.Stats.LoginsCount = in.User.LoginsCount
	}
	return ev
}

// ActionTrigger is the Auth0 Actions trigger an Action saved for tokenType
// runs as: onExecuteCredentialsExchange for client credentials,
// onExecutePostLogin for user access tokens.
func ActionTrigger(tokenType string) string {
	if tokenType == store.TokenTypeClientCredentials {
		return claims.TriggerCredentialsExchange
	}
	return claims.TriggerPostLogin
}

// CheckAction refuses an Auth0 Action saved for a token type whose trigger
// it has no function for (a post-login Action for client credentials,
// say): it could only fail at every issuance. Other scripts pass.
func CheckAction(script, tokenType string) error {
	trigger := ActionTrigger(tokenType)
	if claims.IsAction(script) && !strings.Contains(script, trigger) {
		return &claims.SyntaxError{Message: "an Auth0 Action saved for " + tokenType + " tokens must assign a function to exports." + trigger}
	}
	return nil
}

// SampleEvent is the event a test run gives an Action saved for tokenType
// when the run names none: Auth0's shape, with made-up values.
func SampleEvent(tokenType string) any {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	app := store.Application{ID: "sample-app", Name: "Sample application", CreatedAt: created}
	req := oidc.RequestInfo{IP: "203.0.113.10", Hostname: "auth.example.com", UserAgent: "Mozilla/5.0", Method: "POST",
		Query: url.Values{}, Body: url.Values{"grant_type": {"client_credentials"}, "audience": {"https://api.example.com"}}}
	if tokenType == store.TokenTypeClientCredentials {
		return credentialsExchangeInput(oidc.ClientCredentialsInput{Audience: "https://api.example.com", Scope: "read:items", App: app, Request: req})
	}
	req.Body = url.Values{"grant_type": {"authorization_code"}}
	u := &store.User{ID: "sample-user", Username: "jane", PrimaryEmail: "jane@example.com", Name: "Jane Doe",
		CreatedAt: created, UpdatedAt: created, LastSignInAt: created, LoginsCount: 1}
	return postLoginInput(oidc.AccessTokenInput{Audience: "https://api.example.com", Scope: "openid read:items",
		ClientID: app.ID, AccountID: u.ID, GrantType: "authorization_code", User: u, App: app, Request: req,
		Roles: []store.Role{{ID: "sample-role", Name: "Reader", Type: store.RoleUser}}})
}
