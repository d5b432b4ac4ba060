package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// applicationCases are the conformance tests of store.ApplicationStore.
var applicationCases = []testCase{
	{"Applications", testApplications},
	{"ApplicationList", testApplicationList},
	{"ApplicationSearch", testApplicationSearch},
	{"ApplicationOIDCMetadata", testApplicationOIDCMetadata},
}

// appSecretCases are the conformance tests of store.AppSecretStore.
var appSecretCases = []testCase{{"AppSecrets", testAppSecrets}}

func testApplications(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := app("a1", 1)
	ok(t, s.CreateApplication(ctx, a), "CreateApplication")
	got, err := s.GetApplication(ctx, "a1")
	ok(t, err, "GetApplication")
	same(t, "GetApplication", got, a)

	dup := app("a1", 2)
	dup.Name = "other"
	wantErr(t, s.CreateApplication(ctx, dup), store.ErrConflict, "CreateApplication with a used id")

	_, err = s.GetApplication(ctx, "missing")
	wantErr(t, err, store.ErrNotFound, "GetApplication missing")
	_, err = s.GetApplication(ctx, "")
	wantErr(t, err, store.ErrNotFound, "GetApplication empty id")

	// Only the name and description change.
	upd := store.Application{ID: "a1", Name: "renamed", Description: "new description",
		Type: store.AppSPA, CreatedAt: at(9)}
	ok(t, s.UpdateApplication(ctx, upd), "UpdateApplication")
	got, err = s.GetApplication(ctx, "a1")
	ok(t, err, "GetApplication after update")
	want := a
	want.Name, want.Description = "renamed", "new description"
	same(t, "GetApplication after update", got, want)

	// Updating with the same values is not "not found".
	ok(t, s.UpdateApplication(ctx, upd), "UpdateApplication unchanged")
	wantErr(t, s.UpdateApplication(ctx, app("missing", 1)), store.ErrNotFound, "UpdateApplication missing")

	ok(t, s.DeleteApplication(ctx, "a1"), "DeleteApplication")
	_, err = s.GetApplication(ctx, "a1")
	wantErr(t, err, store.ErrNotFound, "GetApplication after delete")
	wantErr(t, s.DeleteApplication(ctx, "a1"), store.ErrNotFound, "DeleteApplication twice")

	// The id is free again.
	ok(t, s.CreateApplication(ctx, a), "CreateApplication after delete")
}

func testApplicationList(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, total, err := s.ListApplications(ctx, store.ApplicationFilter{}, store.Page{})
	ok(t, err, "ListApplications empty")
	if len(list) != 0 || total != 0 {
		t.Errorf("ListApplications on an empty store: %d rows, total %d", len(list), total)
	}

	// Inserted out of order; "b" and "c" share a creation time, so the id
	// decides between them.
	for _, a := range []store.Application{app("e", 5), app("c", 2), app("a", 1), app("d", 4), app("b", 2), app("f", 6)} {
		must(t, s.CreateApplication(ctx, a))
	}
	wantAll := []string{"a", "b", "c", "d", "e", "f"}

	for _, tc := range []struct {
		page store.Page
		want []string
	}{
		{store.Page{}, wantAll},
		{store.Page{Limit: 2}, []string{"a", "b"}},
		{store.Page{Offset: 2, Limit: 3}, []string{"c", "d", "e"}},
		{store.Page{Offset: 4, Limit: 10}, []string{"e", "f"}},
		{store.Page{Offset: 3}, []string{"d", "e", "f"}},
		{store.Page{Offset: 6, Limit: 2}, []string{}},
		{store.Page{Offset: 100}, []string{}},
		// Bad input is clamped rather than an error.
		{store.Page{Offset: -5, Limit: -1}, wantAll},
	} {
		list, total, err := s.ListApplications(ctx, store.ApplicationFilter{}, tc.page)
		ok(t, err, "ListApplications")
		same(t, "ListApplications ids", ids(list), tc.want)
		if total != 6 {
			t.Errorf("ListApplications(%+v) total = %d, want 6", tc.page, total)
		}
	}

	list, _, err = s.ListApplications(ctx, store.ApplicationFilter{}, store.Page{Limit: 1})
	ok(t, err, "ListApplications")
	same(t, "ListApplications row", list, []store.Application{app("a", 1)})
}

func testAppSecrets(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateApplication(ctx, app("a1", 1)))
	must(t, s.CreateApplication(ctx, app("a2", 2)))

	noExpiry := store.AppSecret{AppID: "a1", Name: "default", Hash: []byte{0, 1, 2, 0xff}, CreatedAt: at(3)}
	expiring := store.AppSecret{AppID: "a1", Name: "ci", Hash: []byte("hash two"), CreatedAt: at(4),
		ExpiresAt: at(4).Add(90 * 24 * time.Hour)}

	orphan := noExpiry
	orphan.AppID = "missing"
	wantErr(t, s.CreateAppSecret(ctx, orphan), store.ErrNotFound, "CreateAppSecret for a missing app")

	ok(t, s.CreateAppSecret(ctx, expiring), "CreateAppSecret expiring")
	ok(t, s.CreateAppSecret(ctx, noExpiry), "CreateAppSecret")
	list, err := s.ListAppSecrets(ctx, "a1")
	ok(t, err, "ListAppSecrets")
	same(t, "ListAppSecrets", list, []store.AppSecret{noExpiry, expiring})
	if len(list) == 2 && (!list[0].ExpiresAt.IsZero() || list[1].ExpiresAt.IsZero()) {
		t.Errorf("expiry did not round-trip: %v, %v", list[0].ExpiresAt, list[1].ExpiresAt)
	}

	dup := noExpiry
	dup.Hash = []byte("other")
	wantErr(t, s.CreateAppSecret(ctx, dup), store.ErrConflict, "CreateAppSecret with a used name")

	// Names are per application.
	other := noExpiry
	other.AppID = "a2"
	ok(t, s.CreateAppSecret(ctx, other), "CreateAppSecret same name, other app")
	list, err = s.ListAppSecrets(ctx, "a2")
	ok(t, err, "ListAppSecrets a2")
	same(t, "ListAppSecrets a2", list, []store.AppSecret{other})

	list, err = s.ListAppSecrets(ctx, "missing")
	wantErr(t, err, store.ErrNotFound, "ListAppSecrets for a missing app")
	if len(list) != 0 {
		t.Errorf("ListAppSecrets for a missing app returned %d rows", len(list))
	}
	must(t, s.CreateApplication(ctx, app("a3", 3)))
	list, err = s.ListAppSecrets(ctx, "a3")
	ok(t, err, "ListAppSecrets for an app without secrets")
	if len(list) != 0 {
		t.Errorf("ListAppSecrets for an app without secrets returned %d rows", len(list))
	}

	// Rename and give an expiry; the hash and creation time stay.
	newExpiry := at(100)
	ok(t, s.UpdateAppSecret(ctx, "a1", "default", store.AppSecret{Name: "primary", ExpiresAt: newExpiry,
		Hash: []byte("ignored"), CreatedAt: at(50)}), "UpdateAppSecret rename")
	renamed := noExpiry
	renamed.Name, renamed.ExpiresAt = "primary", newExpiry
	list, err = s.ListAppSecrets(ctx, "a1")
	ok(t, err, "ListAppSecrets after rename")
	same(t, "ListAppSecrets after rename", list, []store.AppSecret{renamed, expiring})

	// Clear the expiry, keeping the name.
	ok(t, s.UpdateAppSecret(ctx, "a1", "ci", store.AppSecret{Name: "ci"}), "UpdateAppSecret clear expiry")
	cleared := expiring
	cleared.ExpiresAt = time.Time{}
	list, err = s.ListAppSecrets(ctx, "a1")
	ok(t, err, "ListAppSecrets after clearing expiry")
	same(t, "ListAppSecrets after clearing expiry", list, []store.AppSecret{renamed, cleared})

	wantErr(t, s.UpdateAppSecret(ctx, "a1", "ci", store.AppSecret{Name: "primary"}), store.ErrConflict,
		"UpdateAppSecret to a used name")
	wantErr(t, s.UpdateAppSecret(ctx, "a1", "default", store.AppSecret{Name: "x"}), store.ErrNotFound,
		"UpdateAppSecret of the old name")
	wantErr(t, s.UpdateAppSecret(ctx, "missing", "ci", store.AppSecret{Name: "x"}), store.ErrNotFound,
		"UpdateAppSecret for a missing app")

	ok(t, s.DeleteAppSecret(ctx, "a1", "primary"), "DeleteAppSecret")
	wantErr(t, s.DeleteAppSecret(ctx, "a1", "primary"), store.ErrNotFound, "DeleteAppSecret twice")
	wantErr(t, s.DeleteAppSecret(ctx, "missing", "ci"), store.ErrNotFound, "DeleteAppSecret for a missing app")
	list, err = s.ListAppSecrets(ctx, "a1")
	ok(t, err, "ListAppSecrets after delete")
	same(t, "ListAppSecrets after delete", list, []store.AppSecret{cleared})
}

func testApplicationOIDCMetadata(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := app("web", 1)
	a.Type = store.AppSPA
	a.RedirectURIs = []string{"https://app.example.com/callback", "http://localhost:3000/cb"}
	a.PostLogoutRedirectURIs = []string{"https://app.example.com/"}
	a.CORSAllowedOrigins = []string{"https://app.example.com"}
	a.RotateRefreshToken, a.RefreshTokenTTLDays, a.AllowPasswordGrant = true, 30, true
	a.CustomData = map[string]any{"tier": "gold", "seats": float64(3), "tags": []any{"a"}, "nested": map[string]any{"ok": true}}
	a.BackchannelLogoutURI, a.BackchannelLogoutSessionRequired = "https://app.example.com/bc", true
	a.LogoURI, a.IDTokenTTL, a.RefreshTokenTTL = "https://app.example.com/logo.png", 3600, 86400
	a.AlwaysIssueRefreshToken, a.AllowTokenExchange, a.AllowPasswordlessGrant, a.RequirePAR = true, true, true, true
	a.TokenEndpointAuthMethod, a.RequireDPoP, a.IsDeviceFlow = store.AuthPrivateKeyJWT, true, true
	a.ClientKeys = []store.ClientKey{
		{ID: "k1", Name: "first", JWK: json.RawMessage(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1"}`), CreatedAt: at(1)},
		{ID: "k2", JWK: json.RawMessage(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k2"}`), CreatedAt: at(2), ExpiresAt: at(90)},
	}
	ok(t, s.CreateApplication(ctx, a), "CreateApplication")
	got, err := s.GetApplication(ctx, "web")
	ok(t, err, "GetApplication")
	same(t, "metadata round trip", got, a)

	a.RedirectURIs = nil
	a.PostLogoutRedirectURIs = []string{"https://app.example.com/bye"}
	a.RotateRefreshToken, a.RefreshTokenTTLDays, a.AllowPasswordGrant = false, 0, false
	a.CustomData = map[string]any{"tier": "silver"}
	a.BackchannelLogoutURI, a.BackchannelLogoutSessionRequired, a.LogoURI = "", false, ""
	a.IDTokenTTL, a.RefreshTokenTTL, a.AlwaysIssueRefreshToken, a.AllowTokenExchange = 0, 60, false, true
	a.AllowPasswordlessGrant = false
	a.ClientKeys, a.JWKSURI, a.RequireDPoP = nil, "https://app.example.com/jwks.json", false
	a.RequirePAR, a.IsDeviceFlow = false, false
	ok(t, s.UpdateApplication(ctx, a), "UpdateApplication")
	got, err = s.GetApplication(ctx, "web")
	ok(t, err, "GetApplication")
	same(t, "metadata after update", got, a)
	cat, err := s.LoadCatalog(ctx)
	ok(t, err, "LoadCatalog")
	same(t, "catalog application", cat.Applications, []store.Application{a})

	a.CustomData = nil
	ok(t, s.UpdateApplication(ctx, a), "UpdateApplication clearing custom data")
	got, err = s.GetApplication(ctx, "web")
	ok(t, err, "GetApplication")
	same(t, "custom data cleared", got, a)
}

func testApplicationSearch(t *testing.T, s store.Store) {
	ctx := t.Context()
	apps := []store.Application{app("a1", 1), app("a2", 2), app("a3", 3)}
	apps[1].Type, apps[1].Name = store.AppSPA, "Shop_Web"
	apps[2].Type, apps[2].Description = store.AppNative, "the mobile app"
	for _, a := range apps {
		must(t, s.CreateApplication(ctx, a))
	}
	r := role("r1", 1)
	must(t, s.CreateRole(ctx, r))
	ok(t, s.AddRoleApplications(ctx, "r1", []string{"a1"}), "AddRoleApplications")
	for _, tc := range []struct {
		name   string
		filter store.ApplicationFilter
		want   []string
	}{
		{"all", store.ApplicationFilter{}, []string{"a1", "a2", "a3"}},
		{"one type", store.ApplicationFilter{Types: []store.AppType{store.AppSPA}}, []string{"a2"}},
		{"two types", store.ApplicationFilter{Types: []store.AppType{store.AppNative, store.AppMachineToMachine}}, []string{"a1", "a3"}},
		{"name", store.ApplicationFilter{Match: store.Search{Matches: []store.Match{like("name", "shop_web")}}}, []string{"a2"}},
		{"underscore literal", store.ApplicationFilter{Match: store.Search{Matches: []store.Match{like("name", "shopxweb")}}}, []string{}},
		{"description", store.ApplicationFilter{Match: store.Search{Matches: []store.Match{like("description", "%MOBILE%")}}}, []string{"a3"}},
		{"exclude role", store.ApplicationFilter{ExcludeRoleID: "r1"}, []string{"a2", "a3"}},
		{"type and exclude role", store.ApplicationFilter{Types: []store.AppType{store.AppMachineToMachine}, ExcludeRoleID: "r1"}, []string{}},
		{"role holders", store.ApplicationFilter{RoleID: "r1"}, []string{"a1"}},
		{"role holders and search", store.ApplicationFilter{RoleID: "r1", Match: store.Search{Matches: []store.Match{like("name", "%a2")}}}, []string{}},
		{"missing role holders", store.ApplicationFilter{RoleID: "nope"}, []string{}},
	} {
		wantFiltered(t, "ListApplications "+tc.name, tc.filter, tc.want, s.ListApplications)
	}
}
