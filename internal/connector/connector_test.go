package connector_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/smtpsink"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
	"github.com/monban/monban/internal/verifycode"
	"github.com/monban/monban/internal/webhook"
)

var loopback = egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t     *testing.T
	st    store.Store
	clock *clock
	svc   *connector.Service
	sink  *smtpsink.Sink
	mu    sync.Mutex
	audit []store.LogEntry
}

func newFixture(t *testing.T, sinkOpts smtpsink.Options) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	storetest.Unlock(t, st, storetest.NewKey(t))
	f := &fixture{t: t, st: st, clock: &clock{t: time.Now().UTC().Truncate(time.Millisecond)}, sink: smtpsink.Start(t, sinkOpts)}
	opts := connector.DefaultOptions()
	opts.Egress, opts.Roots, opts.Now, opts.Timeout = loopback, f.sink.Roots, f.clock.Now, 5*time.Second
	opts.Audit = func(e store.LogEntry) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.audit = append(f.audit, e)
	}
	f.svc = connector.New(st, opts)
	return f
}

func (f *fixture) smtpConfig(extra map[string]any) json.RawMessage {
	c := map[string]any{
		"host": f.sink.Host, "port": f.sink.Port, "auth": map[string]any{"type": "login", "user": "mailer", "pass": "p4ss word"},
		"fromEmail": "Monban <no-reply@example.com>", "templates": []any{}, "requireTLS": true,
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	b, _ := json.Marshal(c)
	return b
}

func (f *fixture) create(factory string, config json.RawMessage) connector.View {
	f.t.Helper()
	v, err := f.svc.Create(context.Background(), connector.Input{ConnectorID: factory, Config: config})
	if err != nil {
		f.t.Fatalf("Create %s: %v", factory, err)
	}
	return v
}

func msg(to string, p verifycode.Purpose, locale string) verifycode.Message {
	return verifycode.Message{Channel: verifycode.ChannelEmail, To: to, Purpose: p, Locale: locale, Code: "482913", ApplicationID: "app1"}
}

// TestSMTPDelivery: a queued code goes out over STARTTLS with AUTH PLAIN,
// in the language asked, and the sink reads it back.
func TestSMTPDelivery(t *testing.T) {
	f := newFixture(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "p4ss word"})
	ctx := context.Background()
	f.create(connector.FactorySMTP, f.smtpConfig(nil))
	if !f.svc.HasChannel(verifycode.ChannelEmail) || f.svc.HasChannel(verifycode.ChannelSMS) {
		t.Fatal("HasChannel does not follow the connectors")
	}
	if err := f.svc.Deliver(ctx, msg("User@example.com", verifycode.PurposeSignIn, "ja")); err != nil {
		t.Fatal(err)
	}
	f.svc.Round(ctx)
	got := f.sink.Wait(t, 1, 5*time.Second)[0]
	if !got.TLS || got.Authed != "mailer" || got.To[0] != "User@example.com" || got.From != "no-reply@example.com" {
		t.Errorf("message = tls %v, authed %q, to %v, from %q", got.TLS, got.Authed, got.To, got.From)
	}
	if got.Subject != "サインイン用の確認コード" || !strings.Contains(got.Body, "482913") {
		t.Errorf("subject %q, body %q; want the Japanese sign-in message with the code", got.Subject, got.Body)
	}
	if code := f.sink.Code(t, "User@example.com", 0, time.Second); code != "482913" {
		t.Errorf("the sink read %q", code)
	}
}

// TestSMTPImplicitTLSAndTemplates: implicit TLS; a stored template of the
// language wins over the config's, which wins over the built-in one.
func TestSMTPImplicitTLSAndTemplates(t *testing.T) {
	f := newFixture(t, smtpsink.Options{Implicit: true, User: "mailer", Pass: "p4ss word"})
	ctx := context.Background()
	f.create(connector.FactorySMTP, f.smtpConfig(map[string]any{"secure": true, "requireTLS": nil, "replyTo": "help@example.com",
		"customHeaders": map[string]any{"X-Tenant": "t1"},
		"templates":     []any{map[string]any{"usageType": "Register", "contentType": "text/html", "subject": "Config {{code}}", "content": "<b>{{ code }}</b>"}}}))
	if _, err := f.svc.PutTemplates(ctx, []connector.TemplateInput{{LanguageTag: "en", TemplateType: "SignIn",
		Details: connector.Details{Subject: "Stored", Content: "code: {{code}} ({{locale}}) {{other}}", ContentType: "text/plain", SendFrom: "Team <team@example.com>"}}}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []verifycode.Message{msg("a@example.com", verifycode.PurposeSignIn, "en"), msg("b@example.com", verifycode.PurposeRegister, "en"),
		msg("c@example.com", verifycode.PurposeForgotPassword, "en-US")} {
		if err := f.svc.Deliver(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	f.svc.Round(ctx)
	msgs := f.sink.Wait(t, 3, 5*time.Second)
	by := map[string]smtpsink.Message{}
	for _, m := range msgs {
		m.Body = strings.TrimSpace(m.Body)
		by[m.To[0]] = m
	}
	if m := by["a@example.com"]; m.Subject != "Stored" || m.Body != "code: 482913 (en) {{other}}" || m.From != "team@example.com" || !m.TLS {
		t.Errorf("stored template: from %q subject %q body %q", m.From, m.Subject, m.Body)
	}
	if m := by["b@example.com"]; m.Subject != "Config 482913" || m.Body != "<b>482913</b>" || !strings.HasPrefix(m.Header.Get("Content-Type"), "text/html") ||
		m.Header.Get("Reply-To") != "<help@example.com>" || m.Header.Get("X-Tenant") != "t1" {
		t.Errorf("config template: subject %q body %q header %v", m.Subject, m.Body, m.Header)
	}
	if m := by["c@example.com"]; m.Subject != "Your password reset code" {
		t.Errorf("built-in template: subject %q", m.Subject)
	}
}

// TestRetries: a refused message is retried with back-off until the sink
// takes it; each failure is audited without the code.
func TestRetries(t *testing.T) {
	f := newFixture(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "p4ss word"})
	ctx := context.Background()
	f.create(connector.FactorySMTP, f.smtpConfig(nil))
	f.sink.Refuse(2)
	if err := f.svc.Deliver(ctx, msg("r@example.com", verifycode.PurposeGeneric, "en")); err != nil {
		t.Fatal(err)
	}
	f.svc.Round(ctx)
	if f.sink.Tries() != 1 || len(f.sink.Messages()) != 0 {
		t.Fatalf("after the first round: %d tries, %d messages", f.sink.Tries(), len(f.sink.Messages()))
	}
	f.svc.Round(ctx) // not due yet
	if f.sink.Tries() != 1 {
		t.Fatalf("a retry went before its back-off: %d tries", f.sink.Tries())
	}
	f.clock.add(5 * time.Second)
	f.svc.Round(ctx)
	if f.sink.Tries() != 2 {
		t.Fatalf("the first retry did not go: %d tries", f.sink.Tries())
	}
	f.clock.add(9 * time.Second)
	f.svc.Round(ctx)
	if f.sink.Tries() != 2 {
		t.Fatal("the second retry went before 10 s")
	}
	f.clock.add(time.Second)
	f.svc.Round(ctx)
	if got := f.sink.Wait(t, 1, 5*time.Second); len(got) != 1 || f.sink.Tries() != 3 {
		t.Fatalf("after the retries: %d tries, %d messages", f.sink.Tries(), len(got))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.audit) != 2 {
		t.Fatalf("%d audit entries, want 2", len(f.audit))
	}
	for _, e := range f.audit {
		if e.Key != connector.AuditKey || e.Result != store.ResultError || e.ApplicationID != "app1" || strings.Contains(string(e.Payload), "482913") ||
			strings.Contains(string(e.Payload), "r@example.com") || !strings.Contains(string(e.Payload), "451") {
			t.Errorf("audit entry %s %s %s: %s", e.Key, e.Result, e.ApplicationID, e.Payload)
		}
	}
}

// TestGiveUp: without a connector, or past the attempts, a message fails
// for good and its code is wiped from the outbox.
func TestGiveUp(t *testing.T) {
	f := newFixture(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "wrong"})
	ctx := context.Background()
	if err := f.svc.Deliver(ctx, msg("x@example.com", verifycode.PurposeGeneric, "en")); err != nil {
		t.Fatal(err)
	}
	f.svc.Round(ctx)
	f.create(connector.FactorySMTP, f.smtpConfig(nil)) // its password is refused
	if err := f.svc.Deliver(ctx, msg("y@example.com", verifycode.PurposeGeneric, "en")); err != nil {
		t.Fatal(err)
	}
	for range 8 {
		f.svc.Round(ctx)
		f.clock.add(time.Minute)
	}
	if len(f.sink.Messages()) != 0 {
		t.Fatal("a message was accepted")
	}
	claimed, err := f.st.ClaimMessages(ctx, "probe", f.clock.Now().Add(time.Hour), time.Minute, 10)
	if err != nil || len(claimed) != 0 {
		t.Errorf("pending messages left: %v, %v", claimed, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	last := f.audit[len(f.audit)-1]
	if !strings.Contains(string(last.Payload), `"willRetry":false`) || strings.Contains(string(last.Payload), "wrong") {
		t.Errorf("last audit entry: %s", last.Payload)
	}
	if !strings.Contains(string(f.audit[0].Payload), "no email connector") {
		t.Errorf("first audit entry: %s", f.audit[0].Payload)
	}
}

type smsReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	paths  []string
	status int
}

func newSMSReceiver(t *testing.T) *smsReceiver {
	r := &smsReceiver{status: http.StatusOK}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies, r.heads, r.paths = append(r.bodies, b), append(r.heads, req.Header.Clone()), append(r.paths, req.URL.Path)
		st := r.status
		r.mu.Unlock()
		w.WriteHeader(st)
		fmt.Fprint(w, `{"message":"nope"}`)
	}))
	t.Cleanup(r.Close)
	return r
}

// TestHTTPSMS: the endpoint gets the JSON body with the code, signed with
// the signing key as webhooks are, with the authorization header.
func TestHTTPSMS(t *testing.T) {
	f := newFixture(t, smtpsink.Options{})
	ctx := context.Background()
	rcv := newSMSReceiver(t)
	f.create(connector.FactoryHTTPSMS, json.RawMessage(`{"endpoint":"`+rcv.URL+`/sms","authorization":"Bearer t0ken","signingKey":"k3y"}`))
	m := verifycode.Message{Channel: verifycode.ChannelSMS, To: "819012345678", Purpose: verifycode.PurposeRegister, Locale: "ja", Code: "135790"}
	if err := f.svc.Deliver(ctx, m); err != nil {
		t.Fatal(err)
	}
	f.svc.Round(ctx)
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.bodies) != 1 {
		t.Fatalf("%d requests", len(rcv.bodies))
	}
	body, h := rcv.bodies[0], rcv.heads[0]
	if h.Get(webhook.SignatureHeader) != webhook.Sign("k3y", body) || h.Get("Authorization") != "Bearer t0ken" || h.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", h)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got["to"] != "+819012345678" || got["code"] != "135790" || got["type"] != "Register" || got["locale"] != "ja" ||
		got["payload"].(map[string]any)["code"] != "135790" || !strings.Contains(got["text"].(string), "135790") {
		t.Errorf("body %s", body)
	}
}

// TestTwilio: Twilio's form, path and Basic auth, against a local
// receiver; a refusal is retried and its answer kept in the error.
func TestTwilio(t *testing.T) {
	f := newFixture(t, smtpsink.Options{})
	ctx := context.Background()
	rcv := newSMSReceiver(t)
	rcv.status = http.StatusBadRequest
	f.create(connector.FactoryTwilio, json.RawMessage(`{"accountSID":"AC123","authToken":"tok","fromMessagingServiceSID":"MG9","endpoint":"`+rcv.URL+`",
		"templates":[{"usageType":"SignIn","content":"Code {{code}}"}]}`))
	m := verifycode.Message{Channel: verifycode.ChannelSMS, To: "15550100199", Purpose: verifycode.PurposeSignIn, Locale: "en", Code: "246801"}
	if err := f.svc.Deliver(ctx, m); err != nil {
		t.Fatal(err)
	}
	f.svc.Round(ctx)
	rcv.mu.Lock()
	rcv.status = http.StatusCreated
	rcv.mu.Unlock()
	f.clock.add(5 * time.Second)
	f.svc.Round(ctx)
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.bodies) != 2 {
		t.Fatalf("%d requests, want 2", len(rcv.bodies))
	}
	form, _ := url.ParseQuery(string(rcv.bodies[1]))
	user, pass, _ := (&http.Request{Header: rcv.heads[1]}).BasicAuth()
	if rcv.paths[1] != "/2010-04-01/Accounts/AC123/Messages.json" || user != "AC123" || pass != "tok" ||
		form.Get("To") != "+15550100199" || form.Get("MessagingServiceSid") != "MG9" || form.Get("Body") != "Code 246801" || form.Get("RiskCheck") != "enable" {
		t.Errorf("request %s %v %s", rcv.paths[1], form, user)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.audit) != 1 || !strings.Contains(string(f.audit[0].Payload), `answered 400: {\"message\":\"nope\"}`) {
		t.Errorf("audit %v", f.audit)
	}
}

// TestEgress: a provider on a refused address is never reached.
func TestEgress(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.Unlock(t, st, storetest.NewKey(t))
	svc := connector.New(st, connector.DefaultOptions()) // public addresses only
	rcv := newSMSReceiver(t)
	sink := smtpsink.Start(t, smtpsink.Options{})
	err = svc.Test(context.Background(), connector.FactoryHTTPSMS, json.RawMessage(`{"endpoint":"`+rcv.URL+`"}`), verifycode.ChannelSMS, "+15550100199", "en")
	if connector.KindOf(err) != connector.SendFailed || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("HTTP SMS to loopback: %v", err)
	}
	err = svc.Test(context.Background(), connector.FactorySMTP, json.RawMessage(fmt.Sprintf(`{"host":%q,"port":%d,"auth":{},"fromEmail":"a@example.com","templates":[]}`, sink.Host, sink.Port)),
		verifycode.ChannelEmail, "b@example.com", "en")
	if connector.KindOf(err) != connector.SendFailed || len(sink.Messages()) != 0 || sink.Tries() != 0 {
		t.Errorf("SMTP to loopback: %v", err)
	}
	if len(rcv.bodies) != 0 {
		t.Error("the receiver was reached")
	}
}

// TestSecrets: secrets are sealed at rest, left out of Public, kept when
// an update leaves them out, and filled in for a test.
func TestSecrets(t *testing.T) {
	f := newFixture(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "p4ss word"})
	ctx := context.Background()
	v := f.create(connector.FactorySMTP, f.smtpConfig(nil))
	pub := string(v.PublicConfig())
	if strings.Contains(pub, "p4ss") || !strings.Contains(pub, `"user":"mailer"`) {
		t.Errorf("public config %s", pub)
	}
	if _, err := f.svc.Update(ctx, v.ID, connector.Input{Config: v.PublicConfig()}); err != nil {
		t.Fatalf("update with the public config: %v", err)
	}
	if err := f.svc.Test(ctx, connector.FactorySMTP, f.smtpConfig(map[string]any{"auth": map[string]any{"user": "mailer"}}), verifycode.ChannelEmail, "t@example.com", "en"); err != nil {
		t.Fatalf("a test without the password: %v", err)
	}
	if m := f.sink.Wait(t, 1, 5*time.Second)[0]; !strings.Contains(m.Body, "000000") {
		t.Errorf("test message body %q", m.Body)
	}
	got, err := f.st.GetConnector(ctx, v.ID)
	if err != nil || !strings.Contains(string(got.Config), "p4ss word") {
		t.Errorf("the stored password was lost: %s, %v", got.Config, err)
	}
	v2, err := f.svc.Update(ctx, v.ID, connector.Input{Config: f.smtpConfig(map[string]any{"auth": map[string]any{"user": "other", "pass": "new"}})})
	if err != nil || !strings.Contains(string(v2.Config), `"pass":"new"`) {
		t.Errorf("a new password was not taken: %s, %v", v2.Config, err)
	}
}

// TestOneConnectorPerType: creating a second e-mail connector replaces the
// first; an SMS connector stays.
func TestOneConnectorPerType(t *testing.T) {
	f := newFixture(t, smtpsink.Options{})
	ctx := context.Background()
	f.create(connector.FactoryHTTPSMS, json.RawMessage(`{"endpoint":"https://sms.example.com/"}`))
	f.clock.add(time.Second)
	a := f.create(connector.FactorySMTP, f.smtpConfig(nil))
	f.clock.add(time.Second)
	b := f.create(connector.FactorySMTP, f.smtpConfig(nil))
	f.clock.add(time.Second)
	list, err := f.svc.Connectors(ctx)
	if err != nil || len(list) != 2 || list[1].ID != b.ID {
		t.Fatalf("connectors %v, %v", list, err)
	}
	if _, err := f.svc.Connector(ctx, a.ID); connector.KindOf(err) != connector.NotFound {
		t.Errorf("the replaced connector: %v", err)
	}
	c := f.create(connector.FactoryTwilio, json.RawMessage(`{"accountSID":"AC1","authToken":"t","fromMessagingServiceSID":"MG1","templates":[]}`))
	list, _ = f.svc.Connectors(ctx)
	if len(list) != 2 || list[1].ID != c.ID || list[0].ID != b.ID {
		t.Errorf("after a Twilio connector: %v", list)
	}
	if err := f.svc.Delete(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if f.svc.HasChannel(verifycode.ChannelSMS) {
		t.Error("SMS still has a connector")
	}
}

// TestConfigRefusals: every config a factory cannot use is refused with
// a message, before anything is stored.
func TestConfigRefusals(t *testing.T) {
	f := newFixture(t, smtpsink.Options{})
	ctx := context.Background()
	for _, c := range []struct {
		factory, config, want string
	}{
		{connector.FactorySMTP, `{}`, "host"},
		{connector.FactorySMTP, `[]`, "invalid config"},
		{connector.FactorySMTP, `{"host":"h","port":0,"auth":{},"fromEmail":"a@example.com","templates":[]}`, "port"},
		{connector.FactorySMTP, `{"host":"h","port":"25","auth":{},"fromEmail":"a@example.com","templates":[]}`, "port must be a number"},
		{connector.FactorySMTP, `{"host":"h","port":25,"fromEmail":"a@example.com","templates":[]}`, "auth is required"},
		{connector.FactorySMTP, `{"host":"h","port":25,"auth":{},"fromEmail":"nobody","templates":[]}`, "fromEmail"},
		{connector.FactorySMTP, `{"host":"h","port":25,"auth":{},"fromEmail":"a@example.com","templates":[],"pool":true}`, `unknown field "pool"`},
		{connector.FactorySMTP, `{"host":"h","port":25,"auth":{"type":"oauth2","user":"u","privateKey":"k"},"fromEmail":"a@example.com","templates":[]}`, "privateKey"},
		{connector.FactorySMTP, `{"host":"h","port":25,"auth":{"user":"u","pass":"p"},"ignoreTLS":true,"fromEmail":"a@example.com","templates":[]}`, "in the clear"},
		{connector.FactorySMTP, `{"host":"h","port":25,"auth":{},"fromEmail":"a@example.com","templates":[{"usageType":"SignIn","content":"x"}]}`, "contentType"},
		{connector.FactorySMTP, `{"host":"h","port":25,"auth":{},"fromEmail":"a@example.com","templates":[],"customHeaders":{"Subject":"x"}}`, "customHeaders"},
		{connector.FactorySMTP, `{"host":"h","port":25,"auth":{},"fromEmail":"a@example.com","templates":[],"localAddress":"10.0.0.1"}`, "localAddress"},
		{connector.FactorySMTP, `{"host":"h","port":25,"auth":{},"fromEmail":"a@example.com","templates":[],"tls":{"ciphers":"x"}}`, `unknown field "ciphers"`},
		{connector.FactoryHTTPSMS, `{"endpoint":"ftp://x"}`, "endpoint"},
		{connector.FactoryHTTPSMS, `{"endpoint":"https://u:p@x.example/"}`, "endpoint"},
		{connector.FactoryHTTPSMS, `{"endpoint":"https://x.example/","authorization":"a\r\nb"}`, "authorization"},
		{connector.FactoryTwilio, `{"accountSID":"../x","authToken":"t","fromMessagingServiceSID":"MG","templates":[]}`, "accountSID"},
		{connector.FactoryTwilio, `{"accountSID":"AC","authToken":"t","fromMessagingServiceSID":"MG","templates":[{"usageType":"SignIn","content":"x","subject":"s"}]}`, "SMS template"},
	} {
		_, err := f.svc.Create(ctx, connector.Input{ConnectorID: c.factory, Config: json.RawMessage(c.config)})
		if connector.KindOf(err) != connector.InvalidConfig || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v; want InvalidConfig naming %q", c.factory, c.config, err, c.want)
		}
	}
	if _, err := f.svc.Create(ctx, connector.Input{ConnectorID: "nope", Config: json.RawMessage(`{}`)}); connector.KindOf(err) != connector.FactoryNotFound {
		t.Errorf("unknown factory: %v", err)
	}
	yes := true
	if _, err := f.svc.Create(ctx, connector.Input{ConnectorID: connector.FactoryHTTPSMS, Config: json.RawMessage(`{"endpoint":"https://x.example/"}`), SyncProfile: &yes}); connector.KindOf(err) != connector.SyncProfileUnsupported {
		t.Errorf("syncProfile: %v", err)
	}
	if _, err := f.svc.Create(ctx, connector.Input{ConnectorID: connector.FactoryHTTPSMS, Config: json.RawMessage(`{"endpoint":"https://x.example/"}`), Metadata: json.RawMessage(`{"target":"x"}`)}); connector.KindOf(err) != connector.MetadataLocked {
		t.Errorf("metadata: %v", err)
	}
	if list, _ := f.svc.Connectors(ctx); len(list) != 0 {
		t.Errorf("refused configs were stored: %v", list)
	}
}

// TestTemplatesService: template rules of the PUT, the PATCH and the bulk
// deletion.
func TestTemplatesService(t *testing.T) {
	f := newFixture(t, smtpsink.Options{})
	ctx := context.Background()
	d := connector.Details{Subject: "s", Content: "{{code}}"}
	for _, in := range [][]connector.TemplateInput{
		nil,
		{{LanguageTag: "english!", TemplateType: "SignIn", Details: d}},
		{{LanguageTag: "en", TemplateType: "Login", Details: d}},
		{{LanguageTag: "en", TemplateType: "SignIn", Details: connector.Details{Content: "x"}}},
		{{LanguageTag: "en", TemplateType: "SignIn", Details: connector.Details{Subject: "a\nb", Content: "x"}}},
		{{LanguageTag: "en", TemplateType: "SignIn", Details: connector.Details{Subject: "a", Content: "x", ContentType: "text/rtf"}}},
		{{LanguageTag: "en", TemplateType: "SignIn", Details: d}, {LanguageTag: "en", TemplateType: "SignIn", Details: d}},
	} {
		if _, err := f.svc.PutTemplates(ctx, in); connector.KindOf(err) != connector.InvalidInput {
			t.Errorf("PutTemplates(%+v) = %v, want InvalidInput", in, err)
		}
	}
	got, err := f.svc.PutTemplates(ctx, []connector.TemplateInput{{LanguageTag: "ja", TemplateType: "SignIn", Details: d}})
	if err != nil {
		t.Fatal(err)
	}
	empty := ""
	if _, err := f.svc.PatchTemplate(ctx, got[0].ID, connector.DetailsPatch{Subject: &empty}); connector.KindOf(err) != connector.InvalidInput {
		t.Errorf("PATCH to an empty subject: %v", err)
	}
	html := "text/html"
	p, err := f.svc.PatchTemplate(ctx, got[0].ID, connector.DetailsPatch{ContentType: &html})
	if err != nil || string(p.Details) != `{"subject":"s","content":"{{code}}","contentType":"text/html"}` {
		t.Errorf("PATCH = %s, %v", p.Details, err)
	}
	if _, err := f.svc.PatchTemplate(ctx, "nope", connector.DetailsPatch{}); connector.KindOf(err) != connector.TemplateMissing {
		t.Errorf("PATCH of none: %v", err)
	}
	if _, err := f.svc.DeleteTemplates(ctx, store.TemplateFilter{}); connector.KindOf(err) != connector.NoFilter {
		t.Errorf("bulk deletion without a filter: %v", err)
	}
	if n, err := f.svc.DeleteTemplates(ctx, store.TemplateFilter{LanguageTag: "ja"}); n != 1 || err != nil {
		t.Errorf("bulk deletion = %d, %v", n, err)
	}
}

// TestDeliveryLastsAsLongAsTheCode: a queued code is tried until the code
// itself expires (a policy may make it live longer than the default), and
// a message that names no end gets the default; the built-in text tells
// the lifetime it was given.
func TestDeliveryLastsAsLongAsTheCode(t *testing.T) {
	f := newFixture(t, smtpsink.Options{})
	ctx := context.Background()
	now := f.clock.Now()
	claimOne := func(m verifycode.Message) store.OutMessage {
		t.Helper()
		if err := f.svc.Deliver(ctx, m); err != nil {
			t.Fatal(err)
		}
		got, err := f.st.ClaimMessages(ctx, "probe", now, time.Hour, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("claimed %d messages, %v; want the one just queued", len(got), err)
		}
		return got[0]
	}
	long := msg("long@example.com", verifycode.PurposeSignIn, "en")
	long.ExpiresAt = now.Add(time.Hour)
	if got := claimOne(long); !got.ExpiresAt.Equal(long.ExpiresAt) {
		t.Errorf("a code of an hour is tried until %v, want %v", got.ExpiresAt, long.ExpiresAt)
	}
	if got := claimOne(msg("default@example.com", verifycode.PurposeSignIn, "en")); !got.ExpiresAt.Equal(now.Add(verifycode.DefaultTTL)) {
		t.Errorf("a message without an end is tried until %v, want %v", got.ExpiresAt, now.Add(verifycode.DefaultTTL))
	}
}

// TestBuiltInTextTellsTheLifetime: the built-in messages say the code's
// lifetime as the sender gave it, in both languages.
func TestBuiltInTextTellsTheLifetime(t *testing.T) {
	f := newFixture(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "p4ss word"})
	ctx := context.Background()
	f.create(connector.FactorySMTP, f.smtpConfig(nil))
	for i, c := range []struct{ locale, want string }{{"en", "valid for 60 minutes"}, {"ja", "有効期間は60分です"}} {
		m := msg(c.locale+"@example.com", verifycode.PurposeSignIn, c.locale)
		m.Vars = map[string]string{"minutes": "60"}
		if err := f.svc.Deliver(ctx, m); err != nil {
			t.Fatal(err)
		}
		f.svc.Round(ctx)
		if got := f.sink.Wait(t, i+1, 5*time.Second)[i]; !strings.Contains(got.Body, c.want) {
			t.Errorf("%s body %q, want %q", c.locale, got.Body, c.want)
		}
	}
}
