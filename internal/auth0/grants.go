package auth0

import (
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
)

// clientGrantJSON is Auth0's client grant: an application authorized for
// an API with scopes (see directory.ClientGrant for how Monban keeps it).
type clientGrantJSON struct {
	ID       string   `json:"id"`
	ClientID string   `json:"client_id"`
	Audience string   `json:"audience"`
	Scope    []string `json:"scope"`
}

func clientGrantOut(g directory.ClientGrant) clientGrantJSON {
	return clientGrantJSON{ID: g.ID, ClientID: g.ClientID, Audience: g.Audience, Scope: list(g.Scopes)}
}

func (s *server) listClientGrants(w http.ResponseWriter, r *http.Request) error {
	q, p, err := pagedQuery(r)
	if err != nil {
		return err
	}
	grants, err := s.dir.ClientGrants(r.Context(), directory.ClientGrantFilter{ClientID: q.Get("client_id"), Audience: q.Get("audience")})
	if err != nil {
		return err
	}
	out := make([]clientGrantJSON, 0, len(grants))
	for _, g := range pageOf(grants, p) {
		out = append(out, clientGrantOut(g))
	}
	writeList(w, p, "client_grants", out, len(grants))
	return nil
}

func (s *server) createClientGrant(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ClientID *string   `json:"client_id"`
		Audience *string   `json:"audience"`
		Scope    *[]string `json:"scope"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	for name, missing := range map[string]bool{"client_id": body.ClientID == nil, "audience": body.Audience == nil, "scope": body.Scope == nil} {
		if missing {
			return badBody("Payload validation error: 'Missing required property: " + name + "'.")
		}
	}
	g, err := s.dir.CreateClientGrant(r.Context(), *body.ClientID, *body.Audience, *body.Scope)
	if err != nil {
		return grantError(err)
	}
	s.changed(r)
	httpjson.Write(w, http.StatusCreated, clientGrantOut(g))
	return nil
}

// grantError answers what a grant names but does not exist in Auth0's
// words.
func grantError(err error) error {
	if e, ok := err.(*directory.Error); ok && e.Kind == directory.NotFound {
		if e.Reason == directory.ReasonNoSuchID {
			return &apiError{http.StatusNotFound, "inexistent_client", "The client does not exist"}
		}
		return &apiError{http.StatusNotFound, "inexistent_resource_server", "No resource server found by specified identifier"}
	}
	return err
}

func (s *server) getClientGrant(w http.ResponseWriter, r *http.Request) error {
	g, err := s.dir.ClientGrant(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, clientGrantOut(g))
	return nil
}

func (s *server) updateClientGrant(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Scope *[]string `json:"scope"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Scope == nil {
		return badBody("Payload validation error: 'Missing required property: scope'.")
	}
	g, err := s.dir.UpdateClientGrant(r.Context(), r.PathValue("id"), *body.Scope)
	if err != nil {
		return err
	}
	s.changed(r)
	httpjson.Write(w, http.StatusOK, clientGrantOut(g))
	return nil
}

func (s *server) deleteClientGrant(w http.ResponseWriter, r *http.Request) error {
	if err := s.dir.DeleteClientGrant(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	s.changed(r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
