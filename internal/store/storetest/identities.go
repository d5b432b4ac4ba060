package storetest

import (
	"testing"

	"github.com/monban/monban/internal/store"
)

// identityCases are the conformance tests of store.IdentityStore.
var identityCases = []testCase{
	{"Identities", testIdentities},
	{"IdentityUniqueness", testIdentityUniqueness},
	{"IdentitiesGoWithUser", testIdentitiesGoWithUser},
}

func identity(userID, target, externalID string, i int) store.Identity {
	return store.Identity{UserID: userID, Target: target, ExternalID: externalID, CreatedAt: at(i), UpdatedAt: at(i)}
}

func testIdentities(t *testing.T, s store.Store) {
	ctx := t.Context()
	ok(t, s.CreateUser(ctx, user("u1", 1)), "CreateUser u1")
	ok(t, s.CreateUser(ctx, user("u2", 2)), "CreateUser u2")

	got, err := s.ListIdentities(ctx, []string{"u1", "u2", "missing"})
	ok(t, err, "ListIdentities with none")
	same(t, "ListIdentities with none", got, []store.Identity{})
	got, err = s.ListIdentities(ctx, nil)
	ok(t, err, "ListIdentities of no user")
	same(t, "ListIdentities of no user", got, []store.Identity{})

	gh := identity("u1", "github", "gh-1", 3)
	gh.Details = map[string]any{"login": "ada", "n": 2.0, "emails": []any{"a@example.com"}}
	created, err := s.PutIdentity(ctx, gh)
	ok(t, err, "PutIdentity github")
	same(t, "PutIdentity github created", created, true)
	google := identity("u1", "google", "g-1", 4)
	created, err = s.PutIdentity(ctx, google)
	ok(t, err, "PutIdentity google")
	same(t, "PutIdentity google created", created, true)
	other := identity("u2", "github", "gh-2", 5)
	_, err = s.PutIdentity(ctx, other)
	ok(t, err, "PutIdentity u2 github")

	u, err := s.GetUser(ctx, "u1")
	ok(t, err, "GetUser")
	same(t, "user's update time follows its identities", u.UpdatedAt, at(4))

	got, err = s.ListIdentities(ctx, []string{"u2", "u1", "u1"})
	ok(t, err, "ListIdentities")
	same(t, "ListIdentities", got, []store.Identity{gh, google, other})
	got, err = s.ListIdentities(ctx, []string{"u2"})
	ok(t, err, "ListIdentities u2")
	same(t, "ListIdentities u2", got, []store.Identity{other})

	byID, err := s.GetUserByIdentity(ctx, "github", "gh-2")
	ok(t, err, "GetUserByIdentity")
	same(t, "GetUserByIdentity", byID.ID, "u2")
	same(t, "GetUserByIdentity identities", byID.Identities, []store.Identity{other})
	for _, miss := range [][2]string{{"github", "gh-3"}, {"google", "gh-2"}, {"GitHub", "gh-2"}, {"github", "GH-2"}, {"", ""}} {
		_, err = s.GetUserByIdentity(ctx, miss[0], miss[1])
		wantErr(t, err, store.ErrNotFound, "GetUserByIdentity "+miss[0]+" "+miss[1])
	}

	// Users are read with their identities, by every read.
	for name, read := range map[string]func() (store.User, error){
		"GetUser":           func() (store.User, error) { return s.GetUser(ctx, "u1") },
		"GetUserByUsername": func() (store.User, error) { return s.GetUserByUsername(ctx, "user_u1") },
		"GetUserByEmail":    func() (store.User, error) { return s.GetUserByEmail(ctx, "u1@example.com") },
		"ListUsers": func() (store.User, error) {
			us, _, err := s.ListUsers(ctx, store.UserFilter{}, store.Page{})
			if err != nil {
				return store.User{}, err
			}
			same(t, "ListUsers u2's identities", us[1].Identities, []store.Identity{other})
			return us[0], nil
		},
	} {
		u, err := read()
		ok(t, err, name)
		same(t, name+" identities", u.Identities, []store.Identity{gh, google})
	}
	ok(t, s.CreateRole(ctx, role("r1", 1)), "CreateRole")
	ok(t, s.AddRoleUsers(ctx, "r1", []string{"u2"}), "AddRoleUsers")
	us, _, err := s.ListRoleUsers(ctx, "r1", store.Page{})
	ok(t, err, "ListRoleUsers")
	same(t, "ListRoleUsers identities", us[0].Identities, []store.Identity{other})

	// Replacing keeps the creation time; details may be dropped.
	gh2 := identity("u1", "github", "gh-9", 6)
	created, err = s.PutIdentity(ctx, gh2)
	ok(t, err, "PutIdentity replace")
	same(t, "PutIdentity replace created", created, false)
	gh2.CreatedAt = gh.CreatedAt
	got, err = s.ListIdentities(ctx, []string{"u1"})
	ok(t, err, "ListIdentities after replace")
	same(t, "ListIdentities after replace", got, []store.Identity{gh2, google})

	_, err = s.PutIdentity(ctx, identity("missing", "github", "gh-3", 7))
	wantErr(t, err, store.ErrNotFound, "PutIdentity of a missing user")

	ok(t, s.DeleteIdentity(ctx, "u1", "github", at(8)), "DeleteIdentity")
	wantErr(t, s.DeleteIdentity(ctx, "u1", "github", at(9)), store.ErrNotFound, "DeleteIdentity again")
	wantErr(t, s.DeleteIdentity(ctx, "missing", "github", at(9)), store.ErrNotFound, "DeleteIdentity of a missing user")
	u, err = s.GetUser(ctx, "u1")
	ok(t, err, "GetUser after delete")
	same(t, "user's update time after delete", u.UpdatedAt, at(8))
	got, err = s.ListIdentities(ctx, []string{"u1", "u2"})
	ok(t, err, "ListIdentities after delete")
	same(t, "ListIdentities after delete", got, []store.Identity{google, other})
}

func testIdentityUniqueness(t *testing.T, s store.Store) {
	ctx := t.Context()
	ok(t, s.CreateUser(ctx, user("u1", 1)), "CreateUser u1")
	ok(t, s.CreateUser(ctx, user("u2", 2)), "CreateUser u2")
	_, err := s.PutIdentity(ctx, identity("u1", "github", "gh-1", 3))
	ok(t, err, "PutIdentity u1")
	_, err = s.PutIdentity(ctx, identity("u2", "github", "gh-1", 4))
	wantErr(t, err, store.ErrConflict, "another user's account at the target")
	_, err = s.PutIdentity(ctx, identity("u1", "github", "gh-1", 5))
	ok(t, err, "the same account put again")
	// The same external id at another target is another account.
	_, err = s.PutIdentity(ctx, identity("u2", "google", "gh-1", 6))
	ok(t, err, "the same external id at another target")
	u, err := s.GetUser(ctx, "u2")
	ok(t, err, "GetUser u2")
	same(t, "a refused put leaves the user as it was", u.UpdatedAt, at(6))
}

func testIdentitiesGoWithUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	ok(t, s.CreateUser(ctx, user("u1", 1)), "CreateUser u1")
	_, err := s.PutIdentity(ctx, identity("u1", "github", "gh-1", 2))
	ok(t, err, "PutIdentity")
	ok(t, s.DeleteUser(ctx, "u1", at(3)), "DeleteUser")
	got, err := s.ListIdentities(ctx, []string{"u1"})
	ok(t, err, "ListIdentities")
	same(t, "identities of a deleted user", got, []store.Identity{})
	// The account is free again.
	ok(t, s.CreateUser(ctx, user("u2", 4)), "CreateUser u2")
	_, err = s.PutIdentity(ctx, identity("u2", "github", "gh-1", 5))
	ok(t, err, "the account of a deleted user, given to another")
}
