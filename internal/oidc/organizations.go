package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/monban/monban/internal/authz"
	"github.com/monban/monban/internal/store"
)

// Logto's organizations in the protocol: the user scopes that put a
// user's organizations and organization roles in the ID token and
// userinfo, and organization tokens, asked for with organization_id on
// the refresh_token and client_credentials grants.

// Logto's organization scopes of an end user.
const (
	ScopeOrganizations     = "urn:logto:scope:organizations"
	ScopeOrganizationRoles = "urn:logto:scope:organization_roles"
)

// maxOrganizationIDLen bounds organization_id.
const maxOrganizationIDLen = 256

// requestedOrganization reads organization_id: "" when absent or empty
// (as Logto ignores an empty one).
func requestedOrganization(params url.Values) (string, *Error) {
	v := params.Get("organization_id")
	if len(v) > maxOrganizationIDLen || strings.ContainsFunc(v, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return "", errInvalidRequest("organization_id is not a valid id")
	}
	return v, nil
}

// refuseOrganization answers a grant that issues no organization tokens
// when the request names one anyway, rather than ignore it.
func refuseOrganization(params url.Values) *Error {
	if params.Get("organization_id") != "" {
		return errInvalidRequest("organization_id is supported with the refresh_token and client_credentials grants only")
	}
	return nil
}

// organizationDenied is Logto's refusal of an organization token (403
// access_denied).
func organizationDenied(desc string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "access_denied", Description: desc}
}

// membership reads what the user or application memberID holds in
// orgID, refusing one that is not a member (Logto's messages), or, for a
// user, an organization that requires MFA, which no Monban user has.
func (p *Provider) membership(ctx context.Context, orgID string, h store.Holder, memberID string) (*authz.Membership, *Error) {
	if p.u == nil {
		return nil, errInvalidRequest("organization tokens need the end-user endpoints")
	}
	st := p.u.Store
	member, err := st.IsOrganizationMember(ctx, orgID, h, memberID)
	if err != nil {
		return nil, p.orgReadErr(err)
	}
	if !member {
		if h == store.HolderApplication {
			return nil, organizationDenied("app has not associated with the organization")
		}
		return nil, organizationDenied("user is not a member of the organization")
	}
	if h == store.HolderUser {
		org, err := st.GetOrganization(ctx, orgID)
		if err != nil {
			return nil, p.orgReadErr(err)
		}
		if org.IsMFARequired {
			return nil, organizationDenied("organization requires MFA but user has no MFA configured")
		}
	}
	roles, _, err := st.ListOrganizationMemberRoles(ctx, orgID, h, memberID, store.Page{})
	if err != nil {
		return nil, p.orgReadErr(err)
	}
	ids := make([]string, len(roles))
	for i, r := range roles {
		ids[i] = r.ID
	}
	grants, err := st.OrganizationRoleGrants(ctx, ids)
	if err != nil {
		return nil, p.orgReadErr(err)
	}
	return &authz.Membership{Organization: orgID, Roles: roles, Grants: grants}, nil
}

func (p *Provider) orgReadErr(err error) *Error {
	if errors.Is(err, store.ErrNotFound) {
		return organizationDenied("user is not a member of the organization")
	}
	p.cfg.Logger.Error("reading an organization membership failed", "err", err)
	return serverError()
}

// organizationTokenScope is the scope of an organization token: the
// requested scopes that the member's organization roles grant.
func organizationTokenScope(m *authz.Membership, h store.Holder, requested []string) []string {
	available := m.OrganizationScopes(h)
	out := []string{}
	for _, s := range requested {
		if slices.Contains(available, s) {
			out = append(out, s)
		}
	}
	return out
}

// wantsOrganizations reports whether scopes ask for organization claims.
func wantsOrganizations(scopes []string) bool {
	return slices.Contains(scopes, ScopeOrganizations) || slices.Contains(scopes, ScopeOrganizationRoles)
}

// userOrganizations reads the user's organizations when scopes ask for
// them (nil otherwise).
func (p *Provider) userOrganizations(ctx context.Context, userID string, scopes []string) ([]store.MemberOrganization, error) {
	if !wantsOrganizations(scopes) {
		return nil, nil
	}
	return p.u.Store.MemberOrganizations(ctx, store.HolderUser, userID)
}

// organizationData is Logto's organization_data entry.
type organizationData struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
}

// organizationClaims are Logto's claims of the organization scopes:
// organizations (ids) and organization_data with
// urn:logto:scope:organizations, organization_roles ("{id}:{role}", only
// roles whose type users hold) with urn:logto:scope:organization_roles.
func organizationClaims(orgs []store.MemberOrganization, scopes []string) map[string]any {
	c := map[string]any{}
	if slices.Contains(scopes, ScopeOrganizations) {
		ids, data := make([]string, len(orgs)), make([]organizationData, len(orgs))
		for i, o := range orgs {
			ids[i] = o.Organization.ID
			data[i] = organizationData{ID: o.Organization.ID, Name: o.Organization.Name}
			if d := o.Organization.Description; d != "" {
				data[i].Description = &d
			}
		}
		c["organizations"], c["organization_data"] = ids, data
	}
	if slices.Contains(scopes, ScopeOrganizationRoles) {
		roles := []string{}
		for _, o := range orgs {
			for _, r := range o.Roles {
				if r.Type.GivenTo(store.HolderUser) {
					roles = append(roles, o.Organization.ID+":"+r.Name)
				}
			}
		}
		c["organization_roles"] = roles
	}
	return c
}
