package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/monban/monban/internal/store"
)

// Limits on social identities.
const (
	maxIdentityTargetLen = 64
	maxExternalIDLen     = 256
	maxIdentityDetails   = 16 << 10
)

// targetRe is the rule for an identity's target, the name of the social
// provider (Logto's connector target): a letter or digit, then letters,
// digits, dots, dashes and underscores.
var targetRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// NewIdentity is a user's account at a social provider, as given to
// PutIdentity: the user's id there and the provider's profile of them
// (nil: none).
type NewIdentity struct {
	ExternalID string
	Details    map[string]any
}

// CheckIdentityTarget applies the rule for a target: 1 to 64 letters,
// digits, dots, dashes and underscores, beginning with a letter or digit.
func CheckIdentityTarget(target string) error {
	if len(target) > maxIdentityTargetLen || !targetRe.MatchString(target) {
		return invalid(fmt.Sprintf("target must be 1 to %d letters, digits, dots, dashes and underscores, beginning with a letter or digit",
			maxIdentityTargetLen))
	}
	return nil
}

func (in NewIdentity) check() error {
	if in.ExternalID == "" {
		return invalid("userId is required: the user's id at the provider")
	}
	if err := checkText("userId", in.ExternalID, maxExternalIDLen, false); err != nil {
		return err
	}
	if in.Details != nil {
		b, err := json.Marshal(in.Details)
		if err != nil || len(b) > maxIdentityDetails {
			return invalid(fmt.Sprintf("details must be a JSON object of at most %d bytes", maxIdentityDetails))
		}
	}
	return nil
}

// identityNotFound is the refusal for a target the user has no identity at.
func identityNotFound() error {
	return &Error{Kind: NotFound, Reason: ReasonIdentityNotFound, Message: "the user has no identity at this target"}
}

// targetOf checks the target of a request that reads or removes an
// identity: one that breaks the rule cannot be stored, so it is not found.
func targetOf(target string) error {
	if CheckIdentityTarget(target) != nil {
		return identityNotFound()
	}
	return nil
}

// Identity returns the user's identity at target.
func (d *Directory) Identity(ctx context.Context, userID, target string) (store.Identity, error) {
	u, err := d.User(ctx, userID)
	if err != nil {
		return store.Identity{}, err
	}
	if err := targetOf(target); err != nil {
		return store.Identity{}, err
	}
	i := slices.IndexFunc(u.Identities, func(id store.Identity) bool { return id.Target == target })
	if i < 0 {
		return store.Identity{}, identityNotFound()
	}
	return u.Identities[i], nil
}

// PutIdentity gives the user an account at target, or replaces the one
// they have there, and returns the user's identities after it and whether
// the identity at target is new. An account at a target belongs to one
// user (Conflict, ReasonIdentityTaken).
func (d *Directory) PutIdentity(ctx context.Context, userID, target string, in NewIdentity) (identities []store.Identity, created bool, err error) {
	u, err := d.User(ctx, userID)
	if err != nil {
		return nil, false, err
	}
	if err := CheckIdentityTarget(target); err != nil {
		return nil, false, err
	}
	if err := in.check(); err != nil {
		return nil, false, err
	}
	now := d.now()
	id := store.Identity{UserID: u.ID, Target: target, ExternalID: in.ExternalID, Details: in.Details, CreatedAt: now, UpdatedAt: now}
	created, err = d.st.PutIdentity(ctx, id)
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil, false, &Error{Kind: Conflict, Reason: ReasonIdentityTaken, Message: "this identity is already in use by another user"}
	case err != nil:
		return nil, false, orNotFound(err, "user not found")
	}
	u, err = d.User(ctx, u.ID)
	return u.Identities, created, err
}

// DeleteIdentity removes the user's identity at target and returns the
// user after it. The user must keep a way to sign in (Invalid,
// ReasonLastSignInMethod).
func (d *Directory) DeleteIdentity(ctx context.Context, userID, target string) (store.User, error) {
	if _, err := d.Identity(ctx, userID, target); err != nil {
		return store.User{}, err
	}
	u, err := d.User(ctx, userID)
	if err != nil {
		return store.User{}, err
	}
	u.Identities = slices.DeleteFunc(slices.Clone(u.Identities), func(id store.Identity) bool { return id.Target == target })
	if err := checkRemainsSignIn(u); err != nil {
		return store.User{}, err
	}
	if err := d.st.DeleteIdentity(ctx, userID, target, d.now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.User{}, identityNotFound()
		}
		return store.User{}, err
	}
	return d.User(ctx, userID)
}

// MergeProfile sets the given keys of a user's profile (Logto's profile
// object: familyName, givenName, …, address), leaving the others as they
// are; a key given replaces its value whole, the address included. It
// returns the profile after it.
func (d *Directory) MergeProfile(ctx context.Context, id string, patch map[string]json.RawMessage) (store.UserProfile, error) {
	u, err := d.User(ctx, id)
	if err != nil {
		return store.UserProfile{}, err
	}
	for k, v := range patch {
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return store.UserProfile{}, invalid("profile." + k + " must not be null")
		}
	}
	cur, err := json.Marshal(u.Profile)
	if err != nil {
		return store.UserProfile{}, err
	}
	merged := map[string]json.RawMessage{}
	if err := json.Unmarshal(cur, &merged); err != nil {
		return store.UserProfile{}, err
	}
	maps.Copy(merged, patch)
	b, err := json.Marshal(merged)
	if err != nil {
		return store.UserProfile{}, invalid("profile must be a JSON object")
	}
	var p store.UserProfile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return store.UserProfile{}, invalid(fmt.Sprintf("profile.%s must be a %s", te.Field, jsonKind(te.Type.Kind().String())))
		}
		return store.UserProfile{}, invalid("profile: " + strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := checkProfile(p); err != nil {
		return store.UserProfile{}, err
	}
	u.Profile, u.UpdatedAt = p, d.now()
	if err := d.st.UpdateUser(ctx, u); err != nil {
		return store.UserProfile{}, orNotFound(err, "user not found")
	}
	return p, nil
}

// jsonKind names a Go kind as the JSON type it is decoded from.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "ptr", "struct":
		return "JSON object"
	}
	return kind
}
