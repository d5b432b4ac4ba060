package interaction

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/store"
)

// memStore is store.Interactions in memory, with the store's errors (the
// conformance suite holds the real ones to the same contract). With down
// set, every call fails as an unavailable database does.
type memStore struct {
	mu   sync.Mutex
	m    map[string]store.Interaction
	down bool
}

func (s *memStore) do(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return store.ErrUnavailable
	}
	return fn()
}

func (s *memStore) CreateInteraction(_ context.Context, in store.Interaction) error {
	return s.do(func() error {
		if _, dup := s.m[in.ID]; dup {
			return store.ErrConflict
		}
		s.m[in.ID] = in
		return nil
	})
}

func (s *memStore) GetInteraction(_ context.Context, id string) (in store.Interaction, err error) {
	err = s.do(func() error {
		var ok bool
		if in, ok = s.m[id]; !ok {
			return store.ErrNotFound
		}
		return nil
	})
	return in, err
}

func (s *memStore) UpdateInteraction(_ context.Context, in store.Interaction, version int) error {
	return s.do(func() error {
		cur, ok := s.m[in.ID]
		switch {
		case !ok:
			return store.ErrNotFound
		case cur.Version != version:
			return store.ErrConflict
		}
		cur.Step, cur.Identifier, cur.AccountID, cur.Attempts, cur.Version = in.Step, in.Identifier, in.AccountID, in.Attempts, version+1
		cur.Event, cur.IdentifierType, cur.Records = in.Event, in.IdentifierType, in.Records
		s.m[in.ID] = cur
		return nil
	})
}

func (s *memStore) DeleteInteraction(_ context.Context, id string) error {
	return s.do(func() error {
		if _, ok := s.m[id]; !ok {
			return store.ErrNotFound
		}
		delete(s.m, id)
		return nil
	})
}

func (s *memStore) PruneInteractions(context.Context, time.Time) error { return nil }

// Every transition of the state machine: the allowed ones lead where the
// table says, every other event, step and action is refused.
func TestTransitions(t *testing.T) {
	type key struct {
		e Event
		s Step
		a Action
	}
	allowed := map[key]To{
		{EventSignIn, StepIdentify, ActIdentified}:              {StepPassword, ""},
		{EventSignIn, StepIdentify, ActCodeSent}:                {StepCode, ""},
		{EventSignIn, StepPassword, ActIdentified}:              {StepPassword, ""},
		{EventSignIn, StepPassword, ActPasswordFailed}:          {StepPassword, ""},
		{EventSignIn, StepPassword, ActPasswordVerified}:        {StepDone, ""},
		{EventSignIn, StepPassword, ActCodeSent}:                {StepCode, ""},
		{EventSignIn, StepCode, ActCodeSent}:                    {StepCode, ""},
		{EventSignIn, StepCode, ActCodeFailed}:                  {StepCode, ""},
		{EventSignIn, StepCode, ActCodeVerified}:                {StepDone, ""},
		{EventSignIn, StepCode, ActRegisterInstead}:             {StepProfile, EventRegister},
		{EventSignIn, StepCode, ActIdentified}:                  {StepPassword, ""},
		{EventSignIn, StepIdentify, ActPasskeyVerified}:         {StepDone, ""},
		{EventSignIn, StepPassword, ActPasskeyVerified}:         {StepDone, ""},
		{EventSignIn, StepCode, ActPasskeyVerified}:             {StepDone, ""},
		{EventRegister, StepIdentify, ActIdentified}:            {StepProfile, ""},
		{EventRegister, StepIdentify, ActCodeSent}:              {StepCode, ""},
		{EventRegister, StepCode, ActCodeSent}:                  {StepCode, ""},
		{EventRegister, StepCode, ActCodeFailed}:                {StepCode, ""},
		{EventRegister, StepCode, ActCodeVerified}:              {StepProfile, ""},
		{EventRegister, StepCode, ActSignInInstead}:             {StepDone, EventSignIn},
		{EventRegister, StepProfile, ActIdentified}:             {StepProfile, ""},
		{EventRegister, StepProfile, ActPasswordRejected}:       {StepProfile, ""},
		{EventRegister, StepProfile, ActPasswordSet}:            {StepDone, ""},
		{EventRegister, StepProfile, ActProfileFulfilled}:       {StepDone, ""},
		{EventForgotPassword, StepIdentify, ActCodeSent}:        {StepCode, ""},
		{EventForgotPassword, StepCode, ActCodeSent}:            {StepCode, ""},
		{EventForgotPassword, StepCode, ActCodeFailed}:          {StepCode, ""},
		{EventForgotPassword, StepCode, ActCodeVerified}:        {StepProfile, ""},
		{EventForgotPassword, StepProfile, ActPasswordRejected}: {StepProfile, ""},
		{EventForgotPassword, StepProfile, ActPasswordSet}:      {StepDone, ""},
	}
	steps := []Step{StepIdentify, StepPassword, StepCode, StepProfile, StepDone}
	actions := []Action{ActEventChosen, ActIdentified, ActPasswordFailed, ActPasswordVerified, ActCodeSent, ActCodeFailed,
		ActCodeVerified, ActRegisterInstead, ActSignInInstead, ActPasswordRejected, ActPasswordSet, ActProfileFulfilled, ActPasskeyVerified}
	for _, e := range []Event{EventSignIn, EventRegister, EventForgotPassword} {
		for _, s := range steps {
			for _, a := range actions {
				to, ok := Next(e, s, a)
				want, wantOK := allowed[key{e, s, a}]
				if a == ActEventChosen && s != StepDone && len(transitions[e][s]) > 0 {
					want, wantOK = To{StepIdentify, ""}, true // starting over is allowed wherever the event goes
				}
				if ok != wantOK || to != want {
					t.Errorf("%s at %s of %s: %v %v, want %v %v", a, s, e, to, ok, want, wantOK)
				}
			}
		}
	}
}

// The methods move one interaction along the table and record what each
// step learnt; refused ones (out of order, or without their value) change
// nothing.
func TestSteps(t *testing.T) {
	it := &Interaction{Step: StepIdentify}
	pw := func(id string) Record { return PasswordRecord("v1", "username", id) }
	for i, tc := range []struct {
		do      func() error
		refused bool
		want    Interaction // Step, Identifier, AccountID, Attempts
	}{
		{func() error { return it.PasswordVerified("u1", pw("jane")) }, true, Interaction{Step: StepIdentify}},
		{it.PasswordFailed, true, Interaction{Step: StepIdentify}},
		{func() error { return it.Identify("") }, true, Interaction{Step: StepIdentify}},
		{func() error { return it.Identify("jane") }, false, Interaction{Step: StepPassword, Identifier: "jane"}},
		{it.PasswordFailed, false, Interaction{Step: StepPassword, Identifier: "jane", Attempts: 1}},
		{it.PasswordFailed, false, Interaction{Step: StepPassword, Identifier: "jane", Attempts: 2}},
		{func() error { return it.Identify("john") }, false, Interaction{Step: StepPassword, Identifier: "john", Attempts: 2}},
		{func() error { return it.PasswordVerified("", pw("john")) }, true, Interaction{Step: StepPassword, Identifier: "john", Attempts: 2}},
		{func() error { return it.PasswordVerified("u2", pw("john")) }, false, Interaction{Step: StepDone, Identifier: "john", AccountID: "u2", Attempts: 2}},
		{func() error { return it.Identify("jane") }, true, Interaction{Step: StepDone, Identifier: "john", AccountID: "u2", Attempts: 2}},
		{it.PasswordFailed, true, Interaction{Step: StepDone, Identifier: "john", AccountID: "u2", Attempts: 2}},
		{func() error { return it.PasswordVerified("u1", pw("jane")) }, true, Interaction{Step: StepDone, Identifier: "john", AccountID: "u2", Attempts: 2}},
		{func() error { return it.Choose(EventRegister) }, true, Interaction{Step: StepDone, Identifier: "john", AccountID: "u2", Attempts: 2}},
	} {
		err := tc.do()
		if tc.refused != errors.Is(err, ErrTransition) || (!tc.refused && err != nil) {
			t.Fatalf("step %d: %v, refused %v", i, err, tc.refused)
		}
		if it.Step != tc.want.Step || it.Identifier != tc.want.Identifier || it.AccountID != tc.want.AccountID || it.Attempts != tc.want.Attempts {
			t.Fatalf("step %d: %+v, want %+v", i, it, tc.want)
		}
	}
	if got := it.SignInRecord(); got.Event != "SignIn" || len(got.Verifications) != 1 || got.VerificationID != "v1" ||
		got.IdentifierValue != "john" || got.Verifications[0].Type != RecordPassword {
		t.Fatalf("sign-in record %+v", got)
	}
}

// A passkey signs in whatever was typed before: the account it names,
// with its one record; it needs both, and only signs in.
func TestPasskeyVerified(t *testing.T) {
	it := &Interaction{Step: StepIdentify}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(it.Identify("jane"))
	must(it.PasswordFailed())
	rec := PasskeyRecord()
	for _, bad := range []error{it.PasskeyVerified("", rec), it.PasskeyVerified("u1", PasswordRecord("v1", "username", "jane")),
		it.PasskeyVerified("u1", Record{Type: RecordSignInPasskey})} {
		if !errors.Is(bad, ErrTransition) || it.Step != StepPassword {
			t.Fatalf("%v at %s", bad, it.Step)
		}
	}
	must(it.PasskeyVerified("u1", rec))
	if it.Step != StepDone || it.AccountID != "u1" || it.Identifier != "" || len(it.Records) != 1 {
		t.Fatalf("%+v", it)
	}
	if r, ok := it.Record(RecordSignInPasskey); !ok || r.ID != rec.ID {
		t.Fatalf("record %+v %v", r, ok)
	}
	reg := &Interaction{Event: EventRegister, Step: StepIdentify}
	if err := reg.PasskeyVerified("u1", PasskeyRecord()); !errors.Is(err, ErrTransition) {
		t.Fatalf("a sign-up signed in by a passkey: %v", err)
	}
}

// Each path of the table, walked by its methods: what the interaction
// ends as, and the records it carries for the claims scripts.
func TestPaths(t *testing.T) {
	start := func(e Event) *Interaction {
		it := &Interaction{Event: EventSignIn, Step: StepIdentify}
		if e != EventSignIn {
			if err := it.Choose(e); err != nil {
				t.Fatal(err)
			}
		}
		return it
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Passwordless sign-in: a code to an e-mail address, a wrong one, the
	// right one.
	it := start(EventSignIn)
	must(it.CodeSent("jane@example.com", "email"))
	must(it.CodeFailed())
	must(it.CodeVerified(it.CodeRecord("SignIn"), "u1"))
	if rec := it.SignInRecord(); it.Step != StepDone || it.Attempts != 1 || rec.Event != "SignIn" ||
		len(rec.Verifications) != 1 || rec.Verifications[0].Type != RecordEmailVerificationCode || rec.Verifications[0].TemplateType != "SignIn" {
		t.Errorf("passwordless: %+v", it)
	}
	// A sign-in code for an address nobody has becomes a sign-up.
	it = start(EventSignIn)
	must(it.CodeSent("+819012345678", "phone"))
	must(it.RegisterInstead(it.CodeRecord("SignIn")))
	must(it.ProfileFulfilled("u2"))
	if rec := it.SignInRecord(); it.Step != StepDone || rec.Event != "Register" || rec.Verifications[0].Type != RecordPhoneVerificationCode {
		t.Errorf("sign-in turned sign-up: %+v", it)
	}
	// Sign-up by e-mail with a password; an address someone has signs
	// them in instead.
	it = start(EventRegister)
	must(it.CodeSent("new@example.com", "email"))
	must(it.CodeVerified(it.CodeRecord("Register"), ""))
	if it.Step != StepProfile {
		t.Fatalf("sign-up after the code: %s", it.Step)
	}
	must(it.PasswordRejected())
	must(it.PasswordSet("u3"))
	if it.Step != StepDone || it.Event != EventRegister || it.AccountID != "u3" {
		t.Errorf("sign-up: %+v", it)
	}
	it = start(EventRegister)
	must(it.CodeSent("jane@example.com", "email"))
	must(it.SignInInstead(it.CodeRecord("Register"), "u1"))
	if it.Step != StepDone || it.Event != EventSignIn {
		t.Errorf("sign-up of a taken address: %+v", it)
	}
	// Forgot password: a code, then the new password; no password
	// sign-in on the way, and no code without an account.
	it = start(EventForgotPassword)
	if err := it.Identify("jane"); !errors.Is(err, ErrTransition) {
		t.Errorf("identify in a reset: %v", err)
	}
	must(it.CodeSent("jane@example.com", "email"))
	if err := it.CodeVerified(it.CodeRecord("ForgotPassword"), ""); !errors.Is(err, ErrTransition) {
		t.Errorf("a reset code without its account: %v", err)
	}
	must(it.CodeVerified(it.CodeRecord("ForgotPassword"), "u1"))
	must(it.PasswordSet("u1"))
	if rec := it.SignInRecord(); it.Step != StepDone || rec.Event != "ForgotPassword" {
		t.Errorf("reset: %+v", it)
	}
	// A code to another address forgets the first one's records.
	it = start(EventSignIn)
	must(it.CodeSent("a@example.com", "email"))
	it.Records = []Record{{ID: "x", Type: RecordEmailVerificationCode}}
	must(it.CodeSent("b@example.com", "email"))
	if len(it.Records) != 0 || it.Identifier != "b@example.com" {
		t.Errorf("another address: %+v", it)
	}
	if err := it.CodeSent("jane", "username"); !errors.Is(err, ErrTransition) {
		t.Errorf("a code to a username: %v", err)
	}
}

// managerFixture is a Manager over a fresh store on a fake clock,
// with one interaction started for the browser holding "cookie".
type managerFixture struct {
	t     *testing.T
	m     *Manager
	clock *clock.Fake
	st    *memStore
	it    *Interaction
}

var request = url.Values{"client_id": {"spa"}, "scope": {"openid email"}, "state": {"s&t"}}

func newManager(t *testing.T) *managerFixture {
	t.Helper()
	st := &memStore{m: map[string]store.Interaction{}}
	f := &managerFixture{t: t, clock: clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), st: st}
	f.m = NewManager(st, 10*time.Minute, f.clock.Now)
	var err error
	f.it, err = f.m.Start(t.Context(), "spa", "https://id.test/oidc", request, "cookie")
	f.ok(err)
	return f
}

func (f *managerFixture) ok(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// An interaction is stored at identify with its request, resumed by its
// browser only, advanced, claimed at done and consumed.
func TestManagerLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newManager(t)
	m, it := f.m, f.it
	if _, err := m.Start(ctx, "spa", "https://id.test/oidc", request, ""); err == nil {
		t.Fatal("started without a browser binding")
	}
	if len(it.ID) != 43 || it.Step != StepIdentify || it.ExpiresAt.Sub(it.CreatedAt) != 10*time.Minute {
		t.Fatalf("started %+v", it)
	}
	other, err := m.Start(ctx, "spa", "https://id.test/oidc", request, "cookie")
	f.ok(err)
	if other.ID == it.ID {
		t.Fatal("two interactions with one id")
	}
	rec, err := f.st.GetInteraction(ctx, it.ID)
	f.ok(err)
	if rec.Binding == "cookie" || rec.Binding == "" {
		t.Fatalf("the store holds the binding %q, want a hash", rec.Binding)
	}

	// The cookie binding: another browser (or none) is told "unknown",
	// like an id that does not exist.
	for _, tc := range []struct{ id, binding string }{
		{it.ID, "another cookie"}, {it.ID, ""}, {"nope", "cookie"}, {"", "cookie"}, {it.ID + it.ID + it.ID + it.ID, "cookie"},
	} {
		if _, err := m.Resume(ctx, tc.id, tc.binding); !errors.Is(err, ErrUnknown) {
			t.Errorf("resume %q with %q: %v, want ErrUnknown", tc.id, tc.binding, err)
		}
	}
	got, err := m.Resume(ctx, it.ID, "cookie")
	f.ok(err)
	if got.Request.Encode() != request.Encode() || got.ClientID != "spa" || got.Step != StepIdentify {
		t.Fatalf("resumed %+v", got)
	}

	// A failed try is saved; the next read sees it.
	f.ok(got.Identify("jane"))
	f.ok(got.PasswordFailed())
	f.ok(m.Save(ctx, got))
	again, err := m.Resume(ctx, it.ID, "cookie")
	f.ok(err)
	if again.Step != StepPassword || again.Attempts != 1 || again.Identifier != "jane" {
		t.Fatalf("after a saved failure: %+v", again)
	}
	// Two tabs read the same version: the first to save at done wins.
	tab1, tab2 := again, got
	for _, tab := range []*Interaction{tab1, tab2} {
		f.ok(tab.Identify("jane"))
		f.ok(tab.PasswordVerified("u1", PasswordRecord("v", "username", "jane")))
	}
	f.ok(m.Save(ctx, tab1))
	if err := m.Save(ctx, tab2); !errors.Is(err, ErrConflict) {
		t.Fatalf("second tab's save: %v, want ErrConflict", err)
	}
	// Done is single use: it cannot be resumed, and consuming it removes it.
	if _, err := m.Resume(ctx, it.ID, "cookie"); !errors.Is(err, ErrUsed) {
		t.Fatalf("resume when done: %v, want ErrUsed", err)
	}
	f.ok(m.Consume(ctx, tab1))
	if _, err := m.Resume(ctx, it.ID, "cookie"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("resume when consumed: %v, want ErrUnknown", err)
	}
	f.ok(m.Consume(ctx, tab1)) // twice is harmless
	if err := m.Save(ctx, tab1); !errors.Is(err, ErrUnknown) {
		t.Fatalf("save when consumed: %v, want ErrUnknown", err)
	}
	// Only a done interaction is consumed.
	if err := m.Consume(ctx, other); !errors.Is(err, ErrTransition) {
		t.Fatalf("consume at identify: %v", err)
	}
}

// An interaction ends at its expiry time, to the millisecond.
func TestManagerExpiry(t *testing.T) {
	f := newManager(t)
	f.clock.Set(f.it.ExpiresAt.Add(-time.Millisecond))
	if _, err := f.m.Resume(t.Context(), f.it.ID, "cookie"); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}
	f.clock.Set(f.it.ExpiresAt)
	if _, err := f.m.Resume(t.Context(), f.it.ID, "cookie"); !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: %v, want ErrExpired", err)
	}
	// Another browser still learns nothing, expired or not.
	if _, err := f.m.Resume(t.Context(), f.it.ID, "other"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("another browser at expiry: %v, want ErrUnknown", err)
	}
	if d := NewManager(nil, 0, nil); d.ttl != DefaultTTL || d.now == nil {
		t.Fatalf("defaults: %+v", d)
	}
}

// A store that cannot answer is an error of its own, not "unknown"; a
// stored request that does not parse is an error, not a sign-in.
func TestManagerStoreErrors(t *testing.T) {
	ctx := context.Background()
	f := newManager(t)
	f.ok(f.st.CreateInteraction(ctx, store.Interaction{ID: "bad", ClientID: "spa", Request: "%zz", Step: "identify",
		Binding: bindingHash("cookie"), CreatedAt: f.clock.Now(), ExpiresAt: f.clock.Now().Add(time.Minute)}))
	if _, err := f.m.Resume(ctx, "bad", "cookie"); err == nil || errors.Is(err, ErrUnknown) {
		t.Fatalf("malformed request: %v", err)
	}
	f.st.down = true
	if _, err := f.m.Start(ctx, "spa", "https://id.test/oidc", request, "cookie"); err == nil {
		t.Error("start on a closed store")
	}
	if _, err := f.m.Resume(ctx, f.it.ID, "cookie"); err == nil || errors.Is(err, ErrUnknown) {
		t.Errorf("resume on a closed store: %v", err)
	}
	if err := f.m.Save(ctx, f.it); err == nil || errors.Is(err, ErrConflict) || errors.Is(err, ErrUnknown) {
		t.Errorf("save on a closed store: %v", err)
	}
	f.it.Step = StepDone
	if err := f.m.Consume(ctx, f.it); err == nil {
		t.Error("consume on a closed store")
	}
}
