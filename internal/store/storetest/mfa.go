package storetest

import (
	"testing"

	"github.com/monban/monban/internal/store"
)

// mfaCases are the conformance tests of store.MFAStore.
var mfaCases = []testCase{
	{"MFAVerifications", testMFAVerifications},
	{"MFAVerificationsGoWithUser", testMFAVerificationsGoWithUser},
}

func mfaVerification(id, userID, typ string, i int) store.MFAVerification {
	return store.MFAVerification{ID: id, UserID: userID, Type: typ, Data: []byte(`{"n":` + id + `}`), CreatedAt: at(i)}
}

func testMFAVerifications(t *testing.T, s store.Store) {
	ctx := t.Context()
	ok(t, s.CreateUser(ctx, user("u1", 1)), "CreateUser u1")
	ok(t, s.CreateUser(ctx, user("u2", 2)), "CreateUser u2")

	got, err := s.ListMFAVerifications(ctx, "u1")
	ok(t, err, "ListMFAVerifications with none")
	same(t, "ListMFAVerifications with none", got, []store.MFAVerification{})

	totp := mfaVerification("1", "u1", "Totp", 4)
	backup := mfaVerification("2", "u1", "BackupCode", 3)
	backup.Name = "codes"
	other := mfaVerification("3", "u2", "Totp", 5)
	for _, v := range []store.MFAVerification{totp, backup, other} {
		ok(t, s.CreateMFAVerification(ctx, v), "CreateMFAVerification "+v.ID)
	}
	wantErr(t, s.CreateMFAVerification(ctx, mfaVerification("1", "u2", "Totp", 6)), store.ErrConflict, "CreateMFAVerification with an id in use")
	wantErr(t, s.CreateMFAVerification(ctx, mfaVerification("9", "missing", "Totp", 6)), store.ErrNotFound, "CreateMFAVerification of a missing user")

	got, err = s.ListMFAVerifications(ctx, "u1")
	ok(t, err, "ListMFAVerifications")
	same(t, "ListMFAVerifications, oldest first", got, []store.MFAVerification{backup, totp})
	got, err = s.ListMFAVerifications(ctx, "missing")
	ok(t, err, "ListMFAVerifications of a missing user")
	same(t, "ListMFAVerifications of a missing user", got, []store.MFAVerification{})

	used := at(7)
	totp.Data, totp.Name, totp.LastUsedAt = []byte(`{"last":7}`), "phone", &used
	ok(t, s.UpdateMFAVerification(ctx, totp), "UpdateMFAVerification")
	stranger := totp
	stranger.UserID = "u2"
	wantErr(t, s.UpdateMFAVerification(ctx, stranger), store.ErrNotFound, "UpdateMFAVerification of another user's factor")
	missing := totp
	missing.ID = "9"
	wantErr(t, s.UpdateMFAVerification(ctx, missing), store.ErrNotFound, "UpdateMFAVerification of a missing factor")
	got, err = s.ListMFAVerifications(ctx, "u1")
	ok(t, err, "ListMFAVerifications after update")
	same(t, "ListMFAVerifications after update", got, []store.MFAVerification{backup, totp})

	wantErr(t, s.DeleteMFAVerification(ctx, "u2", "1"), store.ErrNotFound, "DeleteMFAVerification of another user's factor")
	ok(t, s.DeleteMFAVerification(ctx, "u1", "1"), "DeleteMFAVerification")
	wantErr(t, s.DeleteMFAVerification(ctx, "u1", "1"), store.ErrNotFound, "DeleteMFAVerification again")
	got, err = s.ListMFAVerifications(ctx, "u1")
	ok(t, err, "ListMFAVerifications after delete")
	same(t, "ListMFAVerifications after delete", got, []store.MFAVerification{backup})
	got, err = s.ListMFAVerifications(ctx, "u2")
	ok(t, err, "ListMFAVerifications u2")
	same(t, "ListMFAVerifications u2", got, []store.MFAVerification{other})
}

func testMFAVerificationsGoWithUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	ok(t, s.CreateUser(ctx, user("u1", 1)), "CreateUser")
	ok(t, s.CreateMFAVerification(ctx, mfaVerification("1", "u1", "Totp", 2)), "CreateMFAVerification")
	ok(t, s.DeleteUser(ctx, "u1", at(3)), "DeleteUser")
	got, err := s.ListMFAVerifications(ctx, "u1")
	ok(t, err, "ListMFAVerifications after the user's deletion")
	same(t, "ListMFAVerifications after the user's deletion", got, []store.MFAVerification{})
	ok(t, s.CreateUser(ctx, user("u1", 4)), "CreateUser again")
	got, err = s.ListMFAVerifications(ctx, "u1")
	ok(t, err, "ListMFAVerifications of the new user")
	same(t, "ListMFAVerifications of the new user", got, []store.MFAVerification{})
}
