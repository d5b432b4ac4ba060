package auth0_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/ratelimit"
	"github.com/monban/monban/internal/server"
)

func TestClients(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	for _, c := range []struct{ appType, logto, method string }{
		{"non_interactive", "MachineToMachine", "client_secret_post"},
		{"regular_web", "Traditional", "client_secret_post"},
		{"spa", "SPA", "none"},
		{"native", "Native", "none"},
	} {
		body := map[string]any{"name": "App " + c.appType, "app_type": c.appType}
		if c.appType != "non_interactive" {
			body["callbacks"] = []string{"https://app.example/cb"}
			body["allowed_logout_urls"] = []string{"https://app.example/"}
			body["web_origins"] = []string{"https://app.example"}
		}
		m := ts.must(tok, "POST", "/api/v2/clients", body, 201)
		if m["app_type"] != c.appType || m["token_endpoint_auth_method"] != c.method || m["is_first_party"] != true {
			t.Fatalf("%s: %v", c.appType, m)
		}
		if secret, _ := m["client_secret"].(string); (secret != "") != (c.method != "none") {
			t.Fatalf("%s: secret %q", c.appType, secret)
		}
		logto := ts.token(bootID, bootSecret, ts.URL+"/api", "all")
		if a := ts.must(logto, "GET", "/api/applications/"+m["client_id"].(string), nil, 200); a["type"] != c.logto {
			t.Fatalf("%s is %v in the Logto API", c.appType, a["type"])
		}
	}
	web := ts.must(tok, "POST", "/api/v2/clients", map[string]any{"name": "Web", "callbacks": []string{"https://w.example/cb"}}, 201)
	id := web["client_id"].(string)
	if web["app_type"] != "regular_web" || !slices.Equal(anyStrings(web["grant_types"]), []string{"authorization_code", "refresh_token"}) {
		t.Fatalf("default client %v", web)
	}
	got := ts.must(tok, "PATCH", "/api/v2/clients/"+id, map[string]any{"name": "Web 2", "callbacks": []string{"https://w.example/cb2"},
		"grant_types": []string{"authorization_code", "refresh_token", "password"}, "client_metadata": map[string]any{"team": "a"}}, 200)
	if got["name"] != "Web 2" || anyStrings(got["callbacks"])[0] != "https://w.example/cb2" || !slices.Contains(anyStrings(got["grant_types"]), "password") ||
		got["client_metadata"].(map[string]any)["team"] != "a" {
		t.Fatalf("patched %v", got)
	}
	if _, ok := ts.must(tok, "GET", "/api/v2/clients/"+id, nil, 200)["client_secret"]; ok {
		t.Fatal("a read shows a secret")
	}
	// Rotation: the new secret works, the old one no longer does.
	old := web["client_secret"].(string)
	rot := ts.must(tok, "POST", "/api/v2/clients/"+id+"/rotate-secret", nil, 200)
	form := url.Values{"grant_type": {"password"}, "username": {"nobody"}, "password": {"x"}}.Encode()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if r := ts.doAuth(id, old, "/oidc/token", h, form); r.Status != 401 {
		t.Fatalf("old secret after rotation: %d %s", r.Status, r.Body)
	}
	if r := ts.doAuth(id, rot["client_secret"].(string), "/oidc/token", h, form); r.Status == 401 {
		t.Fatalf("new secret: %d %s", r.Status, r.Body)
	}
	// Lists, filtered by type, with totals.
	m := ts.must(tok, "GET", "/api/v2/clients?include_totals=true&app_type=spa,native", nil, 200)
	if m["total"] != float64(3) || len(m["clients"].([]any)) != 3 { // and the console
		t.Fatalf("spa and native %v", m)
	}
	for _, c := range []struct {
		method, path string
		body         map[string]any
		status       int
		code         string
	}{
		{"POST", "/api/v2/clients", map[string]any{"app_type": "spa"}, 400, "invalid_body"},
		{"POST", "/api/v2/clients", map[string]any{"name": "x", "app_type": "rich"}, 400, "invalid_body"},
		{"POST", "/api/v2/clients", map[string]any{"name": "x", "app_type": "non_interactive", "grant_types": []string{"password"}}, 400, "invalid_body"},
		{"POST", "/api/v2/clients", map[string]any{"name": "x", "app_type": "spa", "token_endpoint_auth_method": "client_secret_post"}, 400, "invalid_body"},
		{"POST", "/api/v2/clients", map[string]any{"name": "x", "is_first_party": false}, 400, "invalid_body"},
		{"POST", "/api/v2/clients", map[string]any{"name": "x", "jwt_configuration": map[string]any{}}, 400, "invalid_body"},
		{"PATCH", "/api/v2/clients/" + id, map[string]any{"app_type": "spa"}, 400, "invalid_body"},
		{"GET", "/api/v2/clients/missing", nil, 404, "inexistent_client"},
		{"DELETE", "/api/v2/clients/missing", nil, 404, "inexistent_client"},
		{"POST", "/api/v2/clients/missing/rotate-secret", nil, 404, "inexistent_client"},
	} {
		var r response
		if c.body == nil {
			r = ts.api(tok, c.method, c.path, nil)
		} else {
			r = ts.api(tok, c.method, c.path, c.body)
		}
		t.Run(c.method+" "+c.path, func(t *testing.T) { wantError(t, r, c.status, c.code) })
	}
	ts.must(tok, "DELETE", "/api/v2/clients/"+id, nil, 204)
	wantError(t, ts.api(tok, "GET", "/api/v2/clients/"+id, nil), 404, "inexistent_client")
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// A client grant authorizes an app for an API: the token endpoint issues
// its scopes, and the Logto API shows it as a role the app holds.
func TestClientGrants(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	api := ts.must(tok, "POST", "/api/v2/resource-servers", map[string]any{"name": "Orders", "identifier": "https://orders.example",
		"scopes": []map[string]any{{"value": "read:orders", "description": "Read"}, {"value": "write:orders", "description": "Write"}}}, 201)
	if len(api["scopes"].([]any)) != 2 || api["token_lifetime"] != float64(86400) || api["is_system"] != false {
		t.Fatalf("resource server %v", api)
	}
	app := ts.must(tok, "POST", "/api/v2/clients", map[string]any{"name": "Worker", "app_type": "non_interactive"}, 201)
	appID, secret := app["client_id"].(string), app["client_secret"].(string)
	form := func(scope string) string {
		return url.Values{"grant_type": {"client_credentials"}, "resource": {"https://orders.example"}, "scope": {scope}}.Encode()
	}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

	g := ts.must(tok, "POST", "/api/v2/client-grants", map[string]any{"client_id": appID, "audience": "https://orders.example", "scope": []string{"read:orders"}}, 201)
	if g["client_id"] != appID || g["audience"] != "https://orders.example" || !slices.Equal(anyStrings(g["scope"]), []string{"read:orders"}) {
		t.Fatalf("grant %v", g)
	}
	r := ts.doAuth(appID, secret, "/oidc/token", h, form("read:orders write:orders"))
	if r.Status != 200 || r.json(t)["scope"] != "read:orders" {
		t.Fatalf("token with the grant: %d %s", r.Status, r.Body)
	}
	logto := ts.token(bootID, bootSecret, ts.URL+"/api", "all")
	roles := ts.api(logto, "GET", "/api/applications/"+appID+"/roles", nil).list(t)
	if len(roles) != 1 || roles[0]["name"] != "client-grant:"+appID+":"+api["id"].(string) {
		t.Fatalf("the grant as the Logto API sees it %v", roles)
	}
	g = ts.must(tok, "PATCH", "/api/v2/client-grants/"+g["id"].(string), map[string]any{"scope": []string{"write:orders"}}, 200)
	r = ts.doAuth(appID, secret, "/oidc/token", h, form("read:orders write:orders"))
	if r.Status != 200 || r.json(t)["scope"] != "write:orders" {
		t.Fatalf("token after the change: %d %s", r.Status, r.Body)
	}
	l := ts.must(tok, "GET", "/api/v2/client-grants?include_totals=true&audience="+url.QueryEscape("https://orders.example"), nil, 200)
	if l["total"] != float64(1) {
		t.Fatalf("grants by audience %v", l)
	}
	for _, c := range []struct {
		method, path string
		body         map[string]any
		status       int
		code         string
	}{
		{"POST", "/api/v2/client-grants", map[string]any{"client_id": appID, "audience": "https://orders.example", "scope": []string{}}, 409, "conflict"},
		{"POST", "/api/v2/client-grants", map[string]any{"client_id": appID, "audience": "https://none.example", "scope": []string{}}, 404, "inexistent_resource_server"},
		{"POST", "/api/v2/client-grants", map[string]any{"client_id": "missing", "audience": "https://orders.example", "scope": []string{}}, 404, "inexistent_client"},
		{"POST", "/api/v2/client-grants", map[string]any{"client_id": appID, "audience": ts.V2, "scope": []string{"read:orders"}}, 400, "invalid_body"},
		{"POST", "/api/v2/client-grants", map[string]any{"client_id": appID, "audience": ts.V2}, 400, "invalid_body"},
		{"PATCH", "/api/v2/client-grants/missing", map[string]any{"scope": []string{}}, 404, "inexistent_client_grant"},
		{"GET", "/api/v2/client-grants/missing", nil, 404, "inexistent_client_grant"},
	} {
		var r response
		if c.body == nil {
			r = ts.api(tok, c.method, c.path, nil)
		} else {
			r = ts.api(tok, c.method, c.path, c.body)
		}
		t.Run(c.method+" "+c.path, func(t *testing.T) { wantError(t, r, c.status, c.code) })
	}
	ts.must(tok, "DELETE", "/api/v2/client-grants/"+g["id"].(string), nil, 204)
	if r := ts.doAuth(appID, secret, "/oidc/token", h, form("read:orders")); r.Status == 200 && strings.Contains(string(r.Body), "read:orders") {
		t.Fatalf("token after the grant's deletion: %d %s", r.Status, r.Body)
	}
}

// Every grant the token endpoint follows is listed, with the scopes a
// token gets; one made by a shared role is edited only where that role
// is not touched.
func TestClientGrantsAsTheTokenEndpointSeesThem(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	h := http.Header{"Content-Type": {"application/json"}}
	m2m := func(id, secret, audience string) response {
		b, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "audience": audience})
		return ts.do("POST", "/oauth/token", h, bytes.NewReader(b))
	}
	// The bootstrap app's v2 grant comes from "Management API access".
	l := ts.must(tok, "GET", "/api/v2/client-grants?include_totals=true&client_id="+bootID+"&audience="+url.QueryEscape(ts.V2), nil, 200)
	grants := l["client_grants"].([]any)
	if len(grants) != 1 {
		t.Fatalf("bootstrap grants %v", l)
	}
	boot := grants[0].(map[string]any)
	r := m2m(bootID, bootSecret, ts.V2)
	if r.Status != 200 {
		t.Fatalf("bootstrap token %d %s", r.Status, r.Body)
	}
	if got := strings.Fields(r.json(t)["scope"].(string)); !slices.Equal(sortedCopy(got), anyStrings(boot["scope"])) {
		t.Fatalf("listed %v, token %v", boot["scope"], got)
	}
	if g := ts.must(tok, "GET", "/api/v2/client-grants/"+boot["id"].(string), nil, 200); g["id"] != boot["id"] {
		t.Fatalf("get %v", g)
	}
	// Logto's Management API grant is listed too.
	if all := ts.api(tok, "GET", "/api/v2/client-grants?client_id="+bootID, nil).list(t); len(all) != 2 {
		t.Fatalf("bootstrap grants %v", all)
	}
	for _, c := range []struct {
		method string
		body   map[string]any
	}{
		{"PATCH", map[string]any{"scope": []string{"read:users"}}},
		{"DELETE", nil},
	} {
		var r response
		if c.body == nil {
			r = ts.api(tok, c.method, "/api/v2/client-grants/"+boot["id"].(string), nil)
		} else {
			r = ts.api(tok, c.method, "/api/v2/client-grants/"+boot["id"].(string), c.body)
		}
		e := wantError(t, r, 409, "conflict")
		if msg, _ := e["message"].(string); !strings.Contains(msg, `"Management API access"`) {
			t.Fatalf("%s refusal does not name the role: %v", c.method, e)
		}
	}
	// Auth0's checkpoint pagination, which its SDKs use: from and take.
	var seen []string
	for from, n := "", 0; ; n++ {
		page := ts.must(tok, "GET", "/api/v2/client-grants?include_totals=true&take=1&from="+from, nil, 200)
		items := page["client_grants"].([]any)
		if len(items) != 1 || n > 3 {
			t.Fatalf("checkpoint page %v", page)
		}
		seen = append(seen, items[0].(map[string]any)["id"].(string))
		next, _ := page["next"].(string)
		if next == "" {
			break
		}
		from = next
	}
	if len(seen) != 2 || seen[0] == seen[1] {
		t.Fatalf("checkpoint pages %v", seen)
	}
	for _, q := range []string{"take=0", "take=101", "take=x", "from=cgr_missing", "take=1&page=0"} {
		wantError(t, ts.api(tok, "GET", "/api/v2/client-grants?"+q, nil), 400, "invalid_query_string")
	}
	if r := ts.api(tok, "POST", "/api/v2/client-grants", map[string]any{"client_id": bootID, "audience": ts.V2, "scope": []string{}}); r.Status != 409 {
		t.Fatalf("a second grant for the pair: %d %s", r.Status, r.Body)
	}

	// A grant with no scopes authorizes a token with none.
	ts.must(tok, "POST", "/api/v2/resource-servers", map[string]any{"identifier": "https://e.example", "scopes": []map[string]any{{"value": "a"}}}, 201)
	app := ts.must(tok, "POST", "/api/v2/clients", map[string]any{"name": "W", "app_type": "non_interactive"}, 201)
	appID, secret := app["client_id"].(string), app["client_secret"].(string)
	if r := m2m(appID, secret, "https://e.example"); r.Status != 403 {
		t.Fatalf("token without a grant %d %s", r.Status, r.Body)
	}
	g := ts.must(tok, "POST", "/api/v2/client-grants", map[string]any{"client_id": appID, "audience": "https://e.example", "scope": []string{}}, 201)
	if r := m2m(appID, secret, "https://e.example"); r.Status != 200 || r.json(t)["scope"] != nil && r.json(t)["scope"] != "" {
		t.Fatalf("token with an empty grant %d %s", r.Status, r.Body)
	}
	ts.must(tok, "PATCH", "/api/v2/client-grants/"+g["id"].(string), map[string]any{"scope": []string{"a"}}, 200)
	if r := m2m(appID, secret, "https://e.example"); r.Status != 200 || r.json(t)["scope"] != "a" {
		t.Fatalf("token after the change %d %s", r.Status, r.Body)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func TestResourceServers(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	rs := ts.must(tok, "POST", "/api/v2/resource-servers", map[string]any{"identifier": "https://inv.example", "token_lifetime": 600,
		"scopes": []map[string]any{{"value": "a", "description": "A"}, {"value": "b", "description": "B"}}}, 201)
	if rs["name"] != "https://inv.example" || rs["token_lifetime"] != float64(600) {
		t.Fatalf("created %v", rs)
	}
	id := rs["id"].(string)
	// By id or by identifier.
	if got := ts.must(tok, "GET", "/api/v2/resource-servers/"+url.PathEscape("https://inv.example"), nil, 200); got["id"] != id {
		t.Fatalf("by identifier %v", got)
	}
	got := ts.must(tok, "PATCH", "/api/v2/resource-servers/"+id, map[string]any{"name": "Inventory",
		"scopes": []map[string]any{{"value": "b", "description": "B2"}, {"value": "c", "description": "C"}}}, 200)
	sc := got["scopes"].([]any)
	if got["name"] != "Inventory" || len(sc) != 2 {
		t.Fatalf("patched %v", got)
	}
	var values []string
	for _, s := range sc {
		values = append(values, s.(map[string]any)["value"].(string)+"="+s.(map[string]any)["description"].(string))
	}
	slices.Sort(values)
	if strings.Join(values, ",") != "b=B2,c=C" {
		t.Fatalf("scopes %v", values)
	}
	l := ts.must(tok, "GET", "/api/v2/resource-servers?include_totals=true", nil, 200)
	system := 0
	for _, x := range l["resource_servers"].([]any) {
		if x.(map[string]any)["is_system"] == true {
			system++
		}
	}
	if l["total"] != float64(3) || system != 2 {
		t.Fatalf("list %v", l)
	}
	// The built-in APIs are read-only.
	wantError(t, ts.api(tok, "PATCH", "/api/v2/resource-servers/"+url.PathEscape(ts.V2), map[string]any{"name": "x"}), 403, "operation_not_supported")
	wantError(t, ts.api(tok, "DELETE", "/api/v2/resource-servers/"+url.PathEscape(ts.V2), nil), 403, "operation_not_supported")
	wantError(t, ts.api(tok, "POST", "/api/v2/resource-servers", map[string]any{"identifier": "https://inv.example"}), 409, "")
	wantError(t, ts.api(tok, "POST", "/api/v2/resource-servers", map[string]any{"identifier": "https://x.example", "signing_alg": "HS256"}), 400, "invalid_body")
	wantError(t, ts.api(tok, "POST", "/api/v2/resource-servers", map[string]any{"identifier": "https://y.example",
		"scopes": []map[string]any{{"value": "a"}, {"value": "a"}}}), 400, "invalid_body")
	wantError(t, ts.api(tok, "PATCH", "/api/v2/resource-servers/"+id, map[string]any{"identifier": "https://other.example"}), 400, "invalid_body")
	ts.must(tok, "DELETE", "/api/v2/resource-servers/"+id, nil, 204)
	wantError(t, ts.api(tok, "GET", "/api/v2/resource-servers/"+id, nil), 404, "inexistent_resource_server")
	if rs["enable_rbac"] != true || rs["token_dialect"] != "access_token" {
		t.Fatalf("Auth0's defaults are not Monban's %v", rs)
	}
}

// Auth0's RBAC settings and token lifetime of an API are the resource's
// per-API settings: the Logto API sees them and tokens follow them.
func TestResourceServerSettings(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	rs := ts.must(tok, "POST", "/api/v2/resource-servers", map[string]any{"identifier": "https://rbac.example", "token_lifetime": 86400,
		"enable_rbac": false, "token_dialect": "access_token_authz", "scopes": []map[string]any{{"value": "read:x"}}}, 201)
	if rs["enable_rbac"] != false || rs["token_dialect"] != "access_token_authz" || rs["token_lifetime"] != float64(86400) {
		t.Fatalf("created %v", rs)
	}
	id := rs["id"].(string)
	logto := ts.token(bootID, bootSecret, ts.URL+"/api", "all")
	res := ts.api(logto, "GET", "/api/resources/"+id, nil).json(t)
	if res["enableRbac"] != false || res["permissionsClaim"] != true || res["accessTokenTtl"] != float64(86400) {
		t.Fatalf("the resource as the Logto API sees it %v", res)
	}
	app := ts.must(tok, "POST", "/api/v2/clients", map[string]any{"name": "W", "app_type": "non_interactive"}, 201)
	appID, secret := app["client_id"].(string), app["client_secret"].(string)
	ts.must(tok, "POST", "/api/v2/client-grants", map[string]any{"client_id": appID, "audience": "https://rbac.example", "scope": []string{"read:x"}}, 201)
	claims := func() (map[string]any, map[string]any) {
		b, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": appID, "client_secret": secret, "audience": "https://rbac.example"})
		r := ts.do("POST", "/oauth/token", http.Header{"Content-Type": {"application/json"}}, bytes.NewReader(b))
		if r.Status != 200 {
			t.Fatalf("token %d %s", r.Status, r.Body)
		}
		body := r.json(t)
		parts := strings.Split(body["access_token"].(string), ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var c map[string]any
		if err := json.Unmarshal(payload, &c); err != nil {
			t.Fatal(err)
		}
		return body, c
	}
	body, c := claims()
	if body["expires_in"] != float64(86400) || !slices.Equal(anyStrings(c["permissions"]), []string{"read:x"}) {
		t.Fatalf("token %v, claims %v", body, c)
	}
	got := ts.must(tok, "PATCH", "/api/v2/resource-servers/"+id, map[string]any{"token_dialect": "access_token", "enable_rbac": true, "token_lifetime": 600}, 200)
	if got["enable_rbac"] != true || got["token_dialect"] != "access_token" || got["token_lifetime"] != float64(600) {
		t.Fatalf("patched %v", got)
	}
	if body, c := claims(); body["expires_in"] != float64(600) || c["permissions"] != nil {
		t.Fatalf("token after the change %v, claims %v", body, c)
	}
	res = ts.api(logto, "GET", "/api/resources/"+id, nil).json(t)
	if res["enableRbac"] != true || res["permissionsClaim"] != false {
		t.Fatalf("after the change, as the Logto API sees it %v", res)
	}
	for _, body := range []map[string]any{
		{"token_dialect": "rfc9068_profile"},
		{"token_dialect": ""},
		{"enable_rbac": "yes"},
		{"token_lifetime": -1},
		{"allow_offline_access": true},
	} {
		wantError(t, ts.api(tok, "PATCH", "/api/v2/resource-servers/"+id, body), 400, "invalid_body")
	}
	wantError(t, ts.api(tok, "PATCH", "/api/v2/resource-servers/"+url.PathEscape(ts.V2), map[string]any{"enable_rbac": false}), 403, "operation_not_supported")
}

func TestRoles(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	ts.must(tok, "POST", "/api/v2/resource-servers", map[string]any{"identifier": "https://shop.example",
		"scopes": []map[string]any{{"value": "read:products", "description": "Read"}, {"value": "write:products"}}}, 201)
	role := ts.must(tok, "POST", "/api/v2/roles", map[string]any{"name": "Shopper", "description": "buys"}, 200)
	id := role["id"].(string)
	perm := func(name string) map[string]any {
		return map[string]any{"permission_name": name, "resource_server_identifier": "https://shop.example"}
	}
	ts.must(tok, "POST", "/api/v2/roles/"+id+"/permissions", map[string]any{"permissions": []any{perm("read:products"), perm("write:products")}}, 201)
	ps := ts.api(tok, "GET", "/api/v2/roles/"+id+"/permissions", nil).list(t)
	if len(ps) != 2 || ps[0]["permission_name"] != "read:products" || ps[0]["resource_server_identifier"] != "https://shop.example" {
		t.Fatalf("permissions %v", ps)
	}
	ts.must(tok, "DELETE", "/api/v2/roles/"+id+"/permissions", map[string]any{"permissions": []any{perm("write:products")}}, 204)
	// Taking a permission the role does not grant is no error; a role
	// that does not exist is.
	ts.must(tok, "DELETE", "/api/v2/roles/"+id+"/permissions", map[string]any{"permissions": []any{perm("write:products")}}, 204)
	wantError(t, ts.api(tok, "DELETE", "/api/v2/roles/rol_missing0000000/permissions", map[string]any{"permissions": []any{perm("read:products")}}), 404, "inexistent_role")
	wantError(t, ts.api(tok, "POST", "/api/v2/roles/"+id+"/permissions", map[string]any{"permissions": []any{perm("nope")}}), 400, "invalid_body")

	u := newUser(ts, tok, "r@example.com", "R", nil)
	uid := u["user_id"].(string)
	ts.must(tok, "POST", "/api/v2/roles/"+id+"/users", map[string]any{"users": []string{uid}}, 200)
	if l := ts.api(tok, "GET", "/api/v2/roles/"+id+"/users", nil).list(t); len(l) != 1 || l[0]["user_id"] != uid {
		t.Fatalf("role users %v", l)
	}
	up := ts.api(tok, "GET", "/api/v2/users/"+url.PathEscape(uid)+"/permissions", nil).list(t)
	if len(up) != 1 || up[0]["permission_name"] != "read:products" || up[0]["sources"].([]any)[0].(map[string]any)["source_id"] != id {
		t.Fatalf("user permissions %v", up)
	}
	ur := ts.must(tok, "GET", "/api/v2/users/"+url.PathEscape(uid)+"/roles?include_totals=true", nil, 200)
	if ur["total"] != float64(1) {
		t.Fatalf("user roles %v", ur)
	}
	ts.must(tok, "DELETE", "/api/v2/users/"+url.PathEscape(uid)+"/roles", map[string]any{"roles": []string{id}}, 204)
	ts.must(tok, "DELETE", "/api/v2/users/"+url.PathEscape(uid)+"/roles", map[string]any{"roles": []string{id}}, 204)
	ts.must(tok, "POST", "/api/v2/users/"+url.PathEscape(uid)+"/roles", map[string]any{"roles": []string{id}}, 204)

	got := ts.must(tok, "PATCH", "/api/v2/roles/"+id, map[string]any{"description": "buys things"}, 200)
	if got["description"] != "buys things" || got["name"] != "Shopper" {
		t.Fatalf("patched %v", got)
	}
	m := ts.must(tok, "GET", "/api/v2/roles?include_totals=true&name_filter=shop", nil, 200)
	if m["total"] != float64(1) {
		t.Fatalf("name_filter %v", m)
	}
	// Machine-to-machine roles are not Auth0 roles.
	all := ts.api(tok, "GET", "/api/v2/roles", nil).list(t)
	for _, r := range all {
		if r["name"] == "Management API access" {
			t.Fatalf("an M2M role is listed: %v", all)
		}
	}
	wantError(t, ts.api(tok, "POST", "/api/v2/roles", map[string]any{"name": "Shopper"}), 409, "conflict")
	wantError(t, ts.api(tok, "POST", "/api/v2/roles/"+id+"/users", map[string]any{"users": []string{"google|1"}}), 404, "inexistent_user")
	ts.must(tok, "DELETE", "/api/v2/roles/"+id, nil, 204)
	wantError(t, ts.api(tok, "GET", "/api/v2/roles/"+id, nil), 404, "inexistent_role")
	// Each change is recorded: the deletion is a log event.
	deleted := func() bool {
		for _, e := range ts.api(tok, "GET", "/api/v2/logs?q=type:sapi&per_page=100", nil).list(t) {
			if d, _ := e["details"].(map[string]any); d["method"] == "DELETE" && d["path"] == "/api/v2/roles/"+id {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(10 * time.Second)
	for !deleted() {
		if time.Now().After(deadline) {
			t.Fatal("the role's deletion is not among the log events")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestConnectionsAndLogs(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	spa := ts.must(tok, "POST", "/api/v2/clients", map[string]any{"name": "SPA", "app_type": "spa", "callbacks": []string{"https://s.example/cb"}}, 201)
	l := ts.api(tok, "GET", "/api/v2/connections", nil).list(t)
	if len(l) != 1 || l[0]["name"] != conn || l[0]["strategy"] != "auth0" || !slices.Contains(anyStrings(l[0]["enabled_clients"]), spa["client_id"].(string)) {
		t.Fatalf("connections %v", l)
	}
	one := ts.must(tok, "GET", "/api/v2/connections/"+l[0]["id"].(string), nil, 200)
	if one["name"] != conn {
		t.Fatalf("connection %v", one)
	}
	if l := ts.api(tok, "GET", "/api/v2/connections?strategy=google-oauth2", nil).list(t); len(l) != 0 {
		t.Fatalf("by another strategy %v", l)
	}
	wantError(t, ts.api(tok, "GET", "/api/v2/connections/con_other", nil), 404, "inexistent_connection")

	// Token requests and changes are log events of Auth0's types.
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	ts.doAuth(bootID, "wrong", "/oidc/token", h, url.Values{"grant_type": {"client_credentials"}}.Encode())
	seccft := ts.eventually(tok, "/api/v2/logs?q=type:seccft")
	if seccft[0]["client_id"] != bootID || seccft[0]["type"] != "seccft" || seccft[0]["date"] == "" {
		t.Fatalf("seccft %v", seccft[0])
	}
	if f := ts.eventually(tok, "/api/v2/logs?q="+url.QueryEscape("type:feccft AND client_id:"+bootID)); f[0]["type"] != "feccft" {
		t.Fatalf("feccft %v", f)
	}
	sapi := ts.eventually(tok, "/api/v2/logs?q=type:sapi")
	// search is q by the name Auth0's Node SDK gives it.
	for _, l := range ts.eventually(tok, "/api/v2/logs?search=type:sapi") {
		if l["type"] != "sapi" {
			t.Fatalf("search=type:sapi listed %v", l)
		}
	}
	wantError(t, ts.api(tok, "GET", "/api/v2/logs?search=type:sapi&q=type:sapi", nil), 400, "invalid_query_string")
	if sapi[0]["client_id"] != spa["client_id"] && sapi[0]["type"] != "sapi" {
		t.Fatalf("sapi %v", sapi[0])
	}
	ts.must(tok, "GET", "/api/v2/logs/"+sapi[0]["log_id"].(string), nil, 200)
	wantError(t, ts.api(tok, "GET", "/api/v2/logs?q=type:xyz", nil), 400, "invalid_query_string")
	wantError(t, ts.api(tok, "GET", "/api/v2/logs?sort=date:1", nil), 400, "invalid_query_string")
	wantError(t, ts.api(tok, "GET", "/api/v2/logs/missing", nil), 404, "inexistent_log")
}

// Over the limit: 429 in Auth0's shape, with its rate-limit headers, which
// every answer carries.
func TestRateLimit(t *testing.T) {
	ts := start(t, func(c *server.Config) {
		c.RateLimits = &server.RateLimits{Management: ratelimit.Rule{Rate: 0.01, Burst: 3}}
	})
	tok := ts.admin()
	var last response
	for i := range 4 {
		last = ts.api(tok, "GET", "/api/v2/roles", nil)
		if i < 3 {
			if last.Status != 200 || last.Header.Get("X-Ratelimit-Limit") != "3" || last.Header.Get("X-Ratelimit-Remaining") != string(rune('2'-i)) {
				t.Fatalf("request %d: %d, headers %v", i, last.Status, last.Header)
			}
		}
	}
	wantError(t, last, http.StatusTooManyRequests, "too_many_requests")
	if last.Header.Get("X-Ratelimit-Remaining") != "0" || last.Header.Get("X-Ratelimit-Reset") == "" || last.Header.Get("Retry-After") == "" {
		t.Fatalf("429 headers %v", last.Header)
	}
}

// require_pushed_authorization_requests is the app's "require PAR": false
// by default, set by a create or a change, shared with the Logto API's
// customClientMetadata.requirePushedAuthorizationRequests, and refused for
// a non_interactive client, which signs no user in.
func TestClientRequirePAR(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	c := ts.must(tok, "POST", "/api/v2/clients", map[string]any{"name": "PAR web", "callbacks": []string{"https://par.example/cb"}}, 201)
	if v, ok := c["require_pushed_authorization_requests"]; !ok || v != false {
		t.Fatalf("new client: %v", c)
	}
	id := c["client_id"].(string)
	if got := ts.must(tok, "PATCH", "/api/v2/clients/"+id, map[string]any{"require_pushed_authorization_requests": true}, 200); got["require_pushed_authorization_requests"] != true {
		t.Fatalf("patched %v", got)
	}
	logto := ts.token(bootID, bootSecret, ts.URL+"/api", "all")
	a := ts.must(logto, "GET", "/api/applications/"+id, nil, 200)
	if a["customClientMetadata"].(map[string]any)["requirePushedAuthorizationRequests"] != true {
		t.Fatalf("in the Logto API: %v", a["customClientMetadata"])
	}
	ts.must(tok, "POST", "/api/v2/clients", map[string]any{"name": "PAR robot", "app_type": "non_interactive", "require_pushed_authorization_requests": true}, 400)
}

// TestEnterpriseConnections: each enterprise SSO connector is an
// enterprise connection in Auth0's shape, without its secret, found by
// id, name and strategy.
func TestEnterpriseConnections(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	logto := ts.token(bootID, bootSecret, ts.URL+"/api", "all")
	created := ts.do("POST", "/api/sso-connectors", http.Header{"Authorization": {"Bearer " + logto}, "Content-Type": {"application/json"}},
		strings.NewReader(`{"providerName":"Okta","connectorName":"acme-okta","domains":["acme.com"],"config":{"clientId":"cid","clientSecret":"top-secret","issuer":"https://acme.okta.com"}}`))
	if created.Status != 200 {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	c := created.json(t)
	l := ts.api(tok, "GET", "/api/v2/connections", nil).list(t)
	if len(l) != 2 || l[1]["name"] != "acme-okta" || l[1]["strategy"] != "okta" || l[1]["id"] != "con_"+c["id"].(string) {
		t.Fatalf("connections %v", l)
	}
	opts := l[1]["options"].(map[string]any)
	if opts["client_id"] != "cid" || opts["issuer"] != "https://acme.okta.com" || anyStrings(opts["domain_aliases"])[0] != "acme.com" {
		t.Fatalf("options %v", opts)
	}
	r := ts.api(tok, "GET", "/api/v2/connections/con_"+c["id"].(string), nil)
	if r.Status != 200 || strings.Contains(string(r.Body), "top-secret") {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	if l := ts.api(tok, "GET", "/api/v2/connections?strategy=okta", nil).list(t); len(l) != 1 {
		t.Fatalf("by strategy %v", l)
	}
	if l := ts.api(tok, "GET", "/api/v2/connections?name=acme-okta&strategy=samlp", nil).list(t); len(l) != 0 {
		t.Fatalf("by name and another strategy %v", l)
	}
}
