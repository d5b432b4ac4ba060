package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/ratelimit"
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

func (c *recordingCustomizer) AccessToken(_ context.Context, in AccessTokenInput) (map[string]any, *Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, in)
	return c.claim, c.deny
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
	addUser(t, st, testPasswords(), store.User{ID: "u1", Username: "jane", PrimaryEmail: "jane@example.com",
		CustomData: map[string]any{"tier": "gold"}, CreatedAt: now, UpdatedAt: now}, "secret password", "ro1")
	addApp(t, st, testHasher, store.Application{ID: "web", Name: "Web", Type: store.AppTraditional,
		RedirectURIs: []string{"https://web.test/cb"}, AllowPasswordGrant: true, CreatedAt: now}, "websecret")
	cust := &recordingCustomizer{claim: map[string]any{"tier": "gold", "sub": "forged"}}
	_, mux := newTestProvider(t, st, providerSetup{Customizer: cust})
	base := serve(t, mux)

	post := func() (int, map[string]any) {
		form := url.Values{"grant_type": {"password"}, "username": {"jane"}, "password": {"secret password"},
			"scope": {"openid read"}, "resource": {"https://shop.test"}, "client_id": {"web"}, "client_secret": {"websecret"}}
		res, m := postForm(t, base+"/oidc/token", form)
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
	u := in.User
	if u.ID != "u1" || *u.Username != "jane" || u.CustomData["tier"] != "gold" || !u.HasPassword || u.Organizations == nil ||
		len(u.Roles) != 1 || u.Roles[0].Name != "Reader" || len(u.Roles[0].Scopes) != 1 ||
		u.Roles[0].Scopes[0].Name != "read" || u.Roles[0].Scopes[0].Resource.Indicator != "https://shop.test" {
		t.Errorf("context.user: %+v", u)
	}
	js, _ := json.Marshal(u)
	for _, k := range []string{`"organizations":[]`, `"primaryEmail":"jane@example.com"`, `"customData":{"tier":"gold"}`} {
		if !strings.Contains(string(js), k) {
			t.Errorf("context.user JSON lacks %s: %s", k, js)
		}
	}
	if in.Interaction == nil || in.Interaction.InteractionEvent != "SignIn" || in.Interaction.UserID != "u1" ||
		len(in.Interaction.VerificationRecords) != 1 || in.Interaction.VerificationRecords[0].Type != "Password" ||
		in.Interaction.VerificationRecords[0].Identifier != (VerificationIdentifier{Type: "username", Value: "jane"}) ||
		!in.Interaction.VerificationRecords[0].Verified {
		t.Errorf("context.interaction: %+v", in.Interaction)
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
	res, err := http.Get(base + "/sign-in?" + q.Encode())
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

func TestThrottle(t *testing.T) {
	now := time.Unix(1000, 0)
	ctx := context.Background()
	th := newThrottle(ThrottleConfig{AccountFree: 2, IPFree: 5, Base: time.Second, Max: 4 * time.Second, Window: time.Minute, MaxEntries: 10},
		nil, func() time.Time { return now })
	a := accountKeys("", "a")
	if th.wait(ctx, a, "ip") != 0 {
		t.Fatal("locked from the start")
	}
	th.fail(ctx, a, "ip")
	if th.wait(ctx, a, "ip") != 0 {
		t.Fatal("locked after one failure")
	}
	th.fail(ctx, accountKeys("", "A"), "ip") // identifiers match regardless of case
	if d := th.wait(ctx, a, "ip"); d != time.Second {
		t.Fatalf("wait after two failures = %v", d)
	}
	for range 4 {
		th.fail(ctx, a, "ip")
	}
	if d := th.wait(ctx, a, "other-ip"); d != 4*time.Second {
		t.Fatalf("wait is capped at Max, got %v", d)
	}
	if d := th.wait(ctx, accountKeys("", "b"), "ip"); d != 2*time.Second { // 6 failures, 5 free
		t.Fatalf("the IP address is locked too, got %v", d)
	}
	now = now.Add(5 * time.Second)
	if th.wait(ctx, a, "ip") != 0 {
		t.Fatal("still locked after the lock expired")
	}
	th.succeed(ctx, a)
	th.fail(ctx, a, "ip2")
	if th.wait(ctx, a, "ip2") != 0 {
		t.Fatal("success did not reset the account")
	}
	// The counts stay bounded whatever keys come.
	for i := range 100 {
		th.fail(ctx, accountKeys("", string(rune('k'+i))), "ip3")
	}
	if n := th.counts.(*ratelimit.Local).Failures(); n > 10 {
		t.Errorf("%d keys for a bound of 10", n)
	}
}

// countingFailures counts the calls reaching a real FailureCounter.
type countingFailures struct {
	ratelimit.FailureCounter
	calls int
}

func (c *countingFailures) Locked(ctx context.Context, b ratelimit.Backoff, key string) time.Duration {
	c.calls++
	return c.FailureCounter.Locked(ctx, b, key)
}

func (c *countingFailures) Fail(ctx context.Context, b ratelimit.Backoff, key string) {
	c.calls++
	c.FailureCounter.Fail(ctx, b, key)
}

// A known and an unknown account cost the back-off the same calls (with
// Redis, the same round trips), so its timing tells nothing either.
func TestThrottleSameWorkForUnknownAccounts(t *testing.T) {
	calls := func(keys []string) int {
		c := &countingFailures{FailureCounter: ratelimit.NewLocal()}
		th := newThrottle(ThrottleConfig{}, c, time.Now)
		th.wait(context.Background(), keys, "192.0.2.1")
		th.fail(context.Background(), keys, "192.0.2.1")
		return c.calls
	}
	if known, unknown := calls(accountKeys("u1", "jane")), calls(accountKeys("", "nobody")); known != unknown {
		t.Fatalf("%d calls for a known account, %d for an unknown one", known, unknown)
	}
}

// IPv6 clients are counted per /64, as at the token endpoint (L2).
func TestThrottleIPv6PerNetwork(t *testing.T) {
	now := time.Unix(1000, 0)
	ctx := context.Background()
	th := newThrottle(ThrottleConfig{IPFree: 3, Base: time.Minute}, nil, func() time.Time { return now })
	for i := range 3 {
		th.fail(ctx, accountKeys("", "user"+strconv.Itoa(i)), "2001:db8:1:2::"+strconv.Itoa(i+1))
	}
	if d := th.wait(ctx, accountKeys("", "other"), "2001:db8:1:2:ffff::9"); d != time.Minute {
		t.Fatalf("another address of the /64: wait %v, want 1m", d)
	}
	if d := th.wait(ctx, accountKeys("", "other"), "2001:db8:1:3::1"); d != 0 {
		t.Fatalf("the next /64: wait %v, want 0", d)
	}
	// IPv4, and IPv4 mapped into IPv6, count per address.
	for range 3 {
		th.fail(ctx, accountKeys("", "x"), "::ffff:192.0.2.1")
	}
	if th.wait(ctx, nil, "192.0.2.1") == 0 || th.wait(ctx, nil, "192.0.2.2") != 0 {
		t.Fatal("IPv4 is not counted per address")
	}
}

// The back-off keys of an account include its user id, whatever identifier
// named it, and the identifier typed, in any case.
func TestAccountKeys(t *testing.T) {
	user, mail := accountKeys("u1", "jane"), accountKeys("u1", "Jane@Example.com")
	if !slices.Contains(mail, user[1]) || user[0] == mail[0] {
		t.Errorf("keys %v and %v: want the account's key shared, the identifiers' apart", user, mail)
	}
	unknown := accountKeys("", "JANE")
	if unknown[0] != user[0] {
		t.Errorf("an identifier's key depends on its case: %v, %v", unknown, user)
	}
	// An unknown identifier has as many keys as a known one, and none of
	// them can pose as an account's.
	if len(unknown) != len(user) || slices.Contains(accountKeys("", "u:u1"), user[1]) {
		t.Errorf("unknown identifier keys %v, account keys %v", unknown, user)
	}
	// A success clears the account and both its identifiers.
	got := successKeys(&store.User{ID: "u1", Username: "jane", PrimaryEmail: "Jane@Example.com"})
	for _, k := range append(user, mail...) {
		if !slices.Contains(got, k) {
			t.Errorf("success keys %v lack %s", got, k)
		}
	}
}

func TestUserClaimsByScope(t *testing.T) {
	u := &store.User{ID: "u", Username: "jane", Name: "Jane", PrimaryEmail: "j@x.test", PrimaryPhone: "1555",
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

// Zero or negative settings of the back-off take the defaults; set ones
// are kept, and reach the account's and the address's counts.
func TestThrottleDefaults(t *testing.T) {
	want := ThrottleConfig{AccountFree: 5, IPFree: 20, Base: time.Second, Max: 15 * time.Minute, Window: 15 * time.Minute, MaxEntries: 100_000}
	for _, c := range []ThrottleConfig{{}, {AccountFree: -1, IPFree: -1, Base: -1, Max: -1, Window: -1, MaxEntries: -1}} {
		c.withDefaults()
		if c != want {
			t.Errorf("defaults %+v, want %+v", c, want)
		}
	}
	set := ThrottleConfig{AccountFree: 1, IPFree: 2, Base: 3, Max: 4, Window: 5, MaxEntries: 6}
	c := set
	c.withDefaults()
	if c != set {
		t.Errorf("set values %+v changed to %+v", set, c)
	}
	th := newThrottle(set, ratelimit.NewLocal(), time.Now)
	if a, ip := th.account, th.client; a.Free != 1 || ip.Free != 2 || a.Base != 3 || ip.Base != 3 ||
		a.Max != 4 || ip.Max != 4 || a.Window != 5 || ip.Window != 5 || a.Name == ip.Name {
		t.Errorf("account back-off %+v, address back-off %+v", a, ip)
	}
}

// Failures older than the window are forgotten; within it, each failure
// past the free ones doubles the lock-out, up to Max.
func TestThrottleWindowAndGrowth(t *testing.T) {
	now := time.Unix(1000, 0)
	ctx := context.Background()
	th := newThrottle(ThrottleConfig{AccountFree: 2, IPFree: 100, Base: time.Second, Max: 8 * time.Second, Window: time.Minute},
		nil, func() time.Time { return now })
	a := accountKeys("", "a")
	th.fail(ctx, a, "ip")
	now = now.Add(time.Minute + time.Second)
	th.fail(ctx, a, "ip")
	if d := th.wait(ctx, a, "ip"); d != 0 {
		t.Fatalf("a failure outside the window still counts: wait %v", d)
	}
	now = now.Add(30 * time.Second)
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		th.fail(ctx, a, "ip")
		if d := th.wait(ctx, a, "ip"); d != want {
			t.Fatalf("failure %d within the window: wait %v, want %v", i+2, d, want)
		}
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
