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
	// IsDefault is Logto's "given to every new user"; Monban gives new
	// users no roles by itself, so it is always false.
	IsDefault bool `json:"isDefault"`
}

func roleOut(role store.Role) roleJSON {
	return roleJSON{ID: role.ID, Name: role.Name, Description: role.Description, Type: role.Type}
}

func (s *server) listRoles(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, roleOut, func(page store.Page) ([]store.Role, int, error) {
		return s.dir.Roles(r.Context(), query(r, "type"), page)
	})
}

func (s *server) createRole(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name        *string  `json:"name"`
		Description *string  `json:"description"`
		Type        *string  `json:"type"`
		ScopeIDs    []string `json:"scopeIds"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	return createdOK(s, w, r, roleOut)(s.dir.CreateRole(r.Context(), directory.NewRole{Name: body.Name, Description: body.Description, Type: body.Type, ScopeIDs: body.ScopeIDs}))
}

func (s *server) updateRole(w http.ResponseWriter, r *http.Request) error {
	var body namePatch
	if err := decode(w, r, &body); err != nil {
		return err
	}
	role, changed, err := s.dir.UpdateRole(r.Context(), r.PathValue("id"), directory.NamePatch(body))
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
