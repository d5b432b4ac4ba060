package auth0

import (
	"context"
	"errors"
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

type scopeJSON struct {
	Value       string `json:"value"`
	Description string `json:"description"`
}

// resourceServerJSON is Auth0's resource server (an API resource).
type resourceServerJSON struct {
	ID            string      `json:"id"`
	Name          string      `json:"name"`
	Identifier    string      `json:"identifier"`
	Scopes        []scopeJSON `json:"scopes"`
	TokenLifetime int         `json:"token_lifetime"`
	EnableRBAC    bool        `json:"enable_rbac"`
	TokenDialect  string      `json:"token_dialect"`
	IsSystem      bool        `json:"is_system"`
}

// Auth0's token dialects Monban has: the second adds the permissions
// claim (the resource's PermissionsClaim).
const (
	dialectPlain       = "access_token"
	dialectPermissions = "access_token_authz"
)

// dialectIn reads token_dialect as the resource's PermissionsClaim: nil
// when not given.
// defaultTokenLifetime is the token lifetime, in seconds, Auth0 gives an API
// created without one.
const defaultTokenLifetime = 86400

func dialectIn(dialect *string) (*bool, error) {
	if dialect == nil {
		return nil, nil
	}
	switch *dialect {
	case dialectPlain, dialectPermissions:
		on := *dialect == dialectPermissions
		return &on, nil
	}
	return nil, badBody("Payload validation error: token_dialect must be " + dialectPlain + " or " + dialectPermissions +
		" (Monban has no other dialect).")
}

func dialectOf(res store.Resource) string {
	if res.PermissionsClaim {
		return dialectPermissions
	}
	return dialectPlain
}

func (s *server) resourceServerOut(res store.Resource, scopes []store.Scope) resourceServerJSON {
	out := resourceServerJSON{ID: res.ID, Name: res.Name, Identifier: res.Indicator, TokenLifetime: res.AccessTokenTTL,
		EnableRBAC: !res.RBACDisabled, TokenDialect: dialectOf(res), IsSystem: s.dir.BuiltIn(res), Scopes: make([]scopeJSON, 0, len(scopes))}
	for _, sc := range scopes {
		out.Scopes = append(out.Scopes, scopeJSON{Value: sc.Name, Description: sc.Description})
	}
	return out
}

// resourceServer finds a resource by its id or, as Auth0 allows, its
// identifier.
func (s *server) resourceServer(ctx context.Context, idOrIdentifier string) (store.Resource, []store.Scope, error) {
	res, err := s.dir.Resource(ctx, idOrIdentifier)
	var de *directory.Error
	if errors.As(err, &de) && de.Kind == directory.NotFound {
		all, _, lerr := s.dir.Resources(ctx, store.Page{})
		if lerr != nil {
			return res, nil, lerr
		}
		for _, r := range all {
			if r.Indicator == idOrIdentifier {
				res, err = r, nil
			}
		}
	}
	if err != nil {
		return res, nil, err
	}
	scopes, _, err := s.dir.Scopes(ctx, res.ID, store.Page{})
	return res, scopes, err
}

func (s *server) listResourceServers(w http.ResponseWriter, r *http.Request) error {
	_, p, err := pagedQuery(r)
	if err != nil {
		return err
	}
	resources, total, err := s.dir.Resources(r.Context(), p.store())
	if err != nil {
		return err
	}
	scopes, err := s.dir.ResourceScopes(r.Context(), resources)
	if err != nil {
		return err
	}
	out := make([]resourceServerJSON, len(resources))
	for i, res := range resources {
		out[i] = s.resourceServerOut(res, scopes[res.ID])
	}
	writeList(w, p, "resource_servers", out, total)
	return nil
}

func (s *server) getResourceServer(w http.ResponseWriter, r *http.Request) error {
	res, scopes, err := s.resourceServer(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, s.resourceServerOut(res, scopes))
	return nil
}

// scopesIn checks a scopes list: each value given once.
func scopesIn(scopes []scopeJSON) error {
	seen := map[string]bool{}
	for _, sc := range scopes {
		if seen[sc.Value] {
			return badBody("Payload validation error: scope " + shorten(sc.Value) + " is given twice.")
		}
		seen[sc.Value] = true
	}
	return nil
}

func (s *server) createResourceServer(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name          *string      `json:"name"`
		Identifier    *string      `json:"identifier"`
		Scopes        *[]scopeJSON `json:"scopes"`
		TokenLifetime *int         `json:"token_lifetime"`
		EnableRBAC    *bool        `json:"enable_rbac"`
		TokenDialect  *string      `json:"token_dialect"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Identifier == nil {
		return badBody("Payload validation error: 'Missing required property: identifier'.")
	}
	if body.Name == nil {
		body.Name = body.Identifier // Auth0 names an API by its identifier when no name is given
	}
	var scopes []scopeJSON
	if body.Scopes != nil {
		scopes = *body.Scopes
	}
	if err := scopesIn(scopes); err != nil {
		return err
	}
	permissions, err := dialectIn(body.TokenDialect)
	if err != nil {
		return err
	}
	if body.TokenLifetime == nil {
		// Auth0 gives a new API a day's token lifetime; Logto's API an hour.
		day := defaultTokenLifetime
		body.TokenLifetime = &day
	}
	res, err := s.dir.CreateResource(r.Context(), directory.NewResource{Name: body.Name, Indicator: body.Identifier, AccessTokenTTL: body.TokenLifetime,
		EnableRBAC: body.EnableRBAC, PermissionsClaim: permissions})
	if err != nil {
		return err
	}
	if err := s.syncScopes(r.Context(), res.ID, nil, scopes); err != nil {
		if derr := s.dir.DeleteResource(r.Context(), res.ID); derr != nil {
			s.log.Error("removing a resource server whose scopes failed failed", "id", res.ID, "err", derr)
		}
		return err
	}
	s.changed(r)
	res, created, err := s.resourceServer(r.Context(), res.ID)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, s.resourceServerOut(res, created))
	return nil
}

// syncScopes makes the scopes of resource resID want, from have.
func (s *server) syncScopes(ctx context.Context, resID string, have []store.Scope, want []scopeJSON) error {
	byName := map[string]store.Scope{}
	for _, sc := range have {
		byName[sc.Name] = sc
	}
	kept := map[string]bool{}
	for _, sc := range want {
		desc := sc.Description
		old, ok := byName[sc.Value]
		switch {
		case !ok:
			name := sc.Value
			if _, err := s.dir.CreateScope(ctx, resID, directory.NewScope{Name: &name, Description: &desc}); err != nil {
				return err
			}
		case old.Description != desc:
			if _, _, err := s.dir.UpdateScope(ctx, resID, old.ID, directory.NamePatch{Description: &desc}); err != nil {
				return err
			}
		}
		kept[sc.Value] = true
	}
	for _, sc := range have {
		if !kept[sc.Name] {
			if err := s.dir.DeleteScope(ctx, resID, sc.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *server) updateResourceServer(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name          *string      `json:"name"`
		Identifier    *string      `json:"identifier"`
		Scopes        *[]scopeJSON `json:"scopes"`
		TokenLifetime *int         `json:"token_lifetime"`
		EnableRBAC    *bool        `json:"enable_rbac"`
		TokenDialect  *string      `json:"token_dialect"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	res, scopes, err := s.resourceServer(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if body.Scopes != nil {
		if err := scopesIn(*body.Scopes); err != nil {
			return err
		}
	}
	permissions, err := dialectIn(body.TokenDialect)
	if err != nil {
		return err
	}
	res, changed, err := s.dir.UpdateResource(r.Context(), res.ID, directory.ResourceChange{Name: body.Name, AccessTokenTTL: body.TokenLifetime,
		Indicator: body.Identifier, EnableRBAC: body.EnableRBAC, PermissionsClaim: permissions})
	if err != nil {
		return err
	}
	if body.Scopes != nil {
		if err := s.syncScopes(r.Context(), res.ID, scopes, *body.Scopes); err != nil {
			return err
		}
		changed = true
	}
	if changed {
		s.changed(r)
	}
	res, scopes, err = s.resourceServer(r.Context(), res.ID)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, s.resourceServerOut(res, scopes))
	return nil
}

func (s *server) deleteResourceServer(w http.ResponseWriter, r *http.Request) error {
	res, _, err := s.resourceServer(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.dir.DeleteResource(r.Context(), res.ID); err != nil {
		return err
	}
	s.changed(r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
