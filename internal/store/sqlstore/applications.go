package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/monban/monban/internal/store"
)

const appCols = "applications.id, applications.name, applications.description, applications.type, applications.created_at"

func scanApp(r scanner) (store.Application, error) {
	var (
		a       store.Application
		typ     string
		created int64
	)
	if err := r.Scan(&a.ID, &a.Name, &a.Description, &typ, &created); err != nil {
		return a, err
	}
	a.Type = store.AppType(typ)
	a.CreatedAt = fromMillis(created)
	return a, nil
}

// CreateApplication inserts app; an existing id is ErrConflict.
func (s *Store) CreateApplication(ctx context.Context, app store.Application) error {
	err := s.write(ctx, func(t txn) error {
		_, err := t.exec("INSERT INTO applications (id, name, description, type, created_at) VALUES (?, ?, ?, ?, ?)",
			app.ID, app.Name, app.Description, string(app.Type), millis(app.CreatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create application: %w", err)
	}
	return nil
}

// GetApplication returns the application with the id.
func (s *Store) GetApplication(ctx context.Context, id string) (store.Application, error) {
	var app store.Application
	err := s.read(ctx, func(t txn) error {
		var err error
		app, err = scanApp(t.queryRow("SELECT "+appCols+" FROM applications WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("application", id)
		}
		return err
	})
	if err != nil {
		return store.Application{}, fmt.Errorf("get application: %w", err)
	}
	return app, nil
}

// ListApplications returns a page of applications, oldest first.
func (s *Store) ListApplications(ctx context.Context, page store.Page) ([]store.Application, int, error) {
	apps, total, err := listPage(ctx, s, nil, appCols, "FROM applications",
		"applications.created_at, applications.id", nil, page, scanApp)
	if err != nil {
		return nil, 0, fmt.Errorf("list applications: %w", err)
	}
	return apps, total, nil
}

// UpdateApplication changes the name and description of app.ID.
func (s *Store) UpdateApplication(ctx context.Context, app store.Application) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("application", app.ID),
			"UPDATE applications SET name = ?, description = ? WHERE id = ?", app.Name, app.Description, app.ID)
	})
	if err != nil {
		return fmt.Errorf("update application: %w", err)
	}
	return nil
}

// DeleteApplication deletes the application; its secrets and role links go
// with it through ON DELETE CASCADE.
func (s *Store) DeleteApplication(ctx context.Context, id string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("application", id), "DELETE FROM applications WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete application: %w", err)
	}
	return nil
}

const secretCols = "app_id, name, hash, created_at, expires_at"

func scanSecret(r scanner) (store.AppSecret, error) {
	var (
		sec     store.AppSecret
		created int64
		expires sql.NullInt64
	)
	if err := r.Scan(&sec.AppID, &sec.Name, &sec.Hash, &created, &expires); err != nil {
		return sec, err
	}
	sec.CreatedAt = fromMillis(created)
	sec.ExpiresAt = fromNullMillis(expires)
	return sec, nil
}

// CreateAppSecret inserts a secret. An unknown application is ErrNotFound;
// a name the application already uses is ErrConflict.
func (s *Store) CreateAppSecret(ctx context.Context, sec store.AppSecret) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.exists(notFound("application", sec.AppID), "applications", sec.AppID); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO app_secrets ("+secretCols+") VALUES (?, ?, ?, ?, ?)",
			sec.AppID, sec.Name, sec.Hash, millis(sec.CreatedAt), nullMillis(sec.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create app secret: %w", err)
	}
	return nil
}

// ListAppSecrets returns the secrets of an application, oldest first. An
// unknown application is ErrNotFound.
func (s *Store) ListAppSecrets(ctx context.Context, appID string) ([]store.AppSecret, error) {
	var secs []store.AppSecret
	err := s.read(ctx, func(t txn) error {
		if err := t.exists(notFound("application", appID), "applications", appID); err != nil {
			return err
		}
		var err error
		secs, err = collect(t, scanSecret,
			"SELECT "+secretCols+" FROM app_secrets WHERE app_id = ? ORDER BY created_at, name", appID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list app secrets: %w", err)
	}
	return secs, nil
}

// UpdateAppSecret sets the name and expiry of the secret (appID, name) to
// those of updated; an empty updated.Name keeps the name. The hash and
// creation time never change. A name already taken is ErrConflict.
func (s *Store) UpdateAppSecret(ctx context.Context, appID, name string, updated store.AppSecret) error {
	newName := updated.Name
	if newName == "" {
		newName = name
	}
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("app secret", appID+"/"+name),
			"UPDATE app_secrets SET name = ?, expires_at = ? WHERE app_id = ? AND name = ?",
			newName, nullMillis(updated.ExpiresAt), appID, name)
	})
	if err != nil {
		return fmt.Errorf("update app secret: %w", err)
	}
	return nil
}

// DeleteAppSecret deletes the secret (appID, name).
func (s *Store) DeleteAppSecret(ctx context.Context, appID, name string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("app secret", appID+"/"+name),
			"DELETE FROM app_secrets WHERE app_id = ? AND name = ?", appID, name)
	})
	if err != nil {
		return fmt.Errorf("delete app secret: %w", err)
	}
	return nil
}
