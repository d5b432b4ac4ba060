package directory

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
)

const testIndicator = "https://monban.test/api"

// fast keeps password hashing cheap in tests.
var fast = password.Params{Time: 1, Memory: 64, Threads: 1}

// newDir returns a Directory over a new SQLite store, seeded with the
// Management API.
func newDir(t *testing.T) (*Directory, store.Store) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "directory.db"))
	if err != nil {
		t.Fatal(err)
	}
	storetest.Unlock(t, st, storetest.NewKey(t))
	t.Cleanup(func() { st.Close() })
	d := New(Config{Store: st, ManagementIndicator: testIndicator, Passwords: password.NewHasher(fast, 1),
		HashSecret: func(s string) []byte { return []byte("hash:" + s) }})
	ok(t, d.SeedManagementAPI(context.Background()))
	return d, st
}

func ptr[T any](v T) *T { return &v }

// ok fails the test at once on an error.
func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// refused checks that err is a refusal of kind and reason.
func refused(t *testing.T, err error, kind Kind, reason Reason) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a refusal of kind %d", err, kind)
	}
	if e.Kind != kind || e.Reason != reason || e.Message == "" || e.Error() != e.Message {
		t.Fatalf("got kind %d reason %q message %q, want kind %d reason %q", e.Kind, e.Reason, e.Message, kind, reason)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func role(t *testing.T, d *Directory, name string, typ store.RoleType) store.Role {
	t.Helper()
	return must[store.Role](t)(d.CreateRole(context.Background(), NewRole{Name: &name, Description: ptr(""), Type: ptr(string(typ))}))
}

func app(t *testing.T, d *Directory, name string, typ store.AppType) store.Application {
	t.Helper()
	a, _, err := d.CreateApplication(context.Background(), NewApplication{Name: &name, Type: ptr(string(typ))})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func user(t *testing.T, d *Directory, username string) store.User {
	t.Helper()
	return must[store.User](t)(d.CreateUser(context.Background(), NewUser{UserFields: UserFields{Username: &username}}))
}

// The role-type rule: a User role goes to users, a MachineToMachine role
// to machine-to-machine applications, from either side.
func TestRoleTypeRule(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	userRole, m2mRole := role(t, d, "Editors", store.RoleUser), role(t, d, "Robots", store.RoleMachineToMachine)
	m2m, spa, u := app(t, d, "worker", store.AppMachineToMachine), app(t, d, "web", store.AppSPA), user(t, d, "jane")

	_, _, err := d.AssignApplicationRoles(ctx, m2m.ID, []string{userRole.ID})
	refused(t, err, Invalid, ReasonApplicationRoleType)
	_, err = d.ReplaceApplicationRoles(ctx, m2m.ID, []string{userRole.ID})
	refused(t, err, Invalid, ReasonApplicationRoleType)
	_, _, err = d.AssignUserRoles(ctx, u.ID, []string{m2mRole.ID})
	refused(t, err, Invalid, ReasonUserRoleType)
	_, err = d.ReplaceUserRoles(ctx, u.ID, []string{m2mRole.ID})
	refused(t, err, Invalid, ReasonUserRoleType)
	refused(t, d.AssignRoleApplications(ctx, userRole.ID, []string{m2m.ID}), Invalid, ReasonRoleType)
	refused(t, d.AssignRoleUsers(ctx, m2mRole.ID, []string{u.ID}), Invalid, ReasonRoleType)

	// Only machine-to-machine applications hold roles.
	_, _, err = d.AssignApplicationRoles(ctx, spa.ID, []string{m2mRole.ID})
	refused(t, err, Invalid, ReasonApplicationType)
	refused(t, d.AssignRoleApplications(ctx, m2mRole.ID, []string{spa.ID}), Invalid, ReasonApplicationType)
	refused(t, d.RemoveApplicationRole(ctx, spa.ID, m2mRole.ID), Invalid, ReasonApplicationType)

	// What the rule allows is given, once.
	ids, added, err := d.AssignApplicationRoles(ctx, m2m.ID, []string{m2mRole.ID, m2mRole.ID})
	if err != nil || len(ids) != 1 || len(added) != 1 {
		t.Fatalf("assign: %v %v %v", ids, added, err)
	}
	if _, added, _ = d.AssignApplicationRoles(ctx, m2m.ID, []string{m2mRole.ID}); len(added) != 0 {
		t.Errorf("assigned again: added %v", added)
	}
	uids, uadded, err := d.AssignUserRoles(ctx, u.ID, []string{userRole.ID, userRole.ID})
	ok(t, err)
	if !slices.Equal(uids, []string{userRole.ID}) || !slices.Equal(uadded, []string{userRole.ID}) {
		t.Fatalf("AssignUserRoles = %v, %v", uids, uadded)
	}
	if _, uadded, _ = d.AssignUserRoles(ctx, u.ID, []string{userRole.ID}); uadded == nil || len(uadded) != 0 {
		t.Fatalf("AssignUserRoles of a held role added %v", uadded)
	}
	ok(t, d.AssignRoleUsers(ctx, userRole.ID, []string{u.ID}))
	ok(t, d.AssignRoleApplications(ctx, m2mRole.ID, []string{m2m.ID}))
}

func TestReplaceRoles(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	a, b := role(t, d, "A", store.RoleMachineToMachine), role(t, d, "B", store.RoleMachineToMachine)
	m2m := app(t, d, "worker", store.AppMachineToMachine)
	if _, err := d.ReplaceApplicationRoles(ctx, m2m.ID, nil); err == nil {
		t.Fatal("nil set accepted")
	}
	for _, tc := range []struct {
		ids   []string
		wrote bool
		want  int
	}{{[]string{a.ID}, true, 1}, {[]string{a.ID}, false, 1}, {[]string{b.ID}, true, 1}, {[]string{}, true, 0}} {
		wrote, err := d.ReplaceApplicationRoles(ctx, m2m.ID, tc.ids)
		roles, n, _ := d.ApplicationRoles(ctx, m2m.ID, store.Search{}, store.Page{})
		if err != nil || wrote != tc.wrote || n != tc.want || len(roles) != tc.want {
			t.Fatalf("replace with %v: wrote %v, %d roles, %v", tc.ids, wrote, n, err)
		}
	}

	ua, ub := role(t, d, "UA", store.RoleUser), role(t, d, "UB", store.RoleUser)
	u := user(t, d, "jane")
	_, err := d.ReplaceUserRoles(ctx, u.ID, nil)
	refused(t, err, Invalid, "")
	for _, ids := range [][]string{{ua.ID, ub.ID}, {ub.ID}, {}} {
		got, err := d.ReplaceUserRoles(ctx, u.ID, ids)
		ok(t, err)
		if got == nil || len(got) != len(ids) {
			t.Fatalf("ReplaceUserRoles(%v) = %v", ids, got)
		}
		if _, n, _ := d.UserRoles(ctx, u.ID, store.Search{}, store.Page{}); n != len(ids) {
			t.Fatalf("replace with %v: %d roles", ids, n)
		}
	}
	_, err = d.ReplaceUserRoles(ctx, "nobody", []string{ua.ID})
	refused(t, err, NotFound, "")
}

// The Management API resource is read-only, and its indicator cannot come
// back in another spelling.
func TestBuiltInResource(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	resources, _, err := d.Resources(ctx, store.Page{})
	if err != nil || len(resources) != 1 || !d.BuiltIn(resources[0]) {
		t.Fatalf("seeded resources %v, %v", resources, err)
	}
	id := resources[0].ID
	_, _, err = d.UpdateResource(ctx, id, ResourceChange{Name: ptr("Mine")})
	refused(t, err, Forbidden, ReasonBuiltIn)
	refused(t, d.DeleteResource(ctx, id), Forbidden, ReasonBuiltInDelete)
	_, err = d.SetDefaultResource(ctx, id, true)
	refused(t, err, Forbidden, ReasonBuiltIn)
	_, err = d.CreateScope(ctx, id, NewScope{Name: ptr("write")})
	refused(t, err, Forbidden, ReasonBuiltIn)
	scopes, _, _ := d.Scopes(ctx, id, store.Page{})
	if len(scopes) != 1 || scopes[0].Name != ManagementScope {
		t.Fatalf("scopes %v", scopes)
	}
	refused(t, d.DeleteScope(ctx, id, scopes[0].ID), Forbidden, ReasonBuiltIn)

	_, err = d.CreateResource(ctx, NewResource{Name: ptr("Lookalike"), Indicator: ptr("HTTPS://monban.test/api/")})
	refused(t, err, Conflict, ReasonIndicatorLookalike)
	_, err = d.CreateResource(ctx, NewResource{Name: ptr("Same"), Indicator: ptr(testIndicator)})
	refused(t, err, Conflict, ReasonIndicatorTaken)
}

func TestResourcesAndScopes(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	for _, in := range []NewResource{
		{Indicator: ptr("https://a.example")},
		{Name: ptr(" "), Indicator: ptr("https://a.example")},
		{Name: ptr("A")},
		{Name: ptr("A"), Indicator: ptr("/relative")},
		{Name: ptr("A"), Indicator: ptr("https://a.example#f")},
		{Name: ptr("A"), Indicator: ptr("https://a.example"), AccessTokenTTL: ptr(0)},
		{Name: ptr("A"), Indicator: ptr("https://a.example"), AccessTokenTTL: ptr(MaxAccessTokenTTL + 1)},
	} {
		_, err := d.CreateResource(ctx, in)
		refused(t, err, Invalid, "")
	}
	res := must[store.Resource](t)(d.CreateResource(ctx, NewResource{Name: ptr("A"), Indicator: ptr("https://a.example")}))
	if res.AccessTokenTTL != DefaultAccessTokenTTL || d.BuiltIn(res) {
		t.Fatalf("new resource %+v", res)
	}
	_, _, err := d.UpdateResource(ctx, res.ID, ResourceChange{Indicator: ptr("https://b.example")})
	refused(t, err, Invalid, "")
	if _, changed, err := d.UpdateResource(ctx, res.ID, ResourceChange{Indicator: ptr(res.Indicator)}); err != nil || changed {
		t.Fatalf("unchanged indicator: %v %v", changed, err)
	}
	if got, changed, err := d.UpdateResource(ctx, res.ID, ResourceChange{AccessTokenTTL: ptr(60)}); err != nil || !changed || got.AccessTokenTTL != 60 {
		t.Fatalf("ttl: %+v %v %v", got, changed, err)
	}
	if got, err := d.SetDefaultResource(ctx, res.ID, true); err != nil || !got.IsDefault {
		t.Fatalf("default: %+v %v", got, err)
	}

	_, err = d.CreateScope(ctx, res.ID, NewScope{Name: ptr("read things")})
	refused(t, err, Invalid, "")
	sc := must[store.Scope](t)(d.CreateScope(ctx, res.ID, NewScope{Name: ptr("read")}))
	_, err = d.CreateScope(ctx, res.ID, NewScope{Name: ptr("read")})
	refused(t, err, Conflict, ReasonScopeNameTaken)
	other := must[store.Resource](t)(d.CreateResource(ctx, NewResource{Name: ptr("B"), Indicator: ptr("https://b.example")}))
	_, _, err = d.UpdateScope(ctx, other.ID, sc.ID, NamePatch{Name: ptr("write")})
	refused(t, err, NotFound, "")
	if got, changed, err := d.UpdateScope(ctx, res.ID, sc.ID, NamePatch{Description: ptr("Reads.")}); err != nil || !changed || got.Description != "Reads." {
		t.Fatalf("update scope: %+v %v %v", got, changed, err)
	}
	refused(t, d.DeleteScope(ctx, res.ID, "\x00"), NotFound, "")
	ok(t, d.DeleteScope(ctx, res.ID, sc.ID))
	ok(t, d.DeleteResource(ctx, res.ID))
	_, err = d.Resource(ctx, res.ID)
	refused(t, err, NotFound, ReasonNoSuchID)
}

func TestApplications(t *testing.T) {
	ctx := context.Background()
	d, st := newDir(t)
	for _, in := range []NewApplication{
		{Name: ptr("x"), Type: ptr("SPA"), IsThirdParty: ptr(true)},
		{Type: ptr("SPA")},
		{Name: ptr("x")},
		{Name: ptr("x"), Type: ptr("Robot")},
		{Name: ptr("x"), Type: ptr("SPA"), Description: ptr("a\x00b")},
		{Name: ptr("x"), Type: ptr("MachineToMachine"), Metadata: Metadata{RedirectURIs: &[]string{"https://a.example/cb"}}},
		{Name: ptr("x"), Type: ptr("MachineToMachine"), Metadata: Metadata{AllowPasswordGrant: ptr(true)}},
		{Name: ptr("x"), Type: ptr("SPA"), Metadata: Metadata{RedirectURIs: &[]string{"javascript:alert(1)"}}},
		{Name: ptr("x"), Type: ptr("SPA"), Metadata: Metadata{RedirectURIs: &[]string{"myapp:/cb"}}},
		{Name: ptr("x"), Type: ptr("SPA"), Metadata: Metadata{RedirectURIs: &[]string{"https://u@a.example/cb"}}},
		{Name: ptr("x"), Type: ptr("SPA"), Metadata: Metadata{CORSAllowedOrigins: &[]string{"https://a.example/path"}}},
		{Name: ptr("x"), Type: ptr("SPA"), Metadata: Metadata{RefreshTokenTTLDays: ptr(91)}},
	} {
		_, _, err := d.CreateApplication(ctx, in)
		refused(t, err, Invalid, "")
	}
	native, secret, err := d.CreateApplication(ctx, NewApplication{Name: ptr("phone"), Type: ptr("Native"),
		Metadata: Metadata{RedirectURIs: &[]string{"myapp:/cb", "myapp:/cb"}}})
	if err != nil || secret != "" || len(native.RedirectURIs) != 1 || !native.RotateRefreshToken || native.RefreshTokenTTLDays != DefaultRefreshTokenTTLDays {
		t.Fatalf("native app: %+v %q %v", native, secret, err)
	}
	web, secret, err := d.CreateApplication(ctx, NewApplication{Name: ptr("web"), Type: ptr("Traditional")})
	if err != nil || secret == "" {
		t.Fatalf("confidential app: %q %v", secret, err)
	}
	if secrets, _ := st.ListAppSecrets(ctx, web.ID); len(secrets) != 1 || string(secrets[0].Hash) != "hash:"+secret {
		t.Fatalf("first secret %v", secrets)
	}

	_, _, err = d.UpdateApplication(ctx, web.ID, ApplicationChange{Type: ptr("SPA")})
	refused(t, err, Invalid, "")
	_, _, err = d.UpdateApplication(ctx, web.ID, ApplicationChange{IsThirdParty: ptr(true)})
	refused(t, err, Invalid, "")
	if _, changed, err := d.UpdateApplication(ctx, web.ID, ApplicationChange{Type: ptr("Traditional")}); err != nil || changed {
		t.Fatalf("no change: %v %v", changed, err)
	}
	got, changed, err := d.UpdateApplication(ctx, web.ID, ApplicationChange{NamePatch: NamePatch{Name: ptr("Web")},
		Metadata: Metadata{CORSAllowedOrigins: &[]string{"https://APP.example/"}}})
	if err != nil || !changed || got.Name != "Web" || got.CORSAllowedOrigins[0] != "https://app.example" {
		t.Fatalf("update: %+v %v %v", got, changed, err)
	}
	_, _, err = d.UpdateApplication(ctx, "missing", ApplicationChange{})
	refused(t, err, NotFound, ReasonNoSuchID)

	// Secrets: confidential applications only, names unique, expiry in
	// the future.
	_, _, err = d.CreateSecret(ctx, native.ID, ptr("s"), nil)
	refused(t, err, Invalid, ReasonApplicationType)
	_, _, err = d.CreateSecret(ctx, web.ID, ptr("s"), ptr(time.Now().Add(-time.Minute)))
	refused(t, err, Invalid, "")
	_, _, err = d.CreateSecret(ctx, web.ID, nil, nil)
	refused(t, err, Invalid, "")
	_, _, err = d.CreateSecret(ctx, web.ID, ptr(firstSecretName), nil)
	refused(t, err, Conflict, "")
	sec, value, err := d.CreateSecret(ctx, web.ID, ptr("ci"), ptr(time.Now().Add(time.Hour)))
	if err != nil || value == "" || string(sec.Hash) != "hash:"+value {
		t.Fatalf("secret: %+v %q %v", sec, value, err)
	}
	_, _, err = d.RenameSecret(ctx, web.ID, "ci", ptr(firstSecretName))
	refused(t, err, Conflict, "")
	_, _, err = d.RenameSecret(ctx, web.ID, "nope", ptr("x"))
	refused(t, err, NotFound, "")
	if _, changed, err := d.RenameSecret(ctx, web.ID, "ci", ptr("ci")); err != nil || changed {
		t.Fatalf("same name: %v %v", changed, err)
	}
	if got, changed, err := d.RenameSecret(ctx, web.ID, "ci", ptr("deploy")); err != nil || !changed || got.Name != "deploy" {
		t.Fatalf("rename: %+v %v %v", got, changed, err)
	}
	refused(t, d.DeleteSecret(ctx, web.ID, "ci"), NotFound, "")
	ok(t, d.DeleteSecret(ctx, web.ID, "deploy"))
	refused(t, d.DeleteApplication(ctx, ""), NotFound, "")
	ok(t, d.DeleteApplication(ctx, web.ID))
	refused(t, d.DeleteApplication(ctx, web.ID), NotFound, "")
}

func TestRoles(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	for _, in := range []NewRole{
		{Description: ptr("")},
		{Name: ptr("R")},
		{Name: ptr("R"), Description: ptr(""), Type: ptr("Admin")},
		{Name: ptr("R"), Description: ptr(""), ScopeIDs: []string{"\x00"}},
	} {
		_, err := d.CreateRole(ctx, in)
		refused(t, err, Invalid, "")
	}
	// An unknown scope leaves no role behind.
	_, err := d.CreateRole(ctx, NewRole{Name: ptr("R"), Description: ptr(""), ScopeIDs: []string{"nope"}})
	refused(t, err, NotFound, "")
	if _, n, _ := d.Roles(ctx, store.RoleFilter{}, store.Page{}); n != 2 {
		t.Fatalf("%d roles, want the 2 seeded", n)
	}
	r := role(t, d, "R", store.RoleUser)
	_, err = d.CreateRole(ctx, NewRole{Name: ptr("R"), Description: ptr("")})
	refused(t, err, Conflict, ReasonRoleNameTaken)
	if _, err := RoleSearch(url.Values{"type": {"Robot"}}); err == nil {
		t.Error("unknown role type listed")
	}
	if roles, n, err := d.Roles(ctx, store.RoleFilter{Type: store.RoleUser}, store.Page{}); err != nil || n != 2 || len(roles) != 2 {
		t.Fatalf("user roles: %d %v", n, err)
	}
	_, _, err = d.UpdateRole(ctx, r.ID, RoleChange{NamePatch: NamePatch{Name: ptr(AdminRoleName)}})
	refused(t, err, Conflict, ReasonRoleNameTaken)

	res := must[store.Resource](t)(d.CreateResource(ctx, NewResource{Name: ptr("A"), Indicator: ptr("https://a.example")}))
	sc := must[store.Scope](t)(d.CreateScope(ctx, res.ID, NewScope{Name: ptr("read")}))
	refused(t, d.AssignRoleScopes(ctx, r.ID, nil), Invalid, "")
	refused(t, d.AssignRoleScopes(ctx, r.ID, []string{"nope"}), NotFound, "")
	ok(t, d.AssignRoleScopes(ctx, r.ID, []string{sc.ID, sc.ID}))
	if scopes, n, err := d.RoleScopes(ctx, r.ID, store.Search{}, store.Page{}); err != nil || n != 1 || scopes[0].ID != sc.ID {
		t.Fatalf("role scopes: %v %v", scopes, err)
	}
	refused(t, d.RemoveRoleScope(ctx, "", sc.ID), NotFound, "")
	ok(t, d.RemoveRoleScope(ctx, r.ID, sc.ID))
	refused(t, d.RemoveRoleScope(ctx, r.ID, sc.ID), NotFound, "")
	ok(t, d.DeleteRole(ctx, r.ID))
	refused(t, d.DeleteRole(ctx, r.ID), NotFound, "")
}

func TestCheckIDs(t *testing.T) {
	if _, err := CheckIDs("ids", nil); err == nil {
		t.Error("empty list accepted")
	}
	if _, err := CheckIDs("ids", make([]string, MaxIDsPerRequest+1)); err == nil {
		t.Error("too many ids accepted")
	}
	if _, err := CheckIDs("ids", []string{strings.Repeat("a", 257)}); err == nil {
		t.Error("long id accepted")
	}
	if ids, err := CheckIDs("ids", []string{"a", "b", "a"}); err != nil || len(ids) != 2 {
		t.Errorf("repeats: %v %v", ids, err)
	}
}

func TestUserFields(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	for _, f := range []UserFields{
		{Username: ptr("1jane")},
		{Username: ptr(strings.Repeat("a", 129))},
		{PrimaryEmail: ptr("Jane <jane@example.com>")},
		{PrimaryEmail: ptr("jane@localhost")},
		{PrimaryPhone: ptr("12")},
		{Name: ptr("a\x00")},
		{Avatar: ptr("javascript:alert(1)")},
		{CustomData: &map[string]any{"big": strings.Repeat("x", maxCustomDataSize)}},
		{CustomData: new(map[string]any)},
		{Profile: &store.UserProfile{Website: "data:text/html,hi"}},
		{Profile: &store.UserProfile{Address: &store.UserAddress{Formatted: "a\x00"}}},
	} {
		_, err := d.CreateUser(ctx, NewUser{UserFields: f})
		refused(t, err, Invalid, "")
	}
	for _, tc := range []struct {
		in     NewUser
		reason Reason
	}{
		{NewUser{Password: ptr("short")}, ReasonPasswordRejected},
		{NewUser{Password: ptr("long enough\x00")}, ""},
		{NewUser{Password: ptr("long enough"), PasswordDigest: ptr("$argon2id$")}, ReasonPasswordAndDigest},
		{NewUser{PasswordDigest: ptr("$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA")}, ReasonNoPasswordAlgorithm},
		{NewUser{PasswordDigest: ptr("plain"), PasswordAlgorithm: ptr("Argon2id")}, ""},
		{NewUser{PasswordAlgorithm: ptr("Argon2id")}, ""},
	} {
		_, err := d.CreateUser(ctx, tc.in)
		refused(t, err, Invalid, tc.reason)
	}

	u := must[store.User](t)(d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("jane"),
		PrimaryEmail: ptr("jane@example.com"), PrimaryPhone: ptr("+15550100")}, Password: ptr("correct horse")}))
	for reason, f := range map[Reason]UserFields{
		ReasonUsernameTaken: {Username: ptr("jane")},
		ReasonEmailTaken:    {PrimaryEmail: ptr("JANE@example.com")},
		ReasonPhoneTaken:    {PrimaryPhone: ptr("+15550100")},
	} {
		_, err := d.CreateUser(ctx, NewUser{UserFields: f})
		refused(t, err, Conflict, reason)
	}

	// "" clears a field; nil leaves it.
	got, changed, err := d.UpdateUser(ctx, u.ID, UserFields{PrimaryPhone: ptr("")})
	if err != nil || !changed || got.PrimaryPhone != "" || got.Username != "jane" {
		t.Fatalf("clear phone: %+v %v %v", got, changed, err)
	}
	if _, changed, err := d.UpdateUser(ctx, u.ID, UserFields{}); err != nil || changed {
		t.Fatalf("empty change: %v %v", changed, err)
	}
	_, _, err = d.UpdateUser(ctx, "nobody", UserFields{Name: ptr("x")})
	refused(t, err, NotFound, "")
	other := user(t, d, "john")
	_, _, err = d.UpdateUser(ctx, other.ID, UserFields{Username: ptr("jane")})
	refused(t, err, Conflict, ReasonUsernameTaken)

	filter, err := UserSearch(url.Values{"search": {"%JAN%"}})
	if err != nil {
		t.Fatal(err)
	}
	if users, n, err := d.Users(ctx, filter, store.Page{}); err != nil || n != 1 || users[0].ID != u.ID {
		t.Fatalf("search: %v %d %v", users, n, err)
	}
	_, err = UserSearch(url.Values{"search": {strings.Repeat("a", maxSearchLen+1)}})
	refused(t, err, Invalid, "")
}

func TestUserPasswordAndSuspension(t *testing.T) {
	ctx := context.Background()
	d, st := newDir(t)
	u := user(t, d, "jane")
	refused(t, d.VerifyPassword(ctx, u.ID, "anything"), Invalid, ReasonWrongPassword)
	refused(t, d.VerifyPassword(ctx, u.ID, ""), Invalid, "")
	_, err := d.SetPassword(ctx, u.ID, "short")
	refused(t, err, Invalid, ReasonPasswordRejected)
	_, err = d.SetPassword(ctx, "nobody", "correct horse")
	refused(t, err, NotFound, "")
	if got, err := d.SetPassword(ctx, u.ID, "correct horse"); err != nil || got.PasswordHash == "" {
		t.Fatalf("set password: %v", err)
	}
	ok(t, d.VerifyPassword(ctx, u.ID, "correct horse"))
	refused(t, d.VerifyPassword(ctx, u.ID, "wrong horse"), Invalid, ReasonWrongPassword)

	if got, err := d.SetSuspended(ctx, u.ID, true); err != nil || !got.IsSuspended {
		t.Fatalf("suspend: %v", err)
	}
	if stored, _ := st.GetUser(ctx, u.ID); !stored.IsSuspended {
		t.Error("suspension not stored")
	}
	_, err = d.SetSuspended(ctx, "nobody", true)
	refused(t, err, NotFound, "")

	merged, err := d.MergeCustomData(ctx, u.ID, map[string]any{"a": 1.0})
	if err != nil || merged["a"] != 1.0 {
		t.Fatalf("merge: %v %v", merged, err)
	}
	if merged, err = d.MergeCustomData(ctx, u.ID, map[string]any{"b": true}); err != nil || len(merged) != 2 {
		t.Fatalf("merge again: %v %v", merged, err)
	}
	_, err = d.MergeCustomData(ctx, u.ID, map[string]any{"big": strings.Repeat("x", maxCustomDataSize)})
	refused(t, err, Invalid, "")

	ok(t, d.DeleteUser(ctx, u.ID))
	refused(t, d.DeleteUser(ctx, u.ID), NotFound, "")
	_, err = d.User(ctx, u.ID)
	refused(t, err, NotFound, "")
}

func TestUserRoleLinks(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	r, u := role(t, d, "Editors", store.RoleUser), user(t, d, "jane")
	_, _, err := d.AssignUserRoles(ctx, u.ID, []string{"nope"})
	refused(t, err, NotFound, "")
	refused(t, d.AssignRoleUsers(ctx, r.ID, []string{"nobody"}), NotFound, "")
	_, _, err = d.AssignUserRoles(ctx, "nobody", []string{r.ID})
	refused(t, err, NotFound, "")
	ok(t, d.AssignRoleUsers(ctx, r.ID, []string{u.ID}))
	if users, n, err := d.RoleUsers(ctx, r.ID, store.Page{}); err != nil || n != 1 || users[0].ID != u.ID {
		t.Fatalf("role users: %v %v", users, err)
	}
	refused(t, d.RemoveRoleUser(ctx, "", u.ID), NotFound, "")
	ok(t, d.RemoveRoleUser(ctx, r.ID, u.ID))
	refused(t, d.RemoveUserRole(ctx, u.ID, r.ID), NotFound, "")
	_, _, err = d.UserRoles(ctx, "\x00", store.Search{}, store.Page{})
	refused(t, err, NotFound, "")
}

func TestApplicationRoleLinks(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	r, m2m := role(t, d, "Robots", store.RoleMachineToMachine), app(t, d, "worker", store.AppMachineToMachine)
	ok(t, d.AssignRoleApplications(ctx, r.ID, []string{m2m.ID}))
	refused(t, d.AssignRoleApplications(ctx, r.ID, []string{"nope"}), NotFound, "")
	if apps, n, err := d.RoleApplications(ctx, r.ID, store.Search{}, store.Page{}); err != nil || n != 1 || apps[0].ID != m2m.ID {
		t.Fatalf("role applications: %v %v", apps, err)
	}
	_, _, err := d.RoleApplications(ctx, "nope", store.Search{}, store.Page{})
	refused(t, err, NotFound, ReasonNoSuchID)
	refused(t, d.RemoveApplicationRole(ctx, m2m.ID, ""), NotFound, "")
	ok(t, d.RemoveApplicationRole(ctx, m2m.ID, r.ID))
	refused(t, d.RemoveRoleApplication(ctx, r.ID, m2m.ID), NotFound, "")
	ok(t, d.AssignRoleApplications(ctx, r.ID, []string{m2m.ID}))
	ok(t, d.RemoveRoleApplication(ctx, r.ID, m2m.ID))
	refused(t, d.RemoveRoleApplication(ctx, r.ID, "\x00"), NotFound, "")

	if apps, n, err := d.Applications(ctx, AppQuery{}, store.Page{Limit: 1}); err != nil || n != 1 || len(apps) != 1 {
		t.Fatalf("applications: %v %d %v", apps, n, err)
	}
	got, changed, err := d.UpdateRole(ctx, r.ID, RoleChange{NamePatch: NamePatch{Name: ptr("Machines"), Description: ptr("Line\nbreaks.")}})
	if err != nil || !changed || got.Name != "Machines" || got.Description != "Line\nbreaks." {
		t.Fatalf("update role: %+v %v %v", got, changed, err)
	}
	if _, changed, err := d.UpdateRole(ctx, r.ID, RoleChange{NamePatch: NamePatch{}}); err != nil || changed {
		t.Fatalf("empty change: %v %v", changed, err)
	}
	_, _, err = d.UpdateRole(ctx, r.ID, RoleChange{NamePatch: NamePatch{Description: ptr(strings.Repeat("x", maxDescriptionLen+1))}})
	refused(t, err, Invalid, "")
	refused(t, d.DeleteRole(ctx, "\x00"), NotFound, "")
	refused(t, CheckText("q", "a\x00", 10, false), Invalid, "")
	ok(t, CheckText("q", "a\tb", 10, true))
}
