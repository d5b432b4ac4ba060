package management

import (
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/logto"
	"github.com/monban/monban/internal/store"
)

// roleJSON is Logto's role (see logto.Role).
type roleJSON = logto.Role

func roleOut(role store.Role) roleJSON { return logto.RoleOf(role) }

// roleListJSON is a role as Logto's role list shows it: with counts of its
// holders and the first few of them.
type roleListJSON struct {
	roleJSON
	UsersCount           int                       `json:"usersCount"`
	FeaturedUsers        []featuredUserJSON        `json:"featuredUsers"`
	ApplicationsCount    int                       `json:"applicationsCount"`
	FeaturedApplications []featuredApplicationJSON `json:"featuredApplications"`
}

// featuredUserJSON is Logto's featured user: id, avatar and name (null
// when unset).
type featuredUserJSON struct {
	ID     string  `json:"id"`
	Avatar *string `json:"avatar"`
	Name   *string `json:"name"`
}

// featuredApplicationJSON is Logto's featured application.
type featuredApplicationJSON struct {
	ID   string        `json:"id"`
	Name string        `json:"name"`
	Type store.AppType `json:"type"`
}

func roleListOut(role store.Role, h store.RoleHolders) roleListJSON {
	users := make([]featuredUserJSON, len(h.FeaturedUsers))
	for i, u := range h.FeaturedUsers {
		users[i] = featuredUserJSON{ID: u.ID, Avatar: logto.OrNull(u.Avatar), Name: logto.OrNull(u.Name)}
	}
	apps := make([]featuredApplicationJSON, len(h.FeaturedApplications))
	for i, a := range h.FeaturedApplications {
		apps[i] = featuredApplicationJSON(a)
	}
	return roleListJSON{roleJSON: roleOut(role), UsersCount: h.UsersCount, FeaturedUsers: users,
		ApplicationsCount: h.ApplicationsCount, FeaturedApplications: apps}
}

// listRoles answers a page of roles, each with its holders in short (a
// fixed number of queries per page).
func (s *server) listRoles(w http.ResponseWriter, r *http.Request) error {
	f, err := directory.RoleSearch(r.URL.Query())
	if err != nil {
		return err
	}
	var holders map[string]store.RoleHolders
	one := func(role store.Role) roleListJSON { return roleListOut(role, holders[role.ID]) }
	return writePage(w, r, one, func(page store.Page) ([]store.Role, int, error) {
		roles, total, err := s.dir.Roles(r.Context(), f, page)
		if err == nil {
			holders, err = s.dir.RoleHolders(r.Context(), roles)
		}
		return roles, total, err
	})
}

func (s *server) createRole(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ID          stripped `json:"id"`
		TenantID    stripped `json:"tenantId"`
		Name        *string  `json:"name"`
		Description *string  `json:"description"`
		Type        *string  `json:"type"`
		ScopeIDs    []string `json:"scopeIds"`
		IsDefault   *bool    `json:"isDefault"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	return createdOK(s, w, r, roleOut)(s.dir.CreateRole(r.Context(), directory.NewRole{Name: body.Name, Description: body.Description,
		Type: body.Type, ScopeIDs: body.ScopeIDs, IsDefault: body.IsDefault}))
}

func (s *server) updateRole(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		roleStripped
		namePatch
		Type      *string `json:"type"` // accepted only unchanged
		IsDefault *bool   `json:"isDefault"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	role, changed, err := s.dir.UpdateRole(r.Context(), r.PathValue("id"),
		directory.RoleChange{NamePatch: directory.NamePatch(body.namePatch), Type: body.Type, IsDefault: body.IsDefault})
	return updated(w, r, s.changed, roleOut(role), changed, err)
}

// addRoleScopes grants scopes to a role and, like Logto, answers with all of
// the role's scopes. Scopes it already has are left as they are.
func (s *server) addRoleScopes(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ScopeIDs []string `json:"scopeIds"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.dir.AssignRoleScopes(r.Context(), id, body.ScopeIDs); err != nil {
		return err
	}
	s.changed(r)
	return writeAll(w, r, http.StatusCreated, scopeOut, s.dir.RoleScopes, id)
}
