package management

import (
	"context"
	_ "embed"
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/logto"
	"github.com/monban/monban/internal/store"
)

// Logto's organizations: /api/organizations (here), their members and
// provisioning (orgmembers.go), and the template at
// /api/organization-roles and /api/organization-scopes (orgtemplate.go).

// organizationsOpenAPI documents these routes; it is merged into openAPI
// at start-up.
//
//go:embed openapi_organizations.json
var organizationsOpenAPI []byte

func init() { addOpenAPI(organizationsOpenAPI) }

// keyword is the query rule of the lists Logto searches by q.
func keyword(optional bool, params ...string) *listQuery {
	return &listQuery{params: append([]string{"q"}, params...), optional: optional}
}

// optionalPages is the rule of the lists whose pagination is optional
// and that take nothing else.
var optionalPages = &listQuery{optional: true}

func (s *server) organizationRoutes() []route {
	orgs := []route{
		{pattern: "GET /api/organizations", handle: s.listOrganizations, query: keyword(false, "showFeatured")},
		{pattern: "POST /api/organizations", handle: s.createOrganization},
		{pattern: "GET /api/organizations/{id}", handle: read(organizationOut, s.dir.Organization)},
		{pattern: "PATCH /api/organizations/{id}", handle: s.updateOrganization},
		{pattern: "DELETE /api/organizations/{id}", handle: remove(s.dir.DeleteOrganization, s.recordOrg)},
		{pattern: "GET /api/users/{id}/organizations", handle: s.memberOrganizations(store.HolderUser), query: noQuery},
		{pattern: "GET /api/applications/{id}/organizations", handle: s.memberOrganizations(store.HolderApplication), query: optionalPages},
	}
	orgs = append(orgs, s.memberRoutes()...)
	orgs = append(orgs, s.jitRoutes()...)
	return append(orgs, s.templateRoutes()...)
}

// recordOrg records a change that the token endpoint's catalog does not
// hold: organizations are read from the database when a token is issued.
func (s *server) recordOrg(r *http.Request) { s.record(r, "") }

// organizationJSON is Logto's organization.
type organizationJSON = logto.Organization

func organizationOut(o store.Organization) organizationJSON { return logto.OrganizationOf(o) }

// organizationFeaturedJSON is an organization in the list with
// showFeatured: how many users it has and the first few.
type organizationFeaturedJSON struct {
	organizationJSON
	UsersCount    int                `json:"usersCount"`
	FeaturedUsers []featuredUserJSON `json:"featuredUsers"`
}

// featuredCount is how many users showFeatured shows, as Logto does.
const featuredCount = 3

func (s *server) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	match, err := directory.Keyword(r.URL.Query())
	if err != nil {
		return err
	}
	featured, err := directory.YesNo("showFeatured", r.URL.Query().Get("showFeatured"))
	if err != nil {
		return err
	}
	if !featured {
		return writePage(w, r, organizationOut, func(page store.Page) ([]store.Organization, int, error) {
			return s.dir.Organizations(r.Context(), match, page)
		})
	}
	counts := map[string]organizationFeaturedJSON{}
	one := func(o store.Organization) organizationFeaturedJSON { return counts[o.ID] }
	return writePage(w, r, one, func(page store.Page) ([]store.Organization, int, error) {
		orgs, total, err := s.dir.Organizations(r.Context(), match, page)
		for _, o := range orgs {
			if err != nil {
				break
			}
			counts[o.ID], err = s.featured(r.Context(), o)
		}
		return orgs, total, err
	})
}

// featured is o with its user count and first users.
func (s *server) featured(ctx context.Context, o store.Organization) (organizationFeaturedJSON, error) {
	users, total, err := s.dir.OrganizationUsers(ctx, o.ID, store.OrganizationUserFilter{}, store.Page{Limit: featuredCount})
	out := organizationFeaturedJSON{organizationJSON: organizationOut(o), UsersCount: total, FeaturedUsers: make([]featuredUserJSON, len(users))}
	for i, u := range users {
		out.FeaturedUsers[i] = featuredUserJSON{ID: u.ID, Avatar: logto.OrNull(u.Avatar), Name: logto.OrNull(u.Name)}
	}
	return out, err
}

// organizationBody is what a create or change of an organization reads;
// the answered fields it does not take are stripped.
type organizationBody struct {
	ID                     stripped        `json:"id"`
	TenantID               stripped        `json:"tenantId"`
	CreatedAt              stripped        `json:"createdAt"`
	IsTrustedDeviceAllowed stripped        `json:"isTrustedDeviceAllowed"`
	Name                   *string         `json:"name"`
	Description            optString       `json:"description"`
	CustomData             *map[string]any `json:"customData"`
	IsMFARequired          *bool           `json:"isMfaRequired"`
	Color                  *map[string]any `json:"color"`
	Branding               *map[string]any `json:"branding"`
	CustomCSS              optString       `json:"customCss"`
}

func (b organizationBody) fields() directory.OrganizationFields {
	deref := func(m *map[string]any) map[string]any {
		if m == nil {
			return nil
		}
		if *m == nil {
			return map[string]any{}
		}
		return *m
	}
	return directory.OrganizationFields{Name: b.Name, Description: b.Description.field(), CustomData: deref(b.CustomData),
		Branding: deref(b.Branding), Color: deref(b.Color), CustomCSS: b.CustomCSS.field(), IsMFARequired: b.IsMFARequired}
}

func (s *server) createOrganization(w http.ResponseWriter, r *http.Request) error {
	var body organizationBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	return created(s, w, r, organizationOut)(s.dir.CreateOrganization(r.Context(), body.fields()))
}

func (s *server) updateOrganization(w http.ResponseWriter, r *http.Request) error {
	var body organizationBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	o, changed, err := s.dir.UpdateOrganization(r.Context(), r.PathValue("id"), body.fields())
	return updated(w, r, s.recordOrg, organizationOut(o), changed, err)
}

// organizationRoleRef is Logto's short organization role: id and name.
type organizationRoleRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func roleRefs(roles []store.OrganizationRole) []organizationRoleRef {
	out := make([]organizationRoleRef, len(roles))
	for i, r := range roles {
		out[i] = organizationRoleRef{ID: r.ID, Name: r.Name}
	}
	return out
}

// organizationWithRolesJSON is an organization with the roles a member
// holds there.
type organizationWithRolesJSON struct {
	organizationJSON
	OrganizationRoles []organizationRoleRef `json:"organizationRoles"`
}

func memberOrganizationOut(m store.MemberOrganization) organizationWithRolesJSON {
	return organizationWithRolesJSON{organizationJSON: organizationOut(m.Organization), OrganizationRoles: roleRefs(m.Roles)}
}

// memberOrganizations answers the organizations a user (whole, as Logto
// does) or an application (paginated when asked) belongs to.
func (s *server) memberOrganizations(h store.Holder) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if h == store.HolderUser {
			orgs, err := s.dir.MemberOrganizations(r.Context(), h, r.PathValue("id"))
			return reply(w, func(o []store.MemberOrganization) []organizationWithRolesJSON { return each(o, memberOrganizationOut) })(orgs, err)
		}
		return writePage(w, r, memberOrganizationOut, func(page store.Page) ([]store.MemberOrganization, int, error) {
			orgs, err := s.dir.MemberOrganizations(r.Context(), h, r.PathValue("id"))
			return pageOfSlice(orgs, page), len(orgs), err
		})
	}
}

// pageOfSlice is the page of all.
func pageOfSlice[T any](all []T, page store.Page) []T {
	if page.Offset >= len(all) {
		return all[:0]
	}
	all = all[page.Offset:]
	if page.Limit > 0 && page.Limit < len(all) {
		all = all[:page.Limit]
	}
	return all
}
