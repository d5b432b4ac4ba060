package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/monban/monban/internal/jwk"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Token endpoint authentication methods an application may name
// (RFC 8414's names); only private_key_jwt changes what is accepted.
var authMethods = map[string]bool{
	"": true, "client_secret_basic": true, "client_secret_post": true, "none": true, store.AuthPrivateKeyJWT: true,
}

// MaxClientKeys bounds an application's registered public keys.
const MaxClientKeys = jwk.MaxSetKeys

// applyClientAuth validates and writes the client authentication metadata:
// the method, the registered keys (a JWK Set replacing them all) or the
// jwks_uri, and require-DPoP. It reports whether any was given.
func (m Metadata) applyClientAuth(app *store.Application, now time.Time) (bool, error) {
	given := false
	if v := m.TokenEndpointAuthMethod; v != nil {
		if !authMethods[*v] {
			return false, invalid("customClientMetadata.tokenEndpointAuthMethod must be client_secret_basic, client_secret_post, none or private_key_jwt")
		}
		app.TokenEndpointAuthMethod, given = *v, true
	}
	if m.JWKS != nil {
		keys, err := keysOfSet(*m.JWKS, now)
		if err != nil {
			return false, err
		}
		app.ClientKeys, given = keys, true
	}
	if m.JWKSURI != nil {
		if err := optionalWebURL("customClientMetadata.jwksUri")(*m.JWKSURI); err != nil {
			return false, err
		}
		app.JWKSURI, given = *m.JWKSURI, true
	}
	if m.RequireDPoP != nil {
		app.RequireDPoP, given = *m.RequireDPoP, true
	}
	return given, checkClientAuth(*app)
}

// checkClientAuth holds an application's client authentication settings
// together: keys or a jwks_uri, not both; private_key_jwt only for a
// confidential application, and with somewhere to find its keys.
func checkClientAuth(app store.Application) error {
	if len(app.ClientKeys) > 0 && app.JWKSURI != "" {
		return invalid("an application registers its public keys either as customClientMetadata.jwks or at customClientMetadata.jwksUri, not both")
	}
	if app.TokenEndpointAuthMethod != store.AuthPrivateKeyJWT {
		return nil
	}
	if app.Type == store.AppSPA || app.Type == store.AppNative {
		return invalid("private_key_jwt is for confidential applications (Traditional, MachineToMachine): a SPA or Native application cannot keep a private key")
	}
	if len(app.ClientKeys) == 0 && app.JWKSURI == "" {
		return invalid("private_key_jwt needs the application's public keys: customClientMetadata.jwks or customClientMetadata.jwksUri")
	}
	return nil
}

// keysOfSet reads a JWK Set (null: none) into registered keys, each named by
// its kid or a new id.
func keysOfSet(raw json.RawMessage, now time.Time) ([]store.ClientKey, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	parsed, err := jwk.ParseSet(raw)
	if err != nil {
		return nil, invalid(fmt.Sprintf("customClientMetadata.jwks must be a JWK Set of at most %d public signature keys (EC P-256, P-384 or P-521, RSA of 2048 bits or more, Ed25519): %v", MaxClientKeys, err))
	}
	var members struct {
		Keys []json.RawMessage `json:"keys"`
	}
	_ = json.Unmarshal(raw, &members) // ParseSet read it already
	out := make([]store.ClientKey, len(parsed))
	seen := map[string]bool{}
	for i, k := range parsed {
		id := k.Kid
		if id == "" {
			id = randid.ID()
		}
		if seen[id] {
			return nil, invalid("customClientMetadata.jwks has two keys with the kid " + id)
		}
		seen[id] = true
		out[i] = store.ClientKey{ID: id, JWK: compact(members.Keys[i]), CreatedAt: now}
	}
	return out, nil
}

// compact removes insignificant white space from a JSON value that is known
// to be valid.
func compact(raw json.RawMessage) json.RawMessage {
	var v any
	_ = json.Unmarshal(raw, &v)
	b, _ := json.Marshal(v)
	return b
}

// ClientKeyIn is a public key an application registers (Auth0's credential
// of type public_key): a PEM public key or certificate, or a JWK.
type ClientKeyIn struct {
	Name      string
	JWK       json.RawMessage
	ExpiresAt time.Time // zero: never
}

// AddClientKey registers a public key of an application and returns it.
func (d *Directory) AddClientKey(ctx context.Context, appID string, in ClientKeyIn) (store.ClientKey, error) {
	app, err := d.Application(ctx, appID)
	if err != nil {
		return store.ClientKey{}, err
	}
	if len(app.ClientKeys) >= MaxClientKeys {
		return store.ClientKey{}, invalid(fmt.Sprintf("an application has at most %d credentials", MaxClientKeys))
	}
	if app.JWKSURI != "" {
		return store.ClientKey{}, invalid("the application's keys are at its jwks_uri")
	}
	if _, err := jwk.Parse(in.JWK); err != nil {
		return store.ClientKey{}, invalid("the credential is not a public signature key (EC P-256, P-384 or P-521, RSA of 2048 bits or more, Ed25519)")
	}
	if len(in.Name) > 128 {
		return store.ClientKey{}, invalid("name is longer than 128 characters")
	}
	now := d.now()
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(now) {
		return store.ClientKey{}, invalid("expires_at must be in the future")
	}
	k := store.ClientKey{ID: "cred_" + randid.ID(), Name: in.Name, JWK: compact(in.JWK), CreatedAt: now, ExpiresAt: in.ExpiresAt}
	app.ClientKeys = append(app.ClientKeys, k)
	if err := d.st.UpdateApplication(ctx, app); err != nil {
		return store.ClientKey{}, orNotFound(err, "application not found")
	}
	return k, nil
}

// DeleteClientKey removes a registered public key. An application that
// authenticates with private_key_jwt keeps at least one.
func (d *Directory) DeleteClientKey(ctx context.Context, appID, keyID string) error {
	app, err := d.Application(ctx, appID)
	if err != nil {
		return err
	}
	kept := app.ClientKeys[:0:0]
	for _, k := range app.ClientKeys {
		if k.ID != keyID {
			kept = append(kept, k)
		}
	}
	if len(kept) == len(app.ClientKeys) {
		return notFound("credential not found")
	}
	app.ClientKeys = kept
	if err := checkClientAuth(app); err != nil {
		return invalid("the credential is the last one the application authenticates with: switch its token endpoint authentication method first")
	}
	return orNotFound(d.st.UpdateApplication(ctx, app), "application not found")
}

// SetClientAuth sets how an application authenticates: method (as
// applyClientAuth takes it) and, for private_key_jwt, which of its
// registered keys stay (the others are removed; nil keeps them all).
func (d *Directory) SetClientAuth(ctx context.Context, appID, method string, keep []string) (store.Application, error) {
	app, err := d.Application(ctx, appID)
	if err != nil {
		return app, err
	}
	if !authMethods[method] {
		return app, invalid("token_endpoint_auth_method must be none, client_secret_post or client_secret_basic")
	}
	app.TokenEndpointAuthMethod = method
	if keep != nil {
		var kept []store.ClientKey
		for _, id := range keep {
			found := false
			for _, k := range app.ClientKeys {
				if k.ID == id {
					kept, found = append(kept, k), true
				}
			}
			if !found {
				return app, invalid("credential " + id + " is not one of the application's")
			}
		}
		app.ClientKeys = kept
	}
	if err := checkClientAuth(app); err != nil {
		return app, err
	}
	return app, orNotFound(d.st.UpdateApplication(ctx, app), "application not found")
}

// SetClientKeyExpiry changes when a registered key stops verifying
// assertions (zero: never).
func (d *Directory) SetClientKeyExpiry(ctx context.Context, appID, keyID string, expires time.Time) (store.ClientKey, error) {
	app, err := d.Application(ctx, appID)
	if err != nil {
		return store.ClientKey{}, err
	}
	for i, k := range app.ClientKeys {
		if k.ID == keyID {
			app.ClientKeys[i].ExpiresAt = expires
			if err := d.st.UpdateApplication(ctx, app); err != nil {
				return store.ClientKey{}, orNotFound(err, "application not found")
			}
			return app.ClientKeys[i], nil
		}
	}
	return store.ClientKey{}, notFound("credential not found")
}
