package management

import (
	"strings"
	"testing"
)

// Role lists carry Logto's holder summary: counts and the first three
// users (id, avatar, name) and applications (id, name, type), oldest first.
func TestRoleListHolders(t *testing.T) {
	e := newEnv(t)
	viewer := e.userRole("viewer")
	idle := e.userRole("idle")
	robot := e.createRole("robot", "MachineToMachine")
	var users []string
	wantUser := map[string][2]string{} // id: name, avatar ("" for null)
	for _, b := range []map[string]any{
		{"username": "u1", "name": "One", "avatar": "https://example.com/1.png"},
		{"username": "u2"},
		{"username": "u3", "name": "Three"},
		{"username": "u4", "name": "Four"},
	} {
		id := e.createUser(b).ID
		users = append(users, id)
		name, _ := b["name"].(string)
		avatar, _ := b["avatar"].(string)
		wantUser[id] = [2]string{name, avatar}
	}
	e.do("POST", "/api/roles/"+viewer+"/users", map[string]any{"userIds": users}).want(t, 201, nil)
	a1, a2 := e.createApp("first", "MachineToMachine"), e.createApp("second", "MachineToMachine")
	e.do("POST", "/api/roles/"+robot.ID+"/applications", map[string]any{"applicationIds": []string{a2.ID, a1.ID}}).want(t, 201, nil)

	type featured struct {
		ID     string  `json:"id"`
		Name   *string `json:"name"`
		Avatar *string `json:"avatar"`
		Type   string  `json:"type"`
	}
	type item struct {
		ID                   string     `json:"id"`
		UsersCount           *int       `json:"usersCount"`
		FeaturedUsers        []featured `json:"featuredUsers"`
		ApplicationsCount    *int       `json:"applicationsCount"`
		FeaturedApplications []featured `json:"featuredApplications"`
	}
	var list []item
	r := e.do("GET", "/api/roles?page_size=100", nil).want(t, 200, &list)
	if !strings.Contains(string(r.body), `"featuredUsers":[]`) || !strings.Contains(string(r.body), `"featuredApplications":[]`) {
		t.Errorf("a role without holders lacks [] for its featured lists: %s", r.body)
	}
	byID := map[string]item{}
	for _, it := range list {
		if it.UsersCount == nil || it.ApplicationsCount == nil || it.FeaturedUsers == nil || it.FeaturedApplications == nil {
			t.Fatalf("role %s lacks a holder field: %+v", it.ID, it)
		}
		byID[it.ID] = it
	}
	v := byID[viewer]
	if *v.UsersCount != 4 || *v.ApplicationsCount != 0 || len(v.FeaturedUsers) != 3 || len(v.FeaturedApplications) != 0 {
		t.Fatalf("viewer = %+v", v)
	}
	// Users created in the same millisecond have no order of their own:
	// check each featured user against the one of that id.
	seen := map[string]bool{}
	for _, f := range v.FeaturedUsers {
		name, avatar := "", ""
		if f.Name != nil {
			name = *f.Name
		}
		if f.Avatar != nil {
			avatar = *f.Avatar
		}
		want, known := wantUser[f.ID]
		if !known || seen[f.ID] || name != want[0] || avatar != want[1] ||
			(want[0] == "") != (f.Name == nil) || (want[1] == "") != (f.Avatar == nil) {
			t.Errorf("featured user %+v (name %q, avatar %q), want %q", f, name, avatar, want)
		}
		seen[f.ID] = true
	}
	rb := byID[robot.ID]
	if *rb.ApplicationsCount != 2 || *rb.UsersCount != 0 || len(rb.FeaturedApplications) != 2 {
		t.Fatalf("robot = %+v", rb)
	}
	for _, f := range rb.FeaturedApplications {
		want := map[string]string{a1.ID: "first", a2.ID: "second"}[f.ID]
		if want == "" || f.Name == nil || *f.Name != want || f.Type != "MachineToMachine" || f.Avatar != nil {
			t.Errorf("featured application = %+v", f)
		}
	}
	if rb.FeaturedApplications[0].ID == rb.FeaturedApplications[1].ID {
		t.Errorf("an application featured twice: %+v", rb.FeaturedApplications)
	}
	if i := byID[idle]; *i.UsersCount != 0 || len(i.FeaturedUsers) != 0 {
		t.Errorf("idle = %+v", i)
	}

	// A single role (GET /api/roles/:id) is Logto's plain role.
	var one map[string]any
	e.do("GET", "/api/roles/"+viewer, nil).want(t, 200, &one)
	if _, ok := one["usersCount"]; ok {
		t.Errorf("GET /api/roles/:id carries list fields: %v", one)
	}
}
