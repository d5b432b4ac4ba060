package signin

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/browser"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/revocation"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlstore"
)

// The pages' words the tests look for.
var (
	msgInteractionUnknown = messages["en"]["err_unknown"]
	msgInteractionExpired = messages["en"]["err_expired"]
	msgInteractionUsed    = messages["en"]["err_used"]
	msgBusy               = messages["en"]["err_busy"]
)

// signInFixture is a provider with one user (jane) and one web app, on a
// clock the test moves, driven through its handler.
type signInFixture struct {
	t     *testing.T
	st    *sqlstore.Store
	h     http.Handler
	clock *clock.Fake
	pages *Pages
}

const signInPassword = "jane's password"

func newSignInFixture(t *testing.T) *signInFixture {
	ctx := context.Background()
	now := time.Now()
	f := &signInFixture{t: t, clock: clock.NewFake(now)}
	f.st = openStore(t, now)
	pw := password.NewHasher(password.Params{Time: 1, Memory: 64, Threads: 1}, 1)
	hash, err := pw.Hash(ctx, signInPassword)
	must(t, err)
	must(t, f.st.CreateUser(ctx, store.User{ID: "u1", Username: "jane", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}))
	must(t, f.st.CreateApplication(ctx, store.Application{ID: "web", Name: "Web", Type: store.AppTraditional,
		RedirectURIs: []string{"https://web.test/cb"}, CreatedAt: now}))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cache, err := catalog.New(ctx, f.st, logger, 0, nil)
	must(t, err)
	t.Cleanup(cache.Close)
	rev, err := revocation.New(ctx, f.st, logger, nil)
	must(t, err)
	p := oidc.New(oidc.Config{Issuer: "http://id.test/oidc", Catalog: cache, Logger: logger, Now: f.clock.Now,
		Users: &oidc.UsersConfig{Store: f.st, Passwords: pw, Revocations: rev, Endpoint: "http://id.test", CSRFKey: make([]byte, 32)}})
	mux := http.NewServeMux()
	p.Register(mux)
	f.pages = New(Config{Endpoint: "http://id.test", Store: f.st, Authorization: p, Accounts: p.Accounts(),
		Directory: directory.New(directory.Config{Store: f.st, Passwords: pw, Now: f.clock.Now}),
		Cookies:   browser.New("http://id.test", make([]byte, 32)), Logger: logger, Now: f.clock.Now})
	f.pages.Register(mux)
	f.h = mux
	return f
}

// do sends a request with the browser's cookies (none if empty): its
// interaction cookie, and a CSRF cookie of the same value; for a POST, the
// form.
func (f *signInFixture) do(method, target, cookie string, form url.Values) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: "monban_interaction", Value: cookie})
		r.AddCookie(&http.Cookie{Name: "monban_csrf", Value: cookie})
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

var authQuery = url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {"https://web.test/cb"},
	"scope": {"openid"}, "state": {"st"}}.Encode()

// start sends the authorization request and returns the interaction's
// id and the browser's interaction cookie (the given one, or the one set).
func (f *signInFixture) start(cookie string) (id, browserCookie string) {
	f.t.Helper()
	w := f.do("GET", "/oidc/auth?"+authQuery, cookie, nil)
	loc, err := url.Parse(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || err != nil || loc.Path != "/sign-in" {
		f.t.Fatalf("authorize: %d %q", w.Code, w.Header().Get("Location"))
	}
	if q := loc.Query(); len(q) != 1 || q.Get("interaction") == "" {
		f.t.Fatalf("the sign-in page is sent more than the interaction: %s", loc)
	}
	browserCookie = cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == "monban_interaction" {
			browserCookie = c.Value
		}
	}
	return loc.Query().Get("interaction"), browserCookie
}

var csrfFieldRe = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// page gets the interaction's sign-in page and returns its CSRF token.
func (f *signInFixture) page(id, cookie string) string {
	f.t.Helper()
	w := f.do("GET", "/sign-in?interaction="+url.QueryEscape(id), cookie, nil)
	if w.Code != 200 {
		f.t.Fatalf("sign-in page: %d %s", w.Code, w.Body)
	}
	body := w.Body.String()
	if !strings.Contains(body, `name="interaction" value="`+id+`"`) || strings.Contains(body, `name="request"`) {
		f.t.Fatalf("the form does not carry the interaction alone: %s", body)
	}
	m := csrfFieldRe.FindStringSubmatch(body)
	if m == nil {
		f.t.Fatal("no CSRF token")
	}
	return html.UnescapeString(m[1])
}

func (f *signInFixture) post(id, cookie, csrf, pw string) *httptest.ResponseRecorder {
	return f.do("POST", "/sign-in", cookie, url.Values{"interaction": {id}, "csrf": {csrf}, "identifier": {"jane"}, "password": {pw}})
}

// wantPage checks an error page: the status, the words, no redirect.
func wantPage(t *testing.T, what string, w *httptest.ResponseRecorder, status int, msg string) {
	t.Helper()
	if w.Code != status || w.Header().Get("Location") != "" || !strings.Contains(w.Body.String(), html.EscapeString(msg)) {
		t.Errorf("%s: %d %q %s, want %d with %q", what, w.Code, w.Header().Get("Location"), w.Body, status, msg)
	}
}

// The sign-in runs as a stored interaction: the page and the form carry
// its id only, the browser that started it alone can drive it, a wrong
// password is recorded at the password step, and the right one resumes
// the authorization request once.
func TestSignInInteraction(t *testing.T) {
	f := newSignInFixture(t)
	ctx := context.Background()
	id, cookie := f.start("")
	if len(cookie) != 43 {
		t.Fatalf("no interaction cookie set by the authorization request: %q", cookie)
	}
	csrf := f.page(id, cookie)
	rec, err := f.st.GetInteraction(ctx, id)
	must(t, err)
	if rec.Step != "identify" || rec.ClientID != "web" || rec.Request != authQuery {
		t.Fatalf("stored interaction %+v", rec)
	}

	// Another browser, with its own cookie and form token, cannot use the
	// id; nor can a request without a cookie.
	other, otherCookie := f.start("")
	otherCSRF := f.page(other, otherCookie)
	wantPage(t, "another browser's page", f.do("GET", "/sign-in?interaction="+id, otherCookie, nil), 400, msgInteractionUnknown)
	wantPage(t, "a page without a cookie", f.do("GET", "/sign-in?interaction="+id, "", nil), 400, msgInteractionUnknown)
	wantPage(t, "another browser's post", f.post(id, otherCookie, otherCSRF, signInPassword), 400, msgInteractionUnknown)
	wantPage(t, "an unknown id", f.post("nope", cookie, csrf, signInPassword), 400, msgInteractionUnknown)
	wantPage(t, "the interaction twice", f.do("GET", "/sign-in?interaction="+id+"&interaction="+id, cookie, nil), 400, "malformed")

	// A wrong password: the interaction waits at the password step.
	if w := f.post(id, cookie, csrf, "wrong"); w.Code != 401 {
		t.Fatalf("wrong password: %d", w.Code)
	}
	rec, err = f.st.GetInteraction(ctx, id)
	must(t, err)
	if rec.Step != "password" || rec.Identifier != "jane" || rec.Attempts != 1 || rec.AccountID != "" {
		t.Fatalf("after a wrong password: %+v", rec)
	}
	// A forged form changes nothing.
	if w := f.post(id, cookie, "forged", signInPassword); w.Code != 403 {
		t.Fatalf("forged form: %d", w.Code)
	}
	// The right one: a code for the client, and the interaction is gone.
	w := f.post(id, cookie, csrf, signInPassword)
	loc, _ := url.Parse(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || loc == nil || !strings.HasPrefix(loc.String(), "https://web.test/cb?") ||
		loc.Query().Get("code") == "" || loc.Query().Get("state") != "st" {
		t.Fatalf("sign-in: %d %q", w.Code, w.Header().Get("Location"))
	}
	if _, err := f.st.GetInteraction(ctx, id); err == nil {
		t.Fatal("the interaction outlived its sign-in")
	}
	wantPage(t, "the form posted again", f.post(id, cookie, csrf, signInPassword), 400, msgInteractionUnknown)
}

// An interaction ends at its expiry, with a page that says so; one
// completed but not yet consumed is refused as used.
func TestSignInInteractionEnds(t *testing.T) {
	f := newSignInFixture(t)
	ctx := context.Background()
	id, cookie := f.start("")
	csrf := f.page(id, cookie)
	f.clock.Advance(interaction.DefaultTTL)
	wantPage(t, "expired page", f.do("GET", "/sign-in?interaction="+id, cookie, nil), 400, msgInteractionExpired)
	wantPage(t, "expired post", f.post(id, cookie, csrf, signInPassword), 400, msgInteractionExpired)

	id, cookie = f.start(cookie)
	csrf = f.page(id, cookie)
	rec, err := f.st.GetInteraction(ctx, id)
	must(t, err)
	rec.Step, rec.AccountID = "done", "u1"
	must(t, f.st.UpdateInteraction(ctx, rec, rec.Version))
	wantPage(t, "done page", f.do("GET", "/sign-in?interaction="+id, cookie, nil), 400, msgInteractionUsed)
	wantPage(t, "done post", f.post(id, cookie, csrf, signInPassword), 400, msgInteractionUsed)

	// A store that cannot answer: busy, not a 500.
	must(t, f.st.Close())
	w := f.do("GET", "/sign-in?interaction="+id, cookie, nil)
	wantPage(t, "closed store", w, 503, msgBusy)
	if w.Header().Get("Retry-After") == "" {
		t.Error("busy page without Retry-After")
	}
	// Nor can it store a new interaction: the client is told.
	w = f.do("GET", "/oidc/auth?"+authQuery, cookie, nil)
	if loc, _ := url.Parse(w.Header().Get("Location")); w.Code != http.StatusSeeOther || loc == nil ||
		loc.Host != "web.test" || loc.Query().Get("error") != "server_error" {
		t.Errorf("authorize on a closed store: %d %q", w.Code, w.Header().Get("Location"))
	}
}

// A link to the sign-in page with an authorization request in its query
// starts an interaction for it, as the authorization endpoint does.
func TestSignInPageStartsInteraction(t *testing.T) {
	f := newSignInFixture(t)
	w := f.do("GET", "/sign-in?"+authQuery, "", nil)
	m := regexp.MustCompile(`name="interaction" value="([^"]+)"`).FindStringSubmatch(w.Body.String())
	if w.Code != 200 || m == nil {
		t.Fatalf("sign-in page for a request: %d %s", w.Code, w.Body)
	}
	rec, err := f.st.GetInteraction(context.Background(), m[1])
	if err != nil || rec.Request != authQuery {
		t.Fatalf("interaction %+v, %v", rec, err)
	}
	// A bad request in the query is answered as the authorization
	// endpoint would, with no interaction.
	bad := f.do("GET", "/sign-in?client_id=nope", "", nil)
	if bad.Code != 400 || strings.Contains(bad.Body.String(), `name="interaction"`) {
		t.Fatalf("bad request: %d", bad.Code)
	}
}
