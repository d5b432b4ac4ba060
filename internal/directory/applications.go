package directory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// secretBytes is the entropy of a generated application secret.
const secretBytes = 32

// firstSecretName names the secret made with a confidential application.
const firstSecretName = "Default secret"

// latestMillis bounds a secret's expiry (year 10000) so it stays a valid
// time.
const latestMillis = 253402300800000

// Confidential reports whether an application type holds secrets: SPA and
// native apps run on users' devices and cannot keep one.
func Confidential(t store.AppType) bool {
	return t == store.AppMachineToMachine || t == store.AppTraditional
}

// NewApplication is what creating an application gives. Name and Type are
// required; IsThirdParty may only be false (every application is
// first-party).
type NewApplication struct {
	Name         *string
	Type         *string
	Description  *string
	Metadata     Metadata
	IsThirdParty *bool
	CustomData   map[string]any // nil: {}
}

// ApplicationChange is what changing an application gives; nil fields are
// left as they are. Type and IsThirdParty are accepted only unchanged.
// CustomData is merged into the stored object key by key, as Logto does.
type ApplicationChange struct {
	NamePatch
	Type         *string
	Metadata     Metadata
	IsThirdParty *bool
	CustomData   map[string]any
}

var errThirdParty = invalid("isThirdParty must be false: every application is first-party")

// Application returns the application with id.
func (d *Directory) Application(ctx context.Context, id string) (store.Application, error) {
	return findByID(ctx, id, "application", d.st.GetApplication)
}

// Applications lists one page of the applications q matches (see
// ApplicationSearch) and their total.
func (d *Directory) Applications(ctx context.Context, q AppQuery, page store.Page) ([]store.Application, int, error) {
	if q.None {
		return nil, 0, nil
	}
	return d.st.ListApplications(ctx, q.Filter, page)
}

// CreateApplication creates an application with the defaults of a new one
// and, for a confidential type, its first secret, whose value it returns
// (it exists nowhere else).
func (d *Directory) CreateApplication(ctx context.Context, in NewApplication) (store.Application, string, error) {
	app, err := d.newApplication(in)
	if err != nil {
		return store.Application{}, "", err
	}
	if !Confidential(app.Type) {
		err := d.st.CreateApplication(ctx, app)
		return app, "", orConflict(err, "an application with this id already exists")
	}
	secret, err := d.createAppWithSecret(ctx, app, firstSecretName, "")
	return app, secret, orConflict(err, "an application with this id already exists")
}

// CheckApplication reports whether CreateApplication would accept in, with
// the refusal it would give, without writing anything.
func (d *Directory) CheckApplication(in NewApplication) error {
	_, err := d.newApplication(in)
	return err
}

// newApplication checks in and returns the application it creates, with
// the defaults of a new one.
func (d *Directory) newApplication(in NewApplication) (store.Application, error) {
	if in.IsThirdParty != nil && *in.IsThirdParty {
		return store.Application{}, errThirdParty
	}
	if err := required("name", in.Name, checkName); err != nil {
		return store.Application{}, err
	}
	if in.Type == nil || !store.AppType(*in.Type).Valid() {
		return store.Application{}, invalid("type is required and must be one of Native, SPA, Traditional, MachineToMachine")
	}
	app := store.Application{ID: randid.ID(), Name: *in.Name, Type: store.AppType(*in.Type), CreatedAt: d.now()}
	if in.Description != nil {
		if err := checkDescription(*in.Description); err != nil {
			return store.Application{}, err
		}
		app.Description = *in.Description
	}
	newAppDefaults(&app)
	in.Metadata.now = app.CreatedAt
	if _, err := in.Metadata.apply(&app); err != nil {
		return store.Application{}, err
	}
	if _, err := mergeCustomData(&app, in.CustomData); err != nil {
		return store.Application{}, err
	}
	return app, nil
}

// createAppWithSecret creates a confidential application with one secret
// named name: secret, or a new random one when secret is "". It returns
// the secret. An application whose secret could not be stored is removed
// again: without it, it is of no use.
func (d *Directory) createAppWithSecret(ctx context.Context, app store.Application, name, secret string) (string, error) {
	if err := d.st.CreateApplication(ctx, app); err != nil {
		return "", err
	}
	if secret == "" {
		secret = randid.Secret(secretBytes)
	}
	err := d.st.CreateAppSecret(ctx, store.AppSecret{AppID: app.ID, Name: name, Hash: d.hash(secret), CreatedAt: app.CreatedAt})
	if err != nil {
		if derr := d.st.DeleteApplication(ctx, app.ID); derr != nil {
			err = fmt.Errorf("%w (and removing the application again failed: %v)", err, derr)
		}
		return "", err
	}
	return secret, nil
}

// UpdateApplication changes an application. changed is false when the
// change gave nothing, and nothing was written.
func (d *Directory) UpdateApplication(ctx context.Context, id string, in ApplicationChange) (app store.Application, changed bool, err error) {
	if err := in.check(checkName); err != nil {
		return app, false, err
	}
	if app, err = d.Application(ctx, id); err != nil {
		return app, false, err
	}
	if in.Type != nil && store.AppType(*in.Type) != app.Type {
		return app, false, invalid("type cannot be changed; create a new application instead")
	}
	if in.IsThirdParty != nil && *in.IsThirdParty {
		return app, false, errThirdParty
	}
	in.Metadata.now = d.now()
	metadata, err := in.Metadata.apply(&app)
	if err != nil {
		return app, false, err
	}
	custom, err := mergeCustomData(&app, in.CustomData)
	if err != nil {
		return app, false, err
	}
	if !in.apply(&app.Name, &app.Description) && !metadata && !custom {
		return app, false, nil
	}
	if err := d.st.UpdateApplication(ctx, app); err != nil {
		return app, false, orNotFound(err, "application not found")
	}
	return app, true, nil
}

// mergeCustomData merges data into the application's custom data, top-level
// key by key (Logto's shallow merge), and checks the size of the result. It
// reports whether anything was given.
func mergeCustomData(app *store.Application, data map[string]any) (bool, error) {
	if len(data) == 0 {
		return false, nil
	}
	merged := make(map[string]any, len(app.CustomData)+len(data))
	for k, v := range app.CustomData {
		merged[k] = v
	}
	for k, v := range data {
		merged[k] = v
	}
	if err := checkCustomData(merged); err != nil {
		return false, err
	}
	app.CustomData = merged
	return true, nil
}

// MergeApplicationCustomData merges data into an application's custom
// data (Logto's PATCH /api/applications/:id/custom-data) and returns the
// result.
func (d *Directory) MergeApplicationCustomData(ctx context.Context, id string, data map[string]any) (map[string]any, error) {
	if data == nil {
		return nil, invalid("the body must be a JSON object")
	}
	app, err := d.Application(ctx, id)
	if err != nil {
		return nil, err
	}
	changed, err := mergeCustomData(&app, data)
	if err != nil || !changed {
		return nonNilObject(app.CustomData), err
	}
	if err := d.st.UpdateApplication(ctx, app); err != nil {
		return nil, orNotFound(err, "application not found")
	}
	return app.CustomData, nil
}

// nonNilObject is m, or {} for nil.
func nonNilObject(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// DeleteApplication removes an application with its secrets and roles,
// and its client grants' own roles (see ClientGrant). The console's own
// application is refused (Forbidden, ReasonConsoleAppDelete): without it
// nobody could sign in to the console.
func (d *Directory) DeleteApplication(ctx context.Context, id string) error {
	if !ValidID(id) {
		return notFound("application not found")
	}
	if id == ConsoleAppID {
		return &Error{Kind: Forbidden, Reason: ReasonConsoleAppDelete,
			Message: "the admin console's own application cannot be deleted: the console signs in with it"}
	}
	grants, err := d.ClientGrants(ctx, ClientGrantFilter{ClientID: id})
	if err != nil {
		return err
	}
	if err := d.st.DeleteApplication(ctx, id); err != nil {
		return orNotFound(err, "application not found")
	}
	for _, g := range grants {
		if g.RoleID == "" {
			continue
		}
		if err := d.st.DeleteRole(ctx, g.RoleID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("remove the role of the deleted application's client grant: %w", err)
		}
	}
	return nil
}

// Secrets lists an application's secrets (their hashes, never a value).
func (d *Directory) Secrets(ctx context.Context, appID string) ([]store.AppSecret, error) {
	app, err := d.Application(ctx, appID)
	if err != nil {
		return nil, err
	}
	return d.st.ListAppSecrets(ctx, app.ID)
}

// CreateSecret gives a confidential application a new secret named name,
// expiring at expiresAt (nil: never), and returns it with its value, which
// exists nowhere else.
func (d *Directory) CreateSecret(ctx context.Context, appID string, name *string, expiresAt *time.Time) (store.AppSecret, string, error) {
	if err := required("name", name, checkName); err != nil {
		return store.AppSecret{}, "", err
	}
	now := d.now()
	sec := store.AppSecret{Name: *name, CreatedAt: now}
	if expiresAt != nil {
		if e := expiresAt.UnixMilli(); e <= now.UnixMilli() || e >= latestMillis {
			return store.AppSecret{}, "", invalid("expiresAt must be a time in the future, in Unix milliseconds")
		}
		sec.ExpiresAt = *expiresAt
	}
	app, err := d.Application(ctx, appID)
	if err != nil {
		return store.AppSecret{}, "", err
	}
	if !Confidential(app.Type) {
		return store.AppSecret{}, "", &Error{Kind: Invalid, Reason: ReasonApplicationType,
			Message: fmt.Sprintf("%s applications are public clients and cannot have secrets", app.Type)}
	}
	value := randid.Secret(secretBytes)
	sec.AppID, sec.Hash = app.ID, d.hash(value)
	if err := d.st.CreateAppSecret(ctx, sec); err != nil {
		return store.AppSecret{}, "", secretError(err, "application not found")
	}
	return sec, value, nil
}

// secretError names what a write of a secret found missing or taken.
func secretError(err error, missing string) error {
	return orConflict(orNotFound(err, missing), "the application already has a secret with this name")
}

// RenameSecret renames an application's secret. changed is false when the
// name is the same, and nothing was written.
func (d *Directory) RenameSecret(ctx context.Context, appID, name string, newName *string) (sec store.AppSecret, changed bool, err error) {
	if err := required("name", newName, checkName); err != nil {
		return sec, false, err
	}
	secrets, err := d.Secrets(ctx, appID)
	if err != nil {
		return sec, false, err
	}
	i := 0
	for i < len(secrets) && secrets[i].Name != name {
		i++
	}
	if i == len(secrets) {
		return sec, false, notFound("secret not found")
	}
	sec = secrets[i]
	if *newName == name {
		return sec, false, nil
	}
	sec.Name = *newName
	if err := d.st.UpdateAppSecret(ctx, appID, name, sec); err != nil {
		return sec, false, secretError(err, "secret not found")
	}
	return sec, true, nil
}

// DeleteSecret removes an application's secret.
func (d *Directory) DeleteSecret(ctx context.Context, appID, name string) error {
	if !ValidID(appID) {
		return notFound("application not found")
	}
	return orNotFound(d.st.DeleteAppSecret(ctx, appID, name), "secret not found")
}

// RotateSecret gives a confidential application a new secret and removes
// every other one at once, as Auth0's rotate-secret does: the old secrets
// stop working. It returns the new secret's value, which exists nowhere
// else.
func (d *Directory) RotateSecret(ctx context.Context, appID string) (string, error) {
	old, err := d.Secrets(ctx, appID)
	if err != nil {
		return "", err
	}
	name := "rotated-" + d.now().UTC().Format("20060102T150405.000000000Z")
	_, value, err := d.CreateSecret(ctx, appID, &name, nil)
	if err != nil {
		return "", err
	}
	for _, s := range old {
		if err := d.st.DeleteAppSecret(ctx, appID, s.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
	}
	return value, nil
}
