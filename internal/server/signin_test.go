package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/monban/monban/internal/testwait"
)

// A sign-up at the hosted pages, end to end: the account is made, the
// browser returns with a code, PostRegister is delivered (not
// PostSignIn), the audit log has Interaction.Register.Submit, and the
// claims script sees a Register with its NewPasswordIdentity record.
func TestSignUpAtThePages(t *testing.T) {
	f := newUserFixture(t, allowLoopbackHooks)
	rcv := &collector{}
	srv := httptest.NewServer(http.HandlerFunc(rcv.handler))
	defer srv.Close()
	rcvSrv := srv.URL
	h := f.mustAPI(f.mt, "POST", "/api/hooks", map[string]any{"name": "reg", "events": []string{"PostRegister", "PostSignIn"},
		"config": map[string]any{"url": rcvSrv}}, 201)
	rcv.mu.Lock()
	rcv.key = h["signingKey"].(string)
	rcv.mu.Unlock()
	f.mustAPI(f.mt, "PUT", "/api/configs/jwt-customizer/access-token", map[string]any{
		"script": `const getCustomJwtClaims = async ({ context }) => ({
  how: context.interaction.interactionEvent,
  proof: context.interaction.verificationRecords.map(r => r.type + ':' + r.identifier.value).join(',') });`,
	}, 201)

	b := newBrowser(t, f.testServer)
	verifier, challenge := pkce()
	p := b.get(f.authURL(f.spa.ID, spaRedirect, challenge, url.Values{"first_screen": {"register"}}))
	if p.Status != 200 {
		t.Fatalf("register page: %d %s", p.Status, p.Body)
	}
	form := p.hidden()
	form.Set("username", "kenji")
	form.Set("new_password", "Kenji's long passphrase 9")
	q := b.post(f.URL+"/sign-in/register", form, nil).redirected(t, spaRedirect)
	tok := f.exchange(t, q.Get("code"), verifier, nil)
	claims, _ := verifyWithJWKS(t, f.testServer, tok["access_token"].(string))
	if claims["how"] != "Register" || claims["proof"] != "NewPasswordIdentity:kenji" {
		t.Errorf("claims how=%v proof=%v", claims["how"], claims["proof"])
	}
	testwait.Until(t, "PostRegister delivered", func() bool { _, ok := rcv.find("PostRegister"); return ok })
	pl, sigOK := rcv.find("PostRegister")
	if user, _ := pl["user"].(map[string]any); !sigOK || pl["interactionEvent"] != "Register" || user["username"] != "kenji" {
		t.Errorf("PostRegister: signature ok %v, payload %v", sigOK, pl)
	}
	if _, ok := rcv.find("PostSignIn"); ok {
		t.Error("a sign-up fired PostSignIn too")
	}
	testwait.Until(t, "the audit entry", func() bool {
		return len(f.api(f.mt, "GET", "/api/logs?logKey=Interaction.Register.Submit", nil).entries(t)) == 1
	})
}
