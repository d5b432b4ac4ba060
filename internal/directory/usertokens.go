package directory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// The credentials a token exchange (RFC 8693) takes as its subject, as
// Logto makes them: impersonation subject tokens and personal access
// tokens. Only their digest is kept (TokenDigest); the value is shown
// once, when it is made. The token endpoint judges a presented one.
const (
	// SubjectTokenPrefix begins every subject token (Logto's "sub_").
	SubjectTokenPrefix = "sub_"
	// SubjectTokenTTL is how long a subject token may be exchanged
	// (Logto's 600 seconds).
	SubjectTokenTTL = 10 * time.Minute
	// PersonalAccessTokenPrefix begins every personal access token.
	PersonalAccessTokenPrefix = "pat_"

	// maxTokenNameLen bounds a personal access token's name.
	maxTokenNameLen = 256
	// maxSubjectContextBytes bounds a subject token's context, as JSON.
	maxSubjectContextBytes = 8 << 10
)

// TokenDigest is what is stored in place of a subject token or a personal
// access token: their values are 256-bit random strings, so a plain
// SHA-256 is enough.
func TokenDigest(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// CreateSubjectToken makes a subject token for the user, with the caller's
// context (a JSON object, which claims scripts see) and the id of the
// caller that asked for it. It returns the token, shown this once.
func (d *Directory) CreateSubjectToken(ctx context.Context, userID string, context map[string]any, creatorID string) (string, error) {
	if b, err := json.Marshal(context); err != nil || len(b) > maxSubjectContextBytes {
		return "", invalid("context must be a JSON object of at most 8 KiB")
	}
	if _, err := findByID(ctx, userID, "user", d.st.GetUser); err != nil {
		return "", err
	}
	value := SubjectTokenPrefix + randid.Secret(32)
	now := d.now()
	err := d.st.CreateSubjectToken(ctx, store.SubjectToken{ID: TokenDigest(value), UserID: userID, Context: context,
		CreatorID: creatorID, CreatedAt: now, ExpiresAt: now.Add(SubjectTokenTTL)})
	if isNotFound(err) { // deleted meanwhile
		return "", &Error{Kind: NotFound, Reason: ReasonNoSuchID, Message: "user not found"}
	}
	return value, err
}

// PersonalAccessTokens lists the user's personal access tokens, oldest
// first.
func (d *Directory) PersonalAccessTokens(ctx context.Context, userID string) ([]store.PersonalAccessToken, error) {
	if _, err := findByID(ctx, userID, "user", d.st.GetUser); err != nil {
		return nil, err
	}
	return d.st.ListPersonalAccessTokens(ctx, userID)
}

// CreatePersonalAccessToken makes a personal access token for the user,
// named uniquely among theirs, expiring at expiresAt (zero: never, else in
// the future). It returns the token and its value, shown this once.
func (d *Directory) CreatePersonalAccessToken(ctx context.Context, userID, name string, expiresAt time.Time) (store.PersonalAccessToken, string, error) {
	if err := checkTokenName(name); err != nil {
		return store.PersonalAccessToken{}, "", err
	}
	now := d.now()
	if !expiresAt.IsZero() && !expiresAt.After(now) {
		return store.PersonalAccessToken{}, "", invalid("The value of `expiresAt` must be in the future.")
	}
	if _, err := findByID(ctx, userID, "user", d.st.GetUser); err != nil {
		return store.PersonalAccessToken{}, "", err
	}
	value := PersonalAccessTokenPrefix + randid.Secret(32)
	pat := store.PersonalAccessToken{UserID: userID, Name: name, Digest: TokenDigest(value),
		CreatedAt: now.Truncate(time.Millisecond), ExpiresAt: expiresAt.Truncate(time.Millisecond)}
	err := d.st.CreatePersonalAccessToken(ctx, pat)
	if isNotFound(err) {
		return store.PersonalAccessToken{}, "", &Error{Kind: NotFound, Reason: ReasonNoSuchID, Message: "user not found"}
	}
	if err = orConflict(err, "the user has a personal access token with this name"); err != nil {
		return store.PersonalAccessToken{}, "", err
	}
	return pat, value, nil
}

// RenamePersonalAccessToken renames the user's token name to newName.
func (d *Directory) RenamePersonalAccessToken(ctx context.Context, userID, name, newName string) (store.PersonalAccessToken, error) {
	if err := checkTokenName(newName); err != nil {
		return store.PersonalAccessToken{}, err
	}
	if _, err := findByID(ctx, userID, "user", d.st.GetUser); err != nil {
		return store.PersonalAccessToken{}, err
	}
	pat, err := d.st.RenamePersonalAccessToken(ctx, userID, name, newName)
	if err = orConflict(orNotFound(err, "personal access token not found"), "the user has a personal access token with this name"); err != nil {
		return store.PersonalAccessToken{}, err
	}
	return pat, nil
}

// DeletePersonalAccessToken deletes the user's token name.
func (d *Directory) DeletePersonalAccessToken(ctx context.Context, userID, name string) error {
	if _, err := findByID(ctx, userID, "user", d.st.GetUser); err != nil {
		return err
	}
	return orNotFound(d.st.DeletePersonalAccessToken(ctx, userID, name), "personal access token not found")
}

// checkTokenName requires a name of 1 to 256 characters, without control
// characters or surrounding space.
func checkTokenName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > maxTokenNameLen || !utf8.ValidString(name) || hasControl(name) ||
		strings.TrimSpace(name) != name {
		return invalid("name must be 1 to 256 characters, without control characters or surrounding spaces")
	}
	return nil
}
