package directory

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Organizations, as in Logto: the organization itself here; its template
// (organization scopes and roles) in orgtemplate.go; members and their
// roles in orgmembers.go; just-in-time provisioning in orgjit.go.

// maxKeywordLen bounds Logto's keyword search (q).
const maxKeywordLen = 256

// Keyword reads Logto's keyword search of the organization routes: the
// query's q, matched anywhere in any of the list's fields without case.
// No q is no search.
func Keyword(q url.Values) (store.Search, error) {
	v := q.Get("q")
	if len(q["q"]) > 1 {
		return store.Search{}, invalid("q may be given once")
	}
	if v == "" {
		return store.Search{}, nil
	}
	if err := checkText("q", v, maxKeywordLen, false); err != nil {
		return store.Search{}, err
	}
	return store.Search{Matches: []store.Match{{Values: []string{"%" + v + "%"}}}}, nil
}

// OrganizationFields are the fields a create or a change gives; nil
// fields are left as they are (a create: empty).
type OrganizationFields struct {
	Name          *string
	Description   *string
	CustomData    map[string]any
	Branding      map[string]any
	Color         map[string]any
	CustomCSS     *string
	IsMFARequired *bool
}

// Logto's branding and color objects: the keys each may hold and whether
// a key's value is a URL (branding) or what else.
var (
	brandingKeys = []string{"logoUrl", "darkLogoUrl", "favicon", "darkFavicon"}
	colorKeys    = []string{"primaryColor", "isDarkModeEnabled", "darkPrimaryColor"}
)

const maxCustomCSSLen = 64 << 10

// check validates the fields given.
func (f OrganizationFields) check() error {
	if f.Name != nil {
		if err := checkName(*f.Name); err != nil {
			return err
		}
	}
	if f.Description != nil {
		if err := checkDescription(*f.Description); err != nil {
			return err
		}
	}
	if f.CustomCSS != nil {
		if err := checkText("customCss", *f.CustomCSS, maxCustomCSSLen, true); err != nil {
			return err
		}
	}
	return firstErr(checkBranding(f.Branding), checkColor(f.Color))
}

func checkBranding(b map[string]any) error {
	for k, v := range b {
		if !oneOf(k, brandingKeys) {
			return invalid(fmt.Sprintf("branding.%s is not supported; branding may hold %s", k, strings.Join(brandingKeys, ", ")))
		}
		s, ok := v.(string)
		if !ok || !absoluteURL(s) {
			return invalid("branding." + k + " must be an absolute http or https URL")
		}
	}
	return nil
}

func checkColor(c map[string]any) error {
	for k, v := range c {
		if !oneOf(k, colorKeys) {
			return invalid(fmt.Sprintf("color.%s is not supported; color may hold %s", k, strings.Join(colorKeys, ", ")))
		}
		if k == "isDarkModeEnabled" {
			if _, ok := v.(bool); !ok {
				return invalid("color.isDarkModeEnabled must be true or false")
			}
			continue
		}
		if s, ok := v.(string); !ok || checkText("color."+k, s, 64, false) != nil {
			return invalid("color." + k + " must be a color, such as #5d34f2")
		}
	}
	return nil
}

func oneOf(v string, list []string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func absoluteURL(s string) bool {
	if len(s) > 2048 || hasControl(s) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// apply copies the fields given into o, and reports whether any was.
func (f OrganizationFields) apply(o *store.Organization) bool {
	changed := false
	set := func(dst *string, v *string) {
		if v != nil {
			*dst, changed = *v, true
		}
	}
	set(&o.Name, f.Name)
	set(&o.Description, f.Description)
	set(&o.CustomCSS, f.CustomCSS)
	for _, m := range []struct {
		dst *map[string]any
		v   map[string]any
	}{{&o.CustomData, f.CustomData}, {&o.Branding, f.Branding}, {&o.Color, f.Color}} {
		if m.v != nil {
			*m.dst, changed = m.v, true
			if len(*m.dst) == 0 {
				*m.dst = nil
			}
		}
	}
	if f.IsMFARequired != nil {
		o.IsMFARequired, changed = *f.IsMFARequired, true
	}
	return changed
}

// Organization returns the organization with id.
func (d *Directory) Organization(ctx context.Context, id string) (store.Organization, error) {
	return findByID(ctx, id, "organization", d.st.GetOrganization)
}

// Organizations lists one page of the organizations that match.
func (d *Directory) Organizations(ctx context.Context, match store.Search, page store.Page) ([]store.Organization, int, error) {
	return d.st.ListOrganizations(ctx, store.OrganizationFilter{Match: match}, page)
}

// CreateOrganization creates an organization; its name is required.
func (d *Directory) CreateOrganization(ctx context.Context, in OrganizationFields) (store.Organization, error) {
	if in.Name == nil {
		return store.Organization{}, invalid("name is required")
	}
	if err := in.check(); err != nil {
		return store.Organization{}, err
	}
	o := store.Organization{ID: randid.ID(), CreatedAt: d.now()}
	in.apply(&o)
	return o, d.st.CreateOrganization(ctx, o)
}

// UpdateOrganization changes what in gives; changed is false when it gave
// nothing, and nothing was written.
func (d *Directory) UpdateOrganization(ctx context.Context, id string, in OrganizationFields) (o store.Organization, changed bool, err error) {
	if err := in.check(); err != nil {
		return o, false, err
	}
	if o, err = d.Organization(ctx, id); err != nil {
		return o, false, err
	}
	if !in.apply(&o) {
		return o, false, nil
	}
	return o, true, orNotFound(d.st.UpdateOrganization(ctx, o), "organization not found")
}

// DeleteOrganization removes an organization with its memberships and
// provisioning rules.
func (d *Directory) DeleteOrganization(ctx context.Context, id string) error {
	if !ValidID(id) {
		return &Error{Kind: NotFound, Reason: ReasonNoSuchID, Message: "organization not found"}
	}
	err := d.st.DeleteOrganization(ctx, id)
	if isNotFound(err) {
		return &Error{Kind: NotFound, Reason: ReasonNoSuchID, Message: "organization not found"}
	}
	return err
}

// relationErr turns a store.ErrNotFound of a link's write into Logto's
// refusal of a link to something missing.
func relationErr(err error) error {
	if isNotFound(err) {
		return &Error{Kind: Invalid, Reason: ReasonRelationNotFound,
			Message: "one or more of the organizations, members, roles or scopes named do not exist"}
	}
	return orConflict(err, "it exists already")
}

// relationGone is the refusal of removing a link that is not there.
func relationGone(err error, what string) error {
	if isNotFound(err) {
		return &Error{Kind: NotFound, Reason: ReasonRelationMissing, Message: what + " not found"}
	}
	return err
}

// constraint is a refusal of a link the model does not allow.
func constraint(message string) error {
	return &Error{Kind: Invalid, Reason: ReasonOrganizationConstraint, Message: message}
}
