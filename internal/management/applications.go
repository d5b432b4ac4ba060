package management

import (
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

type oidcClientMetadata struct {
	RedirectURIs           []string `json:"redirectUris"`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
	// Kept and returned, not acted upon yet; absent when unset.
	BackchannelLogoutURI             string `json:"backchannelLogoutUri,omitempty"`
	BackchannelLogoutSessionRequired bool   `json:"backchannelLogoutSessionRequired,omitempty"`
	LogoURI                          string `json:"logoUri,omitempty"`
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
	CustomData           map[string]any       `json:"customData"`
	CreatedAt            int64                `json:"createdAt"`
}

// withSecret is a just created application with its first secret.
func (a applicationJSON) withSecret(secret string) applicationJSON {
	a.Secret = secret
	return a
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
		CustomData:           nonNilObject(a.CustomData),
		CreatedAt:            ms(a.CreatedAt),
	}
}

func (s *server) createApplication(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		appStripped
		Name                 *string           `json:"name"`
		Type                 *string           `json:"type"`
		Description          *string           `json:"description"`
		OIDCClientMetadata   *oidcMetadataIn   `json:"oidcClientMetadata"`
		CustomClientMetadata *customMetadataIn `json:"customClientMetadata"`
		IsThirdParty         *bool             `json:"isThirdParty"`
		CustomData           map[string]any    `json:"customData"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	app, secret, err := s.dir.CreateApplication(r.Context(), directory.NewApplication{
		Name: body.Name, Type: body.Type, Description: body.Description, IsThirdParty: body.IsThirdParty,
		Metadata: metadataIn(body.OIDCClientMetadata, body.CustomClientMetadata), CustomData: body.CustomData,
	})
	if err != nil {
		return err
	}
	return s.createdWith(w, r, http.StatusOK, applicationOut(app).withSecret(secret))
}

func (s *server) updateApplication(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		appStripped
		namePatch
		Type                 *string           `json:"type"` // accepted only unchanged
		OIDCClientMetadata   *oidcMetadataIn   `json:"oidcClientMetadata"`
		CustomClientMetadata *customMetadataIn `json:"customClientMetadata"`
		IsThirdParty         *bool             `json:"isThirdParty"` // accepted only false
		CustomData           map[string]any    `json:"customData"`   // merged
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	app, changed, err := s.dir.UpdateApplication(r.Context(), r.PathValue("id"), directory.ApplicationChange{
		NamePatch: directory.NamePatch(body.namePatch), Type: body.Type, IsThirdParty: body.IsThirdParty,
		Metadata: metadataIn(body.OIDCClientMetadata, body.CustomClientMetadata), CustomData: body.CustomData,
	})
	return updated(w, r, s.changed, applicationOut(app), changed, err)
}

// mergeApplicationCustomData is Logto's PATCH
// /api/applications/:id/custom-data: the body, a JSON object, is merged
// into the custom data key by key, and the result is the answer.
func (s *server) mergeApplicationCustomData(w http.ResponseWriter, r *http.Request) error {
	var body map[string]any
	if err := decode(w, r, &body); err != nil {
		return err
	}
	data, err := s.dir.MergeApplicationCustomData(r.Context(), r.PathValue("id"), body)
	if err != nil {
		return err
	}
	s.changed(r)
	httpjson.Write(w, http.StatusOK, data)
	return nil
}

// nonNilObject is m, or {} for nil.
func nonNilObject(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
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

// withValue is a just created secret with its value.
func (j secretJSON) withValue(value string) secretJSON {
	j.Value = value
	return j
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
	secrets, err := s.dir.Secrets(r.Context(), r.PathValue("id"))
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
	sec, value, err := s.dir.CreateSecret(r.Context(), r.PathValue("id"), body.Name, msTimeOrNil(body.ExpiresAt))
	if err != nil {
		return err
	}
	return s.created(w, r, secretOut(sec).withValue(value))
}

func (s *server) renameSecret(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name *string `json:"name"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	sec, changed, err := s.dir.RenameSecret(r.Context(), r.PathValue("id"), r.PathValue("name"), body.Name)
	return updated(w, r, s.changed, secretOut(sec), changed, err)
}

// roleIDsBody reads a body of role ids; nil when roleIds is absent.
func roleIDsBody(w http.ResponseWriter, r *http.Request) ([]string, error) {
	var body roleIDs
	err := decode(w, r, &body)
	return body.RoleIDs, err
}

// addApplicationRoles gives roles to an application. Like Logto it answers
// with the ids asked for and those that were new.
func (s *server) addApplicationRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := roleIDsBody(w, r)
	if err != nil {
		return err
	}
	ids, added, err := s.dir.AssignApplicationRoles(r.Context(), r.PathValue("id"), ids)
	if err != nil {
		return err
	}
	if len(added) > 0 {
		s.changed(r)
	}
	httpjson.Write(w, http.StatusCreated, map[string][]string{"roleIds": ids, "addedRoleIds": added})
	return nil
}

// replaceApplicationRoles makes roleIds the application's exact set of
// roles (Logto's PUT) and answers with them.
func (s *server) replaceApplicationRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := roleIDsBody(w, r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	wrote, err := s.dir.ReplaceApplicationRoles(r.Context(), id, ids)
	if err != nil {
		return err
	}
	if wrote {
		s.changed(r)
	}
	return writeAll(w, r, http.StatusOK, roleOut, s.dir.ApplicationRoles, id)
}
