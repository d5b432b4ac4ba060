package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/monban/monban/internal/store"
)

// signInExperienceCases are the conformance tests of
// store.SignInExperienceStore.
var signInExperienceCases = []testCase{
	{"Missing", testSignInExperienceMissing},
	{"EnsureThenPut", testSignInExperienceEnsurePut},
	{"EnsureRaced", testSignInExperienceRaced},
}

func testSignInExperienceMissing(t *testing.T, s store.Store) {
	if doc, err := s.SignInExperience(t.Context()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SignInExperience on an empty store = %q, %v; want ErrNotFound", doc, err)
	}
}

func testSignInExperienceEnsurePut(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := `{"signInMode":"SignInAndRegister","branding":{"name":"日本語 \"quoted\""}}`
	got, err := s.EnsureSignInExperience(ctx, []byte(first))
	ok(t, err, "EnsureSignInExperience")
	if string(got) != first {
		t.Errorf("EnsureSignInExperience on an empty store = %s, want %s", got, first)
	}
	got, err = s.EnsureSignInExperience(ctx, []byte(`{"signInMode":"SignIn"}`))
	ok(t, err, "EnsureSignInExperience again")
	if string(got) != first {
		t.Errorf("EnsureSignInExperience again = %s, want the first document", got)
	}
	last, err := s.LastEventSeq(ctx)
	ok(t, err, "LastEventSeq")

	second := `{"signInMode":"SignIn"}`
	ok(t, s.PutSignInExperience(ctx, []byte(second)), "PutSignInExperience")
	got, err = s.SignInExperience(ctx)
	ok(t, err, "SignInExperience")
	if string(got) != second {
		t.Errorf("SignInExperience after Put = %s, want %s", got, second)
	}
	evs, err := s.ReadEvents(ctx, last, 10)
	ok(t, err, "ReadEvents")
	if len(evs) != 1 || evs[0].Kind != store.EventSignInExperienceUpdated || evs[0].Entity != "default" {
		t.Errorf("events of PutSignInExperience = %+v, want one %s of default", evs, store.EventSignInExperienceUpdated)
	}
	// A Put on an empty store stores the document too.
	ok(t, s.PutSignInExperience(ctx, []byte(first)), "PutSignInExperience back")
	if got, _ = s.SignInExperience(ctx); string(got) != first {
		t.Errorf("SignInExperience after a second Put = %s", got)
	}
}

func testSignInExperienceRaced(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 6
	var (
		wg   sync.WaitGroup
		got  [n][]byte
		errs [n]error
	)
	for i := range n {
		wg.Go(func() {
			got[i], errs[i] = s.EnsureSignInExperience(ctx, fmt.Appendf(nil, `{"n":%d}`, i))
		})
	}
	wg.Wait()
	for i := range n {
		ok(t, errs[i], "EnsureSignInExperience concurrently")
		if string(got[i]) != string(got[0]) {
			t.Errorf("writer %d got %s, writer 0 got %s", i, got[i], got[0])
		}
	}
}
