package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/monban/monban/internal/store"
)

// deviceCases are the conformance tests of store.DeviceStore.
var deviceCases = []testCase{
	{"Lifecycle", testDeviceLifecycle},
	{"Polls", testDevicePolls},
	{"DecideOnce", testDeviceDecideOnce},
	{"RedeemConcurrently", testDeviceRedeemConcurrently},
}

func device(id string) store.DeviceAuthorization {
	return store.DeviceAuthorization{ID: id, UserCode: "uc-" + id, ClientID: "spa", Issuer: "https://id.test/oidc",
		Scope: "openid offline_access", Resources: []string{"https://api.example.com"}, Status: store.DevicePending,
		Interval: 5, CreatedAt: at(1), ExpiresAt: at(10)}
}

func deviceGrant(id string) store.Grant {
	return store.Grant{ID: id, UserID: "u1", ClientID: "spa", Scope: "openid offline_access", AuthTime: at(2),
		SignIn:    store.SignInRecord{VerificationID: "v1", IdentifierType: "username", IdentifierValue: "user_u1"},
		CreatedAt: at(2), ExpiresAt: at(10)}
}

func deviceFixture(t *testing.T, s store.Store) {
	t.Helper()
	spaFixture(t, s)
	must(t, s.CreateUser(t.Context(), user("u1", 1)))
}

func testDeviceLifecycle(t *testing.T, s store.Store) {
	ctx := t.Context()
	deviceFixture(t, s)
	d := device("d1")
	ok(t, s.CreateDeviceAuthorization(ctx, d), "CreateDeviceAuthorization")
	wantErr(t, s.CreateDeviceAuthorization(ctx, d), store.ErrConflict, "CreateDeviceAuthorization with an id in use")
	other := device("d2")
	other.UserCode = d.UserCode
	wantErr(t, s.CreateDeviceAuthorization(ctx, other), store.ErrConflict, "CreateDeviceAuthorization with a user code in use")
	other = device("d3")
	other.ClientID = "missing"
	wantErr(t, s.CreateDeviceAuthorization(ctx, other), store.ErrNotFound, "CreateDeviceAuthorization for a missing client")

	got, err := s.GetDeviceAuthorization(ctx, "d1")
	ok(t, err, "GetDeviceAuthorization")
	same(t, "GetDeviceAuthorization", got, d)
	got, err = s.GetDeviceAuthorizationByUserCode(ctx, "uc-d1")
	ok(t, err, "GetDeviceAuthorizationByUserCode")
	same(t, "GetDeviceAuthorizationByUserCode", got, d)
	_, err = s.GetDeviceAuthorizationByUserCode(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "GetDeviceAuthorizationByUserCode unknown")

	// Redeeming a pending one is refused and writes nothing.
	wantErr(t, s.RedeemDeviceAuthorization(ctx, "d1", at(3), store.Issue{}), store.ErrConflict, "RedeemDeviceAuthorization pending")
	g := deviceGrant("g1")
	ok(t, s.ApproveDeviceAuthorization(ctx, "d1", g), "ApproveDeviceAuthorization")
	gotG, err := s.GetGrant(ctx, "g1")
	ok(t, err, "GetGrant of the approval")
	same(t, "the approval's grant", gotG, g)
	got, err = s.GetDeviceAuthorization(ctx, "d1")
	ok(t, err, "GetDeviceAuthorization approved")
	d.Status, d.UserID, d.GrantID = store.DeviceApproved, "u1", "g1"
	same(t, "approved", got, d)

	rt := store.RefreshToken{ID: "rt1", GrantID: "g1", ClientID: "spa", UserID: "u1", CreatedAt: at(3), ExpiresAt: at(20)}
	ok(t, s.RedeemDeviceAuthorization(ctx, "d1", at(3), store.Issue{RefreshToken: &rt}), "RedeemDeviceAuthorization")
	got, err = s.GetDeviceAuthorization(ctx, "d1")
	ok(t, err, "GetDeviceAuthorization redeemed")
	if !got.UsedAt.Equal(at(3)) {
		t.Errorf("UsedAt = %v, want %v", got.UsedAt, at(3))
	}
	if _, err := s.GetRefreshToken(ctx, "rt1"); err != nil {
		t.Errorf("the redemption's refresh token: %v", err)
	}
	wantErr(t, s.RedeemDeviceAuthorization(ctx, "d1", at(4), store.Issue{}), store.ErrAlreadyUsed, "RedeemDeviceAuthorization again")
	wantErr(t, s.RedeemDeviceAuthorization(ctx, "nope", at(4), store.Issue{}), store.ErrNotFound, "RedeemDeviceAuthorization unknown")

	// Expired ones are pruned with the rest.
	ok(t, s.PruneExpired(ctx, at(30)), "PruneExpired")
	_, err = s.GetDeviceAuthorization(ctx, "d1")
	wantErr(t, err, store.ErrNotFound, "GetDeviceAuthorization after pruning")

	// Deleting the application deletes its device authorizations.
	ok(t, s.CreateDeviceAuthorization(ctx, device("d4")), "CreateDeviceAuthorization d4")
	ok(t, s.DeleteApplication(ctx, "spa"), "DeleteApplication")
	_, err = s.GetDeviceAuthorization(ctx, "d4")
	wantErr(t, err, store.ErrNotFound, "GetDeviceAuthorization of a deleted client")
}

func testDevicePolls(t *testing.T, s store.Store) {
	ctx := t.Context()
	deviceFixture(t, s)
	ok(t, s.CreateDeviceAuthorization(ctx, device("d1")), "CreateDeviceAuthorization")
	first := at(2)
	d, soon, err := s.PollDeviceAuthorization(ctx, "d1", first, 5)
	ok(t, err, "first poll")
	if soon || d.Interval != 5 || !d.LastPolledAt.Equal(first) {
		t.Errorf("first poll: tooSoon %v, interval %d, polled %v", soon, d.Interval, d.LastPolledAt)
	}
	// Four seconds later is too soon: the interval grows by the step.
	d, soon, err = s.PollDeviceAuthorization(ctx, "d1", first.Add(4e9), 5)
	ok(t, err, "second poll")
	if !soon || d.Interval != 10 {
		t.Errorf("poll too soon: tooSoon %v, interval %d; want true, 10", soon, d.Interval)
	}
	// Ten seconds after that keeps the new interval.
	d, soon, err = s.PollDeviceAuthorization(ctx, "d1", first.Add(14e9), 5)
	ok(t, err, "third poll")
	if soon || d.Interval != 10 {
		t.Errorf("poll in time: tooSoon %v, interval %d; want false, 10", soon, d.Interval)
	}
	got, err := s.GetDeviceAuthorization(ctx, "d1")
	ok(t, err, "GetDeviceAuthorization")
	if got.Interval != 10 || !got.LastPolledAt.Equal(first.Add(14e9)) {
		t.Errorf("stored: interval %d, polled %v", got.Interval, got.LastPolledAt)
	}
	_, _, err = s.PollDeviceAuthorization(ctx, "nope", first, 5)
	wantErr(t, err, store.ErrNotFound, "PollDeviceAuthorization unknown")
}

func testDeviceDecideOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	deviceFixture(t, s)
	ok(t, s.CreateDeviceAuthorization(ctx, device("d1")), "CreateDeviceAuthorization")
	ok(t, s.DenyDeviceAuthorization(ctx, "d1"), "DenyDeviceAuthorization")
	wantErr(t, s.DenyDeviceAuthorization(ctx, "d1"), store.ErrConflict, "DenyDeviceAuthorization again")
	wantErr(t, s.ApproveDeviceAuthorization(ctx, "d1", deviceGrant("g1")), store.ErrConflict, "ApproveDeviceAuthorization denied")
	if _, err := s.GetGrant(ctx, "g1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused approval stored its grant: %v", err)
	}
	got, err := s.GetDeviceAuthorization(ctx, "d1")
	ok(t, err, "GetDeviceAuthorization")
	if got.Status != store.DeviceDenied {
		t.Errorf("status %q, want denied", got.Status)
	}
	wantErr(t, s.DenyDeviceAuthorization(ctx, "nope"), store.ErrNotFound, "DenyDeviceAuthorization unknown")
	wantErr(t, s.ApproveDeviceAuthorization(ctx, "nope", deviceGrant("g2")), store.ErrNotFound, "ApproveDeviceAuthorization unknown")

	// Of two decisions at once, one wins.
	ok(t, s.CreateDeviceAuthorization(ctx, device("d2")), "CreateDeviceAuthorization d2")
	var (
		wg   sync.WaitGroup
		wins atomic.Int32
	)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				err = s.ApproveDeviceAuthorization(ctx, "d2", deviceGrant("g-"+string(rune('a'+i))))
			} else {
				err = s.DenyDeviceAuthorization(ctx, "d2")
			}
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("concurrent decision: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d concurrent decisions won, want 1", wins.Load())
	}
}

func testDeviceRedeemConcurrently(t *testing.T, s store.Store) {
	ctx := t.Context()
	deviceFixture(t, s)
	ok(t, s.CreateDeviceAuthorization(ctx, device("d1")), "CreateDeviceAuthorization")
	ok(t, s.ApproveDeviceAuthorization(ctx, "d1", deviceGrant("g1")), "ApproveDeviceAuthorization")
	var (
		wg   sync.WaitGroup
		wins atomic.Int32
	)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := s.RedeemDeviceAuthorization(ctx, "d1", at(3), store.Issue{}); {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrAlreadyUsed):
				t.Errorf("concurrent redemption: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d concurrent redemptions won, want 1", wins.Load())
	}
}
