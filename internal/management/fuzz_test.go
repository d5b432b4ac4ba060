package management

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
	"github.com/monban/monban/internal/token"
)

// fuzzRoutes are the routes FuzzAPI sends bodies and queries to: every
// parser of a body or a query string, except the ones that hash a password
// or run a script (they cost milliseconds each and are tested apart).
var fuzzRoutes = []string{
	"POST /api/applications",
	"PATCH /api/applications/app1",
	"POST /api/applications/app1/secrets",
	"PUT /api/applications/app1/roles",
	"POST /api/resources",
	"PATCH /api/resources/res1",
	"PATCH /api/resources/res1/is-default",
	"POST /api/resources/res1/scopes",
	"PATCH /api/resources/res1/scopes/scope1",
	"POST /api/roles",
	"PATCH /api/roles/role1",
	"POST /api/roles/role1/scopes",
	"POST /api/users",
	"PATCH /api/users/user1",
	"PATCH /api/users/user1/custom-data",
	"PATCH /api/users/user1/is-suspended",
	"GET /api/applications",
	"GET /api/resources",
	"GET /api/roles",
	"GET /api/users",
	"GET /api/roles/role1/scopes",
	"GET /api/logs",
	"POST /api/hooks",
	"PATCH /api/hooks/hook1",
	"GET /api/hooks",
	"GET /api/hooks/hook1/recent-logs",
	"POST /api/organizations",
	"PATCH /api/organizations/org1",
	"GET /api/organizations",
	"POST /api/organizations/org1/users",
	"POST /api/organizations/org1/users/user1/roles",
	"POST /api/organizations/org1/jit/email-domains",
	"PUT /api/organizations/org1/jit/email-domains",
	"POST /api/organization-roles",
	"PATCH /api/organization-roles/orgrole1",
	"POST /api/organization-scopes",
	"GET /api/organizations/org1/users",
	"POST /api/organizations/org1/applications/roles",
}

// fuzzAPI serves the Management API over a real SQLite store holding one
// row of each kind the routes above name.
func fuzzAPI(f *testing.F) http.Handler {
	f.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	storetest.Unlock(f, st, storetest.NewKey(f))
	now := time.Now()
	for _, err := range []error{
		st.CreateResource(ctx, store.Resource{ID: "mgmt", Name: "Logto Management API", Indicator: testIndicator, AccessTokenTTL: 3600, CreatedAt: now}),
		st.CreateResource(ctx, store.Resource{ID: "res1", Name: "API", Indicator: "https://api.fuzz.test", AccessTokenTTL: 3600, CreatedAt: now}),
		st.CreateScope(ctx, store.Scope{ID: "scope1", ResourceID: "res1", Name: "read", CreatedAt: now}),
		st.CreateRole(ctx, store.Role{ID: "role1", Name: "Robot", Type: store.RoleMachineToMachine, CreatedAt: now}),
		st.CreateApplication(ctx, store.Application{ID: "app1", Name: "App", Type: store.AppMachineToMachine, CreatedAt: now}),
		st.CreateUser(ctx, store.User{ID: "user1", Username: "jane", CustomData: map[string]any{}, CreatedAt: now, UpdatedAt: now}),
		st.CreateHook(ctx, store.Hook{ID: "hook1", Events: []string{"User.Created"}, URL: "https://hooks.fuzz.test/h", SigningKey: "k", Enabled: true, CreatedAt: now}),
		st.CreateOrganization(ctx, store.Organization{ID: "org1", Name: "Org", CreatedAt: now}),
		st.CreateOrganizationRole(ctx, store.OrganizationRole{ID: "orgrole1", Name: "member", Type: store.RoleUser, CreatedAt: now}, nil, nil),
		st.AddOrganizationMembers(ctx, "org1", store.HolderUser, []string{"user1"}),
	} {
		if err != nil {
			f.Fatal(err)
		}
	}
	return New(Deps{
		Store: st,
		Verifier: fakeVerifier{
			tokAdmin: {Subject: "admin-app", ClientID: "admin-app", Audience: []string{testIndicator}, Scope: "all"},
		},
		Indicator:  testIndicator,
		Standing:   func(string, string) catalog.Standing { return catalog.Holds },
		Keys:       storeKeys{st: st, now: time.Now},
		HashSecret: hashSecret,
		Changed:    func(context.Context) error { return nil },
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Passwords:  password.NewHasher(password.Params{Time: 1, Memory: 64, Threads: 1}, 1),
	})
}

// FuzzAPI sends arbitrary JSON bodies and query strings to the Management
// API's routes. A client's mistake is a 4xx with Logto's {code, message}
// body, never a 5xx; a listing's query is accepted only with a valid page
// and page_size.
func FuzzAPI(f *testing.F) {
	for i, body := range []string{
		`{"name":"x","type":"MachineToMachine"}`,
		`{"name":"x","oidcClientMetadata":{"redirectUris":["https://x/cb"]}}`,
		`{"name":"s","expiresAt":1}`,
		`{"roleIds":["role1"]}`,
		`{"name":"r","indicator":"https://r.test","accessTokenTtl":0}`,
		`{"accessTokenTtl":-1,"name":"\u0000"}`,
		`{"isDefault":true}`,
		`{"name":"write","description":"d"}`,
		`{"name":"a b"}`,
		`{"name":"Role","type":"User","scopeIds":["scope1"]}`,
		`{"name":"x","Name":"y"}`,
		`{"scopeIds":[]}`,
		`{"username":"bob","primaryEmail":"bob@x.test","profile":{"website":"https://x"}}`,
		`{"customData":{"a":{"b":[1,2,{"c":null}]}},"avatar":"javascript:x"}`,
		`{"customData":[1]}`,
		`{"isSuspended":"yes"}`,
	} {
		f.Add(uint8(i), "", body)
	}
	f.Add(uint8(16), "page=2&page_size=100", "")
	f.Add(uint8(17), "page=0", "")
	f.Add(uint8(18), "page_size=101&type=User", "")
	f.Add(uint8(19), "search=%25ja%25&page=9223372036854775807", "")
	f.Add(uint8(19), "search=%00", "")
	f.Add(uint8(20), "page=-1&page_size=abc", "")
	f.Add(uint8(21), "page=1&page=2&page_size=1e3", "")
	f.Add(uint8(22), "", `{"events":["User.Created"],"config":{"url":"https://h.test/x","headers":{"X-A":"b"}},"name":"n"}`)
	f.Add(uint8(23), "", `{"event":null,"events":["Nope"],"config":{"url":"http://10.0.0.1/"},"enabled":"yes"}`)
	f.Add(uint8(24), "includeExecutionStats=true&page=1", "")
	f.Add(uint8(25), "logKey=TriggerHook.User.Created&start_time=1e300&end_time=-5", "")
	f.Add(uint8(26), "", `{"name":"Acme","branding":{"logoUrl":"https://x.test/l.png"},"color":{"isDarkModeEnabled":true},"customData":{"a":1}}`)
	f.Add(uint8(27), "", `{"description":null,"customCss":"\u0000","branding":{"favicon":"javascript:1"}}`)
	f.Add(uint8(28), "q=%25_%5C&showFeatured=true&page=1", "")
	f.Add(uint8(29), "", `{"userIds":["user1","user1",""]}`)
	f.Add(uint8(30), "", `{"organizationRoleNames":["member","ghost"],"organizationRoleIds":["orgrole1"]}`)
	f.Add(uint8(31), "", `{"emailDomain":"Acme.EXAMPLE"}`)
	f.Add(uint8(32), "", `{"emailDomains":["a.test","..",null]}`)
	f.Add(uint8(33), "", `{"name":"r","type":"MachineToMachine","organizationScopeIds":["x"],"resourceScopeIds":["scope1"]}`)
	f.Add(uint8(34), "", `{"name":"r","type":"User","isDefault":true}`)
	f.Add(uint8(35), "", `{"name":"read docs"}`)
	f.Add(uint8(36), "q=jane&organizationRoleId=orgrole1", "")
	f.Add(uint8(37), "", `{"applicationIds":["app1"],"organizationRoleIds":["orgrole1"]}`)
	h := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, route uint8, query, body string) {
		method, path, _ := strings.Cut(fuzzRoutes[int(route)%len(fuzzRoutes)], " ")
		var rd io.Reader
		if method != http.MethodGet {
			rd = strings.NewReader(body)
		}
		r := httptest.NewRequest(method, path, rd)
		r.URL.RawQuery = query
		r.Header.Set("Authorization", "Bearer "+tokAdmin)
		if rd != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %s?%s %q: %d %s", method, path, query, body, w.Code, w.Body.String())
		}
		if w.Code >= 400 {
			var e struct{ Code, Message string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
				t.Fatalf("error body %q", w.Body.String())
			}
			return
		}
		if method == http.MethodGet {
			q, err := url.ParseQuery(query)
			if err != nil {
				return // net/url and the handler may split a bad query differently
			}
			for _, name := range []string{"page", "page_size"} {
				if v, ok := q[name]; ok && !positive(v[0]) {
					t.Fatalf("%s=%q accepted", name, v[0])
				}
			}
		}
	})
}

func positive(s string) bool {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > math.MaxInt32 {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return s != "" && n >= 1
}

// FuzzPageOf checks the pagination parser on its own: an answer is a
// 400 or a page whose offset and limit are in range and agree with the
// query.
func FuzzPageOf(f *testing.F) {
	for _, q := range []string{"", "page=1", "page=3&page_size=7", "page=0", "page_size=0", "page_size=101",
		"page=2147483647&page_size=100", "page=%2B1", "page=1&page=x", "page= 1", "page=0x10", "page=-0"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodGet, "/api/roles", nil)
		r.URL.RawQuery = query
		p, _, err := pageOf(r, false)
		if err != nil {
			ae, ok := err.(*apiError)
			if !ok || ae.status != http.StatusBadRequest {
				t.Fatalf("error %#v", err)
			}
			return
		}
		if p.Limit < 1 || p.Limit > maxPageSize || p.Offset < 0 || p.Offset%p.Limit != 0 || p.Offset > math.MaxInt32 {
			t.Fatalf("%q gives %+v", query, p)
		}
	})
}

var _ token.Verifier = fakeVerifier{}
