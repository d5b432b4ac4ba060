package management

import (
	"context"
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/logto"
	"github.com/monban/monban/internal/store"
)

// The organization template: /api/organization-scopes and
// /api/organization-roles (with the organization scopes and the resource
// scopes each role grants).

func (s *server) templateRoutes() []route {
	const sc, ro = "/api/organization-scopes", "/api/organization-roles"
	return []route{
		{pattern: "GET " + sc, handle: s.listOrganizationScopes, query: keyword(true)},
		{pattern: "POST " + sc, handle: s.createOrganizationScope},
		{pattern: "GET " + sc + "/{id}", handle: read(organizationScopeOut, s.dir.OrganizationScope)},
		{pattern: "PATCH " + sc + "/{id}", handle: s.updateOrganizationScope},
		{pattern: "DELETE " + sc + "/{id}", handle: remove(s.dir.DeleteOrganizationScope, s.recordOrg)},

		{pattern: "GET " + ro, handle: s.listOrganizationRoles, query: keyword(false)},
		{pattern: "POST " + ro, handle: s.createOrganizationRole},
		{pattern: "GET " + ro + "/{id}", handle: read(organizationRoleOut, s.dir.OrganizationRole)},
		{pattern: "PATCH " + ro + "/{id}", handle: s.updateOrganizationRole},
		{pattern: "DELETE " + ro + "/{id}", handle: remove(s.dir.DeleteOrganizationRole, s.recordOrg)},
		{pattern: "GET " + ro + "/{id}/scopes", handle: s.listRoleOrgScopes, query: optionalPages},
		{pattern: "POST " + ro + "/{id}/scopes", handle: s.addRoleOrgScopes(store.OrganizationScopes)},
		{pattern: "PUT " + ro + "/{id}/scopes", handle: s.replaceRoleOrgScopes(store.OrganizationScopes)},
		{pattern: "DELETE " + ro + "/{id}/scopes/{organizationScopeId}", handle: s.removeRoleOrgScope(store.OrganizationScopes, "organizationScopeId")},
		{pattern: "GET " + ro + "/{id}/resource-scopes", handle: s.listRoleResourceScopes, query: optionalPages},
		{pattern: "POST " + ro + "/{id}/resource-scopes", handle: s.addRoleOrgScopes(store.ResourceScopes)},
		{pattern: "PUT " + ro + "/{id}/resource-scopes", handle: s.replaceRoleOrgScopes(store.ResourceScopes)},
		{pattern: "DELETE " + ro + "/{id}/resource-scopes/{scopeId}", handle: s.removeRoleOrgScope(store.ResourceScopes, "scopeId")},
	}
}

// organizationScopeJSON is Logto's organization scope.
type organizationScopeJSON = logto.OrganizationScope

func organizationScopeOut(sc store.OrganizationScope) organizationScopeJSON {
	return logto.OrganizationScopeOf(sc)
}

// organizationRoleJSON is Logto's organization role.
type organizationRoleJSON = logto.OrganizationRole

// templateBody is what a create or change of an organization scope or
// role reads; the answered fields it does not take are stripped.
type templateBody struct {
	ID             stripped  `json:"id"`
	TenantID       stripped  `json:"tenantId"`
	Scopes         stripped  `json:"scopes"`
	ResourceScopes stripped  `json:"resourceScopes"`
	Name           *string   `json:"name"`
	Description    optString `json:"description"`
}

func (b templateBody) patch() directory.NamePatch {
	return directory.NamePatch{Name: b.Name, Description: b.Description.field()}
}

func (s *server) listOrganizationScopes(w http.ResponseWriter, r *http.Request) error {
	match, err := directory.Keyword(r.URL.Query())
	if err != nil {
		return err
	}
	return writePage(w, r, organizationScopeOut, func(page store.Page) ([]store.OrganizationScope, int, error) {
		return s.dir.OrganizationScopes(r.Context(), match, page)
	})
}

func (s *server) createOrganizationScope(w http.ResponseWriter, r *http.Request) error {
	var body templateBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	return created(s, w, r, organizationScopeOut)(s.dir.CreateOrganizationScope(r.Context(), body.patch()))
}

func (s *server) updateOrganizationScope(w http.ResponseWriter, r *http.Request) error {
	var body templateBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	sc, changed, err := s.dir.UpdateOrganizationScope(r.Context(), r.PathValue("id"), body.patch())
	return updated(w, r, s.recordOrg, organizationScopeOut(sc), changed, err)
}

// organizationRoleListJSON is a role as the list shows it: with the scopes
// of both kinds it grants.
type organizationRoleListJSON struct {
	organizationRoleJSON
	Scopes         []organizationRoleRef `json:"scopes"`
	ResourceScopes []resourceScopeRef    `json:"resourceScopes"`
}

// resourceScopeRef is Logto's short resource scope, with its resource.
type resourceScopeRef struct {
	ID       string              `json:"id"`
	Name     string              `json:"name"`
	Resource organizationRoleRef `json:"resource"`
}

func (s *server) listOrganizationRoles(w http.ResponseWriter, r *http.Request) error {
	match, err := directory.Keyword(r.URL.Query())
	if err != nil {
		return err
	}
	var grants map[string]store.OrganizationRoleGrants
	names := map[string]string{} // resource id → name
	one := func(role store.OrganizationRole) organizationRoleListJSON {
		g := grants[role.ID]
		out := organizationRoleListJSON{organizationRoleJSON: organizationRoleOut(role), Scopes: make([]organizationRoleRef, len(g.Scopes)),
			ResourceScopes: make([]resourceScopeRef, len(g.ResourceScopes))}
		for i, sc := range g.Scopes {
			out.Scopes[i] = organizationRoleRef{ID: sc.ID, Name: sc.Name}
		}
		for i, sc := range g.ResourceScopes {
			out.ResourceScopes[i] = resourceScopeRef{ID: sc.ID, Name: sc.Name, Resource: organizationRoleRef{ID: sc.ResourceID, Name: names[sc.ResourceID]}}
		}
		return out
	}
	return writePage(w, r, one, func(page store.Page) ([]store.OrganizationRole, int, error) {
		roles, total, err := s.dir.OrganizationRoles(r.Context(), match, page)
		if err == nil {
			grants, err = s.dir.OrganizationRoleGrants(r.Context(), roles)
		}
		if err == nil {
			err = s.resourceNames(r.Context(), grants, names)
		}
		return roles, total, err
	})
}

// resourceNames fills names with the name of every resource whose scopes
// grants name.
func (s *server) resourceNames(ctx context.Context, grants map[string]store.OrganizationRoleGrants, names map[string]string) error {
	for _, g := range grants {
		for _, sc := range g.ResourceScopes {
			if _, ok := names[sc.ResourceID]; ok {
				continue
			}
			res, err := s.dir.Resource(ctx, sc.ResourceID)
			if err != nil {
				return err
			}
			names[sc.ResourceID] = res.Name
		}
	}
	return nil
}

func (s *server) createOrganizationRole(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		templateBody
		Type             *string  `json:"type"`
		ScopeIDs         []string `json:"organizationScopeIds"`
		ResourceScopeIDs []string `json:"resourceScopeIds"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	return created(s, w, r, organizationRoleOut)(s.dir.CreateOrganizationRole(r.Context(), directory.NewOrganizationRole{
		NamePatch: body.patch(), Type: body.Type, ScopeIDs: body.ScopeIDs, ResourceScopeIDs: body.ResourceScopeIDs}))
}

func (s *server) updateOrganizationRole(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		templateBody
		Type *string `json:"type"` // accepted only unchanged
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	role, changed, err := s.dir.UpdateOrganizationRole(r.Context(), r.PathValue("id"), directory.RoleChange{NamePatch: body.patch(), Type: body.Type})
	return updated(w, r, s.recordOrg, organizationRoleOut(role), changed, err)
}

func (s *server) listRoleOrgScopes(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, organizationScopeOut, func(page store.Page) ([]store.OrganizationScope, int, error) {
		return s.dir.OrganizationRoleScopes(r.Context(), r.PathValue("id"), page)
	})
}

func (s *server) listRoleResourceScopes(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, scopeOut, func(page store.Page) ([]store.Scope, int, error) {
		return s.dir.OrganizationRoleResourceScopes(r.Context(), r.PathValue("id"), page)
	})
}

// The bodies naming the scopes of each kind.
type (
	orgScopeIDsBody struct {
		IDs []string `json:"organizationScopeIds"`
	}
	scopeIDsBody struct {
		IDs []string `json:"scopeIds"`
	}
)

// readScopeIDs reads the body naming scopes of kind.
func readScopeIDs(w http.ResponseWriter, r *http.Request, kind store.OrganizationScopeKind) ([]string, error) {
	if kind == store.OrganizationScopes {
		var b orgScopeIDsBody
		err := decode(w, r, &b)
		return b.IDs, err
	}
	var b scopeIDsBody
	err := decode(w, r, &b)
	return b.IDs, err
}

func (s *server) addRoleOrgScopes(kind store.OrganizationScopeKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ids, err := readScopeIDs(w, r, kind)
		if err == nil {
			err = s.dir.AddOrganizationRoleScopes(r.Context(), r.PathValue("id"), kind, ids)
		}
		return createdEmpty(w, r, s.recordOrg, err)
	}
}

func (s *server) replaceRoleOrgScopes(kind store.OrganizationScopeKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ids, err := readScopeIDs(w, r, kind)
		if err == nil {
			err = s.dir.ReplaceOrganizationRoleScopes(r.Context(), r.PathValue("id"), kind, ids)
		}
		return noContent(w, r, err, s.recordOrg)
	}
}

func (s *server) removeRoleOrgScope(kind store.OrganizationScopeKind, param string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return noContent(w, r, s.dir.RemoveOrganizationRoleScope(r.Context(), r.PathValue("id"), kind, r.PathValue(param)), s.recordOrg)
	}
}
