package logto

import "github.com/monban/monban/internal/store"

// Organization is Logto's organization shape: unset strings are null,
// empty objects {}, createdAt Unix milliseconds.
type Organization struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	Description   *string        `json:"description"`
	CustomData    map[string]any `json:"customData"`
	IsMFARequired bool           `json:"isMfaRequired"`
	Color         map[string]any `json:"color"`
	Branding      map[string]any `json:"branding"`
	CustomCSS     *string        `json:"customCss"`
	CreatedAt     int64          `json:"createdAt"`
}

// object is m, or {} for nil.
func object(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// OrganizationOf is o in Logto's shape.
func OrganizationOf(o store.Organization) Organization {
	return Organization{ID: o.ID, Name: o.Name, Description: OrNull(o.Description), CustomData: object(o.CustomData),
		IsMFARequired: o.IsMFARequired, Color: object(o.Color), Branding: object(o.Branding), CustomCSS: OrNull(o.CustomCSS),
		CreatedAt: o.CreatedAt.UnixMilli()}
}

// OrganizationScope is Logto's organization scope shape.
type OrganizationScope struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
}

// OrganizationScopeOf is sc in Logto's shape.
func OrganizationScopeOf(sc store.OrganizationScope) OrganizationScope {
	return OrganizationScope{ID: sc.ID, Name: sc.Name, Description: OrNull(sc.Description)}
}

// OrganizationRole is Logto's organization role shape.
type OrganizationRole struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description *string        `json:"description"`
	Type        store.RoleType `json:"type"`
}

// OrganizationRoleOf is role in Logto's shape.
func OrganizationRoleOf(role store.OrganizationRole) OrganizationRole {
	return OrganizationRole{ID: role.ID, Name: role.Name, Description: OrNull(role.Description), Type: role.Type}
}
