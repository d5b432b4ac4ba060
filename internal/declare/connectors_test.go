package declare

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/store"
)

const connectorsDoc = `version: 1
connectors:
  - connectorId: simple-mail-transfer-protocol
    config:
      host: smtp.example.com
      port: 587
      auth: {type: login, user: mailer, pass: "${SMTP_PASS}"}
      fromEmail: no-reply@example.com
      templates:
        - {usageType: Generic, contentType: text/plain, subject: Code, content: "Your code: {{code}}"}
  - connectorId: twilio-short-message-service
    config: {accountSID: AC0123456789abcdef0123456789abcdef, authToken: "${TWILIO_TOKEN}", fromMessagingServiceSID: MG0123456789abcdef0123456789abcdef}
emailTemplates:
  - {languageTag: ja, templateType: SignIn, subject: サインイン, content: "コードは {{code}} です"}
`

func withConnectors(t *testing.T) *Offline {
	tg := newOffline(t)
	opts := connector.DefaultOptions()
	opts.Egress = egress.Policy{}
	tg.Connectors = connector.New(tg.Store, opts)
	return tg
}

func storedConnector(t *testing.T, tg *Offline, factory string) connector.View {
	t.Helper()
	list, err := tg.Connectors.Connectors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range list {
		if v.ConnectorID == factory {
			return v
		}
	}
	t.Fatalf("no %s connector", factory)
	return connector.View{}
}

// TestConnectorsAndTemplates: connectors and e-mail templates are
// created, compared (secrets by digest, never shown), exported with
// references in place of secrets, and pruned, through the connector
// service of a real database.
func TestConnectorsAndTemplates(t *testing.T) {
	tg := withConnectors(t)
	vars := map[string]string{"SMTP_PASS": "smtp-secret-1", "TWILIO_TOKEN": "twilio-secret-1"}
	p := apply(t, tg, parse(t, connectorsDoc, vars), Options{})
	out := printed(p)
	for _, want := range []string{`+ connector "simple-mail-transfer-protocol"`, `config.auth: {"type":"login","user":"mailer"}`,
		"config.auth.pass: (sensitive value)", `+ connector "twilio-short-message-service"`, "config.authToken: (sensitive value)",
		`+ e-mail template "ja/SignIn"`, "Plan: 3 to create"} {
		if !strings.Contains(out, want) {
			t.Errorf("create plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret-1") {
		t.Fatalf("the plan shows a secret:\n%s", out)
	}
	var cfg map[string]any
	must(t, json.Unmarshal(storedConnector(t, tg, "simple-mail-transfer-protocol").Config, &cfg))
	if cfg["auth"].(map[string]any)["pass"] != "smtp-secret-1" {
		t.Fatalf("stored SMTP config %v", cfg)
	}
	ts, err := tg.Connectors.Templates(context.Background(), store.TemplateFilter{LanguageTag: "ja"})
	if err != nil || len(ts) != 1 || !strings.Contains(string(ts[0].Details), "コードは {{code}} です") {
		t.Fatalf("stored templates %+v, %v", ts, err)
	}

	// Again: nothing to do.
	if p := plan(t, tg, parse(t, connectorsDoc, vars), Options{}); !p.Empty() {
		t.Fatalf("second plan:\n%s", printed(p))
	}
	// A secret changed alone is seen, and not shown.
	vars["SMTP_PASS"] = "smtp-secret-2"
	p = apply(t, tg, parse(t, connectorsDoc, vars), Options{})
	if out := printed(p); !strings.Contains(out, `~ connector "simple-mail-transfer-protocol"`) || !strings.Contains(out, "config.auth.pass: (sensitive value changed)") ||
		strings.Contains(out, "secret-") || strings.Contains(out, "twilio") {
		t.Fatalf("secret change plan:\n%s", out)
	}
	must(t, json.Unmarshal(storedConnector(t, tg, "simple-mail-transfer-protocol").Config, &cfg))
	if cfg["auth"].(map[string]any)["pass"] != "smtp-secret-2" {
		t.Fatalf("the new secret was not written: %v", cfg)
	}
	// A changed field and template.
	doc := strings.Replace(strings.Replace(connectorsDoc, "smtp.example.com", "mail.example.com", 1), "コードは", "確認コードは", 1)
	p = apply(t, tg, parse(t, doc, vars), Options{})
	if out := printed(p); !strings.Contains(out, `config.host: "smtp.example.com" → "mail.example.com"`) || !strings.Contains(out, `~ e-mail template "ja/SignIn"`) {
		t.Fatalf("update plan:\n%s", out)
	}

	// Export: secrets become references, and the export applies as it is.
	st, err := tg.Read(context.Background())
	must(t, err)
	exp := Export(st)
	b, _ := json.Marshal(exp.Connectors)
	if strings.Contains(string(b), "secret-") || !strings.Contains(string(b), "${CONNECTOR_SIMPLE_MAIL_TRANSFER_PROTOCOL_AUTH_PASS}") ||
		!strings.Contains(string(b), "${CONNECTOR_TWILIO_SHORT_MESSAGE_SERVICE_AUTHTOKEN}") || len(exp.EmailTemplates) != 1 {
		t.Fatalf("export: %s %+v", b, exp.EmailTemplates)
	}
	again, err := Resolve(exp, env(map[string]string{"CONNECTOR_SIMPLE_MAIL_TRANSFER_PROTOCOL_AUTH_PASS": "smtp-secret-2",
		"CONNECTOR_TWILIO_SHORT_MESSAGE_SERVICE_AUTHTOKEN": "twilio-secret-1"}))
	must(t, err)
	if p := plan(t, tg, again, Options{}); !p.Empty() {
		t.Fatalf("the export does not match:\n%s", printed(p))
	}

	// Left out: kept, or deleted with prune.
	p = plan(t, tg, parse(t, "version: 1\n", nil), Options{})
	if out := printed(p); !p.Empty() || !strings.Contains(out, `connector "twilio-short-message-service"`) || !strings.Contains(out, `e-mail template "ja/SignIn"`) {
		t.Fatalf("plan without prune:\n%s", out)
	}
	apply(t, tg, parse(t, "version: 1\n", nil), Options{Prune: true})
	if list, _ := tg.Connectors.Connectors(context.Background()); len(list) != 0 {
		t.Fatalf("after prune: %+v", list)
	}
}

// TestConnectorRefusals: a document with a bad connector or template is
// refused whole, before anything is written, and a secret never shows in
// the refusal.
func TestConnectorRefusals(t *testing.T) {
	tg := withConnectors(t)
	for name, c := range map[string]struct{ doc, says string }{
		"unknown factory": {"version: 1\nconnectors:\n  - {connectorId: carrier-pigeon, config: {}}\n", "no connector factory"},
		"bad config":      {"version: 1\nconnectors:\n  - {connectorId: http-sms, config: {endpoint: 'not a url', signingKey: '${K}'}}\n", "connectors[0]"},
		"two SMS": {"version: 1\nconnectors:\n  - {connectorId: http-sms, config: {endpoint: 'https://sms.example/send'}}\n" +
			"  - {connectorId: twilio-short-message-service, config: {accountSID: AC0123456789abcdef0123456789abcdef, authToken: x, fromMessagingServiceSID: MG0123456789abcdef0123456789abcdef}}\n", "one of each type"},
		"bad template type": {"version: 1\nemailTemplates:\n  - {languageTag: en, templateType: Nope, subject: s, content: c}\n", "templateType"},
		"bad language":      {"version: 1\nemailTemplates:\n  - {languageTag: '!!', templateType: SignIn, subject: s, content: c}\n", "languageTag"},
		"twice":             {"version: 1\nemailTemplates:\n  - {languageTag: en, templateType: SignIn, subject: s, content: c}\n  - {languageTag: en, templateType: SignIn, subject: s, content: c}\n", "declared twice"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Make(context.Background(), tg, parse(t, c.doc, map[string]string{"K": "key-secret"}), Options{})
			var pe *PlanError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.says) || strings.Contains(err.Error(), "key-secret") {
				t.Fatalf("err = %v, want a refusal saying %q", err, c.says)
			}
		})
	}
	// A target without connectors refuses the sections.
	bare := newOffline(t)
	_, err := Make(context.Background(), bare, parse(t, "version: 1\nemailTemplates:\n  - {languageTag: en, templateType: SignIn, subject: s, content: c}\n", nil), Options{})
	if err == nil || !strings.Contains(err.Error(), "does not keep connectors") {
		t.Fatalf("a target without connectors: %v", err)
	}
	if list, _ := tg.Connectors.Connectors(context.Background()); len(list) != 0 {
		t.Fatalf("a refused document wrote %+v", list)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
