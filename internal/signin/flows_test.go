package signin

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/browser"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/experience"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/passkey"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/replay"
	"github.com/monban/monban/internal/revocation"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlstore"
	"github.com/monban/monban/internal/verifycode"
)

// outbox is the codes' Deliverer of the tests: it keeps every message, as
// a connector's receiver would, so that a test (or the browser script,
// over HTTP) reads the code out of what was delivered.
type outbox struct {
	mu   sync.Mutex
	sent []verifycode.Message
	// next, when set, gets the messages instead (the real connectors).
	next verifycode.Deliverer
}

func (o *outbox) Deliver(ctx context.Context, m verifycode.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.next != nil {
		return o.next.Deliver(ctx, m)
	}
	o.sent = append(o.sent, m)
	return nil
}

// via hands every message from now on to d.
func (o *outbox) via(d verifycode.Deliverer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.next = d
}

// HasChannel: both channels have a connector.
func (o *outbox) HasChannel(verifycode.Channel) bool { return true }

// last is the last message to to, if any.
func (o *outbox) last(to string) (verifycode.Message, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.sent) - 1; i >= 0; i-- {
		if o.sent[i].To == to {
			return o.sent[i], true
		}
	}
	return verifycode.Message{}, false
}

func (o *outbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.sent)
}

// flows is a real HTTP server with the protocol core, the pages and the
// codes over one SQLite database, on a clock the test moves: one web app
// (redirect /cb on the server itself), the user jane with a password and
// a verified e-mail address, and the audit entries the pages report.
type flows struct {
	t      testing.TB
	st     *sqlstore.Store
	srv    *httptest.Server
	clock  *clock.Fake
	outbox *outbox
	dir    *directory.Directory
	// base is the server's public URL (the pages' endpoint); mfa and
	// passkeys its second factors and passkeys (on a fixture of a host
	// name only: a WebAuthn relying party cannot be an IP address).
	base     string
	mfa      *mfa.Service
	passkeys *passkey.Factor

	mu     sync.Mutex
	exp    Experience
	audits []audit.Interaction
	// real, when set, is the sign-in experience service the pages read
	// (custom phrases, application experiences, code policy) instead of
	// exp.
	real *experience.Service
	// recv, when set, are the real receivers the codes are read from.
	recv *receivers
}

// useRealExperience makes the pages read a real sign-in experience
// service over the fixture's store (every code channel has a connector).
func (f *flows) useRealExperience() *experience.Service {
	svc := experience.New(f.st, experience.Options{HasConnector: func(string) bool { return true }})
	f.mu.Lock()
	f.real = svc
	f.mu.Unlock()
	return svc
}

func (f *flows) realService() *experience.Service {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.real
}

const janePassword = "Jane's long passphrase 42"

func newFlows(t testing.TB) *flows { return newFlowsOn(t, "") }

// newFlowsOn is the fixture with the endpoint on host (localhost): ""
// is the listener's address.
func newFlowsOn(t testing.TB, host string) *flows {
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	f := &flows{t: t, clock: clock.NewFake(now), outbox: &outbox{}}
	f.st = openStore(t, now)
	pw := password.NewHasher(password.Params{Time: 1, Memory: 64, Threads: 1}, 2)
	f.dir = directory.New(directory.Config{Store: f.st, Passwords: pw, Now: f.clock.Now})
	jane := "jane"
	email := "jane@example.com"
	pass := janePassword
	_, err := f.dir.CreateUser(ctx, directory.NewUser{Password: &pass,
		UserFields: directory.UserFields{Username: &jane, PrimaryEmail: &email, By: directory.ByAdmin}})
	must(t, err)
	f.srv = httptest.NewUnstartedServer(nil)
	endpoint := "http://" + f.srv.Listener.Addr().String()
	if host != "" {
		_, port, err := net.SplitHostPort(f.srv.Listener.Addr().String())
		must(t, err)
		endpoint = "http://" + net.JoinHostPort(host, port)
	}
	f.base = endpoint
	must(t, f.st.CreateApplication(ctx, store.Application{ID: "web", Name: "Web", Type: store.AppTraditional,
		RedirectURIs: []string{endpoint + "/cb"}, CreatedAt: now}))
	deviceApps(t, f.st, now)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cache, err := catalog.New(ctx, f.st, logger, 0, f.clock)
	must(t, err)
	t.Cleanup(cache.Close)
	rev, err := revocation.New(ctx, f.st, logger, f.clock.Now)
	must(t, err)
	p := oidc.New(oidc.Config{Issuer: endpoint + "/oidc", Catalog: cache, Logger: logger, Now: f.clock.Now,
		Users: &oidc.UsersConfig{Store: f.st, Passwords: pw, Revocations: rev, Endpoint: endpoint, CSRFKey: make([]byte, 32)}})
	mux := http.NewServeMux()
	p.Register(mux)
	p.Mount(mux, oidc.Auth0Profile(endpoint))
	f.exp = DefaultExperience()
	f.exp.SignUpIdentifiers = []string{"username", "email", "phone"}
	f.exp.CodeSignIn = []string{"email", "phone"}
	f.exp.AutoDetect = true
	f.mfa = mfa.New(f.st, p.Accounts().Throttle, f.clock.Now)
	var passkeys Passkeys
	if host != "" {
		svc, err := passkey.New(passkey.Config{Endpoint: endpoint, Sealer: f.st.Sealer, Used: replay.Store{S: f.st, Now: f.clock.Now},
			Now: f.clock.Now})
		must(t, err)
		f.passkeys = &passkey.Factor{S: svc, MFA: f.mfa, Users: f.st}
		f.mfa.Register(f.passkeys)
		passkeys = f.passkeys
	}
	New(Config{MFA: f.mfa, MFARemember: 30 * 24 * time.Hour, Passkeys: passkeys, Endpoint: endpoint, Store: f.st, Authorization: p, Devices: p, Accounts: p.Accounts(), Directory: f.dir,
		Cookies: browser.New(endpoint, make([]byte, 32)), Logger: logger, Now: f.clock.Now,
		Codes: verifycode.New(f.st, f.outbox, verifycode.Options{Now: f.clock.Now, Policy: func(ctx context.Context) (verifycode.Policy, error) {
			if svc := f.realService(); svc != nil {
				return svc.CodePolicy(ctx)
			}
			return verifycode.Policy{}, nil
		}}),
		Experience: func(ctx context.Context) (Experience, error) {
			if svc := f.realService(); svc != nil {
				return ExperienceOf(svc)(ctx)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.exp, nil
		},
		App: func(ctx context.Context, id string) (experience.AppSettings, bool, error) {
			if svc := f.realService(); svc != nil {
				return svc.App(ctx, id)
			}
			return experience.AppSettings{}, false, nil
		},
		Audit: func(_ context.Context, ev audit.Interaction) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.audits = append(f.audits, ev)
		},
	}).Register(mux)
	mux.HandleFunc("GET /cb", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "signed in") })
	f.testRoutes(mux)
	f.srv.Config.Handler = mux
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

// setExperience changes the sign-in experience.
func (f *flows) setExperience(change func(*Experience)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(&f.exp)
}

// auditKeys are the keys of the audit entries so far, with ":error" for a
// refusal.
func (f *flows) auditKeys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, a := range f.audits {
		k := a.Key
		if a.Error != "" {
			k += ":" + a.Error
		}
		out = append(out, k)
	}
	return out
}

// visitor is one browser: its cookies, and the last page it got.
type visitor struct {
	f      *flows
	c      *http.Client
	lang   string // Accept-Language
	status int
	body   string
	loc    *url.URL // the last redirect's target
}

func (f *flows) visitor(lang string) *visitor {
	jar, err := cookiejar.New(nil)
	must(f.t, err)
	return &visitor{f: f, lang: lang, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// do sends a request, following redirects within the pages (not to the
// client's /cb), and keeps the last answer.
func (v *visitor) do(method, target string, form url.Values) *visitor {
	v.f.t.Helper()
	for range 5 {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		if !strings.HasPrefix(target, "http") {
			target = v.f.base + target
		}
		r, err := http.NewRequest(method, target, body)
		must(v.f.t, err)
		if form != nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if v.lang != "" {
			r.Header.Set("Accept-Language", v.lang)
		}
		res, err := v.c.Do(r)
		must(v.f.t, err)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		v.status, v.body, v.loc = res.StatusCode, string(b), nil
		if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
			return v
		}
		v.loc, err = url.Parse(res.Header.Get("Location"))
		must(v.f.t, err)
		if v.loc.Path == "/cb" {
			return v
		}
		method, target, form = "GET", v.loc.String(), nil
	}
	v.f.t.Fatal("too many redirects")
	return v
}

// start sends the authorization request with extra parameters and lands
// on the first screen.
func (v *visitor) start(extra url.Values) *visitor {
	q := url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {v.f.base + "/cb"},
		"scope": {"openid"}, "state": {"st"}}
	for k, vs := range extra {
		q[k] = vs
	}
	return v.do("GET", "/oidc/auth?"+q.Encode(), nil)
}

var (
	csrfRe        = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	interactionRe = regexp.MustCompile(`name="interaction" value="([^"]*)"`)
)

// submit posts a form of the current page to path (below /sign-in) with
// the page's CSRF token and interaction.
func (v *visitor) submit(path string, fields url.Values) *visitor {
	v.f.t.Helper()
	c, i := csrfRe.FindStringSubmatch(v.body), interactionRe.FindStringSubmatch(v.body)
	if c == nil || i == nil {
		v.f.t.Fatalf("no form on the page: %d %s", v.status, v.body)
	}
	form := url.Values{"csrf": {html.UnescapeString(c[1])}, "interaction": {html.UnescapeString(i[1])}}
	for k, vs := range fields {
		form[k] = vs
	}
	return v.do("POST", Path+path, form)
}

// want checks the last answer's status and that the page says each of
// words (HTML-escaped as the page writes them).
func (v *visitor) want(status int, words ...string) *visitor {
	v.f.t.Helper()
	if v.status != status {
		v.f.t.Fatalf("status %d, want %d: %s", v.status, status, v.body)
	}
	for _, w := range words {
		if !strings.Contains(v.body, html.EscapeString(w)) {
			v.f.t.Fatalf("the page does not say %q: %s", w, v.body)
		}
	}
	return v
}

// signedIn checks that the browser was sent back to the client with a
// code.
func (v *visitor) signedIn() {
	v.f.t.Helper()
	if v.loc == nil || v.loc.Path != "/cb" || v.loc.Query().Get("code") == "" || v.loc.Query().Get("state") != "st" {
		v.f.t.Fatalf("not sent back with a code: %d %v %s", v.status, v.loc, v.body)
	}
}

// code is the last code sent to to.
func (f *flows) code(to string) string {
	f.t.Helper()
	m, ok := f.outbox.last(to)
	if !ok {
		f.t.Fatalf("no code was sent to %s", to)
	}
	return m.Code
}

// sessionOf is the sign-in record of the browser's session.
func (v *visitor) sessionRecord() store.SignInRecord {
	v.f.t.Helper()
	u, _ := url.Parse(v.f.base)
	for _, c := range v.c.Jar.Cookies(u) {
		if c.Name == browser.SessionCookie {
			s, err := v.f.st.GetSession(context.Background(), hashOf(c.Value))
			must(v.f.t, err)
			return s.SignIn
		}
	}
	v.f.t.Fatal("no session cookie")
	return store.SignInRecord{}
}

// testRoutes are the fixture's own routes for the browser script: the
// last code delivered to an address (as a connector's receiver holds it),
// the clock moved on, and sign-up turned off and on.
func (f *flows) testRoutes(mux *http.ServeMux) {
	// The code last sent to an address; with real receivers, the newest
	// one not read yet, waiting for its delivery.
	mux.HandleFunc("GET /test/last-code", func(w http.ResponseWriter, r *http.Request) {
		to := r.URL.Query().Get("to")
		f.mu.Lock()
		rc := f.recv
		f.mu.Unlock()
		if rc != nil {
			code, err := rc.next(r.Context(), to)
			if err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
			_, _ = io.WriteString(w, code)
			return
		}
		m, ok := f.outbox.last(to)
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, m.Code)
	})
	// The clock moves by ?by (a duration), two minutes (past the resend
	// throttle) when not said.
	mux.HandleFunc("POST /test/advance", func(w http.ResponseWriter, r *http.Request) {
		by := 2 * time.Minute
		if s := r.URL.Query().Get("by"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			by = d
		}
		f.clock.Advance(by)
		w.WriteHeader(http.StatusNoContent)
	})
	// A phrase of the pages, for the script to look for.
	mux.HandleFunc("GET /test/phrase", func(w http.ResponseWriter, r *http.Request) {
		s, ok := messages[r.URL.Query().Get("lang")][r.URL.Query().Get("key")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, s)
	})
	mux.HandleFunc("POST /test/sign-up", func(w http.ResponseWriter, r *http.Request) {
		on := r.URL.Query().Get("on") == "1"
		f.setExperience(func(e *Experience) { e.SignUp = on })
		w.WriteHeader(http.StatusNoContent)
	})
}
