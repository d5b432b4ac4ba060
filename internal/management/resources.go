package management

import (
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/logto"
	"github.com/monban/monban/internal/store"
)

type resourceJSON struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Indicator      string `json:"indicator"`
	IsDefault      bool   `json:"isDefault"`
	AccessTokenTTL int    `json:"accessTokenTtl"`
	// IsBuiltIn marks the Management API itself, which is read-only.
	IsBuiltIn bool `json:"isBuiltIn"`
	// Auth0's per-API settings, beyond Logto's shape: "Enable RBAC" and
	// "Add Permissions in the Access Token".
	EnableRBAC       bool `json:"enableRbac"`
	PermissionsClaim bool `json:"permissionsClaim"`
}

func (s *server) resourceOut(res store.Resource) resourceJSON {
	return resourceJSON{
		ID:               res.ID,
		Name:             res.Name,
		Indicator:        res.Indicator,
		IsDefault:        res.IsDefault,
		AccessTokenTTL:   res.AccessTokenTTL,
		IsBuiltIn:        s.dir.BuiltIn(res),
		EnableRBAC:       !res.RBACDisabled,
		PermissionsClaim: res.PermissionsClaim,
	}
}

// scopeJSON is Logto's scope (see logto.Scope).
type scopeJSON = logto.Scope

func scopeOut(sc store.Scope) scopeJSON { return logto.ScopeOf(sc) }

// resourceListJSON is a resource of a list, with its scopes when the list
// asks for them (includeScopes=true).
type resourceListJSON struct {
	resourceJSON
	Scopes *[]scopeJSON `json:"scopes,omitempty"`
}

func (s *server) listResources(w http.ResponseWriter, r *http.Request) error {
	withScopes, err := directory.YesNo("includeScopes", r.URL.Query().Get("includeScopes"))
	if err != nil {
		return err
	}
	return writePage(w, r, func(res resourceListJSON) resourceListJSON { return res },
		func(page store.Page) ([]resourceListJSON, int, error) {
			list, total, err := s.dir.Resources(r.Context(), page)
			if err != nil {
				return nil, 0, err
			}
			var scopes map[string][]store.Scope
			if withScopes {
				if scopes, err = s.dir.ResourceScopes(r.Context(), list); err != nil {
					return nil, 0, err
				}
			}
			out := make([]resourceListJSON, len(list))
			for i, res := range list {
				out[i].resourceJSON = s.resourceOut(res)
				if withScopes {
					sc := each(scopes[res.ID], scopeOut)
					out[i].Scopes = &sc
				}
			}
			return out, total, nil
		})
}

func (s *server) createResource(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name             *string `json:"name"`
		Indicator        *string `json:"indicator"`
		AccessTokenTTL   *int    `json:"accessTokenTtl"`
		EnableRBAC       *bool   `json:"enableRbac"`
		PermissionsClaim *bool   `json:"permissionsClaim"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	return created(s, w, r, s.resourceOut)(s.dir.CreateResource(r.Context(), directory.NewResource(body)))
}

func (s *server) updateResource(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		// What Logto's guard strips, so that a resource read (from a list
		// with includeScopes too) goes back whole.
		ID        stripped `json:"id"`
		TenantID  stripped `json:"tenantId"`
		IsBuiltIn stripped `json:"isBuiltIn"`
		Scopes    stripped `json:"scopes"`

		Name             *string `json:"name"`
		AccessTokenTTL   *int    `json:"accessTokenTtl"`
		Indicator        *string `json:"indicator"` // accepted only unchanged
		IsDefault        *bool   `json:"isDefault"` // accepted only unchanged
		EnableRBAC       *bool   `json:"enableRbac"`
		PermissionsClaim *bool   `json:"permissionsClaim"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	res, changed, err := s.dir.UpdateResource(r.Context(), r.PathValue("id"), directory.ResourceChange{
		Name: body.Name, AccessTokenTTL: body.AccessTokenTTL, Indicator: body.Indicator, IsDefault: body.IsDefault,
		EnableRBAC: body.EnableRBAC, PermissionsClaim: body.PermissionsClaim})
	return updated(w, r, s.changed, s.resourceOut(res), changed, err)
}

// setDefaultResource makes the resource the one used when a token request
// names none (or stops it being so).
func (s *server) setDefaultResource(w http.ResponseWriter, r *http.Request) error {
	isDefault, err := flag[isDefaultBody](w, r, "isDefault is required (true or false)")
	if err != nil {
		return err
	}
	res, err := s.dir.SetDefaultResource(r.Context(), r.PathValue("id"), isDefault)
	return updated(w, r, s.changed, s.resourceOut(res), true, err)
}

func (s *server) createScope(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	return created(s, w, r, scopeOut)(s.dir.CreateScope(r.Context(), r.PathValue("id"), directory.NewScope(body)))
}

func (s *server) updateScope(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		namePatch
		// What Logto's guard strips, so that a scope read goes back whole;
		// resourceId is accepted only unchanged (a scope stays in its
		// resource).
		ID         stripped `json:"id"`
		TenantID   stripped `json:"tenantId"`
		CreatedAt  stripped `json:"createdAt"`
		ResourceID *string  `json:"resourceId"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.ResourceID != nil && *body.ResourceID != r.PathValue("id") {
		return invalid("resourceId cannot be changed: a scope stays in its resource")
	}
	sc, changed, err := s.dir.UpdateScope(r.Context(), r.PathValue("id"), r.PathValue("scopeId"), directory.NamePatch(body.namePatch))
	return updated(w, r, s.changed, scopeOut(sc), changed, err)
}
