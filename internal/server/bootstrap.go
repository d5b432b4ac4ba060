package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/monban/monban/internal/auth0"
	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/console"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
)

// Names of what the first start seeds (see the directory package, which
// seeds it).
const (
	ManagementResourceName = directory.ManagementResourceName
	ManagementScope        = directory.ManagementScope
	ManagementRoleName     = directory.ManagementRoleName
	// AdminRoleName is the user role seeded with the Management API's
	// "all" permission: its holders may use the admin console.
	AdminRoleName = directory.AdminRoleName
)

// seeder is the directory that seeds a start, with the time of the start
// as its clock.
func seeder(st store.Store, indicator string, hash func(string) []byte, pw *password.Hasher, now time.Time) *directory.Directory {
	return directory.New(directory.Config{Store: st, ManagementIndicator: indicator, HashSecret: hash, Passwords: pw,
		Now: func() time.Time { return now }})
}

// seedManagementAPI makes sure the built-in Management API resource and its
// "all" permission exist and, on the first start, seeds its two roles
// (directory.SeedManagementAPI).
func seedManagementAPI(ctx context.Context, st store.Store, indicator string, now time.Time) error {
	return seeder(st, indicator, nil, nil, now).SeedManagementAPI(ctx)
}

// ManagementV2Identifier is the identifier of the Auth0-style Management
// API v2 of a server whose public base URL is endpoint: {endpoint}/api/v2/.
func ManagementV2Identifier(endpoint string) string {
	return strings.TrimRight(endpoint, "/") + auth0.Prefix
}

// seedManagementV2 makes sure the built-in Management API v2 resource
// exists with Auth0's permissions (directory.SeedManagementV2).
func seedManagementV2(ctx context.Context, st store.Store, cfg Config, now time.Time) error {
	return directory.New(directory.Config{Store: st, ManagementIndicator: cfg.ManagementIndicator,
		ManagementV2Indicator: ManagementV2Identifier(cfg.Endpoint), Now: func() time.Time { return now }}).SeedManagementV2(ctx)
}

// validAppID accepts the characters an App ID may have: the unreserved URI
// characters, so that it needs no escaping anywhere.
func validAppID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

// bootstrapApp makes sure an M2M app can call the Management API. With
// appID and secret given, that app exists with exactly this secret and holds
// the "Management API access" role (idempotent). With neither given, and no
// app holding the role, it creates one and prints its credentials once.
func bootstrapApp(ctx context.Context, st store.Store, h *clientauth.Hasher, cfg Config, out io.Writer, now time.Time) error {
	if (cfg.BootstrapAppID == "") != (cfg.BootstrapAppSecret == "") {
		return errors.New("set both MONBAN_BOOTSTRAP_APP_ID and MONBAN_BOOTSTRAP_APP_SECRET, or neither")
	}
	description := "Created on first start to call the Management API."
	if cfg.BootstrapAppID != "" {
		if !validAppID(cfg.BootstrapAppID) {
			return errors.New("MONBAN_BOOTSTRAP_APP_ID may only contain letters, digits and - _ . ~ (at most 128)")
		}
		if len(cfg.BootstrapAppSecret) > 256 {
			return errors.New("MONBAN_BOOTSTRAP_APP_SECRET is longer than 256 characters")
		}
		description = "Set up from MONBAN_BOOTSTRAP_APP_ID."
	}
	id, secret, err := seeder(st, cfg.ManagementIndicator, h.Hash, nil, now).
		EnsureManagementApp(ctx, cfg.BootstrapAppID, cfg.BootstrapAppSecret, description)
	var de *directory.Error
	if errors.As(err, &de) && de.Reason == directory.ReasonApplicationType {
		return fmt.Errorf("MONBAN_BOOTSTRAP_APP_ID names %s", de.Message)
	}
	if err == nil && id != "" {
		printCredentials(out, cfg, id, secret)
	}
	return err
}

func printCredentials(out io.Writer, cfg Config, id, secret string) {
	fmt.Fprintf(out, `
Created an M2M app with the "Management API access" role. Its secret is shown this once; keep it:
  App ID:     %s
  App Secret: %s
Get a Management API token with:
  curl -s -u '%s:%s' -d grant_type=client_credentials --data-urlencode 'resource=%s' -d scope=all %s/oidc/token

`, id, secret, id, secret, cfg.ManagementIndicator, cfg.Endpoint)
}

// seedConsoleApp makes sure the admin console's SPA application exists with
// this endpoint's redirect URIs. It runs at every start: the endpoint may
// have changed, and a deleted console app comes back.
func seedConsoleApp(ctx context.Context, st store.Store, endpoint string, now time.Time) error {
	app := store.Application{ID: console.DefaultClientID, Name: "Monban Console",
		Description: "The admin console at /console", Type: store.AppSPA, CreatedAt: now}
	err := seeder(st, "", nil, nil, now).SeedApplication(ctx, app,
		[]string{console.RedirectURI(endpoint)}, []string{console.PostLogoutRedirectURI(endpoint)})
	if err != nil {
		return fmt.Errorf("console application: %w", err)
	}
	return nil
}

// bootstrapAdmin makes sure someone can sign in to the admin console
// (directory.EnsureAdmin): the administrator cfg.AdminUsername names with
// cfg.AdminPassword, or with neither given, and no administrator yet, a
// new one whose password it prints once on out (never through the
// logger).
func bootstrapAdmin(ctx context.Context, st store.Store, pw *password.Hasher, cfg Config, out io.Writer, now time.Time) error {
	if err := checkAdminConfig(cfg); err != nil {
		return err
	}
	admin, err := seeder(st, cfg.ManagementIndicator, nil, pw, now).EnsureAdmin(ctx, cfg.AdminUsername, cfg.AdminPassword)
	if err != nil {
		if cfg.AdminUsername != "" {
			return fmt.Errorf("the administrator from MONBAN_ADMIN_USERNAME: %w", err)
		}
		return err
	}
	switch {
	case admin.Password != "":
		fmt.Fprintf(out, `
Created an administrator for the console. The password is shown this once:
  Username: %s
  Password: %s
Sign in at %s/console and change this password (Users, then the user, then "Reset password").

`, admin.User.Username, admin.Password, cfg.Endpoint)
	case cfg.AdminUsername != "":
		if admin.PasswordSet {
			cfg.Logger.Info("the administrator's password was set from MONBAN_ADMIN_PASSWORD", "username", admin.User.Username)
		}
		if admin.User.IsSuspended {
			cfg.Logger.Warn("the administrator named by MONBAN_ADMIN_USERNAME is suspended and cannot sign in; reactivate them in the console or through the Management API", "username", admin.User.Username)
		}
	}
	return nil
}

// checkAdminConfig checks the configured administrator without repeating
// the password.
func checkAdminConfig(cfg Config) error {
	if (cfg.AdminUsername == "") != (cfg.AdminPassword == "") {
		return errors.New("set both MONBAN_ADMIN_USERNAME and MONBAN_ADMIN_PASSWORD, or neither")
	}
	if cfg.AdminUsername == "" {
		return nil
	}
	if err := directory.CheckUsername(cfg.AdminUsername); err != nil {
		return fmt.Errorf("MONBAN_ADMIN_USERNAME: %v", err)
	}
	if err := directory.CheckPassword(cfg.AdminPassword); err != nil {
		return fmt.Errorf("MONBAN_ADMIN_PASSWORD: %v", err)
	}
	return nil
}
