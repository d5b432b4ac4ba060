package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/monban/monban/internal/store"
)

// Upstream is an identity an upstream identity provider proved: the
// person's account at Target, and what the provider says of them.
type Upstream struct {
	Target     string
	ExternalID string
	// Email is the provider's address of the person, EmailVerified
	// whether the provider verified it.
	Email         string
	EmailVerified bool
	Name, Picture string
	// Details is what an identity keeps of the provider's profile
	// (Logto's identity details).
	Details map[string]any
}

// Outcome is what an upstream identity signs in to.
type Outcome int

// The outcomes of an upstream identity.
const (
	// OutcomeSignIn: an account has the identity.
	OutcomeSignIn Outcome = iota + 1
	// OutcomeLink: no account has the identity, and an account has the
	// provider's verified e-mail address: the identity may be linked to
	// it once the person confirms.
	OutcomeLink
	// OutcomeRegister: no account has the identity nor (as a verified
	// address) its e-mail address: a new account may be made with it.
	OutcomeRegister
)

// ResolveUpstream decides what the identity up signs in to, and the
// account of a sign-in or a link. These are the rules of accounts and
// upstream identities, here and nowhere else:
//   - an account that holds the identity signs in;
//   - an identity whose e-mail address the provider verified may be
//     linked to the account with that address (only after the person
//     confirms: see LinkUpstream);
//   - an address the provider did not verify links to nothing and is not
//     written to a new account (RegisterUpstream), so nobody takes over,
//     or prepares, the account of an address they do not own.
func (d *Directory) ResolveUpstream(ctx context.Context, up Upstream) (Outcome, store.User, error) {
	if err := up.check(); err != nil {
		return 0, store.User{}, err
	}
	u, err := d.st.GetUserByIdentity(ctx, up.Target, up.ExternalID)
	switch {
	case err == nil:
		return OutcomeSignIn, u, nil
	case !errors.Is(err, store.ErrNotFound):
		return 0, store.User{}, err
	}
	if up.Email != "" && up.EmailVerified {
		u, err := d.st.GetUserByEmail(ctx, up.Email)
		switch {
		case err == nil:
			return OutcomeLink, u, nil
		case !errors.Is(err, store.ErrNotFound):
			return 0, store.User{}, err
		}
	}
	return OutcomeRegister, store.User{}, nil
}

func (up Upstream) check() error {
	if err := CheckIdentityTarget(up.Target); err != nil {
		return err
	}
	return NewIdentity{ExternalID: up.ExternalID, Details: up.Details}.check()
}

// LinkUpstream gives the account userID the identity up, after the person
// confirmed it: only when the provider verified an address of the
// account's (Invalid otherwise), and only when the account has no other
// identity at the target (Conflict, ReasonIdentityTaken).
func (d *Directory) LinkUpstream(ctx context.Context, userID string, up Upstream) (store.User, error) {
	u, err := d.User(ctx, userID)
	if err != nil {
		return store.User{}, err
	}
	if !up.EmailVerified || up.Email == "" || !strings.EqualFold(up.Email, u.PrimaryEmail) {
		return store.User{}, invalid("only an identity with the account's e-mail address, verified by the provider, may be linked")
	}
	for _, id := range u.Identities {
		if id.Target == up.Target && id.ExternalID != up.ExternalID {
			return store.User{}, &Error{Kind: Conflict, Reason: ReasonIdentityTaken, Message: "the account has another identity at this provider"}
		}
	}
	if _, _, err := d.PutIdentity(ctx, userID, up.Target, NewIdentity{ExternalID: up.ExternalID, Details: up.Details}); err != nil {
		return store.User{}, err
	}
	return d.User(ctx, userID)
}

// RegisterUpstream makes a new account with the identity up: its name and
// picture, and its e-mail address when the provider verified it (then the
// address is verified). When the address is taken already (an account
// with it appeared since ResolveUpstream) it is Conflict with
// ReasonEmailTaken; when the identity is (a second tab), Conflict with
// ReasonIdentityTaken. Either way no account is left behind.
func (d *Directory) RegisterUpstream(ctx context.Context, up Upstream) (store.User, error) {
	if err := up.check(); err != nil {
		return store.User{}, err
	}
	// What the provider gives that breaks a rule is left out, not
	// refused: the person cannot change it there.
	f := UserFields{By: ByProvider}
	if up.Email != "" && up.EmailVerified && checkEmail(up.Email) == nil {
		f.PrimaryEmail = &up.Email
	}
	if name := strings.TrimSpace(up.Name); name != "" && checkText("name", name, maxUserNameLen, false) == nil {
		f.Name = &name
	}
	if pic := up.Picture; pic != "" && checkAvatar(pic) == nil {
		f.Avatar = &pic
	}
	u, err := d.CreateUser(ctx, NewUser{UserFields: f})
	if err != nil {
		return store.User{}, err
	}
	if _, _, err := d.PutIdentity(ctx, u.ID, up.Target, NewIdentity{ExternalID: up.ExternalID, Details: up.Details}); err != nil {
		if derr := d.st.DeleteUser(ctx, u.ID, d.now()); derr != nil {
			err = fmt.Errorf("%w (and removing the new user again failed: %v)", err, derr)
		}
		return store.User{}, err
	}
	return d.User(ctx, u.ID)
}

// RefreshUpstream updates the details of the identity up of the account
// that signed in with it (the provider's profile changes).
func (d *Directory) RefreshUpstream(ctx context.Context, userID string, up Upstream) error {
	_, _, err := d.PutIdentity(ctx, userID, up.Target, NewIdentity{ExternalID: up.ExternalID, Details: up.Details})
	return err
}

// SignInMethods counts the ways the user u can still sign in, as Logto
// counts them: a username, a primary e-mail address or phone number, and
// each identity.
func SignInMethods(u store.User) int {
	n := len(u.Identities)
	for _, s := range []string{u.Username, u.PrimaryEmail, u.PrimaryPhone} {
		if s != "" {
			n++
		}
	}
	return n
}

// ReasonLastSignInMethod: the change would leave the user no way to sign
// in.
const ReasonLastSignInMethod Reason = "last_sign_in_method"

// checkRemainsSignIn refuses a change that leaves u (as it would be) no
// way to sign in.
func checkRemainsSignIn(u store.User) error {
	if SignInMethods(u) > 0 {
		return nil
	}
	return &Error{Kind: Invalid, Reason: ReasonLastSignInMethod, Message: "the user must keep at least one way to sign in"}
}
