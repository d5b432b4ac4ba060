package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

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

func testEnsureSetting(t *testing.T, s store.Store) {
	ctx := t.Context()
	v, err := s.EnsureSetting(ctx, "issuer-secret", "first")
	ok(t, err, "EnsureSetting")
	if v != "first" {
		t.Errorf("EnsureSetting on an empty store = %q, want %q", v, "first")
	}
	v, err = s.EnsureSetting(ctx, "issuer-secret", "second")
	ok(t, err, "EnsureSetting again")
	if v != "first" {
		t.Errorf("EnsureSetting again = %q, want the first value", v)
	}
	v, err = s.EnsureSetting(ctx, "other", "")
	ok(t, err, "EnsureSetting empty value")
	if v != "" {
		t.Errorf("EnsureSetting empty value = %q", v)
	}
	v, err = s.EnsureSetting(ctx, "other", "later")
	ok(t, err, "EnsureSetting after an empty value")
	if v != "" {
		t.Errorf("EnsureSetting after an empty value = %q, want the empty value kept", v)
	}

	// Racing writers all get the one value that won.
	const n = 8
	var (
		wg   sync.WaitGroup
		got  [n]string
		errs [n]error
	)
	for i := range n {
		wg.Go(func() {
			got[i], errs[i] = s.EnsureSetting(ctx, "raced", fmt.Sprintf("value %d", i))
		})
	}
	wg.Wait()
	for i := range n {
		ok(t, errs[i], "EnsureSetting concurrently")
	}
	if !strings.HasPrefix(got[0], "value ") {
		t.Fatalf("EnsureSetting concurrently = %q", got[0])
	}
	for i := range n {
		if got[i] != got[0] {
			t.Errorf("EnsureSetting concurrently: writer %d got %q, writer 0 got %q", i, got[i], got[0])
		}
	}
	v, err = s.EnsureSetting(ctx, "raced", "late")
	ok(t, err, "EnsureSetting after the race")
	if v != got[0] {
		t.Errorf("EnsureSetting after the race = %q, want %q", v, got[0])
	}
}

func sortedLinks[T store.RoleScope | store.RoleApplication](in []T) []T {
	out := slices.Clone(in)
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return out
}

// byID sorts a copy of list by id; the catalog's order is not specified.
func byID[T any](list []T) []T {
	out := slices.Clone(list)
	slices.SortFunc(out, func(a, b T) int {
		return strings.Compare(fmt.Sprint(ids([]T{a})), fmt.Sprint(ids([]T{b})))
	})
	return out
}

func testLoadCatalog(t *testing.T, s store.Store) {
	ctx := t.Context()
	cat, err := s.LoadCatalog(ctx)
	ok(t, err, "LoadCatalog empty")
	if cat == nil {
		t.Fatal("LoadCatalog returned nil")
	}
	if n := len(cat.Applications) + len(cat.Secrets) + len(cat.Resources) + len(cat.Scopes) + len(cat.Roles) +
		len(cat.RoleScopes) + len(cat.RoleApplications) + len(cat.SigningKeys); n != 0 {
		t.Errorf("LoadCatalog on an empty store has %d items", n)
	}

	apps := []store.Application{app("a2", 2), app("a1", 1)}
	apps[1].Type = store.AppTraditional
	secrets := []store.AppSecret{
		{AppID: "a1", Name: "s", Hash: []byte("h1"), CreatedAt: at(3)},
		{AppID: "a2", Name: "s", Hash: []byte("h2"), CreatedAt: at(4), ExpiresAt: at(1000)},
	}
	resources := []store.Resource{resource("r1", 1), resource("r2", 2)}
	resources[1].IsDefault = true
	scopes := []store.Scope{scope("s1", "r1", 1), scope("s2", "r2", 2), scope("s3", "r2", 3)}
	roles := []store.Role{role("ro1", 1), role("ro2", 2)}
	roles[1].Type = store.RoleUser
	keys := []store.SigningKey{signingKey("k1", store.KeyCurrent, 1), signingKey("k2", store.KeyNext, 2)}

	for _, a := range apps {
		must(t, s.CreateApplication(ctx, a))
	}
	for _, sec := range secrets {
		must(t, s.CreateAppSecret(ctx, sec))
	}
	for _, r := range resources {
		must(t, s.CreateResource(ctx, r))
	}
	for _, sc := range scopes {
		must(t, s.CreateScope(ctx, sc))
	}
	for _, r := range roles {
		must(t, s.CreateRole(ctx, r))
	}
	for _, k := range keys {
		must(t, s.CreateSigningKey(ctx, k))
	}
	must(t, s.AddRoleScopes(ctx, "ro1", []string{"s1", "s3"}))
	must(t, s.AddRoleScopes(ctx, "ro2", []string{"s2"}))
	must(t, s.AddRoleApplications(ctx, "ro1", []string{"a1", "a2"}))

	cat, err = s.LoadCatalog(ctx)
	ok(t, err, "LoadCatalog")
	same(t, "catalog applications", byID(cat.Applications), byID(apps))
	secs := slices.Clone(cat.Secrets)
	slices.SortFunc(secs, func(a, b store.AppSecret) int { return strings.Compare(a.AppID+"/"+a.Name, b.AppID+"/"+b.Name) })
	same(t, "catalog secrets", secs, secrets)
	same(t, "catalog resources", byID(cat.Resources), byID(resources))
	same(t, "catalog scopes", byID(cat.Scopes), byID(scopes))
	same(t, "catalog roles", byID(cat.Roles), byID(roles))
	same(t, "catalog role scopes", sortedLinks(cat.RoleScopes), []store.RoleScope{
		{RoleID: "ro1", ScopeID: "s1"}, {RoleID: "ro1", ScopeID: "s3"}, {RoleID: "ro2", ScopeID: "s2"}})
	same(t, "catalog role applications", sortedLinks(cat.RoleApplications), []store.RoleApplication{
		{RoleID: "ro1", AppID: "a1"}, {RoleID: "ro1", AppID: "a2"}})
	same(t, "catalog signing keys", byID(cat.SigningKeys), byID(keys))
}

func testTimePrecision(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Nanoseconds, a monotonic reading and a non-UTC location: what comes
	// back is the same instant cut to the millisecond.
	loc := time.FixedZone("UTC+5:30", 5*3600+1800)
	created := time.Now().In(loc).Add(123456 * time.Nanosecond)
	expires := time.Date(2031, 2, 3, 4, 5, 6, 789999999, loc)
	wantCreated, wantExpires := created.Truncate(time.Millisecond), expires.Truncate(time.Millisecond)

	a := app("a1", 0)
	a.CreatedAt = created
	must(t, s.CreateApplication(ctx, a))
	got, err := s.GetApplication(ctx, "a1")
	ok(t, err, "GetApplication")
	if !got.CreatedAt.Equal(wantCreated) {
		t.Errorf("application CreatedAt = %v, want %v", got.CreatedAt, wantCreated)
	}

	must(t, s.CreateAppSecret(ctx, store.AppSecret{AppID: "a1", Name: "s", Hash: []byte("h"), CreatedAt: created, ExpiresAt: expires}))
	secs, err := s.ListAppSecrets(ctx, "a1")
	ok(t, err, "ListAppSecrets")
	if len(secs) != 1 || !secs[0].CreatedAt.Equal(wantCreated) || !secs[0].ExpiresAt.Equal(wantExpires) {
		t.Errorf("secret times = %+v, want created %v, expires %v", secs, wantCreated, wantExpires)
	}
	if len(secs) == 1 && (secs[0].Expired(wantExpires.Add(-time.Millisecond)) || !secs[0].Expired(wantExpires)) {
		t.Errorf("secret expiry boundary moved: %v", secs[0].ExpiresAt)
	}

	must(t, s.CreateSigningKey(ctx, store.SigningKey{ID: "k1", Algorithm: "ES256", Status: store.KeyCurrent,
		PrivateKey: []byte("k"), CreatedAt: created}))
	retired := expires.Add(time.Microsecond)
	must(t, s.RotateSigningKeys(ctx, store.SigningKey{ID: "k2", Algorithm: "ES256", Status: store.KeyCurrent,
		PrivateKey: []byte("k"), CreatedAt: retired}, retired, time.Time{}))
	keys, err := s.ListSigningKeys(ctx)
	ok(t, err, "ListSigningKeys")
	if len(keys) != 2 || !keys[0].RetiredAt.Equal(retired.Truncate(time.Millisecond)) || !keys[1].RetiredAt.IsZero() {
		t.Errorf("key times = %+v, want k1 retired at %v, k2 not retired", keys, retired.Truncate(time.Millisecond))
	}

	// Times far from now survive too.
	for i, ts := range []time.Time{
		time.Date(1971, 1, 1, 0, 0, 0, 1e6, time.UTC),
		time.Date(2999, 12, 31, 23, 59, 59, 999e6, time.UTC),
	} {
		id := fmt.Sprintf("far%d", i)
		r := store.Role{ID: id, Name: id, Type: store.RoleUser, CreatedAt: ts}
		must(t, s.CreateRole(ctx, r))
		got, err := s.GetRole(ctx, id)
		ok(t, err, "GetRole")
		if !got.CreatedAt.Equal(ts) {
			t.Errorf("role CreatedAt = %v, want %v", got.CreatedAt, ts)
		}
	}
}
