package management

import (
	"net/http"

	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/randid"
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
}

func (s *server) resourceOut(res store.Resource) resourceJSON {
	return resourceJSON{
		ID:             res.ID,
		Name:           res.Name,
		Indicator:      res.Indicator,
		IsDefault:      res.IsDefault,
		AccessTokenTTL: res.AccessTokenTTL,
		IsBuiltIn:      res.Indicator == s.Indicator,
	}
}

type scopeJSON struct {
	ID          string `json:"id"`
	ResourceID  string `json:"resourceId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	CreatedAt   int64  `json:"createdAt"`
}

func scopeOut(sc store.Scope) scopeJSON {
	return scopeJSON{ID: sc.ID, ResourceID: sc.ResourceID, Name: sc.Name, Description: sc.Description, CreatedAt: ms(sc.CreatedAt)}
}

// errBuiltIn refuses changes to the Management API resource: its indicator
// and its scope "all" are what this very API checks, so editing them could
// lock every administrator out. Logto treats it as read-only too.
var errBuiltIn = &apiError{http.StatusBadRequest, "resource.cannot_modify_management_api",
	"the Management API resource is built in and read-only"}

func (s *server) resource(r *http.Request) (store.Resource, error) {
	id, err := pathID(r, "id", "resource")
	if err != nil {
		return store.Resource{}, err
	}
	res, err := s.Store.GetResource(r.Context(), id)
	return res, orNotFound(err, "resource not found")
}

// writableResource loads the resource in the path unless it is built in.
func (s *server) writableResource(r *http.Request) (store.Resource, error) {
	res, err := s.resource(r)
	if err == nil && res.Indicator == s.Indicator {
		err = errBuiltIn
	}
	return res, err
}

func (s *server) listResources(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, s.resourceOut, func(page store.Page) ([]store.Resource, int, error) {
		return s.Store.ListResources(r.Context(), page)
	})
}

func (s *server) createResource(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name           *string `json:"name"`
		Indicator      *string `json:"indicator"`
		AccessTokenTTL *int    `json:"accessTokenTtl"`
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
	if body.Indicator == nil {
		return invalid("indicator is required")
	}
	if err := checkIndicator(*body.Indicator); err != nil {
		return err
	}
	if *body.Indicator != s.Indicator && sameResource(*body.Indicator, s.Indicator) {
		return errLookalikeIndicator
	}
	res := store.Resource{
		ID:             randid.ID(),
		Name:           *body.Name,
		Indicator:      *body.Indicator,
		AccessTokenTTL: DefaultAccessTokenTTL,
		CreatedAt:      s.Now(),
	}
	if body.AccessTokenTTL != nil {
		if err := checkTTL(*body.AccessTokenTTL); err != nil {
			return err
		}
		res.AccessTokenTTL = *body.AccessTokenTTL
	}
	if err := s.Store.CreateResource(r.Context(), res); err != nil {
		return orConflict(err, "a resource with this indicator already exists")
	}
	s.changed(r)
	httpjson.Write(w, http.StatusCreated, s.resourceOut(res))
	return nil
}

func (s *server) getResource(w http.ResponseWriter, r *http.Request) error {
	res, err := s.resource(r)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, s.resourceOut(res))
	return nil
}

func (s *server) updateResource(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name           *string `json:"name"`
		AccessTokenTTL *int    `json:"accessTokenTtl"`
		Indicator      *string `json:"indicator"` // accepted only unchanged
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Name != nil {
		if err := checkName(*body.Name); err != nil {
			return err
		}
	}
	if body.AccessTokenTTL != nil {
		if err := checkTTL(*body.AccessTokenTTL); err != nil {
			return err
		}
	}
	res, err := s.writableResource(r)
	if err != nil {
		return err
	}
	// Tokens already issued and every client name the resource by its
	// indicator, so it is fixed; a new indicator is a new resource.
	if body.Indicator != nil && *body.Indicator != res.Indicator {
		return invalid("indicator cannot be changed; create a new resource instead")
	}
	if body.Name == nil && body.AccessTokenTTL == nil {
		httpjson.Write(w, http.StatusOK, s.resourceOut(res))
		return nil
	}
	if body.Name != nil {
		res.Name = *body.Name
	}
	if body.AccessTokenTTL != nil {
		res.AccessTokenTTL = *body.AccessTokenTTL
	}
	if err := s.Store.UpdateResource(r.Context(), res); err != nil {
		return orNotFound(err, "resource not found")
	}
	s.changed(r)
	httpjson.Write(w, http.StatusOK, s.resourceOut(res))
	return nil
}

func (s *server) deleteResource(w http.ResponseWriter, r *http.Request) error {
	res, err := s.writableResource(r)
	if err != nil {
		return err
	}
	return noContent(w, r, s.Store.DeleteResource(r.Context(), res.ID), "resource not found", s.changed)
}

// setDefaultResource makes the resource the one used when a token request
// names none (or stops it being so). At most one resource is the default.
func (s *server) setDefaultResource(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		IsDefault *bool `json:"isDefault"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.IsDefault == nil {
		return invalid("isDefault is required (true or false)")
	}
	res, err := s.writableResource(r)
	if err != nil {
		return err
	}
	if err := s.Store.SetDefaultResource(r.Context(), res.ID, *body.IsDefault); err != nil {
		return orNotFound(err, "resource not found")
	}
	s.changed(r)
	res.IsDefault = *body.IsDefault
	httpjson.Write(w, http.StatusOK, s.resourceOut(res))
	return nil
}

func (s *server) listScopes(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, scopeOut, func(page store.Page) ([]store.Scope, int, error) {
		res, err := s.resource(r)
		if err != nil {
			return nil, 0, err
		}
		scopes, total, err := s.Store.ListScopes(r.Context(), res.ID, page)
		return scopes, total, orNotFound(err, "resource not found")
	})
}

func (s *server) createScope(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Name == nil {
		return invalid("name is required")
	}
	if err := checkScopeName(*body.Name); err != nil {
		return err
	}
	sc := store.Scope{ID: randid.ID(), Name: *body.Name, CreatedAt: s.Now()}
	if body.Description != nil {
		if err := checkText("description", *body.Description, maxDescriptionLen, true); err != nil {
			return err
		}
		sc.Description = *body.Description
	}
	res, err := s.writableResource(r)
	if err != nil {
		return err
	}
	sc.ResourceID = res.ID
	if err := s.Store.CreateScope(r.Context(), sc); err != nil {
		err = orNotFound(err, "resource not found")
		return orConflict(err, "the resource already has a scope with this name")
	}
	s.changed(r)
	httpjson.Write(w, http.StatusCreated, scopeOut(sc))
	return nil
}

// scopeOf loads the scope in the path, which must belong to res.
func (s *server) scopeOf(r *http.Request, res store.Resource) (store.Scope, error) {
	id, err := pathID(r, "scopeId", "scope")
	if err != nil {
		return store.Scope{}, err
	}
	sc, err := s.Store.GetScope(r.Context(), id)
	if err == nil && sc.ResourceID != res.ID {
		err = store.ErrNotFound
	}
	return sc, orNotFound(err, "scope not found in this resource")
}

func (s *server) updateScope(w http.ResponseWriter, r *http.Request) error {
	var body namePatch
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := body.check(checkScopeName); err != nil {
		return err
	}
	res, err := s.writableResource(r)
	if err != nil {
		return err
	}
	sc, err := s.scopeOf(r, res)
	if err != nil {
		return err
	}
	if !body.apply(&sc.Name, &sc.Description) {
		httpjson.Write(w, http.StatusOK, scopeOut(sc))
		return nil
	}
	if err := s.Store.UpdateScope(r.Context(), sc); err != nil {
		err = orNotFound(err, "scope not found")
		return orConflict(err, "the resource already has a scope with this name")
	}
	s.changed(r)
	httpjson.Write(w, http.StatusOK, scopeOut(sc))
	return nil
}

func (s *server) deleteScope(w http.ResponseWriter, r *http.Request) error {
	res, err := s.writableResource(r)
	if err != nil {
		return err
	}
	sc, err := s.scopeOf(r, res)
	if err != nil {
		return err
	}
	return noContent(w, r, s.Store.DeleteScope(r.Context(), sc.ID), "scope not found", s.changed)
}
