package compat_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/compat/monbantest"
	"github.com/monban/monban/internal/pwticket"
	"github.com/monban/monban/internal/verifycode"
)

// mailbox keeps what the server sends (codes and reset links) by address
// and hands them to a script over HTTP: GET /next?to=ADDRESS waits for
// the next message to the address and answers {"code"} or {"link"}.
type mailbox struct {
	mu   sync.Mutex
	box  map[string][]map[string]string
	wake chan struct{}
	srv  *httptest.Server
}

func newMailbox(t *testing.T) *mailbox {
	m := &mailbox{box: map[string][]map[string]string{}, wake: make(chan struct{})}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serveNext))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *mailbox) put(to string, msg map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.box[to] = append(m.box[to], msg)
	close(m.wake)
	m.wake = make(chan struct{})
}

// Deliver implements verifycode.Deliverer.
func (m *mailbox) Deliver(_ context.Context, msg verifycode.Message) error {
	m.put(msg.To, map[string]string{"code": msg.Code, "purpose": string(msg.Purpose)})
	return nil
}

// SendPasswordReset implements pwticket.Mailer.
func (m *mailbox) SendPasswordReset(_ context.Context, mail pwticket.Mail) error {
	m.put(mail.To, map[string]string{"link": mail.Link})
	return nil
}

func (m *mailbox) serveNext(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	deadline := time.After(20 * time.Second)
	for {
		m.mu.Lock()
		msgs, wake := m.box[to], m.wake
		if len(msgs) > 0 {
			m.box[to] = msgs[1:]
		}
		m.mu.Unlock()
		if len(msgs) > 0 {
			_ = json.NewEncoder(w).Encode(msgs[0])
			return
		}
		select {
		case <-wake:
		case <-deadline:
			http.Error(w, "nothing was sent to "+to, http.StatusNotFound)
			return
		case <-r.Context().Done():
			return
		}
	}
}

// The steps of auth0-passwordless.mjs.
var auth0PasswordlessSteps = []string{
	"passwordless.sendEmail and loginWithEmail",
	"passwordless.sendSMS and loginWithSMS",
	"a wrong code is invalid_grant 403",
	"database.changePassword, the link's page, then the new password",
}

// Auth0's own AuthenticationClient (auth0/legacy), unchanged: passwordless
// codes by e-mail and SMS exchanged at /oauth/token, and a password
// change by the e-mailed link.
func TestAuth0NodePasswordless(t *testing.T) {
	requireNode(t)
	box := newMailbox(t)
	srv := monbantest.Start(t, monbantest.Options{TLS: true, SigningAlgorithm: "RS256", CodeDeliverer: box, ResetMailer: box})
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	e := &auth0Env{srv: srv, domain: u.Host, root: srv.URL + "/"}
	const orders = "https://orders.example"
	srv.CreateResource(t, "Orders", orders, 0, "read:orders")
	// A regular web app: the SDK, made for servers, sends its secret.
	web := srv.MustCall(t, "POST", "/api/applications", map[string]any{"name": "Passwordless web app", "type": "Traditional",
		"oidcClientMetadata":   map[string]any{"redirectUris": []string{"https://web.example/callback"}},
		"customClientMetadata": map[string]any{"allowPasswordGrant": true}}, 200)
	webID, webSecret := web["id"].(string), web["secret"].(string)
	srv.MustCall(t, "POST", "/api/users", map[string]any{"username": "jane", "primaryEmail": "jane@example.com",
		"primaryPhone": "15550100", "password": "jane-correct-horse-1"}, 200)
	// Auth0's grant_types, through the Management API v2.
	tok := srv.Token(t, monbantest.App{ID: monbantest.AdminID, Secret: monbantest.AdminSecret}, srv.URL+"/api/v2/", "update:clients")["access_token"].(string)
	body := strings.NewReader(`{"grant_types":["authorization_code","refresh_token","password","http://auth0.com/oauth/grant-type/passwordless/otp"]}`)
	if r := srv.Do(t, "PATCH", "/api/v2/clients/"+webID, http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}}, body); r.Status != 200 {
		t.Fatalf("grant_types: %d %s", r.Status, r.Body)
	}
	runSteps(t, "auth0 AuthenticationClient, passwordless and password change (Node.js)", "auth0-passwordless.mjs", e.nodeEnv(map[string]string{
		"CLIENT_ID": webID, "CLIENT_SECRET": webSecret, "AUDIENCE": orders, "MAILBOX": box.srv.URL, "EMAIL": "jane@example.com", "PHONE": "+15550100",
	}), auth0PasswordlessSteps)
}
