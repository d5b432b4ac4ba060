package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/revocation"
	"github.com/monban/monban/internal/store"
)

// recordingCustomizer keeps what it was given and answers with claims or
// a refusal.
type recordingCustomizer struct {
	mu    sync.Mutex
	got   []AccessTokenInput
	claim map[string]any
	deny  *Error
}

func (c *recordingCustomizer) ClientCredentials(context.Context, ClientCredentialsInput) (map[string]any, *Error) {
	return nil, nil
}

func (c *recordingCustomizer) AccessToken(_ context.Context, in AccessTokenInput) (CustomClaims, *Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, in)
	return CustomClaims{Access: c.claim}, c.deny
}

// A user access token runs the customizer with Logto's user context: the
// token payload, context.user with roles and their scopes, the
// application, and the password sign-in as the interaction.
func TestAccessTokenCustomizerInput(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	st := openStore(t, now)
	must(t, st.CreateResource(ctx, store.Resource{ID: "r1", Name: "Shop", Indicator: "https://shop.test", AccessTokenTTL: 600, CreatedAt: now}))
	must(t, st.CreateScope(ctx, store.Scope{ID: "s1", ResourceID: "r1", Name: "read", Description: "Read", CreatedAt: now}))
	must(t, st.CreateRole(ctx, store.Role{ID: "ro1", Name: "Reader", Type: store.RoleUser, CreatedAt: now}))
	must(t, st.AddRoleScopes(ctx, "ro1", []string{"s1"}))
	pw := password.NewHasher(password.Params{Time: 1, Memory: 64, Threads: 1}, 1)
	hash, err := pw.Hash(ctx, "secret password")
	must(t, err)
	must(t, st.CreateUser(ctx, store.User{ID: "u1", Username: "jane", PrimaryEmail: "jane@example.com",
		CustomData: map[string]any{"tier": "gold"}, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}))
	must(t, st.AddUserRoles(ctx, "u1", []string{"ro1"}))
	hasher := clientauth.NewHasher([]byte("k"))
	must(t, st.CreateApplication(ctx, store.Application{ID: "web", Name: "Web", Type: store.AppTraditional,
		RedirectURIs: []string{"https://web.test/cb"}, AllowPasswordGrant: true, CreatedAt: now}))
	must(t, st.CreateAppSecret(ctx, store.AppSecret{AppID: "web", Name: "s", Hash: hasher.Hash("websecret"), CreatedAt: now}))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cache, err := catalog.New(ctx, st, logger, 0, nil)
	must(t, err)
	rev, err := revocation.New(ctx, st, logger, nil)
	must(t, err)
	cust := &recordingCustomizer{claim: map[string]any{"tier": "gold", "sub": "forged"}}
	p := New(Config{Issuer: "https://id.test/oidc", Catalog: cache, Hasher: hasher, Customizer: cust, Logger: logger,
		Users: &UsersConfig{Store: st, Passwords: pw, Revocations: rev, Endpoint: "https://id.test", CSRFKey: make([]byte, 32)}})
	mux := http.NewServeMux()
	p.Register(mux)
	mountPages(p, mux, st, p.cfg.Users, nil)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	post := func() (int, map[string]any) {
		form := url.Values{"grant_type": {"password"}, "username": {"jane"}, "password": {"secret password"},
			"scope": {"openid read"}, "resource": {"https://shop.test"}, "client_id": {"web"}, "client_secret": {"websecret"}}
		res, err := http.PostForm(srv.URL+"/oidc/token", form)
		must(t, err)
		defer res.Body.Close()
		var m map[string]any
		must(t, json.NewDecoder(res.Body).Decode(&m))
		return res.StatusCode, m
	}
	status, m := post()
	if status != 200 {
		t.Fatalf("password grant: %d %v", status, m)
	}
	if len(cust.got) != 1 {
		t.Fatalf("customizer called %d times", len(cust.got))
	}
	in := cust.got[0]
	if in.AccountID != "u1" || in.ClientID != "web" || in.Audience != "https://shop.test" || in.Scope != "read" ||
		in.GrantID == "" || in.JTI == "" || in.GrantType != "password" || in.App.ID != "web" {
		t.Errorf("token part of the input: %+v", in)
	}
	// The user, their roles and the sign-in, as the store holds them; the
	// custom claims package describes them in a script's shapes.
	if u := in.User; u == nil || u.ID != "u1" || u.Username != "jane" || u.PrimaryEmail != "jane@example.com" ||
		u.CustomData["tier"] != "gold" || u.PasswordHash == "" {
		t.Errorf("user: %+v", in.User)
	}
	if len(in.Roles) != 1 || in.Roles[0].ID != "ro1" || in.Roles[0].Name != "Reader" {
		t.Errorf("roles: %+v", in.Roles)
	}
	if in.SignIn.VerificationID == "" || !reflect.DeepEqual(in.SignIn, store.SignInRecord{VerificationID: in.SignIn.VerificationID, IdentifierType: "username", IdentifierValue: "jane"}) {
		t.Errorf("sign-in: %+v", in.SignIn)
	}
	// The custom claim is in the token; the registered ones win.
	parts := strings.Split(m["access_token"].(string), ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	must(t, json.Unmarshal(payload, &claims))
	if claims["tier"] != "gold" || claims["sub"] != "u1" {
		t.Errorf("claims %v", claims)
	}
	// Over an https endpoint the cookies are Secure and __Host- prefixed.
	q := url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {"https://web.test/cb"}, "scope": {"openid"}}
	res, err := http.Get(srv.URL + "/sign-in?" + q.Encode())
	must(t, err)
	res.Body.Close()
	if c := res.Header.Get("Set-Cookie"); res.StatusCode != 200 || !strings.HasPrefix(c, "__Host-monban_csrf=") ||
		!strings.Contains(c, "Secure") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") || !strings.Contains(c, "Path=/") {
		t.Errorf("sign-in page over https: %d, Set-Cookie %q", res.StatusCode, c)
	}

	// A refusal is the customizer's error.
	cust.deny = &Error{Status: 400, Code: "access_denied", Description: "no"}
	if status, m := post(); status != 400 || m["error"] != "access_denied" {
		t.Errorf("denied: %d %v", status, m)
	}
}

func TestUserClaimsByScope(t *testing.T) {
	u := &store.User{ID: "u", Username: "jane", Name: "Jane", PrimaryEmail: "j@x.test", EmailVerified: true, PrimaryPhone: "1555",
		CustomData: map[string]any{"a": 1}, Profile: store.UserProfile{GivenName: "J", Address: &store.UserAddress{Country: "NZ"}},
		UpdatedAt: time.Unix(100, 0)}
	roles := []store.Role{{Name: "Admin", Type: store.RoleUser}, {Name: "Robot", Type: store.RoleMachineToMachine}}
	if c := userClaims(u, []string{"openid"}, true, roles); len(c) != 0 {
		t.Errorf("openid alone: %v", c)
	}
	c := userClaims(u, []string{"profile", "email", "phone", "address", "roles", "custom_data"}, false, roles)
	for k, want := range map[string]any{"name": "Jane", "username": "jane", "given_name": "J", "email": "j@x.test",
		"email_verified": true, "phone_number": "1555", "updated_at": int64(100)} {
		if c[k] != want {
			t.Errorf("%s = %v, want %v", k, c[k], want)
		}
	}
	// An address nobody verified is said to be unverified.
	unverified := *u
	unverified.EmailVerified = false
	if c := userClaims(&unverified, []string{"email"}, false, nil); c["email"] != "j@x.test" || c["email_verified"] != false {
		t.Errorf("unverified address: %v", c)
	}
	if r := c["roles"].([]string); len(r) != 1 || r[0] != "Admin" {
		t.Errorf("roles %v", c["roles"])
	}
	if _, ok := c["custom_data"]; ok {
		t.Error("custom_data in an ID token")
	}
	if c["address"].(map[string]any)["country"] != "NZ" {
		t.Errorf("address %v", c["address"])
	}
	if c := userClaims(u, []string{"custom_data"}, true, nil); c["custom_data"] == nil {
		t.Error("no custom_data at userinfo")
	}
}

// Zero or negative lifetimes take the defaults, set ones are kept, and an
// authorization code never lives longer than the default ten minutes.
func TestUsersConfigDefaults(t *testing.T) {
	for _, c := range []UsersConfig{{}, {SessionTTL: -1, CodeTTL: -1, IDTokenTTL: -1, RefreshGrace: -1, HashWait: -1}} {
		c.withDefaults()
		if c.SessionTTL != DefaultSessionTTL || c.CodeTTL != DefaultCodeTTL || c.IDTokenTTL != DefaultIDTokenTTL ||
			c.RefreshGrace != 0 || c.HashWait != defaultHashWait {
			t.Errorf("defaults: session %v, code %v, ID token %v, grace %v, hash wait %v",
				c.SessionTTL, c.CodeTTL, c.IDTokenTTL, c.RefreshGrace, c.HashWait)
		}
	}
	c := UsersConfig{SessionTTL: time.Hour, CodeTTL: DefaultCodeTTL - 1, IDTokenTTL: time.Minute, RefreshGrace: time.Second, HashWait: time.Second}
	c.withDefaults()
	if c.SessionTTL != time.Hour || c.CodeTTL != DefaultCodeTTL-1 || c.IDTokenTTL != time.Minute ||
		c.RefreshGrace != time.Second || c.HashWait != time.Second {
		t.Errorf("set values changed: session %v, code %v, ID token %v, grace %v, hash wait %v",
			c.SessionTTL, c.CodeTTL, c.IDTokenTTL, c.RefreshGrace, c.HashWait)
	}
	c = UsersConfig{CodeTTL: DefaultCodeTTL + 1}
	c.withDefaults()
	if c.CodeTTL != DefaultCodeTTL {
		t.Errorf("code lifetime %v, want at most %v", c.CodeTTL, DefaultCodeTTL)
	}
}
