package management

import (
	"fmt"
	"net/http"

	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// secretBytes is the entropy of a generated application secret.
const secretBytes = 32

// firstSecretName names the secret made with a confidential application.
const firstSecretName = "Default secret"

// latestMillis bounds expiresAt (year 10000) so it stays a valid time.
const latestMillis = 253402300800000

type oidcClientMetadata struct {
	RedirectURIs           []string `json:"redirectUris"`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
}

// applicationJSON is Logto's application shape. Every app is first-party
// (isThirdParty is always false).
type applicationJSON struct {
	ID                   string               `json:"id"`
	Name                 string               `json:"name"`
	Description          string               `json:"description"`
	Type                 store.AppType        `json:"type"`
	Secret               string               `json:"secret,omitempty"` // only when just created
	OIDCClientMetadata   oidcClientMetadata   `json:"oidcClientMetadata"`
	CustomClientMetadata customClientMetadata `json:"customClientMetadata"`
	IsThirdParty         bool                 `json:"isThirdParty"`
	CreatedAt            int64                `json:"createdAt"`
}

func applicationOut(a store.Application) applicationJSON {
	oidc, custom := metadataOut(a)
	return applicationJSON{
		ID:                   a.ID,
		Name:                 a.Name,
		Description:          a.Description,
		Type:                 a.Type,
		OIDCClientMetadata:   oidc,
		CustomClientMetadata: custom,
		CreatedAt:            ms(a.CreatedAt),
	}
}

// confidential reports whether an application type holds secrets: SPA and
// native apps run on users' devices and cannot keep one.
func confidential(t store.AppType) bool {
	return t == store.AppMachineToMachine || t == store.AppTraditional
}

func (s *server) application(r *http.Request) (store.Application, error) {
	id, err := pathID(r, "id", "application")
	if err != nil {
		return store.Application{}, err
	}
	app, err := s.Store.GetApplication(r.Context(), id)
	return app, orNotFound(err, "application not found")
}

func (s *server) listApplications(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, applicationOut, func(page store.Page) ([]store.Application, int, error) {
		return s.Store.ListApplications(r.Context(), page)
	})
}

func (s *server) createApplication(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name                 *string           `json:"name"`
		Type                 *string           `json:"type"`
		Description          *string           `json:"description"`
		OIDCClientMetadata   *oidcMetadataIn   `json:"oidcClientMetadata"`
		CustomClientMetadata *customMetadataIn `json:"customClientMetadata"`
		IsThirdParty         *bool             `json:"isThirdParty"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.IsThirdParty != nil && *body.IsThirdParty {
		return invalid("isThirdParty must be false: every application is first-party")
	}
	if body.Name == nil {
		return invalid("name is required")
	}
	if err := checkName(*body.Name); err != nil {
		return err
	}
	if body.Type == nil || !store.AppType(*body.Type).Valid() {
		return invalid("type is required and must be one of Native, SPA, Traditional, MachineToMachine")
	}
	app := store.Application{
		ID:        randid.ID(),
		Name:      *body.Name,
		Type:      store.AppType(*body.Type),
		CreatedAt: s.Now(),
	}
	if body.Description != nil {
		if err := checkText("description", *body.Description, maxDescriptionLen, true); err != nil {
			return err
		}
		app.Description = *body.Description
	}
	newAppDefaults(&app)
	if _, err := applyMetadata(&app, body.OIDCClientMetadata, body.CustomClientMetadata); err != nil {
		return err
	}
	if err := s.Store.CreateApplication(r.Context(), app); err != nil {
		return orConflict(err, "an application with this id already exists")
	}
	out := applicationOut(app)
	if confidential(app.Type) {
		value := randid.Secret(secretBytes)
		err := s.Store.CreateAppSecret(r.Context(), store.AppSecret{
			AppID:     app.ID,
			Name:      firstSecretName,
			Hash:      s.HashSecret(value),
			CreatedAt: app.CreatedAt,
		})
		if err != nil {
			// An M2M app without its secret is of no use: undo.
			if derr := s.Store.DeleteApplication(r.Context(), app.ID); derr != nil {
				s.log.Error("removing application after failed secret creation", "method", r.Method, "path", r.URL.Path, "err", derr)
			}
			return err
		}
		out.Secret = value
	}
	s.changed(r)
	httpjson.Write(w, http.StatusCreated, out)
	return nil
}

func (s *server) getApplication(w http.ResponseWriter, r *http.Request) error {
	app, err := s.application(r)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, applicationOut(app))
	return nil
}

func (s *server) updateApplication(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		namePatch
		Type                 *string           `json:"type"` // accepted only unchanged
		OIDCClientMetadata   *oidcMetadataIn   `json:"oidcClientMetadata"`
		CustomClientMetadata *customMetadataIn `json:"customClientMetadata"`
		IsThirdParty         *bool             `json:"isThirdParty"` // accepted only false
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := body.check(checkName); err != nil {
		return err
	}
	app, err := s.application(r)
	if err != nil {
		return err
	}
	if body.Type != nil && store.AppType(*body.Type) != app.Type {
		return invalid("type cannot be changed; create a new application instead")
	}
	if body.IsThirdParty != nil && *body.IsThirdParty {
		return invalid("isThirdParty must be false: every application is first-party")
	}
	metadata, err := applyMetadata(&app, body.OIDCClientMetadata, body.CustomClientMetadata)
	if err != nil {
		return err
	}
	if !body.apply(&app.Name, &app.Description) && !metadata {
		httpjson.Write(w, http.StatusOK, applicationOut(app))
		return nil
	}
	if err := s.Store.UpdateApplication(r.Context(), app); err != nil {
		return orNotFound(err, "application not found")
	}
	s.changed(r)
	httpjson.Write(w, http.StatusOK, applicationOut(app))
	return nil
}

func (s *server) deleteApplication(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "application")
	if err != nil {
		return err
	}
	return noContent(w, r, s.Store.DeleteApplication(r.Context(), id), "application not found", s.changed)
}

// secretJSON is a secret as listed: never its value, which exists only in the
// response that created it.
type secretJSON struct {
	ApplicationID string `json:"applicationId"`
	Name          string `json:"name"`
	Value         string `json:"value,omitempty"`
	CreatedAt     int64  `json:"createdAt"`
	ExpiresAt     *int64 `json:"expiresAt"`
}

func secretOut(sec store.AppSecret) secretJSON {
	out := secretJSON{ApplicationID: sec.AppID, Name: sec.Name, CreatedAt: ms(sec.CreatedAt)}
	if !sec.ExpiresAt.IsZero() {
		e := ms(sec.ExpiresAt)
		out.ExpiresAt = &e
	}
	return out
}

func (s *server) listSecrets(w http.ResponseWriter, r *http.Request) error {
	app, err := s.application(r)
	if err != nil {
		return err
	}
	secrets, err := s.Store.ListAppSecrets(r.Context(), app.ID)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, each(secrets, secretOut))
	return nil
}

func (s *server) createSecret(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name      *string `json:"name"`
		ExpiresAt *int64  `json:"expiresAt"` // Unix ms; null or absent: never
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
	now := s.Now()
	sec := store.AppSecret{Name: *body.Name, CreatedAt: now}
	if body.ExpiresAt != nil {
		if *body.ExpiresAt <= ms(now) || *body.ExpiresAt >= latestMillis {
			return invalid("expiresAt must be a time in the future, in Unix milliseconds")
		}
		sec.ExpiresAt = msTime(*body.ExpiresAt)
	}
	app, err := s.application(r)
	if err != nil {
		return err
	}
	if !confidential(app.Type) {
		return &apiError{http.StatusUnprocessableEntity, "application.invalid_type",
			fmt.Sprintf("%s applications are public clients and cannot have secrets", app.Type)}
	}
	value := randid.Secret(secretBytes)
	sec.AppID, sec.Hash = app.ID, s.HashSecret(value)
	if err := s.Store.CreateAppSecret(r.Context(), sec); err != nil {
		err = orNotFound(err, "application not found")
		return orConflict(err, "the application already has a secret with this name")
	}
	s.changed(r)
	out := secretOut(sec)
	out.Value = value
	httpjson.Write(w, http.StatusCreated, out)
	return nil
}

func (s *server) renameSecret(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name *string `json:"name"`
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
	app, err := s.application(r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	secrets, err := s.Store.ListAppSecrets(r.Context(), app.ID)
	if err != nil {
		return err
	}
	var found *store.AppSecret
	for i := range secrets {
		if secrets[i].Name == name {
			found = &secrets[i]
			break
		}
	}
	if found == nil {
		return notFound("secret not found")
	}
	if *body.Name == name {
		httpjson.Write(w, http.StatusOK, secretOut(*found))
		return nil
	}
	updated := *found
	updated.Name = *body.Name
	if err := s.Store.UpdateAppSecret(r.Context(), app.ID, name, updated); err != nil {
		err = orNotFound(err, "secret not found")
		return orConflict(err, "the application already has a secret with this name")
	}
	s.changed(r)
	httpjson.Write(w, http.StatusOK, secretOut(updated))
	return nil
}

func (s *server) deleteSecret(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "application")
	if err != nil {
		return err
	}
	return noContent(w, r, s.Store.DeleteAppSecret(r.Context(), id, r.PathValue("name")), "secret not found", s.changed)
}

func (s *server) listApplicationRoles(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, roleOut, func(page store.Page) ([]store.Role, int, error) {
		app, err := s.application(r)
		if err != nil {
			return nil, 0, err
		}
		roles, total, err := s.Store.ListApplicationRoles(r.Context(), app.ID, page)
		return roles, total, orNotFound(err, "application not found")
	})
}

// m2mApplication loads the application in the path and checks that it can
// hold roles.
func (s *server) m2mApplication(r *http.Request) (store.Application, error) {
	app, err := s.application(r)
	if err != nil {
		return app, err
	}
	if app.Type != store.AppMachineToMachine {
		return app, &apiError{http.StatusUnprocessableEntity, "application.invalid_type",
			"only MachineToMachine applications can be given roles"}
	}
	return app, nil
}

// m2mRoles loads every role named and checks that each exists (404) and is
// a MachineToMachine role (422).
func (s *server) m2mRoles(r *http.Request, ids []string) error {
	for _, id := range ids {
		role, err := s.Store.GetRole(r.Context(), id)
		if err != nil {
			return orNotFound(err, fmt.Sprintf("role %q not found", id))
		}
		if role.Type != store.RoleMachineToMachine {
			return &apiError{http.StatusUnprocessableEntity, "application.invalid_role_type",
				fmt.Sprintf("role %q is a %s role; applications can hold MachineToMachine roles only", id, role.Type)}
		}
	}
	return nil
}

// applicationRoleIDs returns the ids of every role the application holds.
func (s *server) applicationRoleIDs(r *http.Request, appID string) (map[string]bool, error) {
	roles, _, err := s.Store.ListApplicationRoles(r.Context(), appID, store.Page{})
	if err != nil {
		return nil, err
	}
	held := make(map[string]bool, len(roles))
	for _, role := range roles {
		held[role.ID] = true
	}
	return held, nil
}

func (s *server) roleIDsBody(w http.ResponseWriter, r *http.Request) ([]string, error) {
	var body struct {
		RoleIDs []string `json:"roleIds"`
	}
	if err := decode(w, r, &body); err != nil {
		return nil, err
	}
	return checkIDs("roleIds", body.RoleIDs)
}

// addApplicationRoles gives roles to an application. Like Logto it answers
// with the ids asked for and those that were new.
func (s *server) addApplicationRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := s.roleIDsBody(w, r)
	if err != nil {
		return err
	}
	app, err := s.m2mApplication(r)
	if err != nil {
		return err
	}
	if err := s.m2mRoles(r, ids); err != nil {
		return err
	}
	held, err := s.applicationRoleIDs(r, app.ID)
	if err != nil {
		return err
	}
	added := []string{}
	for _, id := range ids {
		if held[id] {
			continue
		}
		if err := s.Store.AddRoleApplications(r.Context(), id, []string{app.ID}); err != nil {
			return orNotFound(err, fmt.Sprintf("role %q or the application no longer exists", id))
		}
		added = append(added, id)
	}
	if len(added) > 0 {
		s.changed(r)
	}
	httpjson.Write(w, http.StatusCreated, map[string][]string{"roleIds": ids, "addedRoleIds": added})
	return nil
}

// replaceApplicationRoles makes roleIds the application's exact set of
// roles (Logto's PUT). New roles are added before stale ones are removed, so
// a failure half way never leaves the application with fewer grants than
// both the old and the new set.
func (s *server) replaceApplicationRoles(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		RoleIDs []string `json:"roleIds"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	var ids []string
	if len(body.RoleIDs) > 0 {
		var err error
		if ids, err = checkIDs("roleIds", body.RoleIDs); err != nil {
			return err
		}
	} else if body.RoleIDs == nil {
		return invalid("roleIds is required (an empty array removes every role)")
	}
	app, err := s.m2mApplication(r)
	if err != nil {
		return err
	}
	if err := s.m2mRoles(r, ids); err != nil {
		return err
	}
	held, err := s.applicationRoleIDs(r, app.ID)
	if err != nil {
		return err
	}
	want := make(map[string]bool, len(ids))
	wrote := false
	for _, id := range ids {
		want[id] = true
		if held[id] {
			continue
		}
		if err := s.Store.AddRoleApplications(r.Context(), id, []string{app.ID}); err != nil {
			return orNotFound(err, fmt.Sprintf("role %q or the application no longer exists", id))
		}
		wrote = true
	}
	for id := range held {
		if want[id] {
			continue
		}
		if err := s.Store.RemoveRoleApplication(r.Context(), id, app.ID); err != nil && !isNotFound(err) {
			return err
		}
		wrote = true
	}
	if wrote {
		s.changed(r)
	}
	roles, _, err := s.Store.ListApplicationRoles(r.Context(), app.ID, store.Page{})
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, each(roles, roleOut))
	return nil
}

func (s *server) removeApplicationRole(w http.ResponseWriter, r *http.Request) error {
	app, err := s.m2mApplication(r)
	if err != nil {
		return err
	}
	roleID, err := pathID(r, "roleId", "role")
	if err != nil {
		return err
	}
	return noContent(w, r, s.Store.RemoveRoleApplication(r.Context(), roleID, app.ID), "the application does not hold this role", s.changed)
}
