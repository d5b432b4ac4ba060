package management

import (
	"net/http"

	"github.com/monban/monban/internal/store"
)

// Just-in-time provisioning of an organization: e-mail domains, the roles
// given with them, and enterprise SSO connectors (which Monban does not
// have yet: the list is empty and naming one is a missing relation, as
// Logto answers an unknown connector).

func (s *server) jitRoutes() []route {
	const jit = "/api/organizations/{id}/jit/"
	return []route{
		{pattern: "GET " + jit + "email-domains", handle: s.listEmailDomains, query: optionalPages},
		{pattern: "POST " + jit + "email-domains", handle: s.addEmailDomain},
		{pattern: "PUT " + jit + "email-domains", handle: s.replaceEmailDomains},
		{pattern: "DELETE " + jit + "email-domains/{emailDomain}", handle: s.removeEmailDomain},
		{pattern: "GET " + jit + "roles", handle: s.listJITRoles, query: optionalPages},
		{pattern: "POST " + jit + "roles", handle: s.addJITRoles},
		{pattern: "PUT " + jit + "roles", handle: s.replaceJITRoles},
		{pattern: "DELETE " + jit + "roles/{organizationRoleId}", handle: s.removeJITRole},
		{pattern: "GET " + jit + "sso-connectors", handle: s.listSSOConnectors, query: optionalPages},
		{pattern: "POST " + jit + "sso-connectors", handle: s.setSSOConnectors(true)},
		{pattern: "PUT " + jit + "sso-connectors", handle: s.setSSOConnectors(false)},
		{pattern: "DELETE " + jit + "sso-connectors/{ssoConnectorId}", handle: s.removeSSOConnector},
	}
}

// emailDomainJSON is Logto's organization e-mail domain.
type emailDomainJSON struct {
	OrganizationID string `json:"organizationId"`
	EmailDomain    string `json:"emailDomain"`
}

func (s *server) listEmailDomains(w http.ResponseWriter, r *http.Request) error {
	orgID := r.PathValue("id")
	one := func(d string) emailDomainJSON { return emailDomainJSON{OrganizationID: orgID, EmailDomain: d} }
	return writePage(w, r, one, func(page store.Page) ([]string, int, error) {
		return s.dir.EmailDomains(r.Context(), orgID, page)
	})
}

func (s *server) addEmailDomain(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		EmailDomain *string `json:"emailDomain"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.EmailDomain == nil {
		return invalid("emailDomain is required")
	}
	orgID := r.PathValue("id")
	domain, err := s.dir.AddEmailDomain(r.Context(), orgID, *body.EmailDomain)
	if err != nil {
		return err
	}
	return s.created(w, r, emailDomainJSON{OrganizationID: orgID, EmailDomain: domain})
}

func (s *server) replaceEmailDomains(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		EmailDomains []string `json:"emailDomains"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	return noContent(w, r, s.dir.ReplaceEmailDomains(r.Context(), r.PathValue("id"), body.EmailDomains), s.recordOrg)
}

func (s *server) removeEmailDomain(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, r, s.dir.RemoveEmailDomain(r.Context(), r.PathValue("id"), r.PathValue("emailDomain")), s.recordOrg)
}

// orgRoleIDsBody names organization roles.
type orgRoleIDsBody struct {
	IDs []string `json:"organizationRoleIds"`
}

func (s *server) listJITRoles(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, organizationRoleOut, func(page store.Page) ([]store.OrganizationRole, int, error) {
		return s.dir.JITRoles(r.Context(), r.PathValue("id"), page)
	})
}

func (s *server) addJITRoles(w http.ResponseWriter, r *http.Request) error {
	var body orgRoleIDsBody
	err := decode(w, r, &body)
	if err == nil {
		err = s.dir.AddJITRoles(r.Context(), r.PathValue("id"), body.IDs)
	}
	return createdEmpty(w, r, s.recordOrg, err)
}

func (s *server) replaceJITRoles(w http.ResponseWriter, r *http.Request) error {
	var body orgRoleIDsBody
	err := decode(w, r, &body)
	if err == nil {
		err = s.dir.ReplaceJITRoles(r.Context(), r.PathValue("id"), body.IDs)
	}
	return noContent(w, r, err, s.recordOrg)
}

func (s *server) removeJITRole(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, r, s.dir.RemoveJITRole(r.Context(), r.PathValue("id"), r.PathValue("organizationRoleId")), s.recordOrg)
}

// listSSOConnectors answers the organization's connectors: none.
func (s *server) listSSOConnectors(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, func(v struct{}) struct{} { return v }, func(store.Page) ([]struct{}, int, error) {
		_, err := s.dir.Organization(r.Context(), r.PathValue("id"))
		return []struct{}{}, 0, err
	})
}

// setSSOConnectors answers an add (POST) or replacement (PUT) of the
// connectors: any connector named does not exist; replacing them with none
// is what there is already.
func (s *server) setSSOConnectors(add bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var body struct {
			IDs []string `json:"ssoConnectorIds"`
		}
		if err := decode(w, r, &body); err != nil {
			return err
		}
		switch {
		case body.IDs == nil || add && len(body.IDs) == 0:
			return invalid("ssoConnectorIds must be an array of ids")
		case len(body.IDs) > 0:
			return &apiError{http.StatusUnprocessableEntity, "entity.relation_foreign_key_not_found",
				"no enterprise SSO connector has this id: Monban has no enterprise SSO connectors yet"}
		}
		if _, err := s.dir.Organization(r.Context(), r.PathValue("id")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *server) removeSSOConnector(w http.ResponseWriter, r *http.Request) error {
	return &apiError{http.StatusNotFound, "entity.not_found", "the organization has no enterprise SSO connectors"}
}
