package management

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// TestM2MFlow walks Logto's machine-to-machine set-up: a resource with
// read:products and write:products, an M2M role with both, an M2M app
// holding the role, and the app's secrets.
func TestM2MFlow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	var res resourceOutT
	e.do("POST", "/api/resources", map[string]any{"name": "Shopping", "indicator": "https://shopping.api"}).want(t, 201, &res)
	if res.AccessTokenTTL != 3600 || res.IsDefault || res.IsBuiltIn || res.Indicator != "https://shopping.api" {
		t.Fatalf("created resource = %+v", res)
	}
	read := e.createScope(res.ID, "read:products")
	write := e.createScope(res.ID, "write:products")
	if read.ResourceID != res.ID || read.CreatedAt == 0 {
		t.Fatalf("scope = %+v", read)
	}
	var scopes []scopeOutT
	r := e.do("GET", "/api/resources/"+res.ID+"/scopes", nil).want(t, 200, &scopes)
	if len(scopes) != 2 || r.header.Get("Total-Number") != "2" {
		t.Fatalf("scopes = %+v, Total-Number %q", scopes, r.header.Get("Total-Number"))
	}

	role := e.createRole("Shop service", "MachineToMachine", read.ID)
	if role.Type != "MachineToMachine" || role.IsDefault {
		t.Fatalf("role = %+v", role)
	}
	e.do("POST", "/api/roles/"+role.ID+"/scopes", map[string]any{"scopeIds": []string{write.ID, read.ID}}).want(t, 201, &scopes)
	if len(scopes) != 2 {
		t.Fatalf("role scopes after POST = %+v", scopes)
	}

	var app appOut
	before := time.Now().UnixMilli()
	e.do("POST", "/api/applications", map[string]any{"name": "Order sync", "type": "MachineToMachine", "description": "pulls orders"}).want(t, 200, &app)
	if app.Secret == nil || len(*app.Secret) < 43 {
		t.Fatalf("M2M app was created without a usable secret: %+v", app)
	}
	if app.CreatedAt < before-1000 || app.Description != "pulls orders" || app.OIDCClientMetadata.RedirectURIs == nil {
		t.Fatalf("app = %+v", app)
	}
	firstSecret := *app.Secret

	// The secret is stored only as its keyed hash.
	stored, err := e.st.ListAppSecrets(ctx, app.ID)
	must(t, err)
	if len(stored) != 1 || stored[0].Name != "Default secret" || !bytes.Equal(stored[0].Hash, hashSecret(firstSecret)) {
		t.Fatalf("stored secrets = %+v", stored)
	}

	var added struct{ RoleIDs, AddedRoleIDs []string }
	e.do("POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{role.ID}}).want(t, 201, &added)
	if !slices.Equal(added.AddedRoleIDs, []string{role.ID}) {
		t.Fatalf("added = %+v", added)
	}
	// Adding again adds nothing.
	e.do("POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{role.ID}}).want(t, 201, &added)
	if len(added.AddedRoleIDs) != 0 {
		t.Fatalf("second add = %+v", added)
	}
	var roles []roleOutT
	e.do("GET", "/api/applications/"+app.ID+"/roles", nil).want(t, 200, &roles)
	if len(roles) != 1 || roles[0].ID != role.ID {
		t.Fatalf("app roles = %+v", roles)
	}
	var apps []appOut
	e.do("GET", "/api/roles/"+role.ID+"/applications", nil).want(t, 200, &apps)
	if len(apps) != 1 || apps[0].ID != app.ID || apps[0].Secret != nil {
		t.Fatalf("role apps = %+v", apps)
	}
	e.do("GET", "/api/roles/"+role.ID+"/scopes", nil).want(t, 200, &scopes)
	if len(scopes) != 2 {
		t.Fatalf("role scopes = %+v", scopes)
	}

	// What the token endpoint will see.
	cat, err := e.st.LoadCatalog(ctx)
	must(t, err)
	if !slices.Contains(cat.RoleApplications, store.RoleApplication{RoleID: role.ID, AppID: app.ID}) {
		t.Fatalf("catalog lacks the role assignment: %+v", cat.RoleApplications)
	}

	// Secrets: create (with and without expiry), list, rename, delete.
	var ci secretOutT
	exp := time.Now().Add(time.Hour).UnixMilli()
	e.do("POST", "/api/applications/"+app.ID+"/secrets", map[string]any{"name": "ci", "expiresAt": exp}).want(t, 201, &ci)
	if ci.Value == nil || *ci.Value == "" || ci.ExpiresAt == nil || *ci.ExpiresAt != exp || ci.ApplicationID != app.ID {
		t.Fatalf("created secret = %+v", ci)
	}
	var forever secretOutT
	e.do("POST", "/api/applications/"+app.ID+"/secrets", map[string]any{"name": "forever", "expiresAt": nil}).want(t, 201, &forever)
	if forever.ExpiresAt != nil {
		t.Fatalf("secret without expiry = %+v", forever)
	}
	var list []secretOutT
	r = e.do("GET", "/api/applications/"+app.ID+"/secrets", nil).want(t, 200, &list)
	if len(list) != 3 {
		t.Fatalf("secrets = %+v", list)
	}
	for _, s := range list {
		if s.Value != nil {
			t.Fatalf("GET secrets shows a value: %s", r.body)
		}
	}
	for _, v := range []string{firstSecret, *ci.Value, *forever.Value} {
		if bytes.Contains(r.body, []byte(v)) {
			t.Fatal("GET secrets contains a secret value")
		}
	}
	var renamed secretOutT
	e.do("PATCH", "/api/applications/"+app.ID+"/secrets/ci", map[string]any{"name": "ci-2"}).want(t, 200, &renamed)
	if renamed.Name != "ci-2" || renamed.Value != nil || renamed.ExpiresAt == nil || *renamed.ExpiresAt != exp {
		t.Fatalf("renamed = %+v", renamed)
	}
	e.do("PATCH", "/api/applications/"+app.ID+"/secrets/ci", map[string]any{"name": "ci-3"}).want(t, 404, nil)
	e.do("PATCH", "/api/applications/"+app.ID+"/secrets/ci-2", map[string]any{"name": "forever"}).want(t, 422, nil)
	e.do("POST", "/api/applications/"+app.ID+"/secrets", map[string]any{"name": "forever"}).want(t, 422, nil)
	// Names with spaces and slashes travel escaped in the path.
	e.do("PATCH", "/api/applications/"+app.ID+"/secrets/Default%20secret", map[string]any{"name": "a/b"}).want(t, 200, nil)
	e.do("DELETE", "/api/applications/"+app.ID+"/secrets/a%2Fb", nil).want(t, 204, nil)
	e.do("DELETE", "/api/applications/"+app.ID+"/secrets/ci-2", nil).want(t, 204, nil)
	e.do("DELETE", "/api/applications/"+app.ID+"/secrets/ci-2", nil).want(t, 404, nil)
	e.do("GET", "/api/applications/"+app.ID+"/secrets", nil).want(t, 200, &list)
	if len(list) != 1 || list[0].Name != "forever" {
		t.Fatalf("secrets after deletes = %+v", list)
	}

	// The expiry reaches the store, where the token endpoint checks it.
	e.do("POST", "/api/applications/"+app.ID+"/secrets", map[string]any{"name": "soon", "expiresAt": time.Now().Add(time.Minute).UnixMilli()}).want(t, 201, nil)
	stored, err = e.st.ListAppSecrets(ctx, app.ID)
	must(t, err)
	for _, s := range stored {
		if s.Name == "soon" && (s.ExpiresAt.IsZero() || s.Expired(time.Now()) || !s.Expired(time.Now().Add(2*time.Minute))) {
			t.Fatalf("stored expiry of %q = %v", s.Name, s.ExpiresAt)
		}
	}

	// Take the role away again, from both sides.
	e.do("DELETE", "/api/applications/"+app.ID+"/roles/"+role.ID, nil).want(t, 204, nil)
	e.do("DELETE", "/api/applications/"+app.ID+"/roles/"+role.ID, nil).want(t, 404, nil)
	e.do("POST", "/api/roles/"+role.ID+"/applications", map[string]any{"applicationIds": []string{app.ID}}).want(t, 201, nil)
	e.do("DELETE", "/api/roles/"+role.ID+"/applications/"+app.ID, nil).want(t, 204, nil)
	e.do("DELETE", "/api/roles/"+role.ID+"/applications/"+app.ID, nil).want(t, 404, nil)
	e.do("DELETE", "/api/roles/"+role.ID+"/scopes/"+write.ID, nil).want(t, 204, nil)
	e.do("DELETE", "/api/roles/"+role.ID+"/scopes/"+write.ID, nil).want(t, 404, nil)

	// PUT replaces the set of roles.
	other := e.createRole("Other", "MachineToMachine")
	e.do("PUT", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{role.ID, other.ID}}).want(t, 200, &roles)
	if len(roles) != 2 {
		t.Fatalf("after PUT = %+v", roles)
	}
	e.do("PUT", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{other.ID}}).want(t, 200, &roles)
	if len(roles) != 1 || roles[0].ID != other.ID {
		t.Fatalf("after second PUT = %+v", roles)
	}
	e.do("PUT", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{}}).want(t, 200, &roles)
	if len(roles) != 0 {
		t.Fatalf("after empty PUT = %+v", roles)
	}

	// Updates.
	var got appOut
	e.do("PATCH", "/api/applications/"+app.ID, map[string]any{"name": "Order sync 2", "type": "MachineToMachine"}).want(t, 200, &got)
	if got.Name != "Order sync 2" || got.Description != "pulls orders" || got.Secret != nil {
		t.Fatalf("patched app = %+v", got)
	}
	e.do("GET", "/api/applications/"+app.ID, nil).want(t, 200, &got)
	if got.Name != "Order sync 2" || got.Secret != nil {
		t.Fatalf("got app = %+v", got)
	}
	var gotRes resourceOutT
	e.do("PATCH", "/api/resources/"+res.ID, map[string]any{"name": "Shop", "accessTokenTtl": 600, "indicator": "https://shopping.api"}).want(t, 200, &gotRes)
	if gotRes.Name != "Shop" || gotRes.AccessTokenTTL != 600 {
		t.Fatalf("patched resource = %+v", gotRes)
	}
	e.do("PATCH", "/api/resources/"+res.ID+"/is-default", map[string]any{"isDefault": true}).want(t, 200, &gotRes)
	if !gotRes.IsDefault {
		t.Fatalf("is-default = %+v", gotRes)
	}
	e.do("GET", "/api/resources/"+res.ID, nil).want(t, 200, &gotRes)
	if !gotRes.IsDefault || gotRes.AccessTokenTTL != 600 {
		t.Fatalf("got resource = %+v", gotRes)
	}
	var sc scopeOutT
	e.do("PATCH", "/api/resources/"+res.ID+"/scopes/"+read.ID, map[string]any{"description": "Read the catalogue"}).want(t, 200, &sc)
	if sc.Name != "read:products" || sc.Description != "Read the catalogue" {
		t.Fatalf("patched scope = %+v", sc)
	}
	var gotRole roleOutT
	e.do("PATCH", "/api/roles/"+role.ID, map[string]any{"description": "sync"}).want(t, 200, &gotRole)
	if gotRole.Name != "Shop service" || gotRole.Description != "sync" {
		t.Fatalf("patched role = %+v", gotRole)
	}
	e.do("GET", "/api/roles/"+role.ID, nil).want(t, 200, &gotRole)

	// Role type filter.
	e.createRole("A user role", "User")
	var m2m, users []roleOutT
	e.do("GET", "/api/roles?type=MachineToMachine", nil).want(t, 200, &m2m)
	e.do("GET", "/api/roles?type=User", nil).want(t, 200, &users)
	if len(m2m) != 3 || len(users) != 1 {
		t.Fatalf("M2M roles %+v, user roles %+v", m2m, users)
	}

	// Deletes.
	e.do("DELETE", "/api/resources/"+res.ID+"/scopes/"+write.ID, nil).want(t, 204, nil)
	e.do("DELETE", "/api/resources/"+res.ID+"/scopes/"+write.ID, nil).want(t, 404, nil)
	e.do("DELETE", "/api/roles/"+role.ID, nil).want(t, 204, nil)
	e.do("GET", "/api/roles/"+role.ID, nil).want(t, 404, nil)
	e.do("DELETE", "/api/resources/"+res.ID, nil).want(t, 204, nil)
	e.do("GET", "/api/resources/"+res.ID, nil).want(t, 404, nil)
	e.do("DELETE", "/api/applications/"+app.ID, nil).want(t, 204, nil)
	e.do("GET", "/api/applications/"+app.ID, nil).want(t, 404, nil)
	e.do("DELETE", "/api/applications/"+app.ID, nil).want(t, 404, nil)
}

func TestApplicationTypesAndSecrets(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		typ        string
		wantSecret bool
	}{
		{"MachineToMachine", true},
		{"Traditional", true},
		{"SPA", false},
		{"Native", false},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			a := e.createApp("app "+tc.typ, tc.typ)
			if (a.Secret != nil) != tc.wantSecret || a.Type != tc.typ {
				t.Fatalf("created %+v, want secret %v", a, tc.wantSecret)
			}
			var list []secretOutT
			e.do("GET", "/api/applications/"+a.ID+"/secrets", nil).want(t, 200, &list)
			if len(list) != map[bool]int{true: 1, false: 0}[tc.wantSecret] {
				t.Fatalf("secrets = %+v", list)
			}
			status := 201
			if !tc.wantSecret {
				status = 422 // public clients hold no secrets
			}
			e.do("POST", "/api/applications/"+a.ID+"/secrets", map[string]any{"name": "extra"}).want(t, status, nil)
		})
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	for i := range 25 {
		e.createApp("app "+strconv.Itoa(i), "SPA")
	}
	// The store's order (creation time, then id) is the reference.
	all, total, err := e.st.ListApplications(context.Background(), store.ApplicationFilter{}, store.Page{})
	must(t, err)
	if total != 25 || len(all) != 25 {
		t.Fatalf("store holds %d apps", total)
	}
	for _, tc := range []struct {
		query     string
		wantFirst int
		wantLen   int
	}{
		{"", 0, 25}, // Logto's pagination of applications is optional
		{"?page=", 0, 25},
		{"?page=1", 0, 20},
		{"?page=2", 20, 5},
		{"?page=3", 0, 0},
		{"?page_size=10&page=3", 20, 5},
		{"?page_size=100", 0, 25},
		{"?page_size=1&page=25", 24, 1},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var apps []appOut
			r := e.do("GET", "/api/applications"+tc.query, nil).want(t, 200, &apps)
			// Logto sends Total-Number only on a paginated answer.
			want := "25"
			if tc.query == "" || tc.query == "?page=" {
				want = ""
			}
			if r.header.Get("Total-Number") != want {
				t.Errorf("Total-Number = %q, want %q", r.header.Get("Total-Number"), want)
			}
			if len(apps) != tc.wantLen {
				t.Fatalf("got %d apps, want %d", len(apps), tc.wantLen)
			}
			for i, a := range apps {
				if a.ID != all[tc.wantFirst+i].ID {
					t.Fatalf("item %d = %s, want %s", i, a.Name, all[tc.wantFirst+i].Name)
				}
			}
			if apps == nil || bytes.HasPrefix(r.body, []byte("null")) {
				t.Errorf("empty page must be [], got %s", r.body)
			}
		})
	}
	for _, q := range []string{"page=0", "page=-1", "page=x", "page_size=0", "page_size=101", "page_size=1.5", "page=99999999999999999999", "page=2147483647&page_size=100"} {
		t.Run("bad "+q, func(t *testing.T) {
			r := e.do("GET", "/api/applications?"+q, nil).want(t, 400, nil)
			if m := r.errBody(t); !strings.Contains(m["message"], "page") {
				t.Errorf("message %q does not name the parameter", m["message"])
			}
		})
	}
	// Every listing is paginated the same way.
	res := e.createResource("R", "https://r.example")
	role := e.createRole("R", "MachineToMachine")
	app := e.createApp("M", "MachineToMachine")
	for _, path := range []string{
		"/api/resources", "/api/roles", "/api/resources/" + res.ID + "/scopes", "/api/roles/" + role.ID + "/scopes",
		"/api/roles/" + role.ID + "/applications", "/api/applications/" + app.ID + "/roles",
	} {
		r := e.do("GET", path+"?page_size=1", nil).want(t, 200, nil)
		if r.header.Get("Total-Number") == "" {
			t.Errorf("%s: no Total-Number", path)
		}
		e.do("GET", path+"?page_size=500", nil).want(t, 400, nil)
	}
}
