package declare

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/experience"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/webhook"
)

// Offline is the Target of a database: it reads the store's catalog and
// writes through the directory, as the Management API does. It serves
// "monban apply --database-url" and the file applied at start-up.
type Offline struct {
	Dir   *directory.Directory
	Store store.Store
	// CompileScript checks a custom JWT script; nil: scripts are not
	// checked before they are saved.
	CompileScript func(script string) error
	// BuiltInApps are the ids of the applications the server keeps itself
	// (the console's).
	BuiltInApps []string
	// Now is the clock of saved scripts; nil: time.Now.
	Now func() time.Time
	// Hooks keeps the webhooks; nil: the target keeps none, and a
	// document that declares any is refused.
	Hooks *webhook.Service
	// Experience keeps the sign-in experience; nil: the target keeps
	// none, and a document that declares one is refused.
	Experience *experience.Service
	// Connectors keeps the message connectors and e-mail templates; nil:
	// the target keeps none, and a document that declares any is refused.
	Connectors *connector.Service
}

var _ Target = (*Offline)(nil)

// Read implements Target.
func (o *Offline) Read(ctx context.Context) (*State, error) {
	cat, err := o.Store.LoadCatalog(ctx)
	if err != nil {
		return nil, err
	}
	st := stateOf(cat, o.Dir.BuiltIn, o.Dir.IsManagementAPI, func(id string) bool { return slices.Contains(o.BuiltInApps, id) })
	if st.Webhooks, err = o.readWebhooks(ctx); err != nil {
		return nil, err
	}
	if st.SignInExperience, err = o.readExperience(ctx); err != nil {
		return nil, err
	}
	if st.Connectors, st.EmailTemplates, err = o.readConnectors(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

// stateOf describes a catalog in the document's terms.
func stateOf(cat *store.Catalog, builtInRes, managementAPI func(store.Resource) bool, builtInApp func(string) bool) *State {
	st := &State{}
	byID := map[string]int{}
	scopes := map[string]store.Scope{}
	indicators := map[string]string{}
	for _, r := range cat.Resources {
		byID[r.ID] = len(st.Resources)
		indicators[r.ID] = r.Indicator
		st.Resources = append(st.Resources, StateResource{ID: r.ID, BuiltIn: builtInRes(r), ManagementAPI: managementAPI(r), ScopeIDs: map[string]string{},
			Resource: Resource{Name: r.Name, Indicator: r.Indicator, AccessTokenTTL: ptr(r.AccessTokenTTL), IsDefault: ptr(r.IsDefault)}})
	}
	for _, s := range cat.Scopes {
		scopes[s.ID] = s
		if i, ok := byID[s.ResourceID]; ok {
			st.Resources[i].Scopes = append(st.Resources[i].Scopes, Scope{Name: s.Name, Description: s.Description})
			st.Resources[i].ScopeIDs[s.Name] = s.ID
		}
	}
	for _, a := range cat.Applications {
		st.Applications = append(st.Applications, StateApplication{BuiltIn: builtInApp(a.ID), Application: applicationOf(a)})
	}
	roles := map[string]int{}
	for _, r := range cat.Roles {
		roles[r.ID] = len(st.Roles)
		st.Roles = append(st.Roles, StateRole{ID: r.ID, Role: Role{Name: r.Name, Description: r.Description, Type: string(r.Type), IsDefault: ptr(r.IsDefault)}})
	}
	for _, rs := range cat.RoleScopes {
		i, ok := roles[rs.RoleID]
		s, ok2 := scopes[rs.ScopeID]
		if ok && ok2 {
			st.Roles[i].Permissions = append(st.Roles[i].Permissions, Permission{Resource: indicators[s.ResourceID], Scopes: []string{s.Name}})
		}
	}
	for _, ra := range cat.RoleApplications {
		if i, ok := roles[ra.RoleID]; ok {
			st.Roles[i].ApplicationIDs = append(st.Roles[i].ApplicationIDs, ra.AppID)
		}
	}
	for i := range st.Roles {
		st.Roles[i].Permissions = normalPermissions(st.Roles[i].Permissions)
	}
	for _, c := range cat.JWTCustomizers {
		st.CustomJWT = append(st.CustomJWT, CustomJWT{TokenType: c.TokenType, Script: c.Script,
			EnvironmentVariables: c.EnvironmentVariables, BlockIssuanceOnError: ptr(c.BlockIssuanceOnError)})
	}
	return st
}

// ifTrue is a setting that is exported only when it is on (settings added
// after the document's first version, so that older exports stay as they
// were).
func ifTrue(v bool) *bool {
	if !v {
		return nil
	}
	return &v
}

func applicationOf(a store.Application) Application {
	ttl := a.RefreshTokenTTLDays
	if ttl == 0 {
		ttl = directory.DefaultRefreshTokenTTLDays
	}
	return Application{ID: a.ID, Name: a.Name, Type: string(a.Type), Description: a.Description,
		RedirectURIs: a.RedirectURIs, PostLogoutRedirectURIs: a.PostLogoutRedirectURIs, CORSAllowedOrigins: a.CORSAllowedOrigins,
		RotateRefreshToken: ptr(a.RotateRefreshToken), RefreshTokenTTLDays: ptr(ttl), AllowPasswordGrant: ptr(a.AllowPasswordGrant),
		AllowTokenExchange: ifTrue(a.AllowTokenExchange), RequirePAR: ifTrue(a.RequirePAR),
		RequireDPoP: ifTrue(a.RequireDPoP), IsDeviceFlow: ifTrue(a.IsDeviceFlow), CustomData: a.CustomData}
}

// Checker implements Target.
func (o *Offline) Checker() Checker { return o.Dir }

// CheckScript implements Target.
func (o *Offline) CheckScript(script string) error {
	if o.CompileScript == nil {
		return nil
	}
	return o.CompileScript(script)
}

// CreateResource implements Target.
func (o *Offline) CreateResource(ctx context.Context, r Resource) (string, error) {
	res, err := o.Dir.CreateResource(ctx, newResource(r))
	if err != nil {
		return "", err
	}
	if r.IsDefault != nil && *r.IsDefault {
		_, err = o.Dir.SetDefaultResource(ctx, res.ID, true)
	}
	return res.ID, err
}

// UpdateResource implements Target.
func (o *Offline) UpdateResource(ctx context.Context, id string, r Resource) error {
	res, _, err := o.Dir.UpdateResource(ctx, id, directory.ResourceChange{Name: &r.Name, AccessTokenTTL: r.AccessTokenTTL})
	if err == nil && r.IsDefault != nil && *r.IsDefault != res.IsDefault {
		_, err = o.Dir.SetDefaultResource(ctx, id, *r.IsDefault)
	}
	return err
}

// DeleteResource implements Target.
func (o *Offline) DeleteResource(ctx context.Context, id string) error {
	return o.Dir.DeleteResource(ctx, id)
}

// CreateScope implements Target.
func (o *Offline) CreateScope(ctx context.Context, resourceID string, s Scope) (string, error) {
	sc, err := o.Dir.CreateScope(ctx, resourceID, newScope(s))
	return sc.ID, err
}

// UpdateScope implements Target.
func (o *Offline) UpdateScope(ctx context.Context, resourceID, scopeID string, s Scope) error {
	_, _, err := o.Dir.UpdateScope(ctx, resourceID, scopeID, directory.NamePatch{Name: &s.Name, Description: &s.Description})
	return err
}

// DeleteScope implements Target.
func (o *Offline) DeleteScope(ctx context.Context, resourceID, scopeID string) error {
	return o.Dir.DeleteScope(ctx, resourceID, scopeID)
}

// CreateApplication implements Target. The first secret of a
// confidential application is dropped unseen.
func (o *Offline) CreateApplication(ctx context.Context, a Application) (string, error) {
	app, _, err := o.Dir.CreateApplication(ctx, newApplication(a))
	return app.ID, err
}

// UpdateApplication implements Target.
func (o *Offline) UpdateApplication(ctx context.Context, id string, a Application) error {
	_, _, err := o.Dir.UpdateApplication(ctx, id, directory.ApplicationChange{
		NamePatch: directory.NamePatch{Name: &a.Name, Description: &a.Description},
		Type:      &a.Type, Metadata: metadata(a), CustomData: a.CustomData,
	})
	return err
}

// DeleteApplication implements Target.
func (o *Offline) DeleteApplication(ctx context.Context, id string) error {
	return o.Dir.DeleteApplication(ctx, id)
}

// CreateRole implements Target.
func (o *Offline) CreateRole(ctx context.Context, r Role) (string, error) {
	role, err := o.Dir.CreateRole(ctx, newRole(r))
	return role.ID, err
}

// UpdateRole implements Target.
func (o *Offline) UpdateRole(ctx context.Context, id string, r Role) error {
	_, _, err := o.Dir.UpdateRole(ctx, id, directory.RoleChange{NamePatch: directory.NamePatch{Name: &r.Name, Description: &r.Description}, IsDefault: r.IsDefault})
	return err
}

// DeleteRole implements Target.
func (o *Offline) DeleteRole(ctx context.Context, id string) error { return o.Dir.DeleteRole(ctx, id) }

// AddRoleScopes implements Target.
func (o *Offline) AddRoleScopes(ctx context.Context, roleID string, scopeIDs []string) error {
	return o.Dir.AssignRoleScopes(ctx, roleID, scopeIDs)
}

// RemoveRoleScope implements Target.
func (o *Offline) RemoveRoleScope(ctx context.Context, roleID, scopeID string) error {
	return o.Dir.RemoveRoleScope(ctx, roleID, scopeID)
}

// AddRoleApplications implements Target.
func (o *Offline) AddRoleApplications(ctx context.Context, roleID string, appIDs []string) error {
	return o.Dir.AssignRoleApplications(ctx, roleID, appIDs)
}

// RemoveRoleApplication implements Target.
func (o *Offline) RemoveRoleApplication(ctx context.Context, roleID, appID string) error {
	return o.Dir.RemoveRoleApplication(ctx, roleID, appID)
}

// PutCustomJWT implements Target. The samples kept for test runs stay.
func (o *Offline) PutCustomJWT(ctx context.Context, c CustomJWT) error {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	saved := store.JWTCustomizer{TokenType: c.TokenType, CreatedAt: now()}
	if old, err := o.Store.GetJWTCustomizer(ctx, c.TokenType); err == nil {
		saved = old
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	saved.Script, saved.EnvironmentVariables = c.Script, c.EnvironmentVariables
	saved.BlockIssuanceOnError = c.BlockIssuanceOnError != nil && *c.BlockIssuanceOnError
	saved.UpdatedAt = now()
	_, err := o.Store.PutJWTCustomizer(ctx, saved)
	return err
}

// DeleteCustomJWT implements Target.
func (o *Offline) DeleteCustomJWT(ctx context.Context, tokenType string) error {
	return o.Store.DeleteJWTCustomizer(ctx, tokenType)
}
