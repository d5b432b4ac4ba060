package directory

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// Seeding is idempotent: a second start finds what the first made.
func TestSeedManagementAPI(t *testing.T) {
	ctx := context.Background()
	d, st := newDir(t)
	ok(t, d.SeedManagementAPI(ctx))
	cat, err := st.LoadCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Resources) != 1 || len(cat.Scopes) != 1 || len(cat.Roles) != 2 || len(cat.RoleScopes) != 2 {
		t.Fatalf("seeded %d resources, %d scopes, %d roles, %d grants", len(cat.Resources), len(cat.Scopes), len(cat.Roles), len(cat.RoleScopes))
	}
	// A deleted role stays deleted; a deleted permission comes back.
	roles, _, _ := d.Roles(ctx, store.RoleFilter{Type: store.RoleUser}, store.Page{})
	ok(t, d.DeleteRole(ctx, roles[0].ID))
	ok(t, st.DeleteScope(ctx, cat.Scopes[0].ID))
	ok(t, d.SeedManagementAPI(ctx))
	if cat, _ = st.LoadCatalog(ctx); len(cat.Scopes) != 1 || len(cat.Roles) != 1 {
		t.Fatalf("after repair: %d scopes, %d roles", len(cat.Scopes), len(cat.Roles))
	}
}

func TestEnsureManagementApp(t *testing.T) {
	ctx := context.Background()
	d, st := newDir(t)
	id, secret, err := d.EnsureManagementApp(ctx, "", "", "first")
	if err != nil || id == "" || secret == "" {
		t.Fatalf("first start: %q %q %v", id, secret, err)
	}
	if id, secret, err = d.EnsureManagementApp(ctx, "", "", "again"); err != nil || id != "" || secret != "" {
		t.Fatalf("second start: %q %q %v", id, secret, err)
	}

	// A named app gets exactly its configured secret, and the role.
	if _, _, err := d.EnsureManagementApp(ctx, "ci-app", "one-secret", "named"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.EnsureManagementApp(ctx, "ci-app", "two-secret", "named"); err != nil {
		t.Fatal(err)
	}
	secrets, _ := st.ListAppSecrets(ctx, "ci-app")
	if len(secrets) != 1 || string(secrets[0].Hash) != "hash:two-secret" || secrets[0].Name != BootstrapSecretName {
		t.Fatalf("secrets %v", secrets)
	}
	if roles, n, _ := d.ApplicationRoles(ctx, "ci-app", store.Search{}, store.Page{}); n != 1 || roles[0].Name != ManagementRoleName {
		t.Fatalf("roles %v", roles)
	}

	spa := app(t, d, "web", store.AppSPA)
	_, _, err = d.EnsureManagementApp(ctx, spa.ID, "secret", "named")
	refused(t, err, Invalid, ReasonApplicationType)

	// The role comes back if the admin deleted it.
	ok(t, d.DeleteRole(ctx, roles(t, d, ManagementRoleName)))
	if _, _, err := d.EnsureManagementApp(ctx, "ci-app", "two-secret", "named"); err != nil {
		t.Fatal(err)
	}
	roles(t, d, ManagementRoleName)
}

// roles returns the id of the role named name.
func roles(t *testing.T, d *Directory, name string) string {
	t.Helper()
	all, _, err := d.Roles(context.Background(), store.RoleFilter{}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.Name == name {
			return r.ID
		}
	}
	t.Fatalf("no role %q", name)
	return ""
}

func TestEnsureAdmin(t *testing.T) {
	ctx := context.Background()
	d, st := newDir(t)
	// Someone without the permission has had the name for a while: the
	// first admin takes another.
	old := time.Now().Add(-time.Hour)
	ok(t, st.CreateUser(ctx, store.User{ID: "old", Username: FirstAdminUsername, CreatedAt: old, UpdatedAt: old}))
	first, err := d.EnsureAdmin(ctx, "", "")
	if err != nil || first.Password == "" || first.User.Username == FirstAdminUsername {
		t.Fatalf("first admin: %+v %v", first, err)
	}
	ok(t, d.VerifyPassword(ctx, first.User.ID, first.Password))
	if again, err := d.EnsureAdmin(ctx, "", ""); err != nil || again.User.ID != "" {
		t.Fatalf("second start: %+v %v", again, err)
	}

	named, err := d.EnsureAdmin(ctx, "root", "first password")
	if err != nil || named.PasswordSet || named.Password != "" {
		t.Fatalf("named admin: %+v %v", named, err)
	}
	if held, n, _ := d.UserRoles(ctx, named.User.ID, store.Search{}, store.Page{}); n != 1 || held[0].Name != AdminRoleName {
		t.Fatalf("named admin's roles %v", held)
	}
	if named, err = d.EnsureAdmin(ctx, "root", "second password"); err != nil || !named.PasswordSet {
		t.Fatalf("new password: %+v %v", named, err)
	}
	ok(t, d.VerifyPassword(ctx, named.User.ID, "second password"))
}

func TestEnsureAdminWithoutPermission(t *testing.T) {
	ctx := context.Background()
	d, st := newDir(t)
	cat, _ := st.LoadCatalog(ctx)
	ok(t, st.DeleteScope(ctx, cat.Scopes[0].ID))
	if _, err := d.EnsureAdmin(ctx, "", ""); !errors.Is(err, ErrNoManagementScope) {
		t.Fatalf("got %v", err)
	}
}

func TestSeedApplication(t *testing.T) {
	ctx := context.Background()
	d, st := newDir(t)
	console := store.Application{ID: "console", Name: "Console", Type: store.AppSPA}
	redirect, logout := []string{"https://a.example/cb"}, []string{"https://a.example/"}
	if replaced, err := d.SeedApplication(ctx, console, redirect, logout); err != nil || replaced != nil {
		t.Fatalf("first seed: replaced %v, %v", replaced, err)
	}
	got, _ := st.GetApplication(ctx, "console")
	if !got.RotateRefreshToken || got.RefreshTokenTTLDays != DefaultRefreshTokenTTLDays || got.RedirectURIs[0] != redirect[0] {
		t.Fatalf("seeded %+v", got)
	}
	// The name is the admin's; the redirect URIs follow the endpoint.
	if _, _, err := d.UpdateApplication(ctx, "console", ApplicationChange{NamePatch: NamePatch{Name: ptr("Mine")}}); err != nil {
		t.Fatal(err)
	}
	moved := []string{"https://b.example/cb"}
	if replaced, err := d.SeedApplication(ctx, console, moved, logout); err != nil || len(replaced) != 1 || replaced[0] != redirect[0] {
		t.Fatalf("moved: replaced %v, %v", replaced, err)
	}
	if replaced, err := d.SeedApplication(ctx, console, moved, logout); err != nil || replaced != nil {
		t.Fatalf("unchanged: replaced %v, %v", replaced, err)
	}
	if got, _ = st.GetApplication(ctx, "console"); got.Name != "Mine" || got.RedirectURIs[0] != moved[0] {
		t.Fatalf("repaired %+v", got)
	}
	if _, err := d.SeedApplication(ctx, console, []string{"javascript:x"}, logout); err == nil {
		t.Error("a forbidden redirect URI was seeded")
	}
}

// The first administrator's role: "Admin" while it holds the permission,
// else a new "Console admin", else a refusal that says what to do.
func TestAdminRoleTaken(t *testing.T) {
	ctx := context.Background()
	d, st := newDir(t)
	admin := roles(t, d, AdminRoleName)
	cat, _ := st.LoadCatalog(ctx)
	ok(t, d.RemoveRoleScope(ctx, admin, managementScopeID(cat, testIndicator)))
	first, err := d.EnsureAdmin(ctx, "", "")
	if err != nil || first.Password == "" {
		t.Fatalf("first admin: %+v %v", first, err)
	}
	if held, _, _ := d.UserRoles(ctx, first.User.ID, store.Search{}, store.Page{}); len(held) != 1 || held[0].Name != "Console admin" {
		t.Fatalf("first admin's roles %v", held)
	}

	d2, st2 := newDir(t)
	cat, _ = st2.LoadCatalog(ctx)
	ok(t, d2.RemoveRoleScope(ctx, roles(t, d2, AdminRoleName), managementScopeID(cat, testIndicator)))
	role(t, d2, "Console admin", store.RoleUser)
	if _, err := d2.EnsureAdmin(ctx, "root", "first password"); err == nil || !strings.Contains(err.Error(), "Console admin") {
		t.Fatalf("got %v", err)
	}
}
