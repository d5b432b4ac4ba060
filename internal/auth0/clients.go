package auth0

import (
	"net/http"
	"slices"
	"strings"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

// appTypes maps Auth0's app_type onto Monban's application types.
var appTypes = map[string]store.AppType{
	"non_interactive": store.AppMachineToMachine,
	"regular_web":     store.AppTraditional,
	"spa":             store.AppSPA,
	"native":          store.AppNative,
}

func auth0AppType(t store.AppType) string {
	for k, v := range appTypes {
		if v == t {
			return k
		}
	}
	return ""
}

// Grant types: what each kind of application can use here.
const (
	grantPassword      = "password"
	grantPasswordRealm = "http://auth0.com/oauth/grant-type/password-realm"
	grantPasswordless  = "http://auth0.com/oauth/grant-type/passwordless/otp"
	grantDeviceCode    = "urn:ietf:params:oauth:grant-type:device_code"
)

func grantTypesOf(a store.Application) []string {
	if a.Type == store.AppMachineToMachine {
		return []string{"client_credentials"}
	}
	out := []string{"authorization_code", "refresh_token"}
	if a.AllowPasswordGrant {
		out = append(out, grantPassword, grantPasswordRealm)
	}
	if a.AllowPasswordlessGrant {
		out = append(out, grantPasswordless)
	}
	if a.IsDeviceFlow {
		out = append(out, grantDeviceCode)
	}
	return out
}

// passwordGrant reads grant_types for an application of type t: whether
// it asks for the password grant, for the passwordless OTP grant and (a
// native one) for the device code grant. A grant type t cannot use is
// refused.
func passwordGrant(t store.AppType, grants []string) (password, passwordless, device bool, err error) {
	allowed := []string{"authorization_code", "refresh_token", grantPassword, grantPasswordRealm, grantPasswordless}
	switch t {
	case store.AppMachineToMachine:
		allowed = []string{"client_credentials"}
	case store.AppNative:
		allowed = append(allowed, grantDeviceCode)
	}
	for _, g := range grants {
		if !slices.Contains(allowed, g) {
			return false, false, false, badBody("Payload validation error: grant type " + shorten(g) + " is not available to a " + auth0AppType(t) +
				" client; it may use " + strings.Join(allowed, ", ") + ".")
		}
		password = password || g == grantPassword || g == grantPasswordRealm
		passwordless = passwordless || g == grantPasswordless
		device = device || g == grantDeviceCode
	}
	return password, passwordless, device, nil
}

// clientJSON is Auth0's client. client_secret is only in the answers of a
// create and a rotation: Monban keeps only a hash of it.
type clientJSON struct {
	ClientID                string         `json:"client_id"`
	Name                    string         `json:"name"`
	Description             string         `json:"description"`
	AppType                 string         `json:"app_type"`
	ClientSecret            string         `json:"client_secret,omitempty"`
	IsFirstParty            bool           `json:"is_first_party"`
	OIDCConformant          bool           `json:"oidc_conformant"`
	Callbacks               []string       `json:"callbacks"`
	AllowedLogoutURLs       []string       `json:"allowed_logout_urls"`
	WebOrigins              []string       `json:"web_origins"`
	GrantTypes              []string       `json:"grant_types"`
	TokenEndpointAuthMethod *string        `json:"token_endpoint_auth_method"`
	ClientMetadata          map[string]any `json:"client_metadata"`
	RequirePAR              bool           `json:"require_pushed_authorization_requests"`
	// With private_key_jwt: token_endpoint_auth_method is null and the
	// client's credentials are named here.
	ClientAuthenticationMethods *authMethodsJSON `json:"client_authentication_methods,omitempty"`
}

// authMethodsJSON is Auth0's client_authentication_methods.
type authMethodsJSON struct {
	PrivateKeyJWT *struct {
		Credentials []credentialRef `json:"credentials"`
	} `json:"private_key_jwt,omitempty"`
}

// credentialRef names a credential: by id, or (in a create or change) a
// new one inline.
type credentialRef struct {
	ID string `json:"id,omitempty"`
	credentialIn
}

func clientOut(a store.Application) clientJSON {
	method := "client_secret_post"
	if !directory.Confidential(a.Type) {
		method = "none"
	}
	if a.TokenEndpointAuthMethod != "" {
		method = a.TokenEndpointAuthMethod
	}
	var methods *authMethodsJSON
	if method == store.AuthPrivateKeyJWT {
		methods = &authMethodsJSON{PrivateKeyJWT: &struct {
			Credentials []credentialRef `json:"credentials"`
		}{Credentials: []credentialRef{}}}
		for _, k := range a.ClientKeys {
			methods.PrivateKeyJWT.Credentials = append(methods.PrivateKeyJWT.Credentials, credentialRef{ID: k.ID})
		}
	}
	out := clientJSON{
		ClientID: a.ID, Name: a.Name, Description: a.Description, AppType: auth0AppType(a.Type),
		IsFirstParty: true, OIDCConformant: true,
		Callbacks: list(a.RedirectURIs), AllowedLogoutURLs: list(a.PostLogoutRedirectURIs), WebOrigins: list(a.CORSAllowedOrigins),
		GrantTypes: grantTypesOf(a), TokenEndpointAuthMethod: &method, ClientMetadata: object(a.CustomData),
		ClientAuthenticationMethods: methods,
		RequirePAR:                  a.RequirePAR,
	}
	if methods != nil {
		out.TokenEndpointAuthMethod = nil
	}
	return out
}

func list(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// clientFields are what a create or a change may give.
type clientFields struct {
	Name                    *string        `json:"name"`
	Description             *string        `json:"description"`
	AppType                 *string        `json:"app_type"`
	Callbacks               *[]string      `json:"callbacks"`
	AllowedLogoutURLs       *[]string      `json:"allowed_logout_urls"`
	WebOrigins              *[]string      `json:"web_origins"`
	AllowedOrigins          *[]string      `json:"allowed_origins"`
	GrantTypes              *[]string      `json:"grant_types"`
	TokenEndpointAuthMethod *string        `json:"token_endpoint_auth_method"`
	IsFirstParty            *bool          `json:"is_first_party"`
	OIDCConformant          *bool          `json:"oidc_conformant"`
	ClientMetadata          map[string]any `json:"client_metadata"`
	// ClientAuthenticationMethods switches the client to private_key_jwt
	// with the credentials it names (or gives inline); null leaves it.
	ClientAuthenticationMethods *authMethodsJSON `json:"client_authentication_methods"`
	RequirePAR                  *bool            `json:"require_pushed_authorization_requests"`
}

// metadata is the directory's change of the client's metadata, for an
// application of type t.
func (f *clientFields) metadata(t store.AppType) (directory.Metadata, error) {
	m := directory.Metadata{RedirectURIs: f.Callbacks, PostLogoutRedirectURIs: f.AllowedLogoutURLs, CORSAllowedOrigins: f.WebOrigins,
		RequirePAR: f.RequirePAR}
	switch {
	case f.AllowedOrigins != nil && f.WebOrigins != nil && !slices.Equal(*f.AllowedOrigins, *f.WebOrigins):
		return m, badBody("Payload validation error: give the allowed origins once, as web_origins.")
	case f.AllowedOrigins != nil:
		m.CORSAllowedOrigins = f.AllowedOrigins
	}
	if f.IsFirstParty != nil && !*f.IsFirstParty {
		return m, badBody("Payload validation error: 'is_first_party' must be true: every client is first-party.")
	}
	if f.OIDCConformant != nil && !*f.OIDCConformant {
		return m, badBody("Payload validation error: 'oidc_conformant' must be true.")
	}
	if v := f.TokenEndpointAuthMethod; v != nil {
		want := []string{"client_secret_post", "client_secret_basic"}
		if !directory.Confidential(t) {
			want = []string{"none"}
		}
		if !slices.Contains(want, *v) {
			return m, badBody("Payload validation error: 'token_endpoint_auth_method' of a " + auth0AppType(t) + " client must be " + strings.Join(want, " or ") + ".")
		}
		if f.ClientAuthenticationMethods != nil {
			return m, badBody("Payload validation error: 'token_endpoint_auth_method' must be null when 'client_authentication_methods' is given.")
		}
		m.TokenEndpointAuthMethod = v
	}
	if f.GrantTypes != nil {
		pw, pwless, device, err := passwordGrant(t, *f.GrantTypes)
		if err != nil {
			return m, err
		}
		if t != store.AppMachineToMachine {
			m.AllowPasswordGrant, m.AllowPasswordlessGrant = &pw, &pwless
		}
		if t == store.AppNative {
			m.IsDeviceFlow = &device
		}
	}
	return m, nil
}

// appType reads app_type; a client without one is regular_web, as in
// Auth0.
func appType(v *string) (store.AppType, error) {
	if v == nil {
		return store.AppTraditional, nil
	}
	t, ok := appTypes[*v]
	if !ok {
		return "", badBody("Payload validation error: 'app_type' must be one of non_interactive, regular_web, spa, native.")
	}
	return t, nil
}

func (s *server) createClient(w http.ResponseWriter, r *http.Request) error {
	var body clientFields
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Name == nil {
		return badBody("Payload validation error: 'Missing required property: name'.")
	}
	t, err := appType(body.AppType)
	if err != nil {
		return err
	}
	m, err := body.metadata(t)
	if err != nil {
		return err
	}
	typ := string(t)
	if err := body.ClientAuthenticationMethods.check(t); err != nil {
		return err
	}
	app, secret, err := s.dir.CreateApplication(r.Context(), directory.NewApplication{
		Name: body.Name, Type: &typ, Description: body.Description, Metadata: m, CustomData: body.ClientMetadata,
	})
	if err != nil {
		return err
	}
	s.changed(r)
	if body.ClientAuthenticationMethods != nil {
		if app, err = s.setAuthMethods(r, app.ID, body.ClientAuthenticationMethods); err != nil {
			// The client was made without them: take it back.
			_ = s.dir.DeleteApplication(r.Context(), app.ID)
			return err
		}
	}
	out := clientOut(app)
	out.ClientSecret = secret
	httpjson.Write(w, http.StatusCreated, out)
	return nil
}

func (s *server) getClient(w http.ResponseWriter, r *http.Request) error {
	q := query(r)
	sel, err := readFields(q)
	if err != nil {
		return err
	}
	app, err := s.dir.Application(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, sel.apply(clientOut(app)))
	return nil
}

func (s *server) updateClient(w http.ResponseWriter, r *http.Request) error {
	var body clientFields
	if err := decode(w, r, &body); err != nil {
		return err
	}
	app, err := s.dir.Application(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if body.AppType != nil {
		if t, err := appType(body.AppType); err != nil {
			return err
		} else if t != app.Type {
			return badBody("Payload validation error: 'app_type' cannot be changed; create a new client instead.")
		}
	}
	m, err := body.metadata(app.Type)
	if err != nil {
		return err
	}
	if err := body.ClientAuthenticationMethods.check(app.Type); err != nil {
		return err
	}
	app, changed, err := s.dir.UpdateApplication(r.Context(), app.ID, directory.ApplicationChange{
		NamePatch: directory.NamePatch{Name: body.Name, Description: body.Description}, Metadata: m, CustomData: body.ClientMetadata,
	})
	if err != nil {
		return err
	}
	if body.ClientAuthenticationMethods != nil {
		if app, err = s.setAuthMethods(r, app.ID, body.ClientAuthenticationMethods); err != nil {
			return err
		}
		changed = true
	}
	if changed {
		s.changed(r)
	}
	httpjson.Write(w, http.StatusOK, clientOut(app))
	return nil
}

func (s *server) deleteClient(w http.ResponseWriter, r *http.Request) error {
	return s.answerChange(w, r, http.StatusNoContent, s.dir.DeleteApplication(r.Context(), r.PathValue("id")))
}

func (s *server) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	secret, err := s.dir.RotateSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.changed(r)
	app, err := s.dir.Application(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := clientOut(app)
	out.ClientSecret = secret
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

func (s *server) listClients(w http.ResponseWriter, r *http.Request) error {
	q, p, sel, err := readPagedSelection(r)
	if err != nil {
		return err
	}
	var query directory.AppQuery
	if v := q.Get("app_type"); v != "" {
		for name := range strings.SplitSeq(v, ",") {
			t, ok := appTypes[strings.TrimSpace(name)]
			if !ok {
				return badQuery("Query validation error: 'app_type' names non_interactive, regular_web, spa or native.")
			}
			query.Filter.Types = append(query.Filter.Types, t)
		}
	}
	if firstParty, err := boolParam(q, "is_first_party", true); err != nil {
		return err
	} else if !firstParty {
		query.None = true // every client is first-party
	}
	if global, err := boolParam(q, "is_global", false); err != nil {
		return err
	} else if global {
		query.None = true // no client is global
	}
	apps, total, err := s.dir.Applications(r.Context(), query, p.store())
	if err != nil {
		return err
	}
	out := make([]any, len(apps))
	for i, a := range apps {
		out[i] = sel.apply(clientOut(a))
	}
	writeList(w, p, "clients", out, total)
	return nil
}
