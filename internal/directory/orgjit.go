package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/monban/monban/internal/store"
)

// Just-in-time provisioning: a new user whose e-mail address is at one of
// an organization's domains becomes a member at once, with the
// organization's just-in-time roles.

const maxEmailDomainLen = 128

// checkEmailDomain validates a domain as Logto takes it (example.com, no
// @) and returns it in lower case, as it is matched.
func checkEmailDomain(v string) (string, error) {
	d := strings.ToLower(v)
	if d == "" || len(d) > maxEmailDomainLen || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") || strings.Contains(d, "..") {
		return "", invalid("emailDomain must be a domain such as example.com")
	}
	for _, c := range d {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return "", invalid("emailDomain must be a domain such as example.com (letters, digits, dots and hyphens)")
		}
	}
	return d, nil
}

// EmailDomains lists one page of an organization's domains.
func (d *Directory) EmailDomains(ctx context.Context, orgID string, page store.Page) ([]string, int, error) {
	return listFor(ctx, orgID, "organization", exists(d.Organization), d.st.ListOrganizationEmailDomains, page)
}

// AddEmailDomain adds a domain and returns it as kept.
func (d *Directory) AddEmailDomain(ctx context.Context, orgID, domain string) (string, error) {
	domain, err := checkEmailDomain(domain)
	if err != nil {
		return "", err
	}
	if _, err := d.Organization(ctx, orgID); err != nil {
		return "", err
	}
	err = d.st.AddOrganizationEmailDomain(ctx, orgID, domain)
	return domain, orConflict(relationErr(err), "the organization has this e-mail domain already")
}

// ReplaceEmailDomains makes domains the organization's only ones.
func (d *Directory) ReplaceEmailDomains(ctx context.Context, orgID string, domains []string) error {
	if domains == nil {
		return invalid("emailDomains is required (an empty array removes them all)")
	}
	if len(domains) > MaxIDsPerRequest {
		return invalid(fmt.Sprintf("emailDomains has more than %d domains", MaxIDsPerRequest))
	}
	checked := make([]string, len(domains))
	for i, v := range domains {
		var err error
		if checked[i], err = checkEmailDomain(v); err != nil {
			return err
		}
	}
	if _, err := d.Organization(ctx, orgID); err != nil {
		return err
	}
	return relationErr(d.st.ReplaceOrganizationEmailDomains(ctx, orgID, checked))
}

// RemoveEmailDomain removes a domain.
func (d *Directory) RemoveEmailDomain(ctx context.Context, orgID, domain string) error {
	if !ValidID(orgID) {
		return &Error{Kind: NotFound, Reason: ReasonRelationMissing, Message: "organization e-mail domain not found"}
	}
	return relationGone(d.st.RemoveOrganizationEmailDomain(ctx, orgID, strings.ToLower(domain)), "organization e-mail domain")
}

// JITRoles lists one page of the roles given with just-in-time
// membership.
func (d *Directory) JITRoles(ctx context.Context, orgID string, page store.Page) ([]store.OrganizationRole, int, error) {
	return listFor(ctx, orgID, "organization", exists(d.Organization), d.st.ListOrganizationJITRoles, page)
}

// AddJITRoles adds roles given with just-in-time membership: User roles
// only, as users are who joins so.
func (d *Directory) AddJITRoles(ctx context.Context, orgID string, ids []string) error {
	ids, err := CheckIDs("organizationRoleIds", ids)
	if err == nil {
		err = d.givableOrgRoles(ctx, store.HolderUser, ids)
	}
	if err != nil {
		return err
	}
	return relationErr(d.st.AddOrganizationJITRoles(ctx, orgID, ids))
}

// ReplaceJITRoles makes ids the only roles given just in time.
func (d *Directory) ReplaceJITRoles(ctx context.Context, orgID string, ids []string) error {
	ids, err := idSet("organizationRoleIds", ids)
	if err == nil {
		err = d.givableOrgRoles(ctx, store.HolderUser, ids)
	}
	if err != nil {
		return err
	}
	return relationErr(d.st.ReplaceOrganizationJITRoles(ctx, orgID, ids))
}

// RemoveJITRole removes one role given just in time.
func (d *Directory) RemoveJITRole(ctx context.Context, orgID, roleID string) error {
	if err := validIDs(orgID, "organization", roleID, "organization role"); err != nil {
		return relationGone(store.ErrNotFound, "organization just-in-time role")
	}
	return relationGone(d.st.RemoveOrganizationJITRole(ctx, orgID, roleID), "organization just-in-time role")
}

// provision makes a new user with an e-mail address a member of every
// organization that takes in its domain, with that organization's
// just-in-time roles.
func (d *Directory) provision(ctx context.Context, u store.User) error {
	at := strings.LastIndexByte(u.PrimaryEmail, '@')
	if at < 0 {
		return nil
	}
	orgs, err := d.st.OrganizationsForEmailDomain(ctx, strings.ToLower(u.PrimaryEmail[at+1:]))
	if err != nil {
		return err
	}
	for _, orgID := range orgs {
		if err := d.st.AddOrganizationMembers(ctx, orgID, store.HolderUser, []string{u.ID}); err != nil {
			return err
		}
		roles, _, err := d.st.ListOrganizationJITRoles(ctx, orgID, store.Page{})
		if err != nil {
			return err
		}
		var ids []string
		for _, r := range roles {
			if r.Type.GivenTo(store.HolderUser) {
				ids = append(ids, r.ID)
			}
		}
		if len(ids) > 0 {
			if err := d.st.AddOrganizationMemberRoles(ctx, orgID, store.HolderUser, []string{u.ID}, ids); err != nil {
				return err
			}
		}
	}
	return nil
}
