package server_test

import (
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/server"
)

// signInStatuses submits the sign-in form once per identifier and returns
// the statuses.
func signInStatuses(b *browser, p page, pw string, identifiers ...string) []int {
	var out []int
	for _, id := range identifiers {
		out = append(out, b.signIn(p, id, pw).Status)
	}
	return out
}

// The username and the e-mail address of one account share one back-off,
// with the password grant too; unknown identifiers are counted the same way,
// so the back-off does not tell which accounts exist.
func TestSignInBackoffPerAccount(t *testing.T) {
	f := newUserFixture(t, func(c *server.Config) {
		c.Users.Throttle = oidc.ThrottleConfig{AccountFree: 3, IPFree: 1000, Base: time.Minute}
	})
	f.mustAPI(f.mt, "PATCH", "/api/applications/"+f.web.ID, map[string]any{"customClientMetadata": map[string]any{"allowPasswordGrant": true}}, 200)
	_, ch := pkce()
	b := newBrowser(t, f.testServer)
	p := b.get(f.authURL(f.spa.ID, spaRedirect, ch, nil))

	// Three failures through three names of jane's account lock it.
	got := signInStatuses(b, p, "wrong password", "jane", "jane@example.com", "JANE@example.com", "jane", "jane@example.com")
	if want := []int{401, 401, 401, 429, 429}; !slices.Equal(got, want) {
		t.Fatalf("jane by username and e-mail: %v, want %v", got, want)
	}
	if r := b.signIn(p, "jane@example.com", userPass); r.Status != 429 {
		t.Errorf("right password during the lock: %d", r.Status)
	}
	pwGrant := url.Values{"grant_type": {"password"}, "username": {"jane"}, "password": {userPass}, "audience": {shopAPI}}
	if r := f.token(f.web.ID, f.web.Secret, pwGrant); r.Status != 400 || r.json(t)["error_description"] != "too many failed attempts; try again later" {
		t.Errorf("password grant during the lock: %d %s", r.Status, r.Body)
	}

	// An unknown identifier gets the same answers, count and lock as an
	// existing account named by one identifier, also in another case
	// (usernames match exactly, so "KIM" names no account).
	f.mustAPI(f.mt, "POST", "/api/users", map[string]any{"username": "kim", "primaryEmail": "kim@example.com", "password": "kim's password"}, 200)
	for _, id := range []string{"nobody", "nobody@example.com", "kim"} {
		got := signInStatuses(b, p, "wrong password", id, id, id, id, strings.ToUpper(id))
		if want := []int{401, 401, 401, 429, 429}; !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", id, got, want)
		}
	}

	// The password grant counts into the same back-off.
	f.mustAPI(f.mt, "POST", "/api/users", map[string]any{"username": "lee", "primaryEmail": "lee@example.com", "password": "lee's password"}, 200)
	for _, id := range []string{"lee", "lee@example.com"} {
		pwGrant.Set("username", id)
		pwGrant.Set("password", "wrong")
		if r := f.token(f.web.ID, f.web.Secret, pwGrant); r.Status != 400 || r.json(t)["error"] != "invalid_grant" {
			t.Fatalf("password grant, wrong password: %d %s", r.Status, r.Body)
		}
	}
	got = signInStatuses(b, p, "wrong password", "LEE@example.com", "lee")
	if want := []int{401, 429}; !slices.Equal(got, want) {
		t.Errorf("lee after two password-grant failures: %v, want %v", got, want)
	}
}

// With Redis, instances share the back-off: failures spread over two
// instances lock an account after as many as on one.
func TestSignInBackoffSharedThroughRedis(t *testing.T) {
	redisURL := os.Getenv("MONBAN_TEST_REDIS_URL")
	if redisURL == "" {
		t.Skip("set MONBAN_TEST_REDIS_URL to test the shared back-off")
	}
	setup := func(c *server.Config) {
		c.RedisURL = redisURL
		// The client address is shared by every run on this machine
		// and kept for the window: only the accounts are tested here.
		c.Users.Throttle = oidc.ThrottleConfig{AccountFree: 3, IPFree: 1_000_000, Base: time.Minute}
	}
	instances := []*userFixture{newUserFixture(t, setup), newUserFixture(t, setup)}
	var (
		browsers []*browser
		pages    []page
	)
	for _, f := range instances {
		_, ch := pkce()
		b := newBrowser(t, f.testServer)
		browsers = append(browsers, b)
		pages = append(pages, b.get(f.authURL(f.spa.ID, spaRedirect, ch, nil)))
	}
	// An instance whose Redis answer is late (a loaded machine) counts
	// locally for a while, by design; such a round proves nothing about
	// sharing and is played again, with new names.
	fellBack := func() int {
		n := 0
		for _, f := range instances {
			n += strings.Count(f.Logs.String(), "rate limits are local: Redis unreachable")
		}
		return n
	}
	sharedAgain := func() bool {
		for _, f := range instances {
			logs := f.Logs.String()
			if strings.Count(logs, "rate limits are local: Redis unreachable") != strings.Count(logs, "rate limits shared again") {
				return false
			}
		}
		return true
	}
	for round := range 5 {
		before := fellBack()
		// Names of their own per round: Redis keeps the counts between
		// runs.
		suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
		known, unknown := "user"+suffix, "nobody"+suffix
		for _, f := range instances {
			// Separate databases: an account of the same name in each.
			f.mustAPI(f.mt, "POST", "/api/users", map[string]any{"username": known, "password": "the right password"}, 200)
		}
		got := map[string][]int{}
		for _, id := range []string{known, unknown} {
			for i := range 6 {
				got[id] = append(got[id], browsers[i%2].signIn(pages[i%2], id, "wrong password").Status)
			}
		}
		if fellBack() != before {
			t.Logf("round %d: an instance counted locally while Redis was slow; again", round)
			// Until both share again (the probe logs it).
			for deadline := time.Now().Add(time.Minute); !sharedAgain(); time.Sleep(100 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("Redis still unreachable after a minute")
				}
			}
			continue
		}
		for id, statuses := range got {
			if want := []int{401, 401, 401, 429, 429, 429}; !slices.Equal(statuses, want) {
				t.Errorf("%s across two instances: %v, want %v", id, statuses, want)
			}
		}
		return
	}
	t.Fatal("Redis was too slow to answer in five rounds")
}

// With Redis unreachable, the back-off still holds, on each instance's own
// counts, as the rate limits do.
func TestSignInBackoffRedisDown(t *testing.T) {
	f := newUserFixture(t, func(c *server.Config) {
		c.RedisURL = "redis://127.0.0.1:1/0"
		c.Users.Throttle = oidc.ThrottleConfig{AccountFree: 3, IPFree: 1000, Base: time.Minute}
	})
	_, ch := pkce()
	b := newBrowser(t, f.testServer)
	p := b.get(f.authURL(f.spa.ID, spaRedirect, ch, nil))
	got := signInStatuses(b, p, "wrong password", "jane", "jane@example.com", "jane", "jane")
	if want := []int{401, 401, 401, 429}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	if !strings.Contains(f.Logs.String(), "rate limits are local: Redis unreachable") {
		t.Error("the fallback was not logged")
	}
}
