package management

import (
	"fmt"
	"net/http"

	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/randid"
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

func (s *server) role(r *http.Request) (store.Role, error) {
	id, err := pathID(r, "id", "role")
	if err != nil {
		return store.Role{}, err
	}
	role, err := s.Store.GetRole(r.Context(), id)
	return role, orNotFound(err, "role not found")
}

func (s *server) listRoles(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, roleOut, func(page store.Page) ([]store.Role, int, error) {
		var filter store.RoleFilter
		if v, ok := r.URL.Query()["type"]; ok {
			filter.Type = store.RoleType(v[0])
			if !filter.Type.Valid() {
				return nil, 0, invalid("type must be User or MachineToMachine")
			}
		}
		return s.Store.ListRoles(r.Context(), filter, page)
	})
}

// scopesExist answers 404 naming the first scope id that does not exist.
func (s *server) scopesExist(r *http.Request, ids []string) error {
	for _, id := range ids {
		if _, err := s.Store.GetScope(r.Context(), id); err != nil {
			return orNotFound(err, fmt.Sprintf("scope %q not found", id))
		}
	}
	return nil
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
	if body.Name == nil {
		return invalid("name is required")
	}
	if err := checkName(*body.Name); err != nil {
		return err
	}
	if body.Description == nil {
		return invalid("description is required")
	}
	if err := checkText("description", *body.Description, maxDescriptionLen, true); err != nil {
		return err
	}
	role := store.Role{
		ID:          randid.ID(),
		Name:        *body.Name,
		Description: *body.Description,
		Type:        store.RoleUser, // Logto's default
		CreatedAt:   s.Now(),
	}
	if body.Type != nil {
		role.Type = store.RoleType(*body.Type)
		if !role.Type.Valid() {
			return invalid("type must be User or MachineToMachine")
		}
	}
	var scopeIDs []string
	if len(body.ScopeIDs) > 0 {
		var err error
		if scopeIDs, err = checkIDs("scopeIds", body.ScopeIDs); err != nil {
			return err
		}
	}
	// Check the scopes first so an unknown one leaves no role behind.
	if err := s.scopesExist(r, scopeIDs); err != nil {
		return err
	}
	if err := s.Store.CreateRole(r.Context(), role); err != nil {
		return orConflict(err, "a role with this name already exists")
	}
	if len(scopeIDs) > 0 {
		if err := s.Store.AddRoleScopes(r.Context(), role.ID, scopeIDs); err != nil {
			if derr := s.Store.DeleteRole(r.Context(), role.ID); derr != nil {
				s.log.Error("removing role after failed scope assignment", "method", r.Method, "path", r.URL.Path, "err", derr)
			}
			return orNotFound(err, "a scope was removed while the role was being created")
		}
	}
	s.changed(r)
	httpjson.Write(w, http.StatusCreated, roleOut(role))
	return nil
}

func (s *server) getRole(w http.ResponseWriter, r *http.Request) error {
	role, err := s.role(r)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, roleOut(role))
	return nil
}

func (s *server) updateRole(w http.ResponseWriter, r *http.Request) error {
	var body namePatch
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := body.check(checkName); err != nil {
		return err
	}
	role, err := s.role(r)
	if err != nil {
		return err
	}
	if !body.apply(&role.Name, &role.Description) {
		httpjson.Write(w, http.StatusOK, roleOut(role))
		return nil
	}
	if err := s.Store.UpdateRole(r.Context(), role); err != nil {
		err = orNotFound(err, "role not found")
		return orConflict(err, "a role with this name already exists")
	}
	s.changed(r)
	httpjson.Write(w, http.StatusOK, roleOut(role))
	return nil
}

func (s *server) deleteRole(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "role")
	if err != nil {
		return err
	}
	return noContent(w, r, s.Store.DeleteRole(r.Context(), id), "role not found", s.changed)
}

func (s *server) listRoleScopes(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, scopeOut, func(page store.Page) ([]store.Scope, int, error) {
		role, err := s.role(r)
		if err != nil {
			return nil, 0, err
		}
		scopes, total, err := s.Store.ListRoleScopes(r.Context(), role.ID, page)
		return scopes, total, orNotFound(err, "role not found")
	})
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
	ids, err := checkIDs("scopeIds", body.ScopeIDs)
	if err != nil {
		return err
	}
	role, err := s.role(r)
	if err != nil {
		return err
	}
	if err := s.scopesExist(r, ids); err != nil {
		return err
	}
	if err := s.Store.AddRoleScopes(r.Context(), role.ID, ids); err != nil {
		return orNotFound(err, "the role or one of the scopes no longer exists")
	}
	s.changed(r)
	scopes, _, err := s.Store.ListRoleScopes(r.Context(), role.ID, store.Page{})
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, each(scopes, scopeOut))
	return nil
}

func (s *server) removeRoleScope(w http.ResponseWriter, r *http.Request) error {
	roleID, scopeID, err := pathIDs(r, "id", "role", "scopeId", "scope")
	if err != nil {
		return err
	}
	return noContent(w, r, s.Store.RemoveRoleScope(r.Context(), roleID, scopeID), "the role does not have this scope", s.changed)
}

func (s *server) listRoleApplications(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, applicationOut, func(page store.Page) ([]store.Application, int, error) {
		role, err := s.role(r)
		if err != nil {
			return nil, 0, err
		}
		apps, total, err := s.Store.ListRoleApplications(r.Context(), role.ID, page)
		return apps, total, orNotFound(err, "role not found")
	})
}

// addRoleApplications gives an M2M role to M2M applications. Like Logto it
// answers 201 with no body.
func (s *server) addRoleApplications(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ApplicationIDs []string `json:"applicationIds"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	ids, err := checkIDs("applicationIds", body.ApplicationIDs)
	if err != nil {
		return err
	}
	role, err := s.role(r)
	if err != nil {
		return err
	}
	if role.Type != store.RoleMachineToMachine {
		return &apiError{http.StatusUnprocessableEntity, "role.invalid_type",
			"only MachineToMachine roles can be given to applications"}
	}
	for _, id := range ids {
		app, err := s.Store.GetApplication(r.Context(), id)
		if err != nil {
			return orNotFound(err, fmt.Sprintf("application %q not found", id))
		}
		if app.Type != store.AppMachineToMachine {
			return &apiError{http.StatusUnprocessableEntity, "application.invalid_type",
				fmt.Sprintf("application %q is of type %s; only MachineToMachine applications can hold roles", id, app.Type)}
		}
	}
	if err := s.Store.AddRoleApplications(r.Context(), role.ID, ids); err != nil {
		return orNotFound(err, "the role or one of the applications no longer exists")
	}
	s.changed(r)
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (s *server) removeRoleApplication(w http.ResponseWriter, r *http.Request) error {
	roleID, appID, err := pathIDs(r, "id", "role", "applicationId", "application")
	if err != nil {
		return err
	}
	return noContent(w, r, s.Store.RemoveRoleApplication(r.Context(), roleID, appID), "the application does not hold this role", s.changed)
}
