package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// sessionCases are the conformance tests of store.SessionStore.
var sessionCases = []testCase{{"Sessions", testSessions}}

// grantCases are the conformance tests of store.GrantStore and
// store.RevocationStore, and of what suspending or deleting a user does to
// them.
var grantCases = []testCase{
	{"AuthCodes", testAuthCodes},
	{"RefreshTokens", testRefreshTokens},
	{"RevokeGrant", testRevokeGrant},
	{"SuspendAndDeleteUser", testSuspendAndDeleteUser},
	{"PruneExpired", testPruneExpired},
}

// grantFixture makes a user, a SPA and a grant with a code.
func grantFixture(t *testing.T, s store.Store) (store.Grant, store.AuthCode) {
	t.Helper()
	ctx := t.Context()
	must(t, s.CreateUser(ctx, user("u1", 1)))
	a := app("spa", 1)
	a.Type = store.AppSPA
	must(t, s.CreateApplication(ctx, a))
	g := store.Grant{ID: "g1", UserID: "u1", ClientID: "spa", Scope: "openid offline_access read",
		Resources: []string{"https://api.example.com"}, AuthTime: at(1),
		SignIn:    store.SignInRecord{VerificationID: "v1", IdentifierType: "username", IdentifierValue: "user_u1"},
		CreatedAt: at(1), ExpiresAt: at(11)}
	c := store.AuthCode{ID: "code1", GrantID: "g1", ClientID: "spa", UserID: "u1", RedirectURI: "https://app/cb", Issuer: "https://id.test/",
		Scope: g.Scope, Resources: g.Resources, Nonce: "n", CodeChallenge: "chal", AuthTime: at(1),
		CreatedAt: at(1), ExpiresAt: at(11), DPoPJKT: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}
	must(t, s.CreateGrant(ctx, g, &c))
	return g, c
}

func testSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateUser(ctx, user("u1", 1)))
	ss := store.Session{ID: "s1", UserID: "u1", AuthTime: at(1),
		SignIn:    store.SignInRecord{VerificationID: "v", IdentifierType: "email", IdentifierValue: "u1@example.com"},
		CreatedAt: at(1), ExpiresAt: at(100)}
	ok(t, s.CreateSession(ctx, ss), "CreateSession")
	got, err := s.GetSession(ctx, "s1")
	ok(t, err, "GetSession")
	same(t, "GetSession", got, ss)
	wantErr(t, s.CreateSession(ctx, ss), store.ErrConflict, "CreateSession with a used id")
	// A sign-in at the hosted pages keeps its event and every record.
	coded := ss
	coded.ID = "s3"
	coded.SignIn.Event = "Register"
	coded.SignIn.Verifications = []store.Verification{
		{ID: "v", Type: "PhoneVerificationCode", TemplateType: "SignIn", IdentifierType: "phone", IdentifierValue: "+81901234", Verified: true},
		{ID: "w", Type: "Password", IdentifierType: "username", IdentifierValue: "u1", Verified: true}}
	ok(t, s.CreateSession(ctx, coded), "CreateSession with records")
	got, err = s.GetSession(ctx, "s3")
	ok(t, err, "GetSession with records")
	same(t, "GetSession with records", got, coded)
	ok(t, s.DeleteSession(ctx, "s3"), "DeleteSession with records")
	other := ss
	other.ID, other.UserID = "s2", "missing"
	wantErr(t, s.CreateSession(ctx, other), store.ErrNotFound, "CreateSession for a missing user")
	ok(t, s.DeleteSession(ctx, "s1"), "DeleteSession")
	_, err = s.GetSession(ctx, "s1")
	wantErr(t, err, store.ErrNotFound, "GetSession after delete")
	wantErr(t, s.DeleteSession(ctx, "s1"), store.ErrNotFound, "DeleteSession twice")
}

func testAuthCodes(t *testing.T, s store.Store) {
	ctx := t.Context()
	g, c := grantFixture(t, s)
	gotG, err := s.GetGrant(ctx, "g1")
	ok(t, err, "GetGrant")
	same(t, "GetGrant", gotG, g)
	gotC, err := s.GetAuthCode(ctx, "code1")
	ok(t, err, "GetAuthCode")
	same(t, "GetAuthCode", gotC, c)
	_, err = s.GetAuthCode(ctx, "missing")
	wantErr(t, err, store.ErrNotFound, "GetAuthCode missing")
	_, err = s.GetGrant(ctx, "missing")
	wantErr(t, err, store.ErrNotFound, "GetGrant missing")
	// A grant of a sign-in at the hosted pages keeps its event and records.
	coded := g
	coded.ID = "g-coded"
	coded.SignIn.Event = "ForgotPassword"
	coded.SignIn.Verifications = []store.Verification{{ID: "v1", Type: "EmailVerificationCode", TemplateType: "ForgotPassword",
		IdentifierType: "email", IdentifierValue: "u1@example.com", Verified: true}}
	ok(t, s.CreateGrant(ctx, coded, nil), "CreateGrant with records")
	gotG, err = s.GetGrant(ctx, "g-coded")
	ok(t, err, "GetGrant with records")
	same(t, "GetGrant with records", gotG, coded)
	bad := g
	bad.ID, bad.ClientID = "g2", "missing"
	wantErr(t, s.CreateGrant(ctx, bad, nil), store.ErrNotFound, "CreateGrant for a missing client")
	bad.ClientID, bad.UserID = "spa", "missing"
	wantErr(t, s.CreateGrant(ctx, bad, nil), store.ErrNotFound, "CreateGrant for a missing user")

	// Concurrent redemptions, each issuing its own refresh token: exactly
	// one wins, and only its writes happen.
	var wins, used atomic.Int32
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			id := fmt.Sprintf("rt%d", i)
			rt := &store.RefreshToken{ID: id, GrantID: "g1", ClientID: "spa", UserID: "u1", CreatedAt: at(2), ExpiresAt: at(1000)}
			iss := store.Issue{RefreshToken: rt, AccessTokens: []store.IssuedAccessToken{{JTI: "j" + id, GrantID: "g1", ExpiresAt: at(60)}}}
			switch err := s.RedeemAuthCode(ctx, "code1", at(3), iss); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrAlreadyUsed):
				used.Add(1)
			default:
				t.Errorf("RedeemAuthCode: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || used.Load() != 3 {
		t.Fatalf("concurrent redemptions: %d won, %d already used", wins.Load(), used.Load())
	}
	found := 0
	for i := range 4 {
		if _, err := s.GetRefreshToken(ctx, fmt.Sprintf("rt%d", i)); err == nil {
			found++
		}
	}
	if found != 1 {
		t.Errorf("%d refresh tokens were written by 1 successful redemption", found)
	}
	gotC, err = s.GetAuthCode(ctx, "code1")
	ok(t, err, "GetAuthCode after redeem")
	same(t, "UsedAt", gotC.UsedAt, at(3))
	wantErr(t, s.RedeemAuthCode(ctx, "code1", at(4), store.Issue{}), store.ErrAlreadyUsed, "RedeemAuthCode again")
	wantErr(t, s.RedeemAuthCode(ctx, "missing", at(4), store.Issue{}), store.ErrNotFound, "RedeemAuthCode missing")
	gotG, err = s.GetGrant(ctx, "g1")
	ok(t, err, "GetGrant")
	same(t, "grant expiry follows the refresh token", gotG.ExpiresAt, at(1000))
}

func testRefreshTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	grantFixture(t, s)
	rt1 := store.RefreshToken{ID: "rt1", GrantID: "g1", ClientID: "spa", UserID: "u1", CreatedAt: at(2), ExpiresAt: at(1000)}
	ok(t, s.IssueFromGrant(ctx, "g1", store.Issue{RefreshToken: &rt1,
		AccessTokens: []store.IssuedAccessToken{{JTI: "j1", GrantID: "g1", ExpiresAt: at(60)}}}), "IssueFromGrant")
	got, err := s.GetRefreshToken(ctx, "rt1")
	ok(t, err, "GetRefreshToken")
	same(t, "GetRefreshToken", got, rt1)
	g, err := s.GetGrant(ctx, "g1")
	ok(t, err, "GetGrant")
	same(t, "grant expiry follows the refresh token", g.ExpiresAt, at(1000))
	// Access tokens alone (a refresh token that does not rotate) that
	// expire before the grant leave its expiry; one outliving it moves it.
	ok(t, s.IssueFromGrant(ctx, "g1", store.Issue{AccessTokens: []store.IssuedAccessToken{{JTI: "j2", GrantID: "g1", ExpiresAt: at(70)}}}), "IssueFromGrant access token")
	g, err = s.GetGrant(ctx, "g1")
	ok(t, err, "GetGrant")
	same(t, "grant expiry after an earlier access token", g.ExpiresAt, at(1000))
	ok(t, s.IssueFromGrant(ctx, "g1", store.Issue{AccessTokens: []store.IssuedAccessToken{{JTI: "j3", GrantID: "g1", ExpiresAt: at(1001)}}}), "IssueFromGrant later access token")
	g, err = s.GetGrant(ctx, "g1")
	ok(t, err, "GetGrant")
	same(t, "grant expiry follows a later access token", g.ExpiresAt, at(1001))
	wantErr(t, s.IssueFromGrant(ctx, "missing", store.Issue{}), store.ErrNotFound, "IssueFromGrant missing grant")
	wantErr(t, s.IssueFromGrant(ctx, "missing", store.Issue{AccessTokens: []store.IssuedAccessToken{{JTI: "j4", GrantID: "missing", ExpiresAt: at(70)}}}), store.ErrNotFound, "IssueFromGrant access token of a missing grant")

	// Rotation: first use at(10); a retry within the grace (reuseAfter
	// at(9)) succeeds and keeps the first use time; later it is reuse.
	rt2 := store.RefreshToken{ID: "rt2", GrantID: "g1", ClientID: "spa", UserID: "u1", CreatedAt: at(10), ExpiresAt: at(1010),
		DPoPJKT: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}
	ok(t, s.RotateRefreshToken(ctx, "rt1", at(10), at(9), store.Issue{RefreshToken: &rt2}), "RotateRefreshToken")
	rt3 := rt2
	rt3.ID = "rt3"
	ok(t, s.RotateRefreshToken(ctx, "rt1", at(11), at(9), store.Issue{RefreshToken: &rt3}), "RotateRefreshToken within grace")
	wantErr(t, s.RotateRefreshToken(ctx, "rt1", at(12), at(10), store.Issue{}), store.ErrAlreadyUsed, "reuse when the grace ends")
	got, err = s.GetRefreshToken(ctx, "rt1")
	ok(t, err, "GetRefreshToken after a retry within the grace")
	same(t, "first use time kept", got.UsedAt, at(10))
	rt4 := rt2
	rt4.ID = "rt4"
	wantErr(t, s.RotateRefreshToken(ctx, "rt1", at(20), at(19), store.Issue{RefreshToken: &rt4}), store.ErrAlreadyUsed, "reuse after the grace")
	_, err = s.GetRefreshToken(ctx, "rt4")
	wantErr(t, err, store.ErrNotFound, "nothing issued on reuse")
	wantErr(t, s.RotateRefreshToken(ctx, "missing", at(20), at(19), store.Issue{}), store.ErrNotFound, "rotate missing")
	got, err = s.GetRefreshToken(ctx, "rt2")
	ok(t, err, "GetRefreshToken of a DPoP-bound token")
	same(t, "the DPoP key's thumbprint is kept", got.DPoPJKT, rt2.DPoPJKT)

	ok(t, s.DeleteRefreshToken(ctx, "rt3"), "DeleteRefreshToken")
	_, err = s.GetRefreshToken(ctx, "rt3")
	wantErr(t, err, store.ErrNotFound, "GetRefreshToken after delete")
	wantErr(t, s.DeleteRefreshToken(ctx, "rt3"), store.ErrNotFound, "DeleteRefreshToken twice")
	_, err = s.GetGrant(ctx, "g1")
	ok(t, err, "the grant outlives one of its refresh tokens")
}

func testRevokeGrant(t *testing.T, s store.Store) {
	ctx := t.Context()
	grantFixture(t, s)
	rt := store.RefreshToken{ID: "rt1", GrantID: "g1", ClientID: "spa", UserID: "u1", CreatedAt: at(2), ExpiresAt: at(1000)}
	ok(t, s.RedeemAuthCode(ctx, "code1", at(2), store.Issue{RefreshToken: &rt, AccessTokens: []store.IssuedAccessToken{
		{JTI: "live", GrantID: "g1", ExpiresAt: at(60)}, {JTI: "dead", GrantID: "g1", ExpiresAt: at(3)},
	}}), "RedeemAuthCode")
	ok(t, s.RevokeAccessToken(ctx, store.RevokedAccessToken{JTI: "m2m", ExpiresAt: at(50)}), "RevokeAccessToken")
	ok(t, s.RevokeAccessToken(ctx, store.RevokedAccessToken{JTI: "m2m", ExpiresAt: at(50)}), "RevokeAccessToken twice")

	ok(t, s.RevokeGrant(ctx, "g1", at(10)), "RevokeGrant")
	_, err := s.GetGrant(ctx, "g1")
	wantErr(t, err, store.ErrNotFound, "GetGrant after revoke")
	_, err = s.GetRefreshToken(ctx, "rt1")
	wantErr(t, err, store.ErrNotFound, "refresh token after revoke")
	_, err = s.GetAuthCode(ctx, "code1")
	wantErr(t, err, store.ErrNotFound, "code after revoke")
	wantErr(t, s.RevokeGrant(ctx, "g1", at(10)), store.ErrNotFound, "RevokeGrant twice")

	list, err := s.ListRevokedAccessTokens(ctx, at(10))
	ok(t, err, "ListRevokedAccessTokens")
	same(t, "revoked", list, []store.RevokedAccessToken{{JTI: "live", ExpiresAt: at(60)}, {JTI: "m2m", ExpiresAt: at(50)}})
	list, err = s.ListRevokedAccessTokens(ctx, at(55))
	ok(t, err, "ListRevokedAccessTokens later")
	same(t, "revoked later", list, []store.RevokedAccessToken{{JTI: "live", ExpiresAt: at(60)}})
}

func testSuspendAndDeleteUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	grantFixture(t, s)
	must(t, s.CreateSession(ctx, store.Session{ID: "s1", UserID: "u1", AuthTime: at(1), CreatedAt: at(1), ExpiresAt: at(100)}))
	must(t, s.IssueFromGrant(ctx, "g1", store.Issue{AccessTokens: []store.IssuedAccessToken{{JTI: "j1", GrantID: "g1", ExpiresAt: at(60)}}}))

	ok(t, s.SetUserSuspended(ctx, "u1", true, at(5)), "SetUserSuspended")
	_, err := s.GetSession(ctx, "s1")
	wantErr(t, err, store.ErrNotFound, "session after suspension")
	_, err = s.GetGrant(ctx, "g1")
	wantErr(t, err, store.ErrNotFound, "grant after suspension")
	list, err := s.ListRevokedAccessTokens(ctx, at(5))
	ok(t, err, "ListRevokedAccessTokens")
	same(t, "revoked on suspension", list, []store.RevokedAccessToken{{JTI: "j1", ExpiresAt: at(60)}})

	// Deletion revokes too.
	must(t, s.SetUserSuspended(ctx, "u1", false, at(6)))
	must(t, s.CreateGrant(ctx, store.Grant{ID: "g2", UserID: "u1", ClientID: "spa", AuthTime: at(6), CreatedAt: at(6), ExpiresAt: at(70)}, nil))
	must(t, s.IssueFromGrant(ctx, "g2", store.Issue{AccessTokens: []store.IssuedAccessToken{{JTI: "j2", GrantID: "g2", ExpiresAt: at(70)}}}))
	ok(t, s.DeleteUser(ctx, "u1", at(7)), "DeleteUser")
	list, err = s.ListRevokedAccessTokens(ctx, at(7))
	ok(t, err, "ListRevokedAccessTokens")
	same(t, "revoked on deletion", ids2(list), []string{"j1", "j2"})
	_, err = s.GetGrant(ctx, "g2")
	wantErr(t, err, store.ErrNotFound, "grant after deletion")
}

func ids2(list []store.RevokedAccessToken) []string {
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = r.JTI
	}
	return out
}

func testPruneExpired(t *testing.T, s store.Store) {
	ctx := t.Context()
	grantFixture(t, s) // grant and code expire at(11)
	must(t, s.CreateSession(ctx, store.Session{ID: "old", UserID: "u1", AuthTime: at(1), CreatedAt: at(1), ExpiresAt: at(5)}))
	must(t, s.CreateSession(ctx, store.Session{ID: "new", UserID: "u1", AuthTime: at(1), CreatedAt: at(1), ExpiresAt: at(500)}))
	must(t, s.CreateGrant(ctx, store.Grant{ID: "g2", UserID: "u1", ClientID: "spa", AuthTime: at(1), CreatedAt: at(1), ExpiresAt: at(2)}, nil))
	rt := store.RefreshToken{ID: "rt", GrantID: "g2", ClientID: "spa", UserID: "u1", CreatedAt: at(1), ExpiresAt: at(400)}
	must(t, s.IssueFromGrant(ctx, "g2", store.Issue{RefreshToken: &rt,
		AccessTokens: []store.IssuedAccessToken{{JTI: "j", GrantID: "g2", ExpiresAt: at(8)}}}))
	must(t, s.RevokeAccessToken(ctx, store.RevokedAccessToken{JTI: "r-old", ExpiresAt: at(5)}))
	must(t, s.RevokeAccessToken(ctx, store.RevokedAccessToken{JTI: "r-new", ExpiresAt: at(50)}))

	ok(t, s.PruneExpired(ctx, at(20)), "PruneExpired")
	_, err := s.GetSession(ctx, "old")
	wantErr(t, err, store.ErrNotFound, "expired session")
	_, err = s.GetSession(ctx, "new")
	ok(t, err, "live session")
	_, err = s.GetGrant(ctx, "g1")
	wantErr(t, err, store.ErrNotFound, "expired grant")
	_, err = s.GetAuthCode(ctx, "code1")
	wantErr(t, err, store.ErrNotFound, "expired code")
	// g2's expiry was moved to its refresh token's.
	_, err = s.GetGrant(ctx, "g2")
	ok(t, err, "grant with a live refresh token")
	_, err = s.GetRefreshToken(ctx, "rt")
	ok(t, err, "live refresh token")
	list, err := s.ListRevokedAccessTokens(ctx, time.Time{})
	ok(t, err, "ListRevokedAccessTokens")
	same(t, "revocation list pruned", ids2(list), []string{"r-new"})
}
