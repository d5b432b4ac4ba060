package claims

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

var actionEvent = map[string]any{
	"client": map[string]any{"client_id": "m2m", "name": "Robot"},
	"user":   map[string]any{"user_id": "auth0|u1", "email": "jane@example.com"},
}

// An Auth0 Action runs with (event, api): it reads the event and its
// secrets, and sets claims on each token; reserved names are dropped.
func TestActionClaims(t *testing.T) {
	r := newTestRunner(t, Options{})
	src := `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://x.test/email', event.user.email)
    .accessToken.setCustomClaim('key', event.secrets.KEY);
  api.idToken.setCustomClaim('client', event.client.name);
  api.idToken.setCustomClaim('nonce', 'x');
  api.accessToken.setCustomClaim('sub', 'evil');
  api.accessToken.setCustomClaim('__proto__', { a: 1 });
};`
	if !IsAction(src) {
		t.Fatal("not recognised as an Action")
	}
	res, err := run(t, r, src, Input{Context: actionEvent, EnvironmentVariables: map[string]string{"KEY": "k1"}, Trigger: TriggerPostLogin})
	if err != nil {
		t.Fatalf("run: %v (%v)", err, res.Logs)
	}
	if res.Claims["https://x.test/email"] != "jane@example.com" || res.Claims["key"] != "k1" || len(res.Claims) != 2 {
		t.Errorf("access claims: %v", res.Claims)
	}
	if res.IDClaims["client"] != "Robot" || len(res.IDClaims) != 1 {
		t.Errorf("ID claims: %v", res.IDClaims)
	}
	if want := []string{"__proto__", "idToken.nonce", "sub"}; !slices.Equal(res.Dropped, want) {
		t.Errorf("dropped %v, want %v", res.Dropped, want)
	}
}

// A post-login Action denies with access_denied and its reason; a
// credentials-exchange one with the code it names, from Auth0's list.
// Claims set after a denial are not used, and the run goes on as in Auth0.
func TestActionDenies(t *testing.T) {
	r := newTestRunner(t, Options{})
	_, err := run(t, r, `exports.onExecutePostLogin = async (event, api) => {
  api.access.deny('blocked: ' + event.user.email);
  api.accessToken.setCustomClaim('late', true);
};`, Input{Context: actionEvent, Trigger: TriggerPostLogin})
	var d *DeniedError
	if !errors.As(err, &d) || d.Code != "access_denied" || d.Message != "blocked: jane@example.com" {
		t.Errorf("post-login: %#v", err)
	}
	_, err = run(t, r, `exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_scope', 'no'); };`,
		Input{Context: actionEvent, Trigger: TriggerCredentialsExchange})
	if !errors.As(err, &d) || d.Code != "invalid_scope" || d.Message != "no" {
		t.Errorf("credentials exchange: %#v", err)
	}
	_, err = run(t, r, `exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('nope', 'no'); };`,
		Input{Context: actionEvent, Trigger: TriggerCredentialsExchange})
	var se *ScriptError
	if !errors.As(err, &se) || !strings.Contains(se.Message, "code must be one of") {
		t.Errorf("unknown code: %#v", err)
	}
}

// The function is found where Auth0 puts it (exports, module.exports); a
// script without one for the trigger fails clearly; the unsupported API
// methods throw; a script may declare its own exports.
func TestActionShapes(t *testing.T) {
	r := newTestRunner(t, Options{})
	for _, src := range []string{
		`module.exports = { onExecuteCredentialsExchange: async (e, api) => { api.accessToken.setCustomClaim('ok', 1); } };`,
		`exports.onExecuteCredentialsExchange = function (e, api) { api.accessToken.setCustomClaim('ok', 1); };`,
	} {
		res, err := run(t, r, src, Input{Context: actionEvent, Trigger: TriggerCredentialsExchange})
		if err != nil || res.Claims["ok"] == nil {
			t.Errorf("%s: %v, %v", src, res.Claims, err)
		}
	}
	_, err := run(t, r, `exports.onExecutePostLogin = async () => {};`, Input{Context: actionEvent, Trigger: TriggerCredentialsExchange})
	var se *ScriptError
	if !errors.As(err, &se) || !strings.Contains(se.Message, "exports.onExecuteCredentialsExchange") {
		t.Errorf("wrong trigger: %#v", err)
	}
	_, err = run(t, r, `exports.onExecutePostLogin = async (e, api) => { api.accessToken.addScope('x'); };`, Input{Context: actionEvent, Trigger: TriggerPostLogin})
	if !errors.As(err, &se) || !strings.Contains(se.Message, "addScope is not supported") {
		t.Errorf("addScope: %#v", err)
	}
	// The credentials-exchange api has no idToken, as in Auth0.
	_, err = run(t, r, `exports.onExecuteCredentialsExchange = async (e, api) => { api.idToken.setCustomClaim('a', 1); };`,
		Input{Context: actionEvent, Trigger: TriggerCredentialsExchange})
	if !errors.As(err, &se) {
		t.Errorf("idToken on credentials exchange: %#v", err)
	}
	res, err := run(t, r, "const exports = 1;\nconst getCustomJwtClaims = () => ({ e: exports });", Input{})
	if err != nil || res.Claims["e"] == nil {
		t.Errorf("own exports: %v, %v", res.Claims, err)
	}
}

// A runaway Action is stopped like any script, and the runner goes on.
func TestActionRunaway(t *testing.T) {
	r := newTestRunner(t, Options{})
	contained(t, r, `exports.onExecutePostLogin = async () => { for (;;) {} };`, Input{Context: actionEvent, Trigger: TriggerPostLogin},
		func(t *testing.T, _ Result, err error) {
			if !errors.Is(err, ErrTimeout) {
				t.Errorf("got %v, want a timeout", err)
			}
		})
}

// A memoized Action's result is reused for the same event and secrets, ID
// claims included, and not for another trigger.
func TestActionMemo(t *testing.T) {
	r := newTestRunner(t, Options{})
	src := `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('e', event.user.email); };
exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('c', 1); };`
	in := Input{Context: actionEvent, Trigger: TriggerPostLogin, Memoize: true}
	for i := range 2 {
		res, err := r.Run(t.Context(), "k", src, in)
		if err != nil || res.IDClaims["e"] != "jane@example.com" {
			t.Fatalf("run %d: %v, %v", i, res.IDClaims, err)
		}
	}
	if n := r.Stats().Kinds["k"].Reused; n != 1 {
		t.Errorf("reused %d times, want 1", n)
	}
	in.Trigger = TriggerCredentialsExchange
	if res, err := r.Run(t.Context(), "k", src, in); err != nil || res.Claims["c"] == nil || len(res.IDClaims) != 0 {
		t.Errorf("other trigger: %v %v, %v", res.Claims, res.IDClaims, err)
	}
}

// Compile accepts an Action and a getCustomJwtClaims script, nothing else;
// a script naming getCustomJwtClaims is never an Action.
func TestIsAction(t *testing.T) {
	for src, want := range map[string]bool{
		`exports.onExecutePostLogin = async () => {};`:                             true,
		`exports.onExecuteCredentialsExchange = async () => {};`:                   true,
		`const getCustomJwtClaims = () => ({}); // not exports.onExecutePostLogin`: false,
		`const f = () => ({});`: false,
	} {
		if IsAction(src) != want {
			t.Errorf("IsAction(%q) = %v", src, !want)
		}
	}
	if err := Compile(`exports.onExecutePostLogin = async () => {};`); err != nil {
		t.Errorf("Compile(action): %v", err)
	}
	var sx *SyntaxError
	if err := Compile(`exports.other = async () => {};`); !errors.As(err, &sx) {
		t.Errorf("Compile(neither): %v", err)
	}
}
