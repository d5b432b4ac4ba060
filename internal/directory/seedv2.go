package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// ManagementV2ResourceName names the built-in resource of the Auth0-style
// Management API v2.
const ManagementV2ResourceName = "Management API v2"

// ManagementV2AccessTokenTTL is the v2 resource's token lifetime when it
// is created: Auth0's default for Management API tokens, a day.
const ManagementV2AccessTokenTTL = 86400

// ManagementV2Scopes are the permissions of the Management API v2, with
// Auth0's names: each route of /api/v2 requires one of them.
var ManagementV2Scopes = []struct{ Name, Description string }{
	{"read:users", "Read users"},
	{"create:users", "Create users"},
	{"update:users", "Update users"},
	{"delete:users", "Delete users"},
	{"read:authentication_methods", "Read users' authentication methods"},
	{"delete:authentication_methods", "Delete users' authentication methods"},
	{"read:users_app_metadata", "Read users' app_metadata"},
	{"create:users_app_metadata", "Create users' app_metadata"},
	{"update:users_app_metadata", "Update users' app_metadata and user_metadata"},
	{"delete:users_app_metadata", "Delete users' app_metadata"},
	{"read:clients", "Read clients"},
	{"create:clients", "Create clients"},
	{"update:clients", "Update clients"},
	{"delete:clients", "Delete clients"},
	{"read:client_keys", "Read clients with their keys"},
	{"update:client_keys", "Rotate client secrets"},
	{"read:client_credentials", "Read clients' public-key credentials"},
	{"create:client_credentials", "Register public-key credentials of clients"},
	{"update:client_credentials", "Change clients' public-key credentials"},
	{"delete:client_credentials", "Delete clients' public-key credentials"},
	{"read:client_grants", "Read client grants"},
	{"create:client_grants", "Create client grants"},
	{"update:client_grants", "Update client grants"},
	{"delete:client_grants", "Delete client grants"},
	{"read:resource_servers", "Read resource servers"},
	{"create:resource_servers", "Create resource servers"},
	{"update:resource_servers", "Update resource servers"},
	{"delete:resource_servers", "Delete resource servers"},
	{"read:roles", "Read roles"},
	{"create:roles", "Create roles"},
	{"update:roles", "Update roles"},
	{"delete:roles", "Delete roles"},
	{"read:role_members", "Read the users of roles"},
	{"create:role_members", "Give roles to users"},
	{"delete:role_members", "Take roles from users"},
	{"read:logs", "Read log events"},
	{"read:logs_users", "Read the log events of users"},
	{"read:connections", "Read connections"},
	{"create:user_tickets", "Create password-change tickets"},
}

// SeedManagementV2 makes sure the built-in Management API v2 resource
// exists with every permission of ManagementV2Scopes. The permissions it
// creates (all of them on a first start, or on the first start of a
// version that added some) are given to every role that holds the
// Management API's "all" permission: the "Management API access" role of
// the bootstrap app and the "Admin" role, or what the admin made of them.
// A permission taken from a role afterwards stays taken. Without a v2
// indicator it does nothing.
func (d *Directory) SeedManagementV2(ctx context.Context) error {
	if d.v2 == "" {
		return nil
	}
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return err
	}
	now := d.now()
	var res *store.Resource
	for i := range cat.Resources {
		if cat.Resources[i].Indicator == d.v2 {
			res = &cat.Resources[i]
		}
	}
	if res == nil {
		res = &store.Resource{ID: randid.ID(), Name: ManagementV2ResourceName, Indicator: d.v2, AccessTokenTTL: ManagementV2AccessTokenTTL, CreatedAt: now}
		switch err := d.st.CreateResource(ctx, *res); {
		case errors.Is(err, store.ErrConflict):
			return d.SeedManagementV2(ctx) // another instance was first
		case err != nil:
			return fmt.Errorf("create the Management API v2 resource: %w", err)
		}
	}
	have := map[string]bool{}
	for _, sc := range cat.Scopes {
		if sc.ResourceID == res.ID {
			have[sc.Name] = true
		}
	}
	var added []string
	for _, want := range ManagementV2Scopes {
		if have[want.Name] {
			continue
		}
		sc := store.Scope{ID: randid.ID(), ResourceID: res.ID, Name: want.Name, Description: want.Description, CreatedAt: now}
		switch err := d.st.CreateScope(ctx, sc); {
		case errors.Is(err, store.ErrConflict):
		case err != nil:
			return fmt.Errorf("create the Management API v2 permission %s: %w", want.Name, err)
		default:
			added = append(added, sc.ID)
		}
	}
	if len(added) == 0 {
		return nil
	}
	all := managementScopeID(cat, d.indicator)
	for _, rs := range cat.RoleScopes {
		if all == "" || rs.ScopeID != all {
			continue
		}
		if err := d.st.AddRoleScopes(ctx, rs.RoleID, added); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("give the Management API v2 permissions to role %s: %w", rs.RoleID, err)
		}
	}
	return nil
}
