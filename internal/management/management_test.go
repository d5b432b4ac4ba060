package management

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monban/monban/internal/mfa"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
	"github.com/monban/monban/internal/token"
	"github.com/monban/monban/internal/webhook"
)

const testIndicator = "https://monban.test/api"

// Raw bearer tokens the test verifier knows.
const (
	tokAdmin    = "admin-token"
	tokNoScope  = "read-only-token"
	tokWrongAud = "other-audience-token"
)

// fakeVerifier stands in for the JWT verifier, which is tested end to end
// elsewhere: it knows a fixed set of raw tokens.
type fakeVerifier map[string]*token.Claims

func (v fakeVerifier) Verify(raw string) (*token.Claims, error) {
	if c, ok := v[raw]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w: signature does not verify", token.ErrInvalid)
}

// storeKeys is a KeyManager on the store, as the server's own is.
type storeKeys struct {
	st  store.Store
	now func() time.Time
}

func (k storeKeys) ListKeys(ctx context.Context) ([]store.SigningKey, error) {
	return k.st.ListSigningKeys(ctx)
}

func (k storeKeys) RotateKey(ctx context.Context, alg string) error {
	if alg == "" {
		alg = keys.DefaultAlgorithm
		list, err := k.st.ListSigningKeys(ctx)
		if err != nil {
			return err
		}
		for _, sk := range list {
			if sk.Status == store.KeyCurrent {
				alg = sk.Algorithm
			}
		}
	}
	now := k.now()
	next, err := keys.Generate(alg, store.KeyCurrent, now)
	if err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	return k.st.RotateSigningKeys(ctx, next, now, now.Add(-24*time.Hour))
}

// syncBuffer collects log output written from handler goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var hashKey = []byte("test hash key")

func hashSecret(secret string) []byte {
	m := hmac.New(sha256.New, hashKey)
	m.Write([]byte(secret))
	return m.Sum(nil)
}

type env struct {
	t       *testing.T
	st      store.Store
	mfa     *mfa.Service // the API's second factors
	srv     *httptest.Server
	changes atomic.Int32
	logs    *syncBuffer
	// changedErr, if set, is returned by Deps.Changed.
	changedErr atomic.Pointer[error]
	// standing, if set, is every caller's standing; unset: Holds.
	standing atomic.Pointer[catalog.Standing]
	// Seeded rows: the built-in resource, its scope "all", the M2M role
	// holding it.
	builtinID, allScopeID, adminRoleID string
	auditMu                            sync.Mutex
	audits                             []ChangeEvent
	// connectors sends the messages of the connector routes; tests step
	// its outbox with Round.
	connectors *connector.Service
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "monban.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	storetest.Unlock(t, st, storetest.NewKey(t))
	return st
}

// newEnv serves the API over a fresh SQLite store seeded as the server
// seeds it. wrap, if given, wraps the store the API sees.
func newEnv(t *testing.T, wrap ...func(store.Store) store.Store) *env {
	t.Helper()
	e := &env{t: t, st: openStore(t), logs: &syncBuffer{}}
	ctx := context.Background()
	now := time.Now()
	e.builtinID, e.allScopeID, e.adminRoleID = "management-api", "management-api-all", "admin-role"
	must(t, e.st.CreateResource(ctx, store.Resource{ID: e.builtinID, Name: "Logto Management API",
		Indicator: testIndicator, AccessTokenTTL: 3600, CreatedAt: now}))
	must(t, e.st.CreateScope(ctx, store.Scope{ID: e.allScopeID, ResourceID: e.builtinID, Name: "all",
		Description: "Default scope for Management API, allows all permissions.", CreatedAt: now}))
	must(t, e.st.CreateRole(ctx, store.Role{ID: e.adminRoleID, Name: "Logto Management API access",
		Description: "This default role grants access to the Logto management API.",
		Type:        store.RoleMachineToMachine, CreatedAt: now}))
	must(t, e.st.AddRoleScopes(ctx, e.adminRoleID, []string{e.allScopeID}))

	var api store.Store = e.st
	for _, w := range wrap {
		api = w(api)
	}
	deps := Deps{
		Store: api,
		Verifier: fakeVerifier{
			tokAdmin:    {Subject: "admin-app", ClientID: "admin-app", Audience: []string{testIndicator}, Scope: "all"},
			tokNoScope:  {Subject: "reader-app", Audience: []string{testIndicator}, Scope: "read"},
			tokWrongAud: {Subject: "other-app", Audience: []string{"https://other.test"}, Scope: "all"},
		},
		Indicator:  testIndicator,
		Keys:       storeKeys{st: e.st, now: time.Now},
		HashSecret: hashSecret,
		Changed: func(context.Context) error {
			e.changes.Add(1)
			if p := e.changedErr.Load(); p != nil {
				return *p
			}
			return nil
		},
		Scripts: newRunner(t),
		Audit: func(_ context.Context, c ChangeEvent) {
			e.auditMu.Lock()
			defer e.auditMu.Unlock()
			e.audits = append(e.audits, c)
		},
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		// The test receivers of webhooks listen on loopback.
		Hooks:    webhook.NewService(api, egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, 2*time.Second, nil),
		ClientIP: func(*http.Request) string { return "198.51.100.4" },
		Standing: func(string, string) catalog.Standing {
			if p := e.standing.Load(); p != nil {
				return *p
			}
			return catalog.Holds
		},
	}
	connOpts := connector.DefaultOptions()
	connOpts.Egress, connOpts.Timeout = egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, 5*time.Second
	e.connectors = connector.New(api, connOpts)
	deps.Connectors = e.connectors
	e.mfa = mfa.New(api, nil, nil)
	deps.MFA = e.mfa
	e.srv = httptest.NewServer(New(deps))
	t.Cleanup(e.srv.Close)
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

// req is a request to send: token "" sends no Authorization header;
// contentType "" means application/json when there is a body.
type req struct {
	method, path string
	body         any // string or []byte are sent as is; else JSON-encoded
	token        string
	authHeader   string // overrides token
	contentType  string
}

func (e *env) send(rq req) resp {
	e.t.Helper()
	var rd io.Reader
	hasBody := rq.body != nil
	switch b := rq.body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		must(e.t, err)
		rd = bytes.NewReader(data)
	}
	hr, err := http.NewRequest(rq.method, e.srv.URL+rq.path, rd)
	must(e.t, err)
	if hasBody {
		ct := rq.contentType
		if ct == "" {
			ct = "application/json"
		}
		if ct != "-" {
			hr.Header.Set("Content-Type", ct)
		}
	}
	switch {
	case rq.authHeader != "":
		hr.Header.Set("Authorization", rq.authHeader)
	case rq.token != "":
		hr.Header.Set("Authorization", "Bearer "+rq.token)
	}
	res, err := e.srv.Client().Do(hr)
	must(e.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	must(e.t, err)
	return resp{status: res.StatusCode, header: res.Header, body: data}
}

// do sends an authorised request.
func (e *env) do(method, path string, body any) resp {
	e.t.Helper()
	return e.send(req{method: method, path: path, body: body, token: tokAdmin})
}

// want checks the status and decodes the body into out (if not nil).
func (r resp) want(t *testing.T, status int, out any) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("decode %s: %v", r.body, err)
		}
	}
	return r
}

// errBody decodes an error response.
func (r resp) errBody(t *testing.T) map[string]string {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatalf("error body %q is not a JSON object: %v", r.body, err)
	}
	delete(raw, "data") // Logto's detail of some refusals
	m := map[string]string{}
	for k, v := range raw {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			t.Fatalf("error body %q: %s is not a string: %v", r.body, k, err)
		}
		m[k] = s
	}
	if m["code"] == "" || m["message"] == "" {
		t.Fatalf("error body %s lacks code or message", r.body)
	}
	return m
}

type appOut struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Description        string  `json:"description"`
	Type               string  `json:"type"`
	Secret             *string `json:"secret"`
	OIDCClientMetadata struct {
		RedirectURIs           []string `json:"redirectUris"`
		PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
	} `json:"oidcClientMetadata"`
	IsThirdParty bool  `json:"isThirdParty"`
	CreatedAt    int64 `json:"createdAt"`
}

type secretOutT struct {
	ApplicationID string  `json:"applicationId"`
	Name          string  `json:"name"`
	Value         *string `json:"value"`
	CreatedAt     int64   `json:"createdAt"`
	ExpiresAt     *int64  `json:"expiresAt"`
}

type resourceOutT struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Indicator      string `json:"indicator"`
	IsDefault      bool   `json:"isDefault"`
	AccessTokenTTL int    `json:"accessTokenTtl"`
	IsBuiltIn      bool   `json:"isBuiltIn"`
}

type scopeOutT struct {
	ID          string `json:"id"`
	ResourceID  string `json:"resourceId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	CreatedAt   int64  `json:"createdAt"`
}

type roleOutT struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Type        string `json:"type"`
	IsDefault   bool   `json:"isDefault"`
}

type keyOutT struct {
	ID        string `json:"id"`
	Algorithm string `json:"signingKeyAlgorithm"`
	Status    string `json:"status"`
	CreatedAt int64  `json:"createdAt"`
}

func (e *env) createApp(name, typ string) appOut {
	e.t.Helper()
	var a appOut
	e.do("POST", "/api/applications", map[string]any{"name": name, "type": typ}).want(e.t, 200, &a)
	return a
}

func (e *env) createResource(name, indicator string) resourceOutT {
	e.t.Helper()
	var r resourceOutT
	e.do("POST", "/api/resources", map[string]any{"name": name, "indicator": indicator}).want(e.t, 201, &r)
	return r
}

func (e *env) createScope(resID, name string) scopeOutT {
	e.t.Helper()
	var s scopeOutT
	e.do("POST", "/api/resources/"+resID+"/scopes", map[string]any{"name": name, "description": name}).want(e.t, 201, &s)
	return s
}

func (e *env) createRole(name, typ string, scopeIDs ...string) roleOutT {
	e.t.Helper()
	body := map[string]any{"name": name, "description": "role " + name, "type": typ}
	if len(scopeIDs) > 0 {
		body["scopeIds"] = scopeIDs
	}
	var r roleOutT
	e.do("POST", "/api/roles", body).want(e.t, 200, &r)
	return r
}

// failingStore makes chosen methods fail with an internal error.
type failingStore struct {
	store.Store
	failList bool
}

var errDiskOnFire = errors.New("disk on fire at /var/lib/monban")

func (f failingStore) ListApplications(ctx context.Context, filter store.ApplicationFilter, p store.Page) ([]store.Application, int, error) {
	if f.failList {
		return nil, 0, errDiskOnFire
	}
	return f.Store.ListApplications(ctx, filter, p)
}

func (f failingStore) CreateResource(ctx context.Context, r store.Resource) error {
	return errDiskOnFire
}

// panickyStore panics where a bug would.
type panickyStore struct{ store.Store }

func (panickyStore) GetRole(context.Context, string) (store.Role, error) { panic("bug") }
