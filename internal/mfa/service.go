package mfa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/ratelimit"
	"github.com/monban/monban/internal/store"
)

// BindTTL bounds how long a binding page's state stays good.
const BindTTL = 15 * time.Minute

// Service verifies and binds users' second factors.
type Service struct {
	st       store.Store
	throttle *ratelimit.SignIn
	now      func() time.Time

	mu      sync.RWMutex
	factors map[string]Factor
}

// New returns a Service over st with the built-in factor types (TOTP and
// backup codes). Wrong answers count under throttle (the sign-in
// back-off, shared between instances when it is), per account; nil: a
// back-off of its own in memory.
func New(st store.Store, throttle *ratelimit.SignIn, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if throttle == nil {
		throttle = ratelimit.NewSignIn(ratelimit.SignInPolicy{}, nil, now)
	}
	s := &Service{st: st, throttle: throttle, now: now, factors: map[string]Factor{}}
	s.Register(TOTP{})
	s.Register(BackupCodes{})
	return s
}

// Register adds (or replaces) a factor type.
func (s *Service) Register(f Factor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.factors[f.Type()] = f
}

// Factor is the registered factor type typ.
func (s *Service) Factor(typ string) (Factor, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.factors[typ]
	return f, ok
}

// List returns the user's factors, oldest first (their data sealed).
func (s *Service) List(ctx context.Context, userID string) ([]store.MFAVerification, error) {
	return s.st.ListMFAVerifications(ctx, userID)
}

// Bound is the types of the user's factors that are among offered and
// registered, each once, in offered's order.
func (s *Service) Bound(ctx context.Context, userID string, offered []string) ([]string, error) {
	vs, err := s.st.ListMFAVerifications(ctx, userID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, typ := range offered {
		if _, ok := s.Factor(typ); !ok {
			continue
		}
		if slices.ContainsFunc(vs, func(v store.MFAVerification) bool { return v.Type == typ }) {
			out = append(out, typ)
		}
	}
	return out, nil
}

// Delete removes the user's factor id (store.ErrNotFound when the user
// has none such).
func (s *Service) Delete(ctx context.Context, userID, id string) error {
	return s.st.DeleteMFAVerification(ctx, userID, id)
}

// Wait is how long the back-off still holds the account's second factor
// (or the client address), 0 when a try may go ahead.
func (s *Service) Wait(ctx context.Context, userID, ip string) time.Duration {
	return s.throttle.Wait(ctx, accountKeys(userID), ip)
}

func accountKeys(userID string) []string { return []string{"mfa:" + userID} }

// Verify checks answer against the user's factors of type typ: the
// record of the one that matched, its data updated (a code's step, a
// used backup code) and its last use written. A wrong answer counts
// under the back-off (ErrWrongAnswer); ErrLocked while it holds.
func (s *Service) Verify(ctx context.Context, who Subject, typ string, answer url.Values, ip string) (interaction.Record, error) {
	f, ok := s.Factor(typ)
	if !ok {
		return interaction.Record{}, ErrUnknownType
	}
	if s.Wait(ctx, who.UserID, ip) > 0 {
		return interaction.Record{}, ErrLocked
	}
	vs, err := s.st.ListMFAVerifications(ctx, who.UserID)
	if err != nil {
		return interaction.Record{}, err
	}
	box := s.st.Sealer()
	if box == nil {
		return interaction.Record{}, ErrLockedStore
	}
	now := s.now()
	bound := false
	for _, v := range vs {
		if v.Type != typ {
			continue
		}
		bound = true
		data, err := s.open(v)
		if err != nil {
			return interaction.Record{}, err
		}
		update, err := f.Verify(ctx, who, data, answer, now)
		if errors.Is(err, ErrWrongAnswer) {
			continue
		}
		if err != nil {
			return interaction.Record{}, err
		}
		if update != nil {
			sealed, err := box.SealString(dataPurpose(v.ID), string(update))
			if err != nil {
				return interaction.Record{}, err
			}
			v.Data = []byte(sealed)
		}
		used := now.UTC().Truncate(time.Millisecond)
		v.LastUsedAt = &used
		if err := s.st.UpdateMFAVerification(context.WithoutCancel(ctx), v); err != nil {
			return interaction.Record{}, err
		}
		s.throttle.Succeed(ctx, accountKeys(who.UserID))
		return interaction.MFARecord(typ, who.UserID), nil
	}
	if !bound {
		return interaction.Record{}, ErrNotBound
	}
	s.throttle.Fail(ctx, accountKeys(who.UserID), ip)
	return interaction.Record{}, ErrWrongAnswer
}

// bindState is what a binding page carries, sealed: the factor's state
// and when it stops being good.
type bindState struct {
	State   []byte `json:"s"`
	Expires int64  `json:"e"`
}

// BeginBind starts binding a factor of type typ for who, in the
// interaction bindTo: the sealed state the page carries back and what it
// shows.
func (s *Service) BeginBind(ctx context.Context, who Subject, typ, bindTo, issuer string) (string, Shown, error) {
	f, ok := s.Factor(typ)
	if !ok {
		return "", nil, ErrUnknownType
	}
	if err := s.checkSingle(ctx, who.UserID, f); err != nil {
		return "", nil, err
	}
	state, show, err := f.BeginBind(ctx, who, issuer)
	if err != nil {
		return "", nil, err
	}
	box := s.st.Sealer()
	if box == nil {
		return "", nil, ErrLockedStore
	}
	b, _ := json.Marshal(bindState{State: state, Expires: s.now().Add(BindTTL).Unix()})
	sealed, err := box.SealString(statePurpose(typ, bindTo, who.UserID), string(b))
	if err != nil {
		return "", nil, err
	}
	return sealed, show, nil
}

// FinishBind checks answer against the carried state of BeginBind and
// binds the factor: its record, and what the person must keep (backup
// codes, shown once).
func (s *Service) FinishBind(ctx context.Context, who Subject, typ, bindTo, carried string, answer url.Values, ip string) (interaction.Record, []string, error) {
	f, ok := s.Factor(typ)
	if !ok {
		return interaction.Record{}, nil, ErrUnknownType
	}
	if s.Wait(ctx, who.UserID, ip) > 0 {
		return interaction.Record{}, nil, ErrLocked
	}
	box := s.st.Sealer()
	if box == nil {
		return interaction.Record{}, nil, ErrLockedStore
	}
	raw, err := box.OpenString(statePurpose(typ, bindTo, who.UserID), carried)
	var st bindState
	if err != nil || json.Unmarshal([]byte(raw), &st) != nil || s.now().Unix() >= st.Expires {
		return interaction.Record{}, nil, ErrBadState
	}
	if err := s.checkSingle(ctx, who.UserID, f); err != nil {
		return interaction.Record{}, nil, err
	}
	data, keep, err := f.FinishBind(ctx, who, st.State, answer, s.now())
	if errors.Is(err, ErrWrongAnswer) {
		s.throttle.Fail(ctx, accountKeys(who.UserID), ip)
		return interaction.Record{}, nil, err
	}
	if err != nil {
		return interaction.Record{}, nil, err
	}
	if err := s.Add(ctx, who.UserID, typ, factorName(answer.Get("name")), data); err != nil {
		return interaction.Record{}, nil, err
	}
	s.throttle.Succeed(ctx, accountKeys(who.UserID))
	return interaction.MFARecord(typ, who.UserID), keep, nil
}

// Add stores a factor of type typ with its data document (sealed here)
// for the user: the one way a factor is stored.
func (s *Service) Add(ctx context.Context, userID, typ, name string, data []byte) error {
	f, ok := s.Factor(typ)
	if !ok {
		return ErrUnknownType
	}
	replaced, err := s.spent(ctx, userID, f)
	if err != nil {
		return err
	}
	box := s.st.Sealer()
	if box == nil {
		return ErrLockedStore
	}
	for _, old := range replaced {
		if err := s.st.DeleteMFAVerification(context.WithoutCancel(ctx), userID, old); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	id := randid.ID()
	sealed, err := box.SealString(dataPurpose(id), string(data))
	if err != nil {
		return err
	}
	return s.st.CreateMFAVerification(context.WithoutCancel(ctx), store.MFAVerification{ID: id, UserID: userID, Type: typ, Name: name,
		Data: []byte(sealed), CreatedAt: s.now().UTC().Truncate(time.Millisecond)})
}

// Spender is implemented by factor types whose factor can be used up (a
// set of backup codes): a spent one is replaced by a new one.
type Spender interface {
	Spent(data []byte) bool
}

// checkSingle refuses a second factor of a type a user holds one of
// (unless that one is spent).
func (s *Service) checkSingle(ctx context.Context, userID string, f Factor) error {
	_, err := s.spent(ctx, userID, f)
	return err
}

// spent is the user's spent factors of f's type, which a new one
// replaces; ErrAlreadyBound when the type is Single and one is not
// spent.
func (s *Service) spent(ctx context.Context, userID string, f Factor) ([]string, error) {
	if one, ok := f.(Single); !ok || !one.Single() {
		return nil, nil
	}
	vs, err := s.st.ListMFAVerifications(ctx, userID)
	if err != nil {
		return nil, err
	}
	sp, canSpend := f.(Spender)
	var ids []string
	for _, v := range vs {
		if v.Type != f.Type() {
			continue
		}
		if !canSpend {
			return nil, ErrAlreadyBound
		}
		data, err := s.open(v)
		if err != nil {
			return nil, err
		}
		if !sp.Spent(data) {
			return nil, ErrAlreadyBound
		}
		ids = append(ids, v.ID)
	}
	return ids, nil
}

// open is the data document of v.
func (s *Service) open(v store.MFAVerification) ([]byte, error) {
	box := s.st.Sealer()
	if box == nil {
		return nil, ErrLockedStore
	}
	data, err := box.OpenString(dataPurpose(v.ID), string(v.Data))
	if err != nil {
		return nil, fmt.Errorf("mfa: opening factor %s: %w", v.ID, err)
	}
	return []byte(data), nil
}

// Open is the data document of the user's factor v, for the APIs'
// listings (a count of backup codes left); never shown as it is.
func (s *Service) Open(v store.MFAVerification) ([]byte, error) { return s.open(v) }

func dataPurpose(id string) string { return "user_mfa_verifications.data:" + id }

func statePurpose(typ, bindTo, userID string) string {
	return "mfa.bind:" + typ + ":" + bindTo + ":" + userID
}

// RememberToken is the value of a cookie that remembers, until d from
// now, that this browser gave a second factor for userID: sealed, so it
// can be neither forged nor moved to another account.
func (s *Service) RememberToken(userID string, d time.Duration) (string, error) {
	box := s.st.Sealer()
	if box == nil {
		return "", ErrLockedStore
	}
	return box.SealString(rememberPurpose(userID), fmt.Sprint(s.now().Add(d).Unix()))
}

// Remembered reports whether token (of RememberToken) remembers a second
// factor of userID that has not run out.
func (s *Service) Remembered(userID, token string) bool {
	box := s.st.Sealer()
	if box == nil || token == "" || len(token) > 512 {
		return false
	}
	raw, err := box.OpenString(rememberPurpose(userID), token)
	if err != nil {
		return false
	}
	var until int64
	if _, err := fmt.Sscan(raw, &until); err != nil {
		return false
	}
	return s.now().Unix() < until
}

func rememberPurpose(userID string) string { return "mfa.device:" + userID }

// Reshower is implemented by factor types whose binding page can be
// shown again from its state (a TOTP secret the person has scanned
// already), after a wrong answer.
type Reshower interface {
	Show(who Subject, issuer string, state []byte) Shown
}

// ShowAgain is what the binding page of the carried state (of BeginBind)
// shows; false when the state does not open or the type cannot show it
// again (the page begins anew).
func (s *Service) ShowAgain(who Subject, typ, bindTo, carried, issuer string) (Shown, bool) {
	f, ok := s.Factor(typ)
	re, can := f.(Reshower)
	box := s.st.Sealer()
	if !ok || !can || box == nil {
		return nil, false
	}
	raw, err := box.OpenString(statePurpose(typ, bindTo, who.UserID), carried)
	var st bindState
	if err != nil || json.Unmarshal([]byte(raw), &st) != nil || s.now().Unix() >= st.Expires {
		return nil, false
	}
	return re.Show(who, issuer, st.State), true
}
