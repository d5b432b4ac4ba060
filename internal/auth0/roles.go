package auth0

import (
	"context"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

// Roles here are Auth0's: roles given to users. Machine-to-machine roles
// (among them the roles that hold client grants) are the Logto API's and
// the console's to see; this API answers them as missing.

type roleJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

func roleOut(r store.Role) roleJSON {
	return roleJSON{ID: r.ID, Name: r.Name, Description: r.Description}
}

type permissionJSON struct {
	PermissionName           string `json:"permission_name"`
	Description              string `json:"description"`
	ResourceServerName       string `json:"resource_server_name"`
	ResourceServerIdentifier string `json:"resource_server_identifier"`
}

func permissionOut(p directory.Permission) permissionJSON {
	return permissionJSON{PermissionName: p.Scope.Name, Description: p.Scope.Description,
		ResourceServerName: p.Resource.Name, ResourceServerIdentifier: p.Resource.Indicator}
}

// userRole returns the user role with id.
func (s *server) userRole(ctx context.Context, id string) (store.Role, error) {
	role, err := s.dir.Role(ctx, id)
	if err == nil && role.Type != store.RoleUser {
		return role, notFound("role")
	}
	return role, err
}

func (s *server) listRoles(w http.ResponseWriter, r *http.Request) error {
	q, p, err := pagedQuery(r)
	if err != nil {
		return err
	}
	filter := store.RoleFilter{Type: store.RoleUser}
	if v := q.Get("name_filter"); v != "" {
		if err := directory.CheckText("name_filter", v, 256, false); err != nil {
			return badQuery("Query validation error: 'name_filter' is at most 256 characters, without control characters.")
		}
		filter.Match = store.Search{Matches: []store.Match{{Field: "name", Values: []string{"%" + stripPercent(v) + "%"}}}}
	}
	roles, total, err := s.dir.Roles(r.Context(), filter, p.store())
	if err != nil {
		return err
	}
	out := make([]roleJSON, len(roles))
	for i, role := range roles {
		out[i] = roleOut(role)
	}
	writeList(w, p, "roles", out, total)
	return nil
}

// stripPercent drops the % of a name filter: the search's only
// wildcard is %, which no role name filter means.
func stripPercent(v string) string { return strings.ReplaceAll(v, "%", "") }

func (s *server) createRole(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Name == nil {
		return badBody("Payload validation error: 'Missing required property: name'.")
	}
	if body.Description == nil {
		empty := ""
		body.Description = &empty
	}
	typ := string(store.RoleUser)
	role, err := s.dir.CreateRole(r.Context(), directory.NewRole{Name: body.Name, Description: body.Description, Type: &typ})
	if err != nil {
		return err
	}
	s.changed(r)
	httpjson.Write(w, http.StatusOK, roleOut(role))
	return nil
}

func (s *server) getRole(w http.ResponseWriter, r *http.Request) error {
	role, err := s.userRole(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, roleOut(role))
	return nil
}

func (s *server) updateRole(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if _, err := s.userRole(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	role, changed, err := s.dir.UpdateRole(r.Context(), r.PathValue("id"), directory.RoleChange{NamePatch: directory.NamePatch{Name: body.Name, Description: body.Description}})
	if err != nil {
		return err
	}
	if changed {
		s.changed(r)
	}
	httpjson.Write(w, http.StatusOK, roleOut(role))
	return nil
}

func (s *server) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.userRole(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return s.answerChange(w, r, http.StatusNoContent, s.dir.DeleteRole(r.Context(), r.PathValue("id")))
}

func (s *server) rolePermissions(w http.ResponseWriter, r *http.Request) error {
	_, p, err := pagedQuery(r)
	if err != nil {
		return err
	}
	if _, err := s.userRole(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	perms, err := s.dir.RolePermissions(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]permissionJSON, 0, len(perms))
	for _, perm := range pageOf(perms, p) {
		out = append(out, permissionOut(perm))
	}
	writeList(w, p, "permissions", out, len(perms))
	return nil
}

// permissionsBody is the body that names permissions to add or remove.
type permissionsBody struct {
	Permissions *[]struct {
		PermissionName           string `json:"permission_name"`
		ResourceServerIdentifier string `json:"resource_server_identifier"`
	} `json:"permissions"`
}

// scopeIDs reads the body's permissions into scope ids.
func (s *server) scopeIDs(w http.ResponseWriter, r *http.Request) ([]string, error) {
	var body permissionsBody
	if err := decode(w, r, &body); err != nil {
		return nil, err
	}
	if body.Permissions == nil {
		return nil, badBody("Payload validation error: 'Missing required property: permissions'.")
	}
	refs := make([]directory.PermissionRef, len(*body.Permissions))
	for i, p := range *body.Permissions {
		refs[i] = directory.PermissionRef{Indicator: p.ResourceServerIdentifier, Name: p.PermissionName}
	}
	ids, err := s.dir.ScopeIDs(r.Context(), refs)
	if e, ok := err.(*directory.Error); ok && e.Kind == directory.NotFound {
		return nil, badBody("Payload validation error: " + sentence(e.Message))
	}
	return ids, err
}

func (s *server) addRolePermissions(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.userRole(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	ids, err := s.scopeIDs(w, r)
	if err != nil {
		return err
	}
	return s.answerChange(w, r, http.StatusCreated, s.dir.AssignRoleScopes(r.Context(), r.PathValue("id"), ids))
}

func (s *server) removeRolePermissions(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.userRole(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	ids, err := s.scopeIDs(w, r)
	if err != nil {
		return err
	}
	role := r.PathValue("id")
	return s.removeEach(w, r, "role", ids, func(ctx context.Context, id string) error {
		return s.dir.RemoveRoleScope(ctx, role, id)
	})
}

// roleUserJSON is a user in a role's user list.
type roleUserJSON struct {
	UserID  string `json:"user_id"`
	Email   string `json:"email,omitempty"`
	Picture string `json:"picture,omitempty"`
	Name    string `json:"name,omitempty"`
}

func (s *server) roleUsers(w http.ResponseWriter, r *http.Request) error {
	_, p, err := pagedQuery(r)
	if err != nil {
		return err
	}
	if _, err := s.userRole(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	users, total, err := s.dir.RoleUsers(r.Context(), r.PathValue("id"), p.store())
	if err != nil {
		return err
	}
	out := make([]roleUserJSON, len(users))
	for i, u := range users {
		out[i] = roleUserJSON{UserID: userIDPrefix + u.ID, Email: u.PrimaryEmail, Picture: u.Avatar, Name: u.Name}
	}
	writeList(w, p, "users", out, total)
	return nil
}

// userIDs reads a list of auth0|{id} user ids; another is no user here.
func userIDs(ids []string) ([]string, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		raw, ok := strings.CutPrefix(id, userIDPrefix)
		if !ok {
			return nil, &apiError{http.StatusNotFound, "inexistent_user", "The user " + shorten(id) + " does not exist."}
		}
		out[i] = raw
	}
	return out, nil
}

func (s *server) assignRoleUsers(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Users *[]string `json:"users"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Users == nil {
		return badBody("Payload validation error: 'Missing required property: users'.")
	}
	if _, err := s.userRole(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	ids, err := userIDs(*body.Users)
	if err != nil {
		return err
	}
	return s.answerChange(w, r, http.StatusOK, s.dir.AssignRoleUsers(r.Context(), r.PathValue("id"), ids))
}

// The roles of a user.

func (s *server) userRoles(w http.ResponseWriter, r *http.Request) error {
	_, p, err := pagedQuery(r)
	if err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	roles, total, err := s.dir.UserRoles(r.Context(), id, store.Search{}, p.store())
	if err != nil {
		return err
	}
	out := make([]roleJSON, len(roles))
	for i, role := range roles {
		out[i] = roleOut(role)
	}
	writeList(w, p, "roles", out, total)
	return nil
}

// rolesBody reads {roles: [ids]}.
func rolesBody(w http.ResponseWriter, r *http.Request) ([]string, error) {
	var body struct {
		Roles *[]string `json:"roles"`
	}
	if err := decode(w, r, &body); err != nil {
		return nil, err
	}
	if body.Roles == nil {
		return nil, badBody("Payload validation error: 'Missing required property: roles'.")
	}
	return *body.Roles, nil
}

func (s *server) assignUserRoles(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	roles, err := rolesBody(w, r)
	if err != nil {
		return err
	}
	_, _, err = s.dir.AssignUserRoles(r.Context(), id, roles)
	return s.answerChange(w, r, http.StatusNoContent, err)
}

func (s *server) removeUserRoles(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	roles, err := rolesBody(w, r)
	if err != nil {
		return err
	}
	if _, err := directory.CheckIDs("roles", roles); err != nil {
		return err
	}
	if _, err := s.dir.User(r.Context(), id); err != nil {
		return err
	}
	return s.removeEach(w, r, "user", roles, func(ctx context.Context, roleID string) error {
		return s.dir.RemoveUserRole(ctx, id, roleID)
	})
}

// removeEach takes each of ids from the owner the path addresses with
// remove, skipping those it does not hold (nothing to remove), and answers
// 204. A missing owner (the directory's "<owner> not found") is an error.
func (s *server) removeEach(w http.ResponseWriter, r *http.Request, owner string, ids []string, remove func(ctx context.Context, id string) error) error {
	for _, id := range ids {
		err := remove(r.Context(), id)
		if e, ok := err.(*directory.Error); ok && e.Kind == directory.NotFound && !strings.HasPrefix(e.Message, owner+" not found") {
			continue
		}
		if err != nil {
			return err
		}
	}
	return s.answerChange(w, r, http.StatusNoContent, nil)
}

type userPermissionJSON struct {
	permissionJSON
	Sources []permissionSourceJSON `json:"sources"`
}

type permissionSourceJSON struct {
	SourceID   string `json:"source_id"`
	SourceName string `json:"source_name"`
	SourceType string `json:"source_type"`
}

func (s *server) userPermissions(w http.ResponseWriter, r *http.Request) error {
	_, p, err := pagedQuery(r)
	if err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	perms, err := s.dir.UserPermissions(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]userPermissionJSON, 0, len(perms))
	for _, perm := range pageOf(perms, p) {
		u := userPermissionJSON{permissionJSON: permissionOut(perm.Permission)}
		for _, role := range perm.Roles {
			u.Sources = append(u.Sources, permissionSourceJSON{SourceID: role.ID, SourceName: role.Name, SourceType: "ROLE"})
		}
		out = append(out, u)
	}
	writeList(w, p, "permissions", out, len(perms))
	return nil
}
