package management

import (
	"strings"
	"testing"
)

type orgOut struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	Description   *string        `json:"description"`
	CustomData    map[string]any `json:"customData"`
	Branding      map[string]any `json:"branding"`
	Color         map[string]any `json:"color"`
	CustomCSS     *string        `json:"customCss"`
	IsMFARequired bool           `json:"isMfaRequired"`
	CreatedAt     int64          `json:"createdAt"`
}

type idName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (e *env) createOrg(name string) orgOut {
	e.t.Helper()
	var o orgOut
	e.do("POST", "/api/organizations", map[string]any{"name": name}).want(e.t, 201, &o)
	return o
}

func (e *env) createOrgRole(name, typ string, extra map[string]any) idName {
	e.t.Helper()
	body := map[string]any{"name": name, "type": typ}
	for k, v := range extra {
		body[k] = v
	}
	var r idName
	e.do("POST", "/api/organization-roles", body).want(e.t, 201, &r)
	return r
}

// wantCode checks an error answer's status and Logto code.
func (r resp) wantCode(t *testing.T, status int, code string) {
	t.Helper()
	r.want(t, status, nil)
	if got := r.errBody(t)["code"]; got != code {
		t.Fatalf("code %q, want %q; body %s", got, code, r.body)
	}
}

func TestOrganizationsCRUD(t *testing.T) {
	e := newEnv(t)
	var o orgOut
	e.do("POST", "/api/organizations", map[string]any{"name": "Acme", "id": "mine", "tenantId": "default",
		"customData": map[string]any{"tier": "gold"}, "branding": map[string]any{"logoUrl": "https://acme.example/logo.png"},
		"isMfaRequired": false}).want(t, 201, &o)
	if o.ID == "mine" || o.Name != "Acme" || o.Description != nil || o.CustomData["tier"] != "gold" || o.Color == nil || o.CustomCSS != nil || o.CreatedAt == 0 {
		t.Fatalf("created %+v", o)
	}
	e.do("POST", "/api/organizations", map[string]any{}).wantCode(t, 400, "request.invalid_input")
	e.do("POST", "/api/organizations", map[string]any{"name": "x", "color": map[string]any{"accent": "#fff"}}).wantCode(t, 400, "request.invalid_input")
	e.do("POST", "/api/organizations", map[string]any{"name": "x", "plan": "gold"}).wantCode(t, 400, "request.invalid_input")
	e.do("GET", "/api/organizations/nope", nil).wantCode(t, 404, "entity.not_exists_with_id")

	var patched orgOut
	e.do("PATCH", "/api/organizations/"+o.ID, map[string]any{"description": "B2B", "customCss": "body{}"}).want(t, 200, &patched)
	if patched.Description == nil || *patched.Description != "B2B" || patched.Branding["logoUrl"] == nil {
		t.Fatalf("patched %+v", patched)
	}
	e.do("PATCH", "/api/organizations/"+o.ID, map[string]any{"description": nil}).want(t, 200, &patched)
	if patched.Description != nil {
		t.Fatalf("description not cleared: %+v", patched)
	}
	e.createOrg("Globex")
	var list []orgOut
	r := e.do("GET", "/api/organizations?q=acm", nil).want(t, 200, &list)
	if len(list) != 1 || list[0].ID != o.ID || r.header.Get("Total-Number") != "1" {
		t.Fatalf("search: %+v (%s)", list, r.header.Get("Total-Number"))
	}
	e.do("GET", "/api/organizations?search=acme", nil).wantCode(t, 400, "request.invalid_input")
	e.do("DELETE", "/api/organizations/"+o.ID, nil).want(t, 204, nil)
	e.do("DELETE", "/api/organizations/"+o.ID, nil).wantCode(t, 404, "entity.not_exists_with_id")
}

func TestOrganizationMembersOverHTTP(t *testing.T) {
	e := newEnv(t)
	o := e.createOrg("Acme")
	jane := e.createUser(map[string]any{"username": "jane", "name": "Jane"})
	joe := e.createUser(map[string]any{"username": "joe"})
	bot := e.createApp("bot", "MachineToMachine")
	web := e.createApp("web", "SPA")
	var sc idName
	e.do("POST", "/api/organization-scopes", map[string]any{"name": "read:docs"}).want(t, 201, &sc)
	admin := e.createOrgRole("admin", "User", map[string]any{"organizationScopeIds": []string{sc.ID}})
	machine := e.createOrgRole("machine", "MachineToMachine", nil)
	base := "/api/organizations/" + o.ID

	var added map[string][]string
	e.do("POST", base+"/users", map[string]any{"userIds": []string{jane.ID}}).want(t, 201, &added)
	if len(added["userIds"]) != 1 {
		t.Fatalf("POST users answered %v", added)
	}
	e.do("POST", base+"/users", map[string]any{"userIds": []string{"nobody"}}).wantCode(t, 422, "entity.relation_foreign_key_not_found")
	e.do("POST", base+"/users", map[string]any{"userIds": []string{}}).wantCode(t, 400, "request.invalid_input")
	e.do("POST", base+"/applications", map[string]any{"applicationIds": []string{web.ID}}).wantCode(t, 422, "entity.db_constraint_violated")
	e.do("POST", base+"/applications", map[string]any{"applicationIds": []string{bot.ID}}).want(t, 201, nil)

	// Roles: only for members, only of the holder's type.
	e.do("POST", base+"/users/"+joe.ID+"/roles", map[string]any{"organizationRoleIds": []string{admin.ID}}).wantCode(t, 422, "organization.require_membership")
	e.do("POST", base+"/users/"+jane.ID+"/roles", map[string]any{"organizationRoleIds": []string{machine.ID}}).wantCode(t, 422, "entity.db_constraint_violated")
	e.do("POST", base+"/users/"+jane.ID+"/roles", map[string]any{"organizationRoleNames": []string{"ghost"}}).wantCode(t, 422, "organization.role_names_not_found")
	var given map[string][]string
	e.do("POST", base+"/users/"+jane.ID+"/roles", map[string]any{"organizationRoleNames": []string{"admin"}}).want(t, 201, &given)
	if len(given["organizationRoleIds"]) != 1 || given["organizationRoleIds"][0] != admin.ID {
		t.Fatalf("given %v", given)
	}
	e.do("POST", base+"/applications/roles", map[string]any{"applicationIds": []string{bot.ID}, "organizationRoleIds": []string{machine.ID}}).want(t, 201, nil)

	var users []struct {
		ID                string   `json:"id"`
		Username          string   `json:"username"`
		OrganizationRoles []idName `json:"organizationRoles"`
	}
	r := e.do("GET", base+"/users?q=jan", nil).want(t, 200, &users)
	if len(users) != 1 || users[0].ID != jane.ID || len(users[0].OrganizationRoles) != 1 || users[0].OrganizationRoles[0].Name != "admin" ||
		r.header.Get("Total-Number") != "1" {
		t.Fatalf("users %+v", users)
	}
	var scopes []idName
	e.do("GET", base+"/users/"+jane.ID+"/scopes", nil).want(t, 200, &scopes)
	if len(scopes) != 1 || scopes[0].Name != "read:docs" {
		t.Fatalf("scopes %+v", scopes)
	}
	var roles []idName
	r = e.do("GET", base+"/users/"+jane.ID+"/roles", nil).want(t, 200, &roles)
	if len(roles) != 1 || r.header.Get("Total-Number") != "" {
		t.Fatalf("roles %+v, Total-Number %q", roles, r.header.Get("Total-Number"))
	}
	var apps []struct {
		ID                string   `json:"id"`
		OrganizationRoles []idName `json:"organizationRoles"`
	}
	e.do("GET", base+"/applications", nil).want(t, 200, &apps)
	if len(apps) != 1 || apps[0].ID != bot.ID || len(apps[0].OrganizationRoles) != 1 {
		t.Fatalf("applications %+v", apps)
	}
	var orgs []struct {
		ID                string   `json:"id"`
		OrganizationRoles []idName `json:"organizationRoles"`
	}
	e.do("GET", "/api/users/"+jane.ID+"/organizations", nil).want(t, 200, &orgs)
	if len(orgs) != 1 || orgs[0].ID != o.ID || len(orgs[0].OrganizationRoles) != 1 {
		t.Fatalf("user's organizations %+v", orgs)
	}
	e.do("GET", "/api/users/nobody/organizations", nil).wantCode(t, 404, "entity.not_exists_with_id")
	e.do("GET", "/api/applications/"+bot.ID+"/organizations", nil).want(t, 200, &orgs)
	if len(orgs) != 1 {
		t.Fatalf("application's organizations %+v", orgs)
	}

	// Logto's console lists who is not a member yet.
	var others []struct {
		ID string `json:"id"`
	}
	e.do("GET", "/api/users?excludeOrganizationId="+o.ID+"&search=%25jo%25", nil).want(t, 200, &others)
	if len(others) != 1 || others[0].ID != joe.ID {
		t.Fatalf("users outside the organization: %+v", others)
	}
	e.do("GET", "/api/applications?excludeOrganizationId="+o.ID+"&types=MachineToMachine&search=bot", nil).want(t, 200, &others)
	if len(others) != 0 {
		t.Fatalf("applications outside the organization: %+v", others)
	}

	// Leaving drops the roles.
	e.do("DELETE", base+"/users/"+jane.ID, nil).want(t, 204, nil)
	e.do("DELETE", base+"/users/"+jane.ID, nil).wantCode(t, 404, "entity.not_found")
	e.do("PUT", base+"/users", map[string]any{"userIds": []string{jane.ID, joe.ID}}).want(t, 204, nil)
	e.do("GET", base+"/users/"+jane.ID+"/roles", nil).want(t, 200, &roles)
	if len(roles) != 0 {
		t.Fatalf("roles survived leaving: %+v", roles)
	}
	e.do("DELETE", base+"/users/"+jane.ID+"/roles/"+admin.ID, nil).wantCode(t, 404, "entity.not_found")
	e.do("PUT", base+"/users/"+jane.ID+"/roles", map[string]any{"organizationRoleIds": []string{admin.ID}}).want(t, 204, nil)
	e.do("DELETE", base+"/users/"+jane.ID+"/roles/"+admin.ID, nil).want(t, 204, nil)
}

func TestOrganizationTemplateOverHTTP(t *testing.T) {
	e := newEnv(t)
	res := e.createResource("Docs API", "https://docs.example.com")
	rs := e.createScope(res.ID, "read:api")
	var sc idName
	e.do("POST", "/api/organization-scopes", map[string]any{"name": "read docs"}).wantCode(t, 400, "request.invalid_input")
	e.do("POST", "/api/organization-scopes", map[string]any{"name": "read:docs", "description": "Read"}).want(t, 201, &sc)
	e.do("POST", "/api/organization-scopes", map[string]any{"name": "read:docs"}).wantCode(t, 422, "entity.unique_integrity_violation")
	role := e.createOrgRole("editor", "User", map[string]any{"organizationScopeIds": []string{sc.ID}, "resourceScopeIds": []string{rs.ID}})
	e.do("POST", "/api/organization-roles", map[string]any{"name": "x", "resourceScopeIds": []string{"nope"}}).wantCode(t, 422, "entity.relation_foreign_key_not_found")
	e.do("POST", "/api/organization-roles", map[string]any{"name": "editor"}).wantCode(t, 422, "entity.unique_integrity_violation")

	var list []struct {
		ID             string   `json:"id"`
		Type           string   `json:"type"`
		Description    *string  `json:"description"`
		Scopes         []idName `json:"scopes"`
		ResourceScopes []struct {
			ID       string `json:"id"`
			Resource idName `json:"resource"`
		} `json:"resourceScopes"`
	}
	r := e.do("GET", "/api/organization-roles", nil).want(t, 200, &list)
	if len(list) != 1 || list[0].Type != "User" || list[0].Description != nil || len(list[0].Scopes) != 1 ||
		len(list[0].ResourceScopes) != 1 || list[0].ResourceScopes[0].Resource.Name != "Docs API" || r.header.Get("Total-Number") != "1" {
		t.Fatalf("roles %+v", list)
	}
	e.do("PATCH", "/api/organization-roles/"+role.ID, map[string]any{"type": "MachineToMachine"}).wantCode(t, 400, "request.invalid_input")
	e.do("PATCH", "/api/organization-roles/"+role.ID, map[string]any{"name": "writer", "type": "User"}).want(t, 200, nil)
	base := "/api/organization-roles/" + role.ID
	e.do("DELETE", base+"/resource-scopes/"+rs.ID, nil).want(t, 204, nil)
	e.do("DELETE", base+"/resource-scopes/"+rs.ID, nil).wantCode(t, 404, "entity.not_found")
	e.do("POST", base+"/resource-scopes", map[string]any{"scopeIds": []string{rs.ID}}).want(t, 201, nil)
	var rscopes []struct {
		ID         string `json:"id"`
		ResourceID string `json:"resourceId"`
	}
	e.do("GET", base+"/resource-scopes", nil).want(t, 200, &rscopes)
	if len(rscopes) != 1 || rscopes[0].ResourceID != res.ID {
		t.Fatalf("resource scopes %+v", rscopes)
	}
	e.do("PUT", base+"/scopes", map[string]any{"organizationScopeIds": []string{}}).want(t, 204, nil)
	var oscopes []idName
	e.do("GET", base+"/scopes", nil).want(t, 200, &oscopes)
	if len(oscopes) != 0 {
		t.Fatalf("scopes after PUT [] = %+v", oscopes)
	}
	e.do("GET", "/api/organization-roles/nope/scopes", nil).wantCode(t, 404, "entity.not_exists_with_id")
	e.do("DELETE", "/api/organization-scopes/"+sc.ID, nil).want(t, 204, nil)
	e.do("DELETE", "/api/organization-roles/"+role.ID, nil).want(t, 204, nil)
}

func TestOrganizationJITOverHTTP(t *testing.T) {
	e := newEnv(t)
	o := e.createOrg("Acme")
	base := "/api/organizations/" + o.ID + "/jit/"
	member := e.createOrgRole("member", "User", nil)
	var d map[string]string
	e.do("POST", base+"email-domains", map[string]any{"emailDomain": "Acme.Example"}).want(t, 201, &d)
	if d["emailDomain"] != "acme.example" || d["organizationId"] != o.ID {
		t.Fatalf("domain %v", d)
	}
	e.do("POST", base+"email-domains", map[string]any{"emailDomain": "acme.example"}).wantCode(t, 422, "entity.unique_integrity_violation")
	e.do("POST", base+"email-domains", map[string]any{"emailDomain": "not a domain"}).wantCode(t, 400, "request.invalid_input")
	e.do("POST", base+"roles", map[string]any{"organizationRoleIds": []string{member.ID}}).want(t, 201, nil)

	u := e.createUser(map[string]any{"primaryEmail": "jane@acme.example"})
	var roles []idName
	e.do("GET", "/api/organizations/"+o.ID+"/users/"+u.ID+"/roles", nil).want(t, 200, &roles)
	if len(roles) != 1 || roles[0].ID != member.ID {
		t.Fatalf("just-in-time roles %+v", roles)
	}

	var domains []map[string]string
	e.do("GET", base+"email-domains", nil).want(t, 200, &domains)
	if len(domains) != 1 {
		t.Fatalf("domains %v", domains)
	}
	e.do("PUT", base+"email-domains", map[string]any{"emailDomains": []string{}}).want(t, 204, nil)
	e.do("DELETE", base+"email-domains/acme.example", nil).wantCode(t, 404, "entity.not_found")

	var conns []any
	r := e.do("GET", base+"sso-connectors", nil).want(t, 200, &conns)
	if len(conns) != 0 || strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("connectors %s", r.body)
	}
	e.do("POST", base+"sso-connectors", map[string]any{"ssoConnectorIds": []string{"c1"}}).wantCode(t, 422, "entity.relation_foreign_key_not_found")
	e.do("PUT", base+"sso-connectors", map[string]any{"ssoConnectorIds": []string{}}).want(t, 204, nil)
	e.do("DELETE", base+"sso-connectors/c1", nil).wantCode(t, 404, "entity.not_found")
	e.do("GET", "/api/organizations/nope/jit/sso-connectors", nil).wantCode(t, 404, "entity.not_exists_with_id")
}
