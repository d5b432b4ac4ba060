package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/monban/monban/internal/auth0"
	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/console"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/experience"
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
	return seederWithV2(st, indicator, "", hash, pw, now)
}

// seederWithV2 is seeder that also knows the Management API v2's
// identifier, for what must tell both built-in resources apart.
func seederWithV2(st store.Store, indicator, v2 string, hash func(string) []byte, pw *password.Hasher, now time.Time) *directory.Directory {
	return directory.New(directory.Config{Store: st, ManagementIndicator: indicator, ManagementV2Indicator: v2,
		HashSecret: hash, Passwords: pw, Now: func() time.Time { return now },
		PasswordPolicy: experience.New(st, experience.Options{}).PasswordPolicy})
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
	return seederWithV2(st, cfg.ManagementIndicator, ManagementV2Identifier(cfg.Endpoint), nil, nil, now).SeedManagementV2(ctx)
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
// app holding the role, it creates one and returns its credentials, to be
// shown once.
func bootstrapApp(ctx context.Context, st store.Store, h *clientauth.Hasher, cfg Config, now time.Time) (*Notice, error) {
	if (cfg.BootstrapAppID == "") != (cfg.BootstrapAppSecret == "") {
		return nil, errors.New("set both MONBAN_BOOTSTRAP_APP_ID and MONBAN_BOOTSTRAP_APP_SECRET, or neither")
	}
	description := "Created on first start to call the Management API."
	if cfg.BootstrapAppID != "" {
		if !validAppID(cfg.BootstrapAppID) {
			return nil, errors.New("MONBAN_BOOTSTRAP_APP_ID may only contain letters, digits and - _ . ~ (at most 128)")
		}
		if len(cfg.BootstrapAppSecret) > 256 {
			return nil, errors.New("MONBAN_BOOTSTRAP_APP_SECRET is longer than 256 characters")
		}
		description = "Set up from MONBAN_BOOTSTRAP_APP_ID."
	}
	id, secret, err := seeder(st, cfg.ManagementIndicator, h.Hash, nil, now).
		EnsureManagementApp(ctx, cfg.BootstrapAppID, cfg.BootstrapAppSecret, description)
	var de *directory.Error
	if errors.As(err, &de) && de.Reason == directory.ReasonApplicationType {
		return nil, fmt.Errorf("MONBAN_BOOTSTRAP_APP_ID names %s", de.Message)
	}
	if err != nil || id == "" {
		return nil, err
	}
	n := AppNotice(cfg.Endpoint, cfg.ManagementIndicator, id, secret)
	return &n, nil
}

// seedConsoleApp makes sure the admin console's SPA application exists with
// this endpoint's redirect URIs. It runs at every start: the endpoint may
// have changed (the port, say), and the console must follow it. A changed
// endpoint is said, as it changes the issuer too.
func seedConsoleApp(ctx context.Context, st store.Store, cfg Config, now time.Time) error {
	app := store.Application{ID: console.DefaultClientID, Name: "Monban Console",
		Description: "The admin console at /console", Type: store.AppSPA, CreatedAt: now}
	redirect := console.RedirectURI(cfg.Endpoint)
	before, err := seeder(st, "", nil, nil, now).SeedApplication(ctx, app,
		[]string{redirect}, []string{console.PostLogoutRedirectURI(cfg.Endpoint)})
	if err != nil {
		return fmt.Errorf("console application: %w", err)
	}
	if len(before) > 0 && before[0] != redirect {
		cfg.Logger.Warn("the endpoint differs from the last start's: the console's redirect URIs follow it; "+
			"tokens issued before carry the old issuer and are refused, and clients configured with the old endpoint must change too",
			"endpoint", cfg.Endpoint, "console_redirect_before", before[0])
	}
	return nil
}

// bootstrapAdmin makes sure someone can sign in to the admin console
// (directory.EnsureAdmin): the administrator cfg.AdminUsername names with
// cfg.AdminPassword, or with neither given, and no administrator yet, a
// new one whose credentials it returns, to be shown once (never through
// the logger).
func bootstrapAdmin(ctx context.Context, st store.Store, pw *password.Hasher, cfg Config, now time.Time) (*Notice, error) {
	if err := checkAdminConfig(cfg); err != nil {
		return nil, err
	}
	admin, err := seeder(st, cfg.ManagementIndicator, nil, pw, now).EnsureAdmin(ctx, cfg.AdminUsername, cfg.AdminPassword)
	if err != nil {
		if cfg.AdminUsername != "" {
			return nil, fmt.Errorf("the administrator from MONBAN_ADMIN_USERNAME: %w", err)
		}
		return nil, err
	}
	switch {
	case admin.Password != "":
		n := AdminNotice(cfg.Endpoint, admin.User.Username, admin.Password, true)
		return &n, nil
	case cfg.AdminUsername != "":
		if admin.PasswordSet {
			cfg.Logger.Info("the administrator's password was set from MONBAN_ADMIN_PASSWORD", "username", admin.User.Username)
		}
		if admin.User.IsSuspended {
			cfg.Logger.Warn("the administrator named by MONBAN_ADMIN_USERNAME is suspended and cannot sign in; reactivate them in the console or through the Management API", "username", admin.User.Username)
		}
	}
	return nil, nil
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
