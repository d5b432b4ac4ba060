package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/monban/monban/internal/store"
)

// pushedRequestCases are the conformance tests of store.PushedRequestStore.
var pushedRequestCases = []testCase{
	{"TakeOnce", testPushedTakeOnce},
	{"TakeConcurrently", testPushedTakeConcurrently},
	{"UnknownClientAndCascade", testPushedCascade},
}

// exchangeCases are the conformance tests of store.ExchangeStore.
var exchangeCases = []testCase{
	{"SubjectTokens", testSubjectTokens},
	{"PersonalAccessTokens", testPersonalAccessTokens},
	{"RecordExchange", testRecordExchange},
	{"ConsumeConcurrently", testConsumeConcurrently},
	{"DeleteUser", testExchangeDeleteUser},
}

func pushed(id string) store.PushedRequest {
	return store.PushedRequest{ID: id, ClientID: "spa", Issuer: "https://id.test/oidc",
		Request: "client_id=spa&response_type=code", CreatedAt: at(1), ExpiresAt: at(2)}
}

func spaFixture(t *testing.T, s store.Store) {
	t.Helper()
	a := app("spa", 1)
	a.Type = store.AppSPA
	must(t, s.CreateApplication(t.Context(), a))
}

func testPushedTakeOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	spaFixture(t, s)
	pr := pushed("p1")
	ok(t, s.CreatePushedRequest(ctx, pr), "CreatePushedRequest")
	wantErr(t, s.CreatePushedRequest(ctx, pr), store.ErrConflict, "CreatePushedRequest with an id in use")
	got, err := s.TakePushedRequest(ctx, "p1")
	ok(t, err, "TakePushedRequest")
	same(t, "pushed request", got, pr)
	_, err = s.TakePushedRequest(ctx, "p1")
	wantErr(t, err, store.ErrNotFound, "TakePushedRequest a second time")
	_, err = s.TakePushedRequest(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "TakePushedRequest unknown")

	// Expired ones are pruned with the rest.
	ok(t, s.CreatePushedRequest(ctx, pushed("p2")), "CreatePushedRequest p2")
	ok(t, s.PruneExpired(ctx, at(3)), "PruneExpired")
	_, err = s.TakePushedRequest(ctx, "p2")
	wantErr(t, err, store.ErrNotFound, "TakePushedRequest after pruning")
}

func testPushedTakeConcurrently(t *testing.T, s store.Store) {
	ctx := t.Context()
	spaFixture(t, s)
	ok(t, s.CreatePushedRequest(ctx, pushed("p1")), "CreatePushedRequest")
	const n = 8
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		wins   int
		others []error
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.TakePushedRequest(ctx, "p1")
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, store.ErrNotFound) {
				others = append(others, err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || len(others) > 0 {
		t.Errorf("%d takers got the request (want 1), other errors %v", wins, others)
	}
}

func testPushedCascade(t *testing.T, s store.Store) {
	ctx := t.Context()
	wantErr(t, s.CreatePushedRequest(ctx, pushed("p1")), store.ErrNotFound, "CreatePushedRequest for an unknown client")
	spaFixture(t, s)
	ok(t, s.CreatePushedRequest(ctx, pushed("p1")), "CreatePushedRequest")
	ok(t, s.DeleteApplication(ctx, "spa"), "DeleteApplication")
	_, err := s.TakePushedRequest(ctx, "p1")
	wantErr(t, err, store.ErrNotFound, "TakePushedRequest after the client was deleted")
}

func subjectToken(id string) store.SubjectToken {
	return store.SubjectToken{ID: id, UserID: "u1", Context: map[string]any{"ticket": "T-1", "n": float64(2)},
		CreatorID: "m2m", CreatedAt: at(1), ExpiresAt: at(11)}
}

func testSubjectTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	wantErr(t, s.CreateSubjectToken(ctx, subjectToken("st1")), store.ErrNotFound, "CreateSubjectToken of an unknown user")
	must(t, s.CreateUser(ctx, user("u1", 1)))
	st := subjectToken("st1")
	ok(t, s.CreateSubjectToken(ctx, st), "CreateSubjectToken")
	wantErr(t, s.CreateSubjectToken(ctx, st), store.ErrConflict, "CreateSubjectToken with an id in use")
	got, err := s.GetSubjectToken(ctx, "st1")
	ok(t, err, "GetSubjectToken")
	same(t, "subject token", got, st)
	empty := subjectToken("st2")
	empty.Context = nil
	ok(t, s.CreateSubjectToken(ctx, empty), "CreateSubjectToken without context")
	got, err = s.GetSubjectToken(ctx, "st2")
	ok(t, err, "GetSubjectToken st2")
	same(t, "subject token without context", got, empty)
	_, err = s.GetSubjectToken(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "GetSubjectToken unknown")
	ok(t, s.PruneExpired(ctx, at(12)), "PruneExpired")
	_, err = s.GetSubjectToken(ctx, "st1")
	wantErr(t, err, store.ErrNotFound, "GetSubjectToken after pruning")
}

func testPersonalAccessTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	pat := store.PersonalAccessToken{UserID: "u1", Name: "ci", Digest: "d1", CreatedAt: at(1)}
	wantErr(t, s.CreatePersonalAccessToken(ctx, pat), store.ErrNotFound, "CreatePersonalAccessToken of an unknown user")
	must(t, s.CreateUser(ctx, user("u1", 1)))
	must(t, s.CreateUser(ctx, user("u2", 2)))
	ok(t, s.CreatePersonalAccessToken(ctx, pat), "CreatePersonalAccessToken")
	dup := pat
	dup.Digest = "d9"
	wantErr(t, s.CreatePersonalAccessToken(ctx, dup), store.ErrConflict, "CreatePersonalAccessToken with a name in use")
	dup = pat
	dup.Name = "other"
	wantErr(t, s.CreatePersonalAccessToken(ctx, dup), store.ErrConflict, "CreatePersonalAccessToken with a digest in use")
	later := store.PersonalAccessToken{UserID: "u1", Name: "laptop", Digest: "d2", CreatedAt: at(2), ExpiresAt: at(20)}
	ok(t, s.CreatePersonalAccessToken(ctx, later), "CreatePersonalAccessToken laptop")
	theirs := store.PersonalAccessToken{UserID: "u2", Name: "ci", Digest: "d3", CreatedAt: at(3)}
	ok(t, s.CreatePersonalAccessToken(ctx, theirs), "CreatePersonalAccessToken of another user, same name")

	list, err := s.ListPersonalAccessTokens(ctx, "u1")
	ok(t, err, "ListPersonalAccessTokens")
	same(t, "u1's tokens", list, []store.PersonalAccessToken{pat, later})
	list, err = s.ListPersonalAccessTokens(ctx, "nobody")
	ok(t, err, "ListPersonalAccessTokens of an unknown user")
	same(t, "nobody's tokens", len(list), 0)

	got, err := s.GetPersonalAccessToken(ctx, "d2")
	ok(t, err, "GetPersonalAccessToken")
	same(t, "by digest", got, later)
	_, err = s.GetPersonalAccessToken(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "GetPersonalAccessToken unknown")

	renamed, err := s.RenamePersonalAccessToken(ctx, "u1", "ci", "build")
	ok(t, err, "RenamePersonalAccessToken")
	pat.Name = "build"
	same(t, "renamed", renamed, pat)
	_, err = s.RenamePersonalAccessToken(ctx, "u1", "build", "laptop")
	wantErr(t, err, store.ErrConflict, "RenamePersonalAccessToken onto a name in use")
	_, err = s.RenamePersonalAccessToken(ctx, "u1", "ci", "x")
	wantErr(t, err, store.ErrNotFound, "RenamePersonalAccessToken unknown")

	wantErr(t, s.DeletePersonalAccessToken(ctx, "u1", "ci"), store.ErrNotFound, "DeletePersonalAccessToken unknown")
	ok(t, s.DeletePersonalAccessToken(ctx, "u1", "build"), "DeletePersonalAccessToken")
	_, err = s.GetPersonalAccessToken(ctx, "d1")
	wantErr(t, err, store.ErrNotFound, "GetPersonalAccessToken deleted")
	got, err = s.GetPersonalAccessToken(ctx, "d3")
	ok(t, err, "GetPersonalAccessToken of the other user")
	same(t, "the other user's token is untouched", got, theirs)
}

// exchangeGrant is the grant of an exchanged token, with its access token.
func exchangeGrant(id string) (store.Grant, store.Issue) {
	g := store.Grant{ID: id, UserID: "u1", ClientID: "spa", Scope: "read", Resources: []string{"https://api.example.com"},
		AuthTime: at(1), CreatedAt: at(1), ExpiresAt: at(1)}
	return g, store.Issue{AccessTokens: []store.IssuedAccessToken{{JTI: "jti-" + id, GrantID: id, ExpiresAt: at(5)}}}
}

func testRecordExchange(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateUser(ctx, user("u1", 1)))
	spaFixture(t, s)
	must(t, s.CreateSubjectToken(ctx, subjectToken("st1")))

	g, issue := exchangeGrant("g1")
	ok(t, s.RecordExchange(ctx, g, "st1", at(2), issue), "RecordExchange")
	got, err := s.GetGrant(ctx, "g1")
	ok(t, err, "GetGrant")
	g.ExpiresAt = at(5) // moved to cover the access token
	same(t, "exchange grant", got, g)
	st, err := s.GetSubjectToken(ctx, "st1")
	ok(t, err, "GetSubjectToken")
	same(t, "consumed at", st.ConsumedAt, at(2))

	g2, issue2 := exchangeGrant("g2")
	wantErr(t, s.RecordExchange(ctx, g2, "st1", at(3), issue2), store.ErrAlreadyUsed, "RecordExchange of a consumed subject token")
	_, err = s.GetGrant(ctx, "g2")
	wantErr(t, err, store.ErrNotFound, "no grant is written for a consumed subject token")
	wantErr(t, s.RecordExchange(ctx, g2, "nope", at(3), issue2), store.ErrNotFound, "RecordExchange of an unknown subject token")

	// Without a subject token (a personal access token, an access token).
	ok(t, s.RecordExchange(ctx, g2, "", at(3), issue2), "RecordExchange without a subject token")
	ok(t, s.RevokeGrant(ctx, "g2", at(3)), "RevokeGrant")
	revoked, err := s.ListRevokedAccessTokens(ctx, at(3))
	ok(t, err, "ListRevokedAccessTokens")
	same(t, "the exchanged token is revoked with its grant", ids2(revoked), []string{"jti-g2"})
}

func testConsumeConcurrently(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateUser(ctx, user("u1", 1)))
	spaFixture(t, s)
	must(t, s.CreateSubjectToken(ctx, subjectToken("st1")))
	const n = 6
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		wins   int
		others []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, issue := exchangeGrant("g" + string(rune('a'+i)))
			err := s.RecordExchange(ctx, g, "st1", at(2), issue)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, store.ErrAlreadyUsed) {
				others = append(others, err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || len(others) > 0 {
		t.Errorf("%d exchanges consumed the subject token (want 1), other errors %v", wins, others)
	}
}

func testExchangeDeleteUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateUser(ctx, user("u1", 1)))
	must(t, s.CreateSubjectToken(ctx, subjectToken("st1")))
	must(t, s.CreatePersonalAccessToken(ctx, store.PersonalAccessToken{UserID: "u1", Name: "ci", Digest: "d1", CreatedAt: at(1)}))
	ok(t, s.DeleteUser(ctx, "u1", at(2)), "DeleteUser")
	_, err := s.GetSubjectToken(ctx, "st1")
	wantErr(t, err, store.ErrNotFound, "GetSubjectToken of a deleted user")
	_, err = s.GetPersonalAccessToken(ctx, "d1")
	wantErr(t, err, store.ErrNotFound, "GetPersonalAccessToken of a deleted user")
}
