package hooks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/store"
)

var now = time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)

// shopSnapshot is a catalog where the User role "ro1" grants "read" on
// the Shop API, and the M2M role "ro2" grants a scope of a resource
// since deleted.
func shopSnapshot(t *testing.T) *catalog.Snapshot {
	t.Helper()
	snap, err := catalog.Build(&store.Catalog{
		Resources: []store.Resource{{ID: "r1", Name: "Shop", Indicator: "https://shop.test", AccessTokenTTL: 600, CreatedAt: now}},
		Scopes: []store.Scope{
			{ID: "s1", ResourceID: "r1", Name: "read", Description: "Read", CreatedAt: now},
			{ID: "s2", ResourceID: "r-gone", Name: "write", CreatedAt: now},
		},
		Roles: []store.Role{
			{ID: "ro1", Name: "Reader", Type: store.RoleUser, CreatedAt: now},
			{ID: "ro2", Name: "Robot", Type: store.RoleMachineToMachine, CreatedAt: now},
		},
		RoleScopes: []store.RoleScope{{RoleID: "ro1", ScopeID: "s1"}, {RoleID: "ro2", ScopeID: "s2"}},
	}, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func jane() *store.User {
	return &store.User{ID: "u1", Username: "jane", PrimaryEmail: "jane@example.com", EmailVerified: true,
		CustomData: map[string]any{"tier": "gold"}, PasswordHash: "hash", CreatedAt: now, UpdatedAt: now}
}

func reader() store.Role {
	return store.Role{ID: "ro1", Name: "Reader", Type: store.RoleUser, CreatedAt: now}
}

// context.user has Logto's shape: the profile, custom data, roles with
// their scopes and each scope's resource, and empty lists where the user
// has nothing (organizations).
func TestUserContext(t *testing.T) {
	u := userContext(jane(), []store.Role{reader()}, nil, shopSnapshot(t))
	if u.ID != "u1" || *u.Username != "jane" || u.CustomData["tier"] != "gold" || !u.HasPassword || u.Organizations == nil ||
		len(u.Roles) != 1 || u.Roles[0].Name != "Reader" || len(u.Roles[0].Scopes) != 1 ||
		u.Roles[0].Scopes[0].Name != "read" || u.Roles[0].Scopes[0].Resource.Indicator != "https://shop.test" {
		t.Errorf("context.user: %+v", u)
	}
	js, _ := json.Marshal(u)
	for _, k := range []string{`"organizations":[]`, `"primaryEmail":"jane@example.com"`, `"customData":{"tier":"gold"}`} {
		if !strings.Contains(string(js), k) {
			t.Errorf("context.user JSON lacks %s: %s", k, js)
		}
	}
}

// Absent values are null or empty, never missing; a role's scopes are
// listed whatever its type, a deleted resource as an empty one.
func TestUserContextEmpty(t *testing.T) {
	last := now.Add(time.Minute)
	u := userContext(&store.User{ID: "u2", LastSignInAt: last, CreatedAt: now, UpdatedAt: now},
		[]store.Role{{ID: "ro2", Name: "Robot", Type: store.RoleMachineToMachine}, {ID: "ro-gone", Name: "Gone"}}, nil, shopSnapshot(t))
	want := fmt.Sprintf(`{"id":"u2","username":null,"primaryEmail":null,"primaryPhone":null,"name":null,"avatar":null,`+
		`"customData":{},"identities":{},"profile":{},"applicationId":null,"isSuspended":false,"hasPassword":false,`+
		`"lastSignInAt":%d,"createdAt":%d,"updatedAt":%d,"ssoIdentities":[],"mfaVerificationFactors":[],`+
		`"roles":[{"id":"ro2","name":"Robot","description":"","scopes":[{"id":"s2","name":"write","description":"",`+
		`"resourceId":"r-gone","resource":{"id":"","name":"","indicator":""}}]},`+
		`{"id":"ro-gone","name":"Gone","description":"","scopes":[]}],"organizations":[],"organizationRoles":[]}`,
		last.UnixMilli(), now.UnixMilli(), now.UnixMilli())
	if js, _ := json.Marshal(u); string(js) != want {
		t.Errorf("context.user\n got %s\nwant %s", js, want)
	}
}

// A second factor's record carries the userId it was verified for and no
// identifier, as seed 002 shapes the Totp, BackupCode and WebAuthn records.
func TestInteractionMFARecords(t *testing.T) {
	it := interactionOf("u1", store.SignInRecord{Event: "SignIn", Verifications: []store.Verification{
		{ID: "p", Type: "Password", IdentifierType: "username", IdentifierValue: "jane", Verified: true},
		{ID: "t", Type: "Totp", UserID: "u1", Verified: true}}})
	b, err := json.Marshal(it.VerificationRecords)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"id":"p","type":"Password","identifier":{"type":"username","value":"jane"},"verified":true},` +
		`{"id":"t","type":"Totp","userId":"u1","verified":true}]`
	if string(b) != want {
		t.Fatalf("records %s\nwant    %s", b, want)
	}
}

// context.interaction is the password sign-in behind the grant, and absent
// when the grant records none.
func TestInteraction(t *testing.T) {
	it := interactionOf("u1", store.SignInRecord{VerificationID: "v1", IdentifierType: "username", IdentifierValue: "jane"})
	if it == nil || it.InteractionEvent != "SignIn" || it.UserID != "u1" ||
		len(it.VerificationRecords) != 1 || it.VerificationRecords[0].Type != "Password" ||
		it.VerificationRecords[0].Identifier == nil || *it.VerificationRecords[0].Identifier != (VerificationIdentifier{Type: "username", Value: "jane"}) ||
		!it.VerificationRecords[0].Verified || it.VerificationRecords[0].ID != "v1" {
		t.Errorf("context.interaction: %+v", it)
	}
	if it := interactionOf("u1", store.SignInRecord{IdentifierType: "username", IdentifierValue: "jane"}); it != nil {
		t.Errorf("no verification: %+v", it)
	}
}

// The access-token script's token and context, as encoded for the script.
func TestAccessTokenInput(t *testing.T) {
	in := oidc.AccessTokenInput{JTI: "j1", Audience: "https://shop.test", Scope: "read", ClientID: "web", AccountID: "u1",
		GrantID: "g1", GrantType: "authorization_code", User: jane(), Roles: []store.Role{reader()},
		App: store.Application{ID: "web", Name: "Web", Description: "d", Type: store.AppTraditional, CreatedAt: now,
			RedirectURIs: []string{"https://web.test/cb"}},
		SignIn: store.SignInRecord{VerificationID: "v1", IdentifierType: "email", IdentifierValue: "jane@example.com"}}
	tok, ctx := accessTokenInput(in, shopSnapshot(t))
	js, _ := json.Marshal(tok)
	if want := `{"accountId":"u1","aud":"https://shop.test","clientId":"web","expiresWithSession":false,"grantId":"g1",` +
		`"gty":"authorization_code","jti":"","kind":"AccessToken","scope":"read"}`; string(js) != want {
		t.Errorf("token\n got %s\nwant %s", js, want)
	}
	js, _ = json.Marshal(ctx["application"])
	if want := fmt.Sprintf(`{"createdAt":%d,"description":"d","id":"web","isThirdParty":false,"name":"Web","type":"Traditional"}`,
		now.UnixMilli()); string(js) != want {
		t.Errorf("context.application\n got %s\nwant %s", js, want)
	}
	if u, ok := ctx["user"].(UserContext); !ok || u.ID != "u1" || len(u.Roles) != 1 {
		t.Errorf("context.user: %+v", ctx["user"])
	}
	if it, ok := ctx["interaction"].(*Interaction); !ok || it.UserID != "u1" ||
		*it.VerificationRecords[0].Identifier != (VerificationIdentifier{Type: "email", Value: "jane@example.com"}) {
		t.Errorf("context.interaction: %+v", ctx["interaction"])
	}
	if len(ctx) != 3 {
		t.Errorf("context keys: %v", ctx)
	}

	in.SignIn = store.SignInRecord{}
	if _, ctx = accessTokenInput(in, shopSnapshot(t)); len(ctx) != 2 || ctx["interaction"] != nil {
		t.Errorf("without a sign-in record, context: %v", ctx)
	}
}

// The client-credentials script's token and context, as encoded; an empty
// scope is left out.
func TestClientCredentialsInput(t *testing.T) {
	app := store.Application{ID: "m2m", Name: "Robot", Type: store.AppMachineToMachine, CreatedAt: now}
	for _, tc := range []struct{ scope, want string }{
		{"read write", `{"aud":"https://shop.test","clientId":"m2m","jti":"","kind":"ClientCredentials","scope":"read write"}`},
		{"", `{"aud":"https://shop.test","clientId":"m2m","jti":"","kind":"ClientCredentials"}`},
	} {
		tok, ctx := clientCredentialsInput(oidc.ClientCredentialsInput{JTI: "j1", Audience: "https://shop.test", Scope: tc.scope, App: app})
		if js, _ := json.Marshal(tok); string(js) != tc.want {
			t.Errorf("token\n got %s\nwant %s", js, tc.want)
		}
		want := fmt.Sprintf(`{"application":{"createdAt":%d,"description":"","id":"m2m","isThirdParty":false,"name":"Robot","type":"MachineToMachine"}}`, now.UnixMilli())
		if js, _ := json.Marshal(ctx); string(js) != want {
			t.Errorf("context\n got %s\nwant %s", js, want)
		}
	}
}

// context.user carries the user's social identities as the Management API
// shows them.
func TestUserContextIdentities(t *testing.T) {
	u := jane()
	u.Identities = []store.Identity{{UserID: u.ID, Target: "github", ExternalID: "gh-1", Details: map[string]any{"login": "jane"}}}
	js, _ := json.Marshal(userContext(u, nil, nil, shopSnapshot(t)))
	if want := `"identities":{"github":{"userId":"gh-1","details":{"login":"jane"}}}`; !strings.Contains(string(js), want) {
		t.Errorf("context.user JSON lacks %s: %s", want, js)
	}
}

// context.user.organizations and organizationRoles are Logto's: each
// organization's id, name and description (null when unset), and one
// entry per role held in one organization.
func TestUserContextOrganizations(t *testing.T) {
	orgs := []store.MemberOrganization{
		{Organization: store.Organization{ID: "o1", Name: "Acme", Description: "B2B"},
			Roles: []store.OrganizationRole{{ID: "or1", Name: "admin"}, {ID: "or2", Name: "billing"}}},
		{Organization: store.Organization{ID: "o2", Name: "Globex"}},
	}
	u := userContext(jane(), nil, orgs, shopSnapshot(t))
	js, _ := json.Marshal(map[string]any{"organizations": u.Organizations, "organizationRoles": u.OrganizationRoles})
	want := `{"organizationRoles":[{"organizationId":"o1","roleId":"or1","roleName":"admin"},{"organizationId":"o1","roleId":"or2","roleName":"billing"}],` +
		`"organizations":[{"id":"o1","name":"Acme","description":"B2B"},{"id":"o2","name":"Globex","description":null}]}`
	if string(js) != want {
		t.Errorf("organizations\n got %s\nwant %s", js, want)
	}
}

// A script reads them as seed scripts do.
func TestScriptSeesOrganizations(t *testing.T) {
	f := newFixture(t)
	f.script(t, store.TokenTypeAccessToken, `const getCustomJwtClaims = async ({ context }) => ({
		orgs: context.user.organizations.map((o) => o.id),
		admin: context.user.organizationRoles.filter((r) => r.roleName === 'admin').map((r) => r.organizationId) });`, false)
	in := atInput()
	in.Organizations = []store.MemberOrganization{{Organization: store.Organization{ID: "o1", Name: "Acme"},
		Roles: []store.OrganizationRole{{ID: "or1", Name: "admin", Type: store.RoleUser}}}}
	custom, err := f.c.AccessToken(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if js, _ := json.Marshal(custom.Access); string(js) != `{"admin":["o1"],"orgs":["o1"]}` {
		t.Errorf("claims %s", js)
	}
}
