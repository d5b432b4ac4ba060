package storetest

import (
	"context"
	"testing"

	"github.com/monban/monban/internal/store"
)

// userCases are the conformance tests of store.UserAccountStore.
var userCases = []testCase{
	{"Users", testUsers},
	{"UserUniqueness", testUserUniqueness},
	{"UserList", testUserList},
	{"UserSearch", testUserSearch},
	{"UserQuery", testUserQuery},
	{"UserEmailVerified", testUserEmailVerified},
	{"UserSort", testUserSort},
	{"UserRoles", testUserRoles},
}

func user(id string, i int) store.User {
	return store.User{ID: id, Username: "user_" + id, PrimaryEmail: id + "@example.com", Name: "User " + id,
		CustomData: map[string]any{}, CreatedAt: at(i), UpdatedAt: at(i)}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := user("u1", 1)
	u.PrimaryPhone = "15550001"
	u.Avatar = "https://example.com/a.png"
	u.CustomData = map[string]any{"plan": "pro", "n": 2.0, "nested": map[string]any{"a": []any{"x"}}}
	u.Profile = store.UserProfile{GivenName: "Ada", FamilyName: "Lovelace", Locale: "en",
		Address: &store.UserAddress{Country: "UK", Locality: "London"}}
	u.PasswordHash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$a2V5"
	u.AppMetadata = map[string]any{"plan": "gold", "seats": 3.0}
	u.EmailVerified = true
	ok(t, s.CreateUser(ctx, u), "CreateUser")
	got, err := s.GetUser(ctx, "u1")
	ok(t, err, "GetUser")
	same(t, "GetUser", got, u)

	got, err = s.GetUserByUsername(ctx, "user_u1")
	ok(t, err, "GetUserByUsername")
	same(t, "GetUserByUsername", got.ID, "u1")
	_, err = s.GetUserByUsername(ctx, "USER_U1")
	wantErr(t, err, store.ErrNotFound, "usernames are matched exactly")
	got, err = s.GetUserByEmail(ctx, "U1@Example.COM")
	ok(t, err, "GetUserByEmail in another case")
	same(t, "GetUserByEmail", got.ID, "u1")
	for _, f := range []func() (store.User, error){
		func() (store.User, error) { return s.GetUser(ctx, "missing") },
		func() (store.User, error) { return s.GetUserByUsername(ctx, "") },
		func() (store.User, error) { return s.GetUserByEmail(ctx, "") },
		func() (store.User, error) { return s.GetUserByEmail(ctx, "nobody@example.com") },
	} {
		_, err := f()
		wantErr(t, err, store.ErrNotFound, "lookup of a missing user")
	}

	// A user with nothing but an id: unset fields read back empty.
	bare := store.User{ID: "u2", CreatedAt: at(2), UpdatedAt: at(2)}
	ok(t, s.CreateUser(ctx, bare), "CreateUser bare")
	got, err = s.GetUser(ctx, "u2")
	ok(t, err, "GetUser bare")
	bare.CustomData = map[string]any{}
	same(t, "bare user", got, bare)

	// UpdateUser leaves the password, suspension and times it does not own.
	upd := u
	upd.Username, upd.PrimaryEmail, upd.PrimaryPhone, upd.Name = "renamed", "", "", "Renamed"
	upd.EmailVerified = false
	upd.CustomData = map[string]any{"k": true}
	upd.AppMetadata = map[string]any{"plan": "silver"}
	upd.LoginsCount = 40
	upd.Profile = store.UserProfile{Nickname: "r"}
	upd.PasswordHash, upd.IsSuspended = "other", true
	upd.CreatedAt, upd.UpdatedAt, upd.LastSignInAt = at(8), at(9), at(9)
	ok(t, s.UpdateUser(ctx, upd), "UpdateUser")
	got, err = s.GetUser(ctx, "u1")
	ok(t, err, "GetUser after update")
	want := upd
	want.PasswordHash, want.IsSuspended, want.CreatedAt, want.LastSignInAt = u.PasswordHash, false, u.CreatedAt, u.LastSignInAt
	want.LoginsCount = 0
	same(t, "GetUser after update", got, want)
	// The old username and e-mail are free again.
	_, err = s.GetUserByUsername(ctx, "user_u1")
	wantErr(t, err, store.ErrNotFound, "old username")
	wantErr(t, s.UpdateUser(ctx, user("missing", 1)), store.ErrNotFound, "UpdateUser missing")

	ok(t, s.SetUserPassword(ctx, "u1", "new-hash", at(10)), "SetUserPassword")
	ok(t, s.RecordSignIn(ctx, "u1", at(11)), "RecordSignIn")
	got, err = s.GetUser(ctx, "u1")
	ok(t, err, "GetUser")
	if got.PasswordHash != "new-hash" || !got.UpdatedAt.Equal(at(10)) || !got.LastSignInAt.Equal(at(11)) || got.LoginsCount != 1 {
		t.Errorf("after SetUserPassword and RecordSignIn: %+v", got)
	}
	ok(t, s.RecordSignIn(ctx, "u1", at(12)), "RecordSignIn again")
	if got, err = s.GetUser(ctx, "u1"); err != nil || got.LoginsCount != 2 {
		t.Errorf("a second sign-in is counted: %d, %v", got.LoginsCount, err)
	}
	// A re-hash swaps the hash it replaces only, leaving the update time.
	ok(t, s.RehashUserPassword(ctx, "u1", "new-hash", "rehashed"), "RehashUserPassword")
	wantErr(t, s.RehashUserPassword(ctx, "u1", "new-hash", "stale"), store.ErrNotFound, "RehashUserPassword of a changed hash")
	wantErr(t, s.RehashUserPassword(ctx, "missing", "new-hash", "h"), store.ErrNotFound, "RehashUserPassword missing")
	got, err = s.GetUser(ctx, "u1")
	ok(t, err, "GetUser after RehashUserPassword")
	if got.PasswordHash != "rehashed" || !got.UpdatedAt.Equal(at(10)) {
		t.Errorf("after RehashUserPassword: %+v", got)
	}
	ok(t, s.SetUserPassword(ctx, "u1", "", at(12)), "SetUserPassword empty")
	got, err = s.GetUser(ctx, "u1")
	ok(t, err, "GetUser after removing the password")
	same(t, "password removed", got.PasswordHash, "")
	wantErr(t, s.SetUserPassword(ctx, "missing", "h", at(1)), store.ErrNotFound, "SetUserPassword missing")
	wantErr(t, s.RecordSignIn(ctx, "missing", at(1)), store.ErrNotFound, "RecordSignIn missing")

	ok(t, s.SetUserSuspended(ctx, "u1", true, at(13)), "SetUserSuspended")
	got, err = s.GetUser(ctx, "u1")
	ok(t, err, "GetUser after suspension")
	if !got.IsSuspended || !got.UpdatedAt.Equal(at(13)) {
		t.Errorf("after suspension: %+v", got)
	}
	ok(t, s.SetUserSuspended(ctx, "u1", false, at(14)), "SetUserSuspended false")
	got, err = s.GetUser(ctx, "u1")
	ok(t, err, "GetUser after unsuspension")
	same(t, "unsuspended", got.IsSuspended, false)
	wantErr(t, s.SetUserSuspended(ctx, "missing", true, at(1)), store.ErrNotFound, "SetUserSuspended missing")

	ok(t, s.DeleteUser(ctx, "u1", at(20)), "DeleteUser")
	_, err = s.GetUser(ctx, "u1")
	wantErr(t, err, store.ErrNotFound, "GetUser after delete")
	wantErr(t, s.DeleteUser(ctx, "u1", at(20)), store.ErrNotFound, "DeleteUser twice")
	ok(t, s.CreateUser(ctx, u), "CreateUser after delete")
}

func testUserUniqueness(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := user("a", 1)
	a.PrimaryPhone = "15550001"
	must(t, s.CreateUser(ctx, a))
	for _, tc := range []struct {
		name string
		edit func(*store.User)
	}{
		{"id", func(u *store.User) { u.ID = "a" }},
		{"username", func(u *store.User) { u.Username = a.Username }},
		{"email in another case", func(u *store.User) { u.PrimaryEmail = "A@EXAMPLE.com" }},
		{"phone", func(u *store.User) { u.PrimaryPhone = a.PrimaryPhone }},
	} {
		u := user("b", 2)
		tc.edit(&u)
		wantErr(t, s.CreateUser(ctx, u), store.ErrConflict, "CreateUser with a used "+tc.name)
	}
	b := user("b", 2)
	must(t, s.CreateUser(ctx, b))
	b.PrimaryEmail = "a@example.com"
	wantErr(t, s.UpdateUser(ctx, b), store.ErrConflict, "UpdateUser to a used e-mail")
	// Unset identifiers never collide.
	for _, id := range []string{"c", "d"} {
		ok(t, s.CreateUser(ctx, store.User{ID: id, CreatedAt: at(3), UpdatedAt: at(3)}), "CreateUser without identifiers")
	}
}

func testUserList(t *testing.T, s store.Store) {
	ctx := t.Context()
	users := []store.User{user("c", 3), user("a", 1), user("b", 2), user("d", 4)}
	users[0].Name = "Zoë 100%_Match"
	users[3].Username = "Search_Me"
	for _, u := range users {
		must(t, s.CreateUser(ctx, u))
	}
	for _, tc := range []struct {
		search string
		page   store.Page
		want   []string
		total  int
	}{
		{"", store.Page{}, []string{"a", "b", "c", "d"}, 4},
		{"", store.Page{Offset: 1, Limit: 2}, []string{"b", "c"}, 4},
		{"search_me", store.Page{}, []string{"d"}, 1},
		{"B@EXAMPLE", store.Page{}, []string{"b"}, 1},
		{"zoë", store.Page{}, []string{"c"}, 1},
		{"100%_", store.Page{}, []string{"c"}, 1},
		{"%", store.Page{}, []string{"c"}, 1}, // a literal percent sign
		{"_", store.Page{}, []string{"a", "b", "c", "d"}, 4},
		{"example.com", store.Page{Limit: 1}, []string{"a"}, 4},
		{"nothing", store.Page{}, []string{}, 0},
	} {
		list, total, err := s.ListUsers(ctx, store.UserFilter{Search: tc.search}, tc.page)
		ok(t, err, "ListUsers")
		same(t, "ListUsers("+tc.search+")", ids(list), tc.want)
		if total != tc.total {
			t.Errorf("ListUsers(%q) total = %d, want %d", tc.search, total, tc.total)
		}
	}
}

func testUserSearch(t *testing.T, s store.Store) {
	ctx := t.Context()
	users := []store.User{user("a", 1), user("b", 2), user("c", 3), user("d", 4)}
	users[1].Username = "Bob_B"
	users[2].Username = "bobxb"
	users[2].Name = "100% Bob"
	users[3].PrimaryPhone = "+15550101"
	for _, u := range users {
		must(t, s.CreateUser(ctx, u))
	}
	r := role("r1", 1)
	r.Type = store.RoleUser
	must(t, s.CreateRole(ctx, r))
	ok(t, s.AddRoleUsers(ctx, "r1", []string{"a", "c"}), "AddRoleUsers")
	exact := func(field string, v ...string) store.Match {
		return store.Match{Field: field, Exact: true, Values: v}
	}
	for _, tc := range []struct {
		name   string
		filter store.UserFilter
		page   store.Page
		want   []string
		total  int
	}{
		{"exact e-mail", store.UserFilter{Match: store.Search{Matches: []store.Match{exact("primaryEmail", "A@EXAMPLE.COM")}}}, store.Page{}, []string{"a"}, 1},
		{"exact with case", store.UserFilter{Match: store.Search{Matches: []store.Match{exact("primaryEmail", "A@EXAMPLE.COM")}, CaseSensitive: true}}, store.Page{}, []string{}, 0},
		{"exact with case, same case", store.UserFilter{Match: store.Search{Matches: []store.Match{exact("username", "Bob_B")}, CaseSensitive: true}}, store.Page{}, []string{"b"}, 1},
		{"exact, several values", store.UserFilter{Match: store.Search{Matches: []store.Match{exact("id", "a", "d", "zz")}}}, store.Page{}, []string{"a", "d"}, 2},
		{"exact, any field", store.UserFilter{Match: store.Search{Matches: []store.Match{exact("", "bobxb")}}}, store.Page{}, []string{"c"}, 1},
		{"like without wildcard", store.UserFilter{Match: store.Search{Matches: []store.Match{like("primaryEmail", "a@example")}}}, store.Page{}, []string{}, 0},
		{"like prefix", store.UserFilter{Match: store.Search{Matches: []store.Match{like("username", "BOB%")}}}, store.Page{}, []string{"b", "c"}, 2},
		{"underscore is literal", store.UserFilter{Match: store.Search{Matches: []store.Match{like("username", "bob_b")}}}, store.Page{}, []string{"b"}, 1},
		{"percent is the wildcard", store.UserFilter{Match: store.Search{Matches: []store.Match{like("name", "100%")}}}, store.Page{}, []string{"c"}, 1},
		{"backslash is literal", store.UserFilter{Match: store.Search{Matches: []store.Match{like("", `%\%`)}}}, store.Page{}, []string{}, 0},
		{"plus sign", store.UserFilter{Match: store.Search{Matches: []store.Match{like("primaryPhone", "+1555%")}}}, store.Page{}, []string{"d"}, 1},
		{"or", store.UserFilter{Match: store.Search{Matches: []store.Match{exact("id", "a"), exact("id", "b")}}}, store.Page{}, []string{"a", "b"}, 2},
		{"and", store.UserFilter{Match: store.Search{Matches: []store.Match{like("username", "bob%"), like("name", "100%")}, All: true}}, store.Page{}, []string{"c"}, 1},
		{"exclude role", store.UserFilter{ExcludeRoleID: "r1"}, store.Page{}, []string{"b", "d"}, 2},
		{"exclude role and search", store.UserFilter{ExcludeRoleID: "r1", Match: store.Search{Matches: []store.Match{like("", "%bob%")}}}, store.Page{}, []string{"b"}, 1},
		{"exclude missing role", store.UserFilter{ExcludeRoleID: "nope"}, store.Page{Limit: 2}, []string{"a", "b"}, 4},
		{"role holders", store.UserFilter{RoleID: "r1"}, store.Page{}, []string{"a", "c"}, 2},
		{"role holders and search", store.UserFilter{RoleID: "r1", Match: store.Search{Matches: []store.Match{like("", "%bob%")}}}, store.Page{}, []string{"c"}, 1},
		{"missing role holders", store.UserFilter{RoleID: "nope"}, store.Page{}, []string{}, 0},
	} {
		list, total, err := s.ListUsers(ctx, tc.filter, tc.page)
		ok(t, err, "ListUsers "+tc.name)
		same(t, "ListUsers "+tc.name, ids(list), tc.want)
		if total != tc.total {
			t.Errorf("ListUsers %s: total = %d, want %d", tc.name, total, tc.total)
		}
	}
	if _, _, err := s.ListUsers(ctx, store.UserFilter{Match: store.Search{Matches: []store.Match{like("nickname", "x")}}}, store.Page{}); err == nil {
		t.Error("ListUsers with an unknown field: no error")
	}
}

func userRoleIDs(t *testing.T, ctx context.Context, s store.Store, userID string) []string {
	t.Helper()
	return linkedIDs(t, ctx, "ListUserRoles", userID, s.ListUserRoles)
}

func testUserRoles(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, id := range []string{"u1", "u2"} {
		must(t, s.CreateUser(ctx, user(id, i)))
	}
	for i, id := range []string{"ro2", "ro1", "ro3"} {
		r := role(id, i+1)
		r.Type = store.RoleUser
		must(t, s.CreateRole(ctx, r))
	}
	same(t, "no roles at first", userRoleIDs(t, ctx, s, "u1"), []string{})
	ok(t, s.AddUserRoles(ctx, "u1", []string{"ro1", "ro2", "ro1"}), "AddUserRoles")
	same(t, "user roles", userRoleIDs(t, ctx, s, "u1"), []string{"ro2", "ro1"})
	ok(t, s.AddUserRoles(ctx, "u1", []string{"ro1"}), "AddUserRoles again")
	wantErr(t, s.AddUserRoles(ctx, "u1", []string{"ro3", "missing"}), store.ErrNotFound, "AddUserRoles with a missing role")
	same(t, "after a failed add", userRoleIDs(t, ctx, s, "u1"), []string{"ro2", "ro1"})
	wantErr(t, s.AddUserRoles(ctx, "missing", []string{"ro1"}), store.ErrNotFound, "AddUserRoles to a missing user")

	ok(t, s.AddRoleUsers(ctx, "ro3", []string{"u2", "u1"}), "AddRoleUsers")
	wantErr(t, s.AddRoleUsers(ctx, "ro3", []string{"missing"}), store.ErrNotFound, "AddRoleUsers missing user")
	wantErr(t, s.AddRoleUsers(ctx, "missing", []string{"u1"}), store.ErrNotFound, "AddRoleUsers missing role")
	same(t, "u1 roles", userRoleIDs(t, ctx, s, "u1"), []string{"ro2", "ro1", "ro3"})
	users, total, err := s.ListRoleUsers(ctx, "ro3", store.Page{Limit: 1, Offset: 1})
	ok(t, err, "ListRoleUsers")
	same(t, "ListRoleUsers page", ids(users), []string{"u2"})
	if total != 2 {
		t.Errorf("ListRoleUsers total = %d", total)
	}
	_, _, err = s.ListRoleUsers(ctx, "missing", store.Page{})
	wantErr(t, err, store.ErrNotFound, "ListRoleUsers missing role")
	_, _, err = s.ListUserRoles(ctx, "missing", store.Page{})
	wantErr(t, err, store.ErrNotFound, "ListUserRoles missing user")

	ok(t, s.RemoveUserRole(ctx, "u1", "ro2"), "RemoveUserRole")
	wantErr(t, s.RemoveUserRole(ctx, "u1", "ro2"), store.ErrNotFound, "RemoveUserRole twice")
	same(t, "after remove", userRoleIDs(t, ctx, s, "u1"), []string{"ro1", "ro3"})

	// Deleting a role or a user removes the links.
	ok(t, s.DeleteRole(ctx, "ro3"), "DeleteRole")
	same(t, "after deleting a role", userRoleIDs(t, ctx, s, "u1"), []string{"ro1"})
	ok(t, s.DeleteUser(ctx, "u1", at(9)), "DeleteUser")
	users, _, err = s.ListRoleUsers(ctx, "ro1", store.Page{})
	ok(t, err, "ListRoleUsers")
	same(t, "role users after deleting the user", ids(users), []string{})
}

// testUserQuery is Auth0's user search: terms on plain fields and on app
// metadata, joined by AND, OR and NOT.
func testUserQuery(t *testing.T, s store.Store) {
	ctx := t.Context()
	users := []store.User{user("a", 1), user("b", 2), user("c", 3), user("d", 4)}
	users[0].AppMetadata = map[string]any{"plan": "gold", "seats": 3.0, "org": map[string]any{"id": "o1"}, "vip": true}
	users[1].AppMetadata = map[string]any{"plan": "silver", "org": map[string]any{"id": "o1"}}
	users[2].Name = "Jane Roe"
	users[2].PrimaryEmail = "Jane.Roe@Example.com"
	users[3].AppMetadata = map[string]any{"plan": map[string]any{"nested": "gold"}, "vip": false}
	users[0].EmailVerified, users[2].EmailVerified = true, true
	// A user without an address matches neither verified nor unverified.
	users = append(users, store.User{ID: "e", CustomData: map[string]any{}, CreatedAt: at(5), UpdatedAt: at(5)})
	for _, u := range users {
		must(t, s.CreateUser(ctx, u))
	}
	term := func(field, v string) store.UserQuery { return store.UserQuery{Field: field, Value: v} }
	and := func(c ...store.UserQuery) store.UserQuery { return store.UserQuery{Op: store.QueryAnd, Children: c} }
	or := func(c ...store.UserQuery) store.UserQuery { return store.UserQuery{Op: store.QueryOr, Children: c} }
	not := func(c store.UserQuery) store.UserQuery {
		return store.UserQuery{Op: store.QueryNot, Children: []store.UserQuery{c}}
	}
	for _, tc := range []struct {
		name string
		q    store.UserQuery
		want []string
	}{
		{"id", term(store.QueryUserID, "b"), []string{"b"}},
		{"email in any case", term(store.QueryEmail, "jane.roe@example.COM"), []string{"c"}},
		{"name exactly", term(store.QueryName, "Jane Roe"), []string{"c"}},
		{"name in another case", term(store.QueryName, "jane roe"), nil},
		{"name prefix", store.UserQuery{Field: store.QueryName, Value: "Jane", Prefix: true}, []string{"c"}},
		{"prefix with a wildcard character", store.UserQuery{Field: store.QueryName, Value: "User %", Prefix: true}, nil},
		{"metadata string", term("appMetadata.plan", "gold"), []string{"a"}},
		{"metadata number", term("appMetadata.seats", "3"), []string{"a"}},
		{"metadata true", term("appMetadata.vip", "true"), []string{"a"}},
		{"metadata false", term("appMetadata.vip", "false"), []string{"d"}},
		{"metadata path", term("appMetadata.org.id", "o1"), []string{"a", "b"}},
		{"metadata object is no value", term("appMetadata.plan", `{"nested":"gold"}`), nil},
		{"metadata absent", term("appMetadata.missing", "x"), nil},
		{"and", and(term("appMetadata.org.id", "o1"), term("appMetadata.plan", "silver")), []string{"b"}},
		{"or", or(term(store.QueryUserID, "a"), term(store.QueryEmail, "d@example.com")), []string{"a", "d"}},
		{"nested", or(and(term("appMetadata.org.id", "o1"), term(store.QueryUserID, "b")), term(store.QueryName, "Jane Roe")), []string{"b", "c"}},
		{"not, with users lacking the value", not(term("appMetadata.plan", "gold")), []string{"b", "c", "d", "e"}},
		{"e-mail verified", term(store.QueryEmailVerified, "true"), []string{"a", "c"}},
		{"e-mail not verified", term(store.QueryEmailVerified, "false"), []string{"b", "d"}},
		{"e-mail verified and metadata", and(term(store.QueryEmailVerified, "false"), term("appMetadata.org.id", "o1")), []string{"b"}},
	} {
		q := tc.q
		got, total, err := s.ListUsers(ctx, store.UserFilter{Query: &q}, store.Page{})
		ok(t, err, tc.name)
		var ids []string
		for _, u := range got {
			ids = append(ids, u.ID)
		}
		same(t, tc.name, ids, tc.want)
		same(t, tc.name+" total", total, len(tc.want))
	}
	for _, bad := range []store.UserQuery{
		term("password_hash", "x"),
		term("appMetadata.a'b", "x"),
		term(store.QueryEmailVerified, "yes"),
		{Field: store.QueryEmailVerified, Value: "t", Prefix: true},
		{Op: store.QueryAnd},
		{Op: "xor", Children: []store.UserQuery{term(store.QueryUserID, "a")}},
	} {
		if _, _, err := s.ListUsers(ctx, store.UserFilter{Query: &bad}, store.Page{}); err == nil {
			t.Errorf("query %+v: want an error", bad)
		}
	}
}

// testUserEmailVerified: the verification of the primary e-mail address
// is written by CreateUser and UpdateUser, and left alone by the writes
// that do not own it.
func testUserEmailVerified(t *testing.T, s store.Store) {
	ctx := t.Context()
	verified, unverified := user("v", 1), user("n", 2)
	verified.EmailVerified = true
	must(t, s.CreateUser(ctx, verified))
	must(t, s.CreateUser(ctx, unverified))
	read := func(id string) bool {
		t.Helper()
		u, err := s.GetUser(ctx, id)
		ok(t, err, "GetUser "+id)
		return u.EmailVerified
	}
	same(t, "verified at creation", read("v"), true)
	same(t, "unverified at creation", read("n"), false)
	byEmail, err := s.GetUserByEmail(ctx, "N@example.com")
	ok(t, err, "GetUserByEmail")
	same(t, "unverified by e-mail", byEmail.EmailVerified, false)
	list, _, err := s.ListUsers(ctx, store.UserFilter{}, store.Page{})
	ok(t, err, "ListUsers")
	same(t, "listed flags", []bool{list[0].EmailVerified, list[1].EmailVerified}, []bool{true, false})

	unverified.EmailVerified = true
	unverified.UpdatedAt = at(3)
	ok(t, s.UpdateUser(ctx, unverified), "UpdateUser to verified")
	same(t, "verified by an update", read("n"), true)
	verified.EmailVerified = false
	ok(t, s.UpdateUser(ctx, verified), "UpdateUser to unverified")
	same(t, "unverified by an update", read("v"), false)

	ok(t, s.SetUserPassword(ctx, "n", "hash", at(4)), "SetUserPassword")
	ok(t, s.RecordSignIn(ctx, "n", at(5)), "RecordSignIn")
	ok(t, s.SetUserSuspended(ctx, "n", true, at(6)), "SetUserSuspended")
	same(t, "left alone by password, sign-in and suspension", read("n"), true)
}

// testUserSort orders user lists by a field, either way, unset values last.
func testUserSort(t *testing.T, s store.Store) {
	ctx := t.Context()
	users := []store.User{user("a", 3), user("b", 1), user("c", 2)}
	users[0].Name, users[1].Name, users[2].Name = "Carol", "Alice", "Bob"
	users[2].PrimaryEmail = ""
	for _, u := range users {
		must(t, s.CreateUser(ctx, u))
	}
	must(t, s.RecordSignIn(ctx, "a", at(5)))
	must(t, s.RecordSignIn(ctx, "a", at(6)))
	must(t, s.RecordSignIn(ctx, "c", at(7)))
	for _, tc := range []struct {
		by   string
		desc bool
		want []string
	}{
		{"", false, []string{"b", "c", "a"}},
		{store.SortCreatedAt, true, []string{"a", "c", "b"}},
		{store.SortName, false, []string{"b", "c", "a"}},
		{store.SortName, true, []string{"a", "c", "b"}},
		{store.SortEmail, false, []string{"a", "b", "c"}},
		{store.SortEmail, true, []string{"b", "a", "c"}},
		{store.SortLastSignInAt, true, []string{"c", "a", "b"}},
		{store.SortLoginsCount, true, []string{"a", "c", "b"}},
	} {
		got, _, err := s.ListUsers(ctx, store.UserFilter{SortBy: tc.by, Descending: tc.desc}, store.Page{Limit: 3})
		ok(t, err, "sorted list")
		var ids []string
		for _, u := range got {
			ids = append(ids, u.ID)
		}
		same(t, "sort by "+tc.by, ids, tc.want)
	}
	if _, _, err := s.ListUsers(ctx, store.UserFilter{SortBy: "password"}, store.Page{}); err == nil {
		t.Error("an unknown sort field is accepted")
	}
}
