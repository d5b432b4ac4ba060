package storetest

import (
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// signingKeyCases are the conformance tests of store.SigningKeyStore.
var signingKeyCases = []testCase{
	{"SigningKeys", testSigningKeys},
	{"RotateSigningKeys", testRotateSigningKeys},
}

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListSigningKeys(ctx)
	ok(t, err, "ListSigningKeys empty")
	if len(list) != 0 {
		t.Errorf("ListSigningKeys on an empty store: %d keys", len(list))
	}

	cur := signingKey("k2", store.KeyCurrent, 2)
	prev := signingKey("k1", store.KeyPrevious, 1)
	prev.RetiredAt = at(2)
	next := signingKey("k3", store.KeyNext, 3)
	next.Algorithm = "EdDSA"
	for _, k := range []store.SigningKey{next, cur, prev} {
		ok(t, s.CreateSigningKey(ctx, k), "CreateSigningKey "+k.ID)
	}
	list, err = s.ListSigningKeys(ctx)
	ok(t, err, "ListSigningKeys")
	same(t, "ListSigningKeys", list, []store.SigningKey{prev, cur, next})

	dup := signingKey("k2", store.KeyNext, 5)
	wantErr(t, s.CreateSigningKey(ctx, dup), store.ErrConflict, "CreateSigningKey with a used id")
}

func testRotateSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	k1 := signingKey("k1", store.KeyCurrent, 1)
	must(t, s.CreateSigningKey(ctx, k1))

	// First rotation: k1 retires, k2 signs.
	now1 := at(10)
	k2 := signingKey("k2", store.KeyNext, 9) // the status passed in does not matter
	ok(t, s.RotateSigningKeys(ctx, k2, now1, time.Time{}), "RotateSigningKeys 1")
	wantK1 := k1
	wantK1.Status, wantK1.RetiredAt = store.KeyPrevious, now1
	wantK2 := k2
	wantK2.Status = store.KeyCurrent
	list, err := s.ListSigningKeys(ctx)
	ok(t, err, "ListSigningKeys after rotation 1")
	same(t, "keys after rotation 1", list, []store.SigningKey{wantK1, wantK2})

	// Second rotation: k2 retires; k1, retired before dropBefore, goes.
	now2 := at(20)
	k3 := signingKey("k3", store.KeyCurrent, 19)
	ok(t, s.RotateSigningKeys(ctx, k3, now2, now1.Add(time.Millisecond)), "RotateSigningKeys 2")
	wantK2.Status, wantK2.RetiredAt = store.KeyPrevious, now2
	wantK3 := k3
	list, err = s.ListSigningKeys(ctx)
	ok(t, err, "ListSigningKeys after rotation 2")
	same(t, "keys after rotation 2", list, []store.SigningKey{wantK2, wantK3})

	// A key retired exactly at dropBefore stays ("before" is strict).
	now3 := at(30)
	k4 := signingKey("k4", store.KeyCurrent, 29)
	ok(t, s.RotateSigningKeys(ctx, k4, now3, now2), "RotateSigningKeys 3")
	wantK3.Status, wantK3.RetiredAt = store.KeyPrevious, now3
	list, err = s.ListSigningKeys(ctx)
	ok(t, err, "ListSigningKeys after rotation 3")
	same(t, "keys after rotation 3", list, []store.SigningKey{wantK2, wantK3, k4})

	// A rotation that fails changes nothing: k3's id is taken.
	wantErr(t, s.RotateSigningKeys(ctx, signingKey("k3", store.KeyCurrent, 40), at(40), time.Time{}), store.ErrConflict,
		"RotateSigningKeys to a used id")
	list, err = s.ListSigningKeys(ctx)
	ok(t, err, "ListSigningKeys after a failed rotation")
	same(t, "keys after a failed rotation", list, []store.SigningKey{wantK2, wantK3, k4})

	// Exactly one key is current after any rotation.
	cat, err := s.LoadCatalog(ctx)
	ok(t, err, "LoadCatalog")
	current := 0
	for _, k := range cat.SigningKeys {
		if k.Status == store.KeyCurrent {
			current++
		}
	}
	if current != 1 {
		t.Errorf("%d current keys after rotations, want 1", current)
	}
}
