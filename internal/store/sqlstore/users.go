package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/monban/monban/internal/store"
)

const userCols = "users.id, users.username, users.primary_email, users.primary_phone, users.name, users.avatar, " +
	"users.custom_data, users.profile, users.password_hash, users.is_suspended, users.created_at, users.updated_at, users.last_sign_in_at, " +
	"users.app_metadata, users.logins_count, users.email_verified"

func scanUser(r scanner) (store.User, error) {
	var (
		u                      store.User
		username, email, phone sql.NullString
		customData, profile    string
		appMetadata            string
		hash                   sql.NullString
		created, updated       int64
		lastSignIn             sql.NullInt64
	)
	if err := r.Scan(&u.ID, &username, &email, &phone, &u.Name, &u.Avatar, &customData, &profile, &hash,
		&u.IsSuspended, &created, &updated, &lastSignIn, &appMetadata, &u.LoginsCount, &u.EmailVerified); err != nil {
		return u, err
	}
	u.Username, u.PrimaryEmail, u.PrimaryPhone, u.PasswordHash = username.String, email.String, phone.String, hash.String
	u.CreatedAt, u.UpdatedAt, u.LastSignInAt = fromMillis(created), fromMillis(updated), fromNullMillis(lastSignIn)
	if err := json.Unmarshal([]byte(customData), &u.CustomData); err != nil {
		return u, fmt.Errorf("user %s: malformed custom_data: %w", u.ID, err)
	}
	if u.CustomData == nil {
		u.CustomData = map[string]any{}
	}
	if err := json.Unmarshal([]byte(profile), &u.Profile); err != nil {
		return u, fmt.Errorf("user %s: malformed profile: %w", u.ID, err)
	}
	if err := json.Unmarshal([]byte(appMetadata), &u.AppMetadata); err != nil {
		return u, fmt.Errorf("user %s: malformed app_metadata: %w", u.ID, err)
	}
	if len(u.AppMetadata) == 0 {
		u.AppMetadata = nil
	}
	return u, nil
}

// nullText stores "" as NULL, so that unset unique columns never collide.
func nullText(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func userJSON(u store.User) (customData, profile, appMetadata string, err error) {
	object := func(m map[string]any) ([]byte, error) {
		if m == nil {
			m = map[string]any{}
		}
		return json.Marshal(m)
	}
	b1, err := object(u.CustomData)
	if err != nil {
		return "", "", "", fmt.Errorf("encode custom data: %w", err)
	}
	b2, err := json.Marshal(u.Profile)
	if err != nil {
		return "", "", "", fmt.Errorf("encode profile: %w", err)
	}
	b3, err := object(u.AppMetadata)
	if err != nil {
		return "", "", "", fmt.Errorf("encode app metadata: %w", err)
	}
	return string(b1), string(b2), string(b3), nil
}

// CreateUser inserts u; a used id, username, e-mail or phone is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	cd, prof, am, err := userJSON(u)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	err = s.change(ctx, event(store.EventUserCreated, u.ID, nil), func(t txn) error {
		_, err := t.exec("INSERT INTO users (id, username, primary_email, primary_phone, name, avatar, custom_data, profile, "+
			"password_hash, is_suspended, created_at, updated_at, last_sign_in_at, app_metadata, logins_count, email_verified) "+
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			u.ID, nullText(u.Username), nullText(u.PrimaryEmail), nullText(u.PrimaryPhone), u.Name, u.Avatar, cd, prof,
			nullText(u.PasswordHash), u.IsSuspended, millis(u.CreatedAt), millis(u.UpdatedAt), nullMillis(u.LastSignInAt),
			am, u.LoginsCount, u.EmailVerified)
		return err
	})
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

func (s *Store) getUser(ctx context.Context, what, where, arg string) (store.User, error) {
	u, err := getOne(ctx, s, "get user by "+what, "user", arg, scanUser, "SELECT "+userCols+" FROM users WHERE "+where, arg)
	if err != nil {
		return u, err
	}
	users := []store.User{u}
	if err := s.attachIdentities(ctx, users); err != nil {
		return store.User{}, fmt.Errorf("get user by %s: %w", what, err)
	}
	return users[0], nil
}

// GetUser returns the user with the id.
func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	return s.getUser(ctx, "id", "id = ?", id)
}

// GetUserByUsername returns the user with exactly this username.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (store.User, error) {
	if username == "" {
		return store.User{}, notFound("user", "")
	}
	return s.getUser(ctx, "username", "username = ?", username)
}

// GetUserByEmail returns the user with this primary e-mail, in any case.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	if email == "" {
		return store.User{}, notFound("user", "")
	}
	return s.getUser(ctx, "email", "lower(primary_email) = ?", strings.ToLower(email))
}

// likeEscape escapes the LIKE wildcards of s, for ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// userSearch is where Logto's user search looks.
var userSearch = searchColumns{
	names: []string{"id", "username", "primaryEmail", "primaryPhone", "name"},
	cols:  []string{"users.id", "users.username", "users.primary_email", "users.primary_phone", "users.name"},
}

// ListUsers returns a page of the users matching filter, oldest first.
func (s *Store) ListUsers(ctx context.Context, filter store.UserFilter, page store.Page) ([]store.User, int, error) {
	f := conds{d: &s.d}
	if filter.Search != "" {
		pat := "%" + likeEscape(strings.ToLower(filter.Search)) + "%"
		f.add(true, `(lower(users.id) LIKE ? ESCAPE '\' OR lower(users.username) LIKE ? ESCAPE '\' `+
			`OR lower(users.primary_email) LIKE ? ESCAPE '\' OR lower(users.primary_phone) LIKE ? ESCAPE '\' `+
			`OR lower(users.name) LIKE ? ESCAPE '\')`, pat, pat, pat, pat, pat)
	}
	f.search(userSearch, filter.Match)
	f.add(filter.ExcludeRoleID != "", "NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = users.id AND ur.role_id = ?)", filter.ExcludeRoleID)
	f.add(filter.RoleID != "", "EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = users.id AND ur.role_id = ?)", filter.RoleID)
	f.add(filter.ExcludeOrganizationID != "", "NOT EXISTS (SELECT 1 FROM organization_users ou WHERE ou.user_id = users.id AND ou.organization_id = ?)",
		filter.ExcludeOrganizationID)
	if filter.Query != nil {
		cond, args, err := s.userQuery(*filter.Query)
		if err != nil {
			return nil, 0, fmt.Errorf("list users: %w", err)
		}
		f.add(true, cond, args...)
	}
	if f.err != nil {
		return nil, 0, fmt.Errorf("list users: %w", f.err)
	}
	order, err := userOrder(filter)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return s.withIdentities(ctx, "list users")(listPage(ctx, s, "list users", nil, userCols, f.from("users"), order, f.args, page, scanUser))
}

// userSortColumns are the columns of the store.Sort* fields.
var userSortColumns = map[string]string{
	"": "users.created_at", store.SortCreatedAt: "users.created_at", store.SortUpdatedAt: "users.updated_at",
	store.SortLastSignInAt: "users.last_sign_in_at", store.SortLoginsCount: "users.logins_count",
	store.SortEmail: "lower(users.primary_email)", store.SortName: "users.name", store.SortUsername: "users.username",
}

// userOrder is the ORDER BY of a user list. Unset values (NULL) come
// last either way, as engines otherwise disagree on where they go.
func userOrder(filter store.UserFilter) (string, error) {
	col, ok := userSortColumns[filter.SortBy]
	if !ok {
		return "", fmt.Errorf("unknown user sort field %q", filter.SortBy)
	}
	dir := " ASC"
	if filter.Descending {
		dir = " DESC"
	}
	return "CASE WHEN " + col + " IS NULL THEN 1 ELSE 0 END, " + col + dir + ", users.id" + dir, nil
}

// UpdateUser writes u's profile fields; see store.UserStore.
func (s *Store) UpdateUser(ctx context.Context, u store.User) error {
	cd, prof, am, err := userJSON(u)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	err = s.change(ctx, event(store.EventUserUpdated, u.ID, nil), func(t txn) error {
		return t.execOne(notFound("user", u.ID),
			"UPDATE users SET username = ?, primary_email = ?, primary_phone = ?, name = ?, avatar = ?, "+
				"custom_data = ?, profile = ?, app_metadata = ?, email_verified = ?, updated_at = ? WHERE id = ?",
			nullText(u.Username), nullText(u.PrimaryEmail), nullText(u.PrimaryPhone), u.Name, u.Avatar, cd, prof, am,
			u.EmailVerified, millis(u.UpdatedAt), u.ID)
	})
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	return nil
}

// SetUserPassword replaces the password hash ("" removes the password);
// it is a user.updated event, which webhooks report.
func (s *Store) SetUserPassword(ctx context.Context, id, hash string, updatedAt time.Time) error {
	err := s.change(ctx, event(store.EventUserUpdated, id, nil), func(t txn) error {
		return t.execOne(notFound("user", id), "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
			nullText(hash), millis(updatedAt), id)
	})
	if err != nil {
		return fmt.Errorf("set user password: %w", err)
	}
	return nil
}

// RehashUserPassword swaps the password hash old for hash.
func (s *Store) RehashUserPassword(ctx context.Context, id, old, hash string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("user", id), "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
			nullText(hash), id, old)
	})
	if err != nil {
		return fmt.Errorf("rehash user password: %w", err)
	}
	return nil
}

// SetUserSuspended sets the suspension flag. Suspending ends the user's
// sessions and revokes every grant, in the same transaction.
func (s *Store) SetUserSuspended(ctx context.Context, id string, suspended bool, now time.Time) error {
	err := s.change(ctx, event(store.EventUserSuspensionChanged, id, &store.EventPayload{Suspended: &suspended}), func(t txn) error {
		if err := t.execOne(notFound("user", id), "UPDATE users SET is_suspended = ?, updated_at = ? WHERE id = ?",
			suspended, millis(now), id); err != nil {
			return err
		}
		if !suspended {
			return nil
		}
		return t.revokeUser(id, now)
	})
	if err != nil {
		return fmt.Errorf("set user suspended: %w", err)
	}
	return nil
}

// revokeUser ends every session and grant of a user, revoking the grants'
// unexpired access tokens.
func (t txn) revokeUser(userID string, now time.Time) error {
	if _, err := t.exec(`INSERT INTO revoked_access_tokens (jti, expires_at)
		SELECT i.jti, i.expires_at FROM issued_access_tokens i JOIN grants g ON g.id = i.grant_id
		WHERE g.user_id = ? AND i.expires_at > ? ON CONFLICT DO NOTHING`, userID, millis(now)); err != nil {
		return err
	}
	if _, err := t.exec("DELETE FROM grants WHERE user_id = ?", userID); err != nil {
		return err
	}
	_, err := t.exec("DELETE FROM sessions WHERE user_id = ?", userID)
	return err
}

// RecordSignIn sets the user's last sign-in time and counts the sign-in. With an origin in ctx
// (a sign-in on the hosted page) it also appends a user.signed_in event,
// which webhooks report; without one it appends nothing.
func (s *Store) RecordSignIn(ctx context.Context, id string, at time.Time) error {
	set := func(t txn) error {
		return t.execOne(notFound("user", id), "UPDATE users SET last_sign_in_at = ?, logins_count = logins_count + 1 WHERE id = ?", millis(at), id)
	}
	var err error
	if store.OriginOf(ctx) != nil {
		err = s.change(ctx, event(store.EventUserSignedIn, id, nil), set)
	} else {
		err = s.write(ctx, set)
	}
	if err != nil {
		return fmt.Errorf("record sign-in: %w", err)
	}
	return nil
}

// DeleteUser revokes what was issued to the user and deletes it; role links,
// identities, sessions and grants go with it through ON DELETE CASCADE.
func (s *Store) DeleteUser(ctx context.Context, id string, now time.Time) error {
	err := s.change(ctx, event(store.EventUserDeleted, id, nil), func(t txn) error {
		if err := t.exists(notFound("user", id), "users", id); err != nil {
			return err
		}
		if err := t.revokeUser(id, now); err != nil {
			return err
		}
		return t.execOne(notFound("user", id), "DELETE FROM users WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

// AddUserRoles gives the roles to the user, all or nothing.
func (s *Store) AddUserRoles(ctx context.Context, userID string, roleIDs []string) error {
	roleIDs = uniq(roleIDs)
	err := s.change(ctx, event(store.EventUserRolesAdded, userID, &store.EventPayload{IDs: roleIDs}), func(t txn) error {
		if err := t.exists(notFound("user", userID), "users", userID); err != nil {
			return err
		}
		if err := t.allExist(fmt.Errorf("one of the roles: %w", store.ErrNotFound), "roles", roleIDs); err != nil {
			return err
		}
		for _, id := range roleIDs {
			if _, err := t.exec("INSERT INTO user_roles (user_id, role_id) VALUES (?, ?) ON CONFLICT DO NOTHING", userID, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add user roles: %w", err)
	}
	return nil
}

// AddRoleUsers gives the role to the users, all or nothing.
func (s *Store) AddRoleUsers(ctx context.Context, roleID string, userIDs []string) error {
	userIDs = uniq(userIDs)
	ev := event(store.EventRoleUsersAdded, roleID, &store.EventPayload{IDs: userIDs})
	if err := s.addLinks(ctx, ev, userIDs, "users", "user", "user_roles", "user_id"); err != nil {
		return fmt.Errorf("add role users: %w", err)
	}
	return nil
}

// RemoveUserRole removes one link; a link that does not exist is
// ErrNotFound.
func (s *Store) RemoveUserRole(ctx context.Context, userID, roleID string) error {
	err := s.change(ctx, event(store.EventUserRoleRemoved, userID, &store.EventPayload{IDs: []string{roleID}}), func(t txn) error {
		return t.execOne(notFound("user role", userID+"/"+roleID),
			"DELETE FROM user_roles WHERE user_id = ? AND role_id = ?", userID, roleID)
	})
	if err != nil {
		return fmt.Errorf("remove user role: %w", err)
	}
	return nil
}

// ListUserRoles returns a page of the roles the user holds, oldest first.
// An unknown user is ErrNotFound.
func (s *Store) ListUserRoles(ctx context.Context, userID string, page store.Page) ([]store.Role, int, error) {
	parent := func(t txn) error { return t.exists(notFound("user", userID), "users", userID) }
	return listPage(ctx, s, "list user roles", parent, roleCols,
		"FROM roles JOIN user_roles ON user_roles.role_id = roles.id WHERE user_roles.user_id = ?",
		"roles.created_at, roles.id", []any{userID}, page, scanRole)
}

// ListRoleUsers returns a page of the users holding the role, oldest first.
// An unknown role is ErrNotFound.
func (s *Store) ListRoleUsers(ctx context.Context, roleID string, page store.Page) ([]store.User, int, error) {
	parent := func(t txn) error { return t.exists(notFound("role", roleID), "roles", roleID) }
	return s.withIdentities(ctx, "list role users")(listPage(ctx, s, "list role users", parent, userCols,
		"FROM users JOIN user_roles ON user_roles.user_id = users.id WHERE user_roles.role_id = ?",
		"users.created_at, users.id", []any{roleID}, page, scanUser))
}
