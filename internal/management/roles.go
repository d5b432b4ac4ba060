package management

import (
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/store"
)

type roleJSON struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Type        store.RoleType `json:"type"`
	// IsDefault is Logto's "given to every new user" (User roles only).
	IsDefault bool `json:"isDefault"`
}

func roleOut(role store.Role) roleJSON {
	return roleJSON{ID: role.ID, Name: role.Name, Description: role.Description, Type: role.Type, IsDefault: role.IsDefault}
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
	return created(s, w, r, roleOut)(s.dir.CreateRole(r.Context(), directory.NewRole{Name: body.Name, Description: body.Description,
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
