package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/monban/monban/internal/testwait"
)

// all returns every payload of event received, in order.
func (c *collector) all(event string) []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, p := range c.payloads {
		if p["event"] == event {
			out = append(out, p)
		}
	}
	return out
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestOrganizationWebhooks: the Management API's organization routes fire
// Logto's Organization, OrganizationRole and OrganizationScope events,
// delivered to a real receiver with Logto's payloads.
func TestOrganizationWebhooks(t *testing.T) {
	f := newUserFixture(t, allowLoopbackHooks)
	got := &collector{}
	srv := httptest.NewServer(http.HandlerFunc(got.handler))
	defer srv.Close()
	events := []string{"Organization.Created", "Organization.Deleted", "Organization.Data.Updated", "Organization.Membership.Updated",
		"OrganizationRole.Created", "OrganizationRole.Deleted", "OrganizationRole.Data.Updated", "OrganizationRole.Scopes.Updated",
		"OrganizationScope.Created", "OrganizationScope.Deleted", "OrganizationScope.Data.Updated"}
	h := f.mustAPI(f.mt, "POST", "/api/hooks", map[string]any{"name": "orgs", "events": events, "config": map[string]any{"url": srv.URL}}, 201)
	got.mu.Lock()
	got.key = h["signingKey"].(string)
	got.mu.Unlock()

	org := f.mustAPI(f.mt, "POST", "/api/organizations", map[string]any{"name": "Acme"}, 201)["id"].(string)
	f.mustAPI(f.mt, "PATCH", "/api/organizations/"+org, map[string]any{"description": "B2B"}, 200)
	scope := f.mustAPI(f.mt, "POST", "/api/organization-scopes", map[string]any{"name": "read:docs"}, 201)["id"].(string)
	f.mustAPI(f.mt, "PATCH", "/api/organization-scopes/"+scope, map[string]any{"description": "Read"}, 200)
	role := f.mustAPI(f.mt, "POST", "/api/organization-roles", map[string]any{"name": "editor"}, 201)["id"].(string)
	f.mustAPI(f.mt, "PATCH", "/api/organization-roles/"+role, map[string]any{"description": "Edits"}, 200)
	f.mustAPI(f.mt, "POST", "/api/organization-roles/"+role+"/scopes", map[string]any{"organizationScopeIds": []string{scope}}, 201)
	other := f.mustAPI(f.mt, "POST", "/api/users", map[string]any{"username": "max"}, 200)["id"].(string)
	f.mustAPI(f.mt, "POST", "/api/organizations/"+org+"/users", map[string]any{"userIds": []string{other}}, 201)
	f.mustAPI(f.mt, "PUT", "/api/organizations/"+org+"/users", map[string]any{"userIds": []string{}}, 204)
	inv := f.mustAPI(f.mt, "POST", "/api/organization-invitations", map[string]any{"invitee": "jane@example.com", "organizationId": org,
		"expiresAt": time.Now().Add(time.Hour).UnixMilli(), "organizationRoleIds": []string{role}}, 201)["id"].(string)
	f.mustAPI(f.mt, "PUT", "/api/organization-invitations/"+inv+"/status", map[string]any{"status": "Accepted", "acceptedUserId": f.userID}, 200)
	f.mustAPI(f.mt, "DELETE", "/api/organizations/"+org+"/users/"+f.userID, nil, 204)
	f.mustAPI(f.mt, "DELETE", "/api/organization-scopes/"+scope, nil, 204)
	f.mustAPI(f.mt, "DELETE", "/api/organization-roles/"+role, nil, 204)
	f.mustAPI(f.mt, "DELETE", "/api/organizations/"+org, nil, 204)

	testwait.Until(t, "every organization event delivered", func() bool {
		for _, e := range events {
			if len(got.all(e)) == 0 {
				return false
			}
		}
		return len(got.all("Organization.Membership.Updated")) == 4
	})
	got.mu.Lock()
	for i, ok := range got.sigOK {
		if !ok {
			t.Errorf("payload %d is not signed with the hook's key: %v", i, got.payloads[i])
		}
	}
	got.mu.Unlock()

	p := got.all("Organization.Created")[0]
	data, _ := p["data"].(map[string]any)
	if p["path"] != "/organizations" || p["method"] != "POST" || p["status"] != 201.0 || p["matchedRoute"] != "/organizations" ||
		data["id"] != org || data["name"] != "Acme" || p["hookId"] != h["id"] {
		t.Errorf("Organization.Created: %v", p)
	}
	p = got.all("Organization.Data.Updated")[0]
	if data, _ := p["data"].(map[string]any); data["description"] != "B2B" || p["matchedRoute"] != "/organizations/:id" ||
		p["params"].(map[string]any)["id"] != org {
		t.Errorf("Organization.Data.Updated: %v", p)
	}
	if p := got.all("Organization.Deleted")[0]; p["data"] != nil || p["status"] != 204.0 {
		t.Errorf("Organization.Deleted: %v", p)
	}
	if data, _ := got.all("OrganizationRole.Created")[0]["data"].(map[string]any); data["name"] != "editor" || data["type"] != "User" {
		t.Errorf("OrganizationRole.Created: %v", data)
	}
	if data, _ := got.all("OrganizationRole.Data.Updated")[0]["data"].(map[string]any); data["description"] != "Edits" {
		t.Errorf("OrganizationRole.Data.Updated: %v", data)
	}
	if p := got.all("OrganizationRole.Scopes.Updated")[0]; p["matchedRoute"] != "/organization-roles/:id/scopes" || p["status"] != 201.0 {
		t.Errorf("OrganizationRole.Scopes.Updated: %v", p)
	}
	if data, _ := got.all("OrganizationScope.Created")[0]["data"].(map[string]any); data["name"] != "read:docs" {
		t.Errorf("OrganizationScope.Created: %v", data)
	}
	if data, _ := got.all("OrganizationScope.Data.Updated")[0]["data"].(map[string]any); data["description"] != "Read" {
		t.Errorf("OrganizationScope.Data.Updated: %v", data)
	}
	if len(got.all("OrganizationScope.Deleted")) != 1 || len(got.all("OrganizationRole.Deleted")) != 1 {
		t.Error("the deletions of the role and the scope")
	}

	// Membership: added by POST, removed by PUT, added by the invitation,
	// removed by DELETE; each with the organization and no data. The
	// deliveries run at once, so they are compared in any order.
	var seen []string
	for _, p := range got.all("Organization.Membership.Updated") {
		if p["organizationId"] != org || p["data"] != nil {
			t.Errorf("Organization.Membership.Updated: %v", p)
		}
		seen = append(seen, fmt.Sprintf("%s +%v -%v", p["matchedRoute"], strs(p["addedUserIds"]), strs(p["removedUserIds"])))
	}
	want := []string{
		fmt.Sprintf("/organizations/:id/users +[%s] -[]", other),
		fmt.Sprintf("/organizations/:id/users +[] -[%s]", other),
		fmt.Sprintf("/organization-invitations/:id/status +[%s] -[]", f.userID),
		fmt.Sprintf("/organizations/:id/users/:userId +[] -[%s]", f.userID),
	}
	slices.Sort(seen)
	slices.Sort(want)
	if !slices.Equal(seen, want) {
		t.Errorf("Organization.Membership.Updated:\n got %q\nwant %q", seen, want)
	}
}
